package weaviate

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// The planner's two halves over Weaviate: BM25 and aggregations for the
// lexical half, nearVector for the vector half, both under the same
// filter (filter.go). Weaviate offers no snapshot, so "one consistent
// view" is as consistent as the cluster's reads at the configured level:
// a paper written mid-search may show in one half and not the other (the
// planner skips papers that vanish before the page is loaded).

// view is one search's halves; it caches the papers its searches return
// (without full texts), so the page is loaded without a round trip per
// hit except for papers that have a full text.
type view struct {
	e    *Engine
	size int // facet size

	mu     sync.Mutex
	papers map[string]*corpus.Paper // whole papers, or ones without full text
	// found are the best passages BM25 found of each paper, best first;
	// near the number of the passage whose vector found it.
	found map[string][]search.Passage
	near  map[string]int
}

var (
	_ hybrid.Lexical = (*view)(nil)
	_ hybrid.Vectors = (*view)(nil)
	_ hybrid.Matches = (*matches)(nil)
)

func (e *Engine) newView(size int) *view {
	return &view{e: e, size: size, papers: map[string]*corpus.Paper{}, found: map[string][]search.Passage{}, near: map[string]int{}}
}

// keepPassages records the passages BM25 found.
func (v *view) keepPassages(found map[string]*ranked) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, g := range found {
		if _, ok := v.found[id]; !ok {
			v.found[id] = g.passages
		}
	}
}

// keepNear records the passages the vector half found papers by.
func (v *view) keepNear(near map[string]int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, n := range near {
		if _, ok := v.near[id]; !ok {
			v.near[id] = n
		}
	}
}

// passages are what a hit shows for paper id: the passages BM25 found,
// and the one whose vector found it (-1: none).
func (v *view) passages(id string) ([]search.Passage, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n, ok := v.near[id]
	if !ok {
		n = -1
	}
	return v.found[id], n
}

func (v *view) keep(rs []graphql.SearchResult) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, r := range rs {
		if num(r.Properties[pBodyBytes]) > 0 {
			continue // loaded whole when it is on the page
		}
		p := paperOf(r.Properties)
		v.papers[p.ID] = p
	}
}

// Paper loads a paper, from the searches' results when it was among them.
func (v *view) Paper(ctx context.Context, id string) (*corpus.Paper, error) {
	v.mu.Lock()
	p, ok := v.papers[id]
	v.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := v.e.Get(ctx, id)
	if err == nil {
		v.mu.Lock()
		v.papers[id] = p
		v.mu.Unlock()
	}
	return p, err
}

// Match counts q's hits and facets.
func (v *view) Match(ctx context.Context, q query.Query, facets []string) (hybrid.Matches, error) {
	words, hasText := anyWord(q)
	m := &matches{v: v, q: q, restrict: restriction(q), words: words, text: stems(textOf(q))}
	m.hits = and(m.restrict, words)
	var err error
	if m.facets, m.total, err = v.e.countFacets(ctx, q, m.hits, facets, v.size); err != nil {
		return nil, err
	}
	switch {
	case !hasText:
	case m.total > 0:
		m.hasTerms = true
	default:
		n, err := v.e.count(ctx, words)
		if err != nil {
			return nil, err
		}
		m.hasTerms = n > 0
	}
	if !hasText && strings.TrimSpace(textOf(q)) != "" {
		// Only stop words: BM25 has nothing to search, and finds nothing
		// (as the embedded engine, whose analyser drops them too).
		m.none = true
		m.total = 0
		m.facets.zero()
	}
	return m, nil
}

// textOf is q's free text without its exclusions.
func textOf(q query.Query) string {
	t, _ := hybrid.SplitNegated(q.Text)
	return t
}

// matches is one query's hit set.
type matches struct {
	v        *view
	q        query.Query
	restrict *filters.WhereBuilder // filters, phrases, exclusions
	words    *filters.WhereBuilder // a word of the text; nil without text
	hits     *filters.WhereBuilder
	text     string // the BM25 query: the text's terms, repeats kept (a word typed twice weighs twice, as embedded)
	total    uint64
	hasTerms bool
	none     bool
	facets   *counts
	last     []fusion.Item
	quotes   map[string]bool // papers whose best passage the query quotes
	quoted   int             // how many of them lead the last ranking
}

