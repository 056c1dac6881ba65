package hybrid

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
)

// In-memory halves for testing the planner: papers in a slice (index
// order), words split on spaces, a hit scored by how often it holds the
// query's words, the year facet, and year and field filters.

type memLex struct {
	papers []corpus.Paper
	// fail makes the named method fail.
	fail map[string]error
	// rescore, when set, replaces Rescore's reordering.
	rescore func(top []fusion.Item, terms []Term) []fusion.Item
	// calls counts calls by method name.
	calls map[string]int
	// counted are the ids Count was given.
	counted []string
	// pages makes Match's answers PageRankers.
	pages bool
	// passages are the papers' best passages, by id, for BestPassages;
	// passageVecs their stored vectors, for BestPassageVectors.
	passages    map[string]string
	passageVecs map[string][]float32
	// quoted is every query's answer to Quoted: how many of its first
	// ranked hits the query quotes.
	quoted int
}

func newMemLex(papers []corpus.Paper) *memLex {
	return &memLex{papers: papers, fail: map[string]error{}, calls: map[string]int{}}
}

func (l *memLex) call(name string) error {
	l.calls[name]++
	return l.fail[name]
}

func words(s string) []string { return strings.Fields(strings.ToLower(s)) }

// allows is the restriction of q: year and field filters, phrases (every
// word) and -word exclusions.
func allows(q query.Query, p *corpus.Paper) bool {
	text := words(EmbedText(p))
	_, negs := SplitNegated(q.Text)
	for _, n := range negs {
		if slices.Contains(text, strings.ToLower(n)) {
			return false
		}
	}
	for _, ph := range q.Phrases {
		for _, w := range words(ph) {
			if !slices.Contains(text, w) {
				return false
			}
		}
	}
	for _, f := range q.Filters {
		var ok bool
		switch f.Key {
		case query.KeyYear:
			ok = (f.Min == 0 || p.Year >= f.Min) && (f.Max == 0 || p.Year <= f.Max)
		case query.KeyField:
			ok = slices.ContainsFunc(f.Values, func(v string) bool { return slices.Contains(p.Fields, v) })
		}
		if ok == f.Negate {
			return false
		}
	}
	return true
}

func (l *memLex) Match(ctx context.Context, q query.Query, facets []string) (Matches, error) {
	if err := l.call("Match"); err != nil {
		return nil, err
	}
	text, _ := SplitNegated(q.Text)
	m := &memMatches{l: l, q: q, text: words(text), years: map[string]int{}}
	if len(facets) > 0 {
		m.facets = true
	}
	for i := range l.papers {
		p := &l.papers[i]
		if !allows(q, p) {
			continue
		}
		if len(m.text) > 0 && m.score(p) == 0 {
			continue
		}
		m.hits = append(m.hits, i)
		m.years[strconv.Itoa(p.Year)]++
	}
	if l.pages {
		return pageMatches{m}, nil
	}
	return m, nil
}