var _ hybrid.Quotations = (*matches)(nil)

// Quoted is how many of the last ranking's first papers the query quotes.
func (m *matches) Quoted() int { return m.quoted }

func (m *matches) Total() uint64  { return m.total }
func (m *matches) HasTerms() bool { return m.hasTerms }

func (m *matches) Restriction() hybrid.Restriction {
	r, _ := hybrid.Restrict(m.q)
	key := ""
	if m.restrict != nil {
		key = r.String()
	}
	return hybrid.Restriction{Query: r, Key: key, Handle: m.restrict}
}

// Rank is Weaviate's BM25 top k under the restriction; without free text,
// the first k allowed papers in Weaviate's order (by object UUID).
func (m *matches) Rank(ctx context.Context, k int) ([]fusion.Item, error) {
	if m.none || k <= 0 {
		return nil, nil
	}
	md := &graphql.Metadata{ID: true, Score: true}
	var items []fusion.Item
	var err error
	if m.text == "" {
		var rs []graphql.SearchResult
		if rs, err = m.v.e.list(ctx, m.restrict, k, md); err != nil {
			return nil, err
		}
		m.v.keep(rs)
		for _, r := range rs {
			items = append(items, fusion.Item{ID: str(r.Properties[pID])})
		}
	} else if items, err = m.rankText(ctx, min(max(k+tieMargin, tieDepth), search.MaxWindow)); err != nil {
		return nil, err
	}
	// Weaviate cuts tied scores at the limit in no fixed order, so pages
	// asked with different limits could repeat or skip a paper: BM25
	// ranks past the cut (tieMargin) and ties are broken by paper ID here.
	slices.SortStableFunc(items, func(a, b fusion.Item) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.ID, b.ID))
	})
	items = items[:min(k, len(items))]
	// A pasted sentence's source comes first, as on the embedded engine.
	slices.SortStableFunc(items, func(a, b fusion.Item) int {
		qa, qb := m.quotes[a.ID], m.quotes[b.ID]
		switch {
		case qa == qb:
			return 0
		case qa:
			return -1
		}
		return 1
	})
	m.quoted = 0
	for _, it := range items {
		if m.quotes[it.ID] {
			m.quoted++
		}
	}
	m.last = items
	return items, nil
}

// rankText ranks the hits by BM25: each paper by its title and abstract
// (the stems property, as the embedded engine's main field) plus its best
// passage (passages.go), as the embedded engine rescores its best hits.
// Papers whose full text has no passages yet (a collection from before
// passages, until its next sync) follow when the list runs short, scored
// by their whole full text at bodyBoost. (One query over both properties
// would not do: Weaviate normalises lengths by the mean of the
// properties' mean lengths, which put BM25 at 0.3236 nDCG@10 on Cranfield
// against 0.3832 embedded.)
func (m *matches) rankText(ctx context.Context, k int) ([]fusion.Item, error) {
	rs, err := m.v.e.bm25(ctx, m.v.e.o.Collection, m.text, m.restrict, k, pStems, hitProps...)
	if err != nil {
		return nil, err
	}
	var f found
	if has, err := m.v.e.anyPassages(ctx); err != nil {
		return nil, err
	} else if has {
		// Deeper than k: one paper's passages can take many places.
		if f, err = m.v.e.rankPassages(ctx, m.text, m.restrict, min(3*k, maxPassageDepth)); err != nil {
			return nil, err
		}
	}
	m.v.keepPassages(f.byID)
	if m.quotes, err = m.v.e.quoting(ctx, m.text, f); err != nil {
		return nil, err
	}
	items := make([]fusion.Item, 0, len(rs)+len(f.order))
	seen := map[string]bool{}
	for _, r := range rs {
		id := str(r.Properties[pID])
		score := float64(r.Metadata.Score)
		if g, ok := f.byID[id]; ok {
			score += g.best
		}
		seen[id] = true
		items = append(items, fusion.Item{ID: id, Score: score})
	}
	for _, id := range f.order {
		if !seen[id] {
			seen[id] = true
			items = append(items, fusion.Item{ID: id, Score: f.byID[id].best})
		}
	}
	if len(items) < k {
		var in []*filters.WhereBuilder
		for _, t := range slices.Compact(slices.Sorted(slices.Values(strings.Fields(m.text)))) {
			in = append(in, eq(pStems, t))
		}
		skip := not(or(in...))
		if len(seen) > 0 {
			skip = and(skip, not(filters.Where().WithPath([]string{pID}).WithOperator(filters.ContainsAny).
				WithValueText(slices.Collect(maps.Keys(seen))...)))
		}
		more, err := m.v.e.bm25(ctx, m.v.e.o.Collection, m.text, and(m.restrict, skip), k-len(items), pBodyStems, hitProps...)
		if err != nil {
			return nil, err
		}
		m.v.keep(more)
		for _, r := range more {
			items = append(items, fusion.Item{ID: str(r.Properties[pID]), Score: bodyBoost * float64(r.Metadata.Score)})
		}
	}
	m.v.keep(rs)
	return items, nil
}