func (l *memLex) Paper(ctx context.Context, id string) (*corpus.Paper, error) {
	if err := l.call("Paper"); err != nil {
		return nil, err
	}
	for i := range l.papers {
		if l.papers[i].ID == id {
			return &l.papers[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s", search.ErrNotFound, id)
}

type memMatches struct {
	l      *memLex
	q      query.Query
	text   []string
	hits   []int // positions in l.papers
	years  map[string]int
	facets bool
	top    []fusion.Item
}

func (m *memMatches) score(p *corpus.Paper) float64 {
	var s float64
	for _, w := range words(EmbedText(p)) {
		if slices.Contains(m.text, w) {
			s++
		}
	}
	return s
}

func (m *memMatches) BestPassages(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.l.passages[id]
	}
	return out
}

func (m *memMatches) BestPassageVectors(_ context.Context, ids []string) ([][]float32, error) {
	out := make([][]float32, len(ids))
	for i, id := range ids {
		out[i] = m.l.passageVecs[id]
	}
	return out, nil
}

func (m *memMatches) Quoted() int { return m.l.quoted }

func (m *memMatches) Total() uint64 { return uint64(len(m.hits)) }

func (m *memMatches) HasTerms() bool {
	for _, p := range m.l.papers {
		for _, w := range words(EmbedText(&p)) {
			if slices.Contains(m.text, w) {
				return true
			}
		}
	}
	return false
}

func (m *memMatches) Restriction() Restriction {
	r, ok := Restrict(m.q)
	key := ""
	if ok {
		key = r.String()
	}
	return Restriction{Query: r, Key: key}
}

func (m *memMatches) Rank(ctx context.Context, k int) ([]fusion.Item, error) {
	if err := m.l.call("Rank"); err != nil {
		return nil, err
	}
	var out []fusion.Item
	for _, i := range m.hits {
		p := &m.l.papers[i]
		s := 0.0
		if len(m.text) > 0 {
			s = m.score(p)
		}
		out = append(out, fusion.Item{ID: p.ID, Score: s})
	}
	slices.SortStableFunc(out, func(a, b fusion.Item) int { return cmp.Compare(b.Score, a.Score) })
	m.top = out[:min(k, len(out))]
	return m.top, nil
}

// Expand proposes the feedback texts' words the query lacks, most
// frequent first, and marks the query's own words Original.
func (m *memMatches) Expand(ctx context.Context, text string, feedback []string) ([]Term, error) {
	if err := m.l.call("Expand"); err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, f := range feedback {
		for _, w := range words(f) {
			n[w]++
		}
	}
	var out []Term
	for w, c := range n {
		out = append(out, Term{Text: w, Weight: float64(c), Original: slices.Contains(words(text), w)})
	}
	slices.SortFunc(out, func(a, b Term) int {
		if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
			return c
		}
		return cmp.Compare(a.Text, b.Text)
	})
	return out[:min(3, len(out))], nil
}

func (m *memMatches) Rescore(ctx context.Context, terms []Term) ([]fusion.Item, error) {
	if err := m.l.call("Rescore"); err != nil {
		return nil, err
	}
	if m.l.rescore != nil {
		return m.l.rescore(slices.Clone(m.top), terms), nil
	}
	return m.top, nil
}

func (m *memMatches) Admit(ctx context.Context, ids []string) ([]Admission, error) {
	if err := m.l.call("Admit"); err != nil {
		return nil, err
	}
	out := make([]Admission, len(ids))
	for j, id := range ids {
		i := slices.IndexFunc(m.l.papers, func(p corpus.Paper) bool { return p.ID == id })
		switch {
		case i < 0 || !allows(m.q, &m.l.papers[i]):
			out[j] = Excluded
		case slices.Contains(m.hits, i):
			out[j] = Matched
		default:
			out[j] = Allowed
		}
	}
	return out, nil
}

func (m *memMatches) Count(ctx context.Context, ids []string) error {
	if err := m.l.call("Count"); err != nil {
		return err
	}
	for _, id := range ids {
		i := slices.IndexFunc(m.l.papers, func(p corpus.Paper) bool { return p.ID == id })
		if i < 0 {
			return fmt.Errorf("count %s: not in the index", id)
		}
		m.years[strconv.Itoa(m.l.papers[i].Year)]++
		m.l.counted = append(m.l.counted, id)
	}
	return nil
}

func (m *memMatches) Facets(size int) []search.Facet {
	if !m.facets {
		return nil
	}
	f := search.Facet{Name: search.FacetYear}
	for v, n := range m.years {
		f.Values = append(f.Values, search.FacetValue{Value: v, Count: n})
	}
	slices.SortFunc(f.Values, func(a, b search.FacetValue) int { return cmp.Compare(a.Value, b.Value) })
	return []search.Facet{f}
}

// memVec is the vector half: exact cosine over stored vectors.
type memVec struct {
	l    *memLex // papers, for the restriction
	vecs map[string][]float32
	fail map[string]error
	// ignoreRestriction returns forbidden papers too.
	ignoreRestriction bool
	// searches records every Search call.
	searches []vecCall
}

type vecCall struct {
	qv []float32
	k  int
	r  Restriction
}

func (v *memVec) Search(ctx context.Context, qv []float32, k int, r Restriction) ([]fusion.Item, error) {
	v.searches = append(v.searches, vecCall{slices.Clone(qv), k, r})
	if err := v.fail["Search"]; err != nil {
		return nil, err
	}
	var out []fusion.Item
	for i := range v.l.papers {
		p := &v.l.papers[i]
		d, ok := v.vecs[p.ID]
		if !ok || (r.Key != "" && !v.ignoreRestriction && !allows(r.Query, p)) {
			continue
		}
		out = append(out, fusion.Item{ID: p.ID, Score: dot(qv, d)})
	}
	slices.SortStableFunc(out, func(a, b fusion.Item) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(k, len(out))], nil
}

func (v *memVec) Vectors(ctx context.Context, ids []string) ([][]float32, error) {
	if err := v.fail["Vectors"]; err != nil {
		return nil, err
	}
	var out [][]float32
	for _, id := range ids {
		if d, ok := v.vecs[id]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// memEmbedder embeds a text as counts of a few vocabulary words,
// normalised; unknown words embed to the vocabulary's first axis.
type memEmbedder struct {
	vocab []string
	err   error
	texts []string
	// zero: a text of no known word embeds to zero, as with the local
	// embedder; else to the vocabulary's first word ("noise").
	zero bool
}

func (e *memEmbedder) Name() string { return "mem" }
func (e *memEmbedder) Dim() int     { return len(e.vocab) }
func (e *memEmbedder) Embed(ctx context.Context, texts []string, kind embed.Kind) ([][]float32, error) {
	e.texts = append(e.texts, texts...)
	if e.err != nil {
		return nil, e.err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = e.vector(t)
	}
	return out, nil
}

func (e *memEmbedder) vector(t string) []float32 {
	v := make([]float32, len(e.vocab))
	for _, w := range words(t) {
		if j := slices.Index(e.vocab, w); j >= 0 {
			v[j]++
		}
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		if !e.zero {
			v[0] = 1
		}
		return v
	}
	for j := range v {
		v[j] /= float32(math.Sqrt(n))
	}
	return v
}

// pageMatches offers RankPage: Rank, then the papers, without Paper.
type pageMatches struct{ *memMatches }

func (m pageMatches) RankPage(ctx context.Context, offset, limit int) ([]search.Hit, error) {
	if err := m.l.call("RankPage"); err != nil {
		return nil, err
	}
	top, err := m.Rank(ctx, offset+limit)
	if err != nil || offset >= len(top) {
		return nil, err
	}
	var out []search.Hit
	for _, it := range top[offset:] {
		i := slices.IndexFunc(m.l.papers, func(p corpus.Paper) bool { return p.ID == it.ID })
		out = append(out, search.Hit{ID: it.ID, Paper: m.l.papers[i], Score: it.Score})
	}
	return out, nil
}