// maxPassageDepth bounds the passages one BM25 search reads.
const maxPassageDepth = 3000

// bodyBoost weighs a full-text-only match, as the embedded engine does.
const bodyBoost = 0.3

// tieMargin and tieDepth: how far past the requested depth BM25 ranks, so
// ties at the cut are broken the same way whatever the page.
const (
	tieMargin = 20
	tieDepth  = 100
)

// Expand proposes no terms: Weaviate's BM25 takes no weighted terms, so
// the expansion round (an embedded policy for corpora where vectors lead)
// is not offered; Policy.Expand is off for this engine.
func (m *matches) Expand(context.Context, string, []string) ([]hybrid.Term, error) {
	return nil, nil
}

// Rescore keeps the last ranking (no expansion terms are ever proposed).
func (m *matches) Rescore(context.Context, []hybrid.Term) ([]fusion.Item, error) {
	return m.last, nil
}

// Admit says of each vector-only candidate whether the restriction allows
// it and whether it is a BM25 hit anyway.
func (m *matches) Admit(ctx context.Context, ids []string) ([]hybrid.Admission, error) {
	in := filters.Where().WithPath([]string{pID}).WithOperator(filters.ContainsAny).WithValueText(ids...)
	allowed, err := m.ids(ctx, and(in, m.restrict), len(ids))
	if err != nil {
		return nil, err
	}
	matched := map[string]bool{}
	if m.words != nil && !m.none {
		if matched, err = m.ids(ctx, and(in, m.restrict, m.words), len(ids)); err != nil {
			return nil, err
		}
	}
	out := make([]hybrid.Admission, len(ids))
	for i, id := range ids {
		switch {
		case matched[id]:
			out[i] = hybrid.Matched
		case allowed[id]:
			out[i] = hybrid.Allowed
		}
	}
	return out, nil
}

func (m *matches) ids(ctx context.Context, where *filters.WhereBuilder, n int) (map[string]bool, error) {
	rs, err := m.v.e.find(ctx, where, n, pID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rs))
	for _, r := range rs {
		out[str(r.Properties[pID])] = true
	}
	return out, nil
}

// Count adds the admitted papers to the facet counts.
func (m *matches) Count(ctx context.Context, ids []string) error {
	if m.facets == nil || len(m.facets.facets) == 0 {
		return nil
	}
	ps := make([]*corpus.Paper, 0, len(ids))
	for _, id := range ids {
		p, err := m.v.Paper(ctx, id)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	m.facets.add(ps)
	return nil
}

func (m *matches) Facets(size int) []search.Facet { return m.facets.result(size) }

// zero empties every facet's counts.
func (c *counts) zero() {
	for _, f := range c.facets {
		f.values, f.all = map[string]int{}, 0
	}
}

// Search is nearVector under the restriction, over the papers and their
// passages: a paper scores the cosine similarity of the nearer of its own
// vector (title and abstract) and its passages'.
func (v *view) Search(ctx context.Context, qv []float32, k int, r hybrid.Restriction) ([]fusion.Item, error) {
	where, _ := r.Handle.(*filters.WhereBuilder)
	if where == nil && r.Key != "" {
		where = restriction(r.Query)
	}
	rs, err := v.e.nearVector(ctx, v.e.o.Collection, qv, where, k, hitProps...)
	if err != nil {
		return nil, err
	}
	v.keep(rs)
	var ps []near
	if has, err := v.e.anyPassages(ctx); err != nil {
		return nil, err
	} else if has {
		// Deeper than k: one paper's passages can take many places.
		if ps, err = v.e.nearPassages(ctx, qv, where, min(4*k, maxPassageDepth)); err != nil {
			return nil, err
		}
	}
	items := make([]fusion.Item, len(rs))
	at := make(map[string]int, len(rs))
	for i, r := range rs {
		items[i] = fusion.Item{ID: str(r.Properties[pID]), Score: 1 - float64(r.Metadata.Distance)}
		at[items[i].ID] = i
	}
	byPassage := map[string]int{}
	for _, p := range ps {
		switch i, ok := at[p.id]; {
		case !ok:
			at[p.id] = len(items)
			items = append(items, fusion.Item{ID: p.id, Score: p.score})
		case p.score > items[i].Score:
			items[i].Score = p.score
		default:
			continue // its own vector is nearer
		}
		byPassage[p.id] = p.n
	}
	slices.SortStableFunc(items, func(a, b fusion.Item) int { return cmp.Compare(b.Score, a.Score) })
	items = items[:min(k, len(items))]
	kept := map[string]int{}
	for _, it := range items {
		if n, ok := byPassage[it.ID]; ok {
			kept[it.ID] = n
		}
	}
	v.keepNear(kept)
	return items, nil
}

// Vectors returns the stored vectors of ids, in the order asked.
func (v *view) Vectors(ctx context.Context, ids []string) ([][]float32, error) {
	in := filters.Where().WithPath([]string{pID}).WithOperator(filters.ContainsAny).WithValueText(ids...)
	rs, err := v.e.findIn(ctx, v.e.o.Collection, in, len(ids), &graphql.Metadata{ID: true, Vector: true}, pID)
	if err != nil {
		return nil, err
	}
	byID := map[string][]float32{}
	for _, r := range rs {
		if len(r.Vector) > 0 {
			byID[str(r.Properties[pID])] = r.Vector
		}
	}
	var out [][]float32
	for _, id := range ids {
		if vec, ok := byID[id]; ok {
			out = append(out, vec)
		}
	}
	return out, nil
}

// list is the first k papers where allows, in paper ID order: Weaviate's
// own order for a filtered listing changes with the limit, and pages
// must not.
func (e *Engine) list(ctx context.Context, where *filters.WhereBuilder, k int, md *graphql.Metadata) ([]graphql.SearchResult, error) {
	out, err := e.searchIn(ctx, e.o.Collection, where, k, md, func(s *graphql.Search) *graphql.Search {
		return s.WithSort(graphql.Sort{Path: []string{pID}, Order: graphql.Asc})
	}, hitProps...)
	if err != nil {
		return nil, fmt.Errorf("weaviate: list papers: %w", err)
	}
	return out, nil
}

// bm25 is Weaviate's BM25 over one property of coll under where.
func (e *Engine) bm25(ctx context.Context, coll, text string, where *filters.WhereBuilder, k int, prop string, props ...string) ([]graphql.SearchResult, error) {
	out, err := e.searchIn(ctx, coll, where, k, &graphql.Metadata{ID: true, Score: true}, func(s *graphql.Search) *graphql.Search {
		return s.WithBM25((&graphql.BM25ArgumentBuilder{}).WithQuery(text).WithProperties(prop))
	}, props...)
	if err != nil {
		return nil, fmt.Errorf("weaviate BM25: %w", err)
	}
	return out, nil
}

// nearVector is Weaviate's vector search of coll under where.
func (e *Engine) nearVector(ctx context.Context, coll string, qv []float32, where *filters.WhereBuilder, k int, props ...string) ([]graphql.SearchResult, error) {
	out, err := e.searchIn(ctx, coll, where, k, &graphql.Metadata{ID: true, Distance: true}, func(s *graphql.Search) *graphql.Search {
		return s.WithNearVector((&graphql.NearVectorArgumentBuilder{}).WithVector(qv))
	}, props...)
	if err != nil {
		return nil, fmt.Errorf("weaviate nearVector: %w", err)
	}
	return out, nil
}
