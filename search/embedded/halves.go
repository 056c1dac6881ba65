package embedded

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/vector"
)

// The two halves the planner (package hybrid) searches, over this
// engine's bleve executor (exec.go) and vector index (vectors.go).

// lexHalf is the BM25 half of one search, on one bleve snapshot.
type lexHalf struct {
	x    *Index
	snap *scorch.IndexSnapshot
	// where records where each ranked hit is stored, so loading it reads
	// the open snapshot; only vector-only hits need a lookup by ID.
	where map[string]located
	// vecs holds the passages' vectors, if this index keeps them; remote,
	// if a remote vector half does and they are to be fetched from it.
	vecs   *vector.Index
	remote remoteHalf
}

// located is a ranked hit and the plan that can load it.
type located struct {
	p *plan
	s scored
}

var (
	_ hybrid.Lexical    = (*lexHalf)(nil)
	_ hybrid.PageRanker = (*lexMatches)(nil)
)

func newLexHalf(x *Index, snap *scorch.IndexSnapshot) *lexHalf {
	return &lexHalf{x: x, snap: snap}
}

// Match computes every segment's hit set, the total and the facet counts.
func (h *lexHalf) Match(ctx context.Context, q query.Query, facets []string) (hybrid.Matches, error) {
	lx, err := h.x.lexicalHits(ctx, h.snap, q, facets)
	if err != nil {
		return nil, err
	}
	return &lexMatches{h: h, lx: lx, q: q}, nil
}

// Paper loads a paper from the snapshot when a Rank returned it, else by
// ID from the index.
func (h *lexHalf) Paper(ctx context.Context, id string) (*corpus.Paper, error) {
	if l, ok := h.where[id]; ok {
		hit, err := l.p.load(l.s)
		if err != nil {
			return nil, err
		}
		return &hit.Paper, nil
	}
	return h.x.Get(ctx, id)
}

// bestPassages are the passages whose BM25 scored the ranked hit id, best
// first; none when its score is the whole record's (rerank.go).
func (h *lexHalf) bestPassages(id string) bestPassage {
	if at, ok := h.where[id]; ok {
		return at.p.best[hitKey{at.s.seg, at.s.local}]
	}
	return bestPassage{}
}

// lexMatches is one query's hits on a lexHalf.
type lexMatches struct {
	h  *lexHalf
	lx *lexical
	q  query.Query
	// terms are the last Expand's terms with their idfs, for Rescore.
	terms map[string]expansionTerm
	// at is where Admit found each allowed candidate, for Count.
	at map[string]scored
}

func (m *lexMatches) Total() uint64  { return m.lx.total }
func (m *lexMatches) HasTerms() bool { return len(m.lx.p.terms) > 0 }
func (m *lexMatches) Facets(size int) []search.Facet {
	if m.lx.facets == nil {
		return nil
	}
	return facetResults(m.lx.facets, m.q, size)
}

// Restriction hands the vector half the segments' allowed sets.
func (m *lexMatches) Restriction() hybrid.Restriction {
	r, _ := hybrid.Restrict(m.q)
	return hybrid.Restriction{Query: r, Key: m.lx.key, Handle: m.lx.segs}
}

// Rank ranks the hits by BM25 down to k.
func (m *lexMatches) Rank(ctx context.Context, k int) ([]fusion.Item, error) {
	if err := m.lx.rank(ctx, k); err != nil {
		return nil, err
	}
	return m.items(m.lx.top)
}

// RankPage ranks down to offset+limit and loads the hits from offset on,
// reading each stored record once.
func (m *lexMatches) RankPage(ctx context.Context, offset, limit int) ([]search.Hit, error) {
	if err := m.lx.rank(ctx, offset+limit); err != nil {
		return nil, err
	}
	if offset >= len(m.lx.top) {
		return nil, nil
	}
	hits := make([]search.Hit, 0, len(m.lx.top)-offset)
	if m.h.where == nil {
		m.h.where = make(map[string]located, len(m.lx.top)-offset)
	}
	for _, s := range m.lx.top[offset:] {
		hit, err := m.lx.p.load(s)
		if err != nil {
			return nil, err
		}
		hits = append(hits, hit)
		m.h.where[hit.ID] = located{m.lx.p, s}
	}
	return hits, nil
}

// items lists ranked hits for fusion and records where each is stored.
func (m *lexMatches) items(top []scored) ([]fusion.Item, error) {
	p := m.lx.p
	if m.h.where == nil {
		m.h.where = make(map[string]located, len(top))
	}
	items := make([]fusion.Item, 0, len(top))
	for _, s := range top {
		id, err := p.loadID(s)
		if err != nil {
			return nil, err
		}
		items = append(items, fusion.Item{ID: id, Score: s.score})
		m.h.where[id] = located{p, s}
	}
	return items, nil
}

// BestPassages gives the text of the best passage of each paper whose BM25
// score was taken from its passages, "" for the others (hybrid.Passages).
func (m *lexMatches) BestPassages(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.h.bestPassages(id).text
	}
	return out
}

// BestPassageVectors gives the stored vector of each paper's best
// passage, nil where there is none (hybrid.Passages): reading it costs
// less than embedding the passage again for every query, and needs no
// embedder at hand, so a network embedder gets the same scores. From a
// remote half it is one more round trip (GetVectors for at most
// Candidates passages), which the engine asks for only where the
// alternative is none (remoteHalf.fetchPassages).
func (m *lexMatches) BestPassageVectors(ctx context.Context, ids []string) ([][]float32, error) {
	out := make([][]float32, len(ids))
	if m.h.vecs == nil && !m.h.remote.fetchPassages {
		return out, nil
	}
	want := map[string]int{}
	for i, id := range ids {
		b := m.h.bestPassages(id)
		switch {
		case b.text == "":
		case m.h.vecs != nil:
			out[i], _ = m.h.vecs.Vector(passageID(id, b.at))
		case b.at < m.h.remote.ledger.passages(id):
			want[passageID(id, b.at)] = i
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	got, err := m.h.remote.r.Get(ctx, slices.Collect(maps.Keys(want)))
	if err != nil {
		return nil, err
	}
	for id, v := range got {
		if i, ok := want[id]; ok {
			// Scored by dot product against the unit query, as stored
			// local vectors are; a remote keeps what the embedder gave.
			out[i] = slices.Clone(v)
			embed.Normalize(out[i])
		}
	}
	return out, nil
}

// Quoted is how many of the ranked hits, from the first, have a passage
// that holds the query nearly word for word (hybrid.Quotations).
func (m *lexMatches) Quoted() int { return m.lx.p.quoted }

// Expand builds the RM3 relevance model (expand.go).
func (m *lexMatches) Expand(ctx context.Context, text string, feedback []string) ([]hybrid.Term, error) {
	ets, err := m.lx.p.expansion(text, feedback)
	if err != nil {
		return nil, err
	}
	m.terms = make(map[string]expansionTerm, len(ets))
	out := make([]hybrid.Term, len(ets))
	for i, t := range ets {
		m.terms[t.term] = t
		out[i] = hybrid.Term{Text: t.term, Weight: t.weight, Original: t.orig}
	}
	return out, nil
}

// Rescore reorders the ranked hits for the expanded query (expand.go).
func (m *lexMatches) Rescore(ctx context.Context, terms []hybrid.Term) ([]fusion.Item, error) {
	ets := make([]expansionTerm, len(terms))
	for i, t := range terms {
		et, ok := m.terms[t.Text]
		if !ok {
			return nil, fmt.Errorf("term %q was not proposed by Expand", t.Text)
		}
		et.weight, et.orig = t.Weight, t.Original
		ets[i] = et
	}
	lx, err := m.lx.rescored(ctx, ets)
	if err != nil {
		return nil, err
	}
	return m.items(lx.top)
}

// Admit finds where each candidate lives in the snapshot, if it is there
// and allowed, and whether it is a hit.
func (m *lexMatches) Admit(ctx context.Context, ids []string) ([]hybrid.Admission, error) {
	m.at = make(map[string]scored, len(ids))
	for si, sh := range m.lx.segs {
		docs, err := sh.ss.Segment().DocNumbers(ids)
		if err != nil {
			return nil, err
		}
		docs.And(sh.allowed)
		it := docs.Iterator()
		for it.HasNext() {
			local := uint64(it.Next())
			id, err := sh.ss.DocID(local)
			if err != nil {
				return nil, err
			}
			m.at[string(id)] = scored{seg: si, local: local}
		}
	}
	out := make([]hybrid.Admission, len(ids))
	for i, id := range ids {
		s, ok := m.at[id]
		switch {
		case !ok:
			out[i] = hybrid.Excluded
		case m.lx.segs[s.seg].hits.Contains(uint32(s.local)):
			out[i] = hybrid.Matched
		default:
			out[i] = hybrid.Allowed
		}
	}
	return out, nil
}

// Count adds admitted papers to every facet counter.
func (m *lexMatches) Count(ctx context.Context, ids []string) error {
	for _, id := range ids {
		s, ok := m.at[id]
		if !ok {
			return fmt.Errorf("paper %s was not admitted", id)
		}
		addToAll(m.lx.k, m.lx.facets, s.seg, s.local)
	}
	return nil
}

// vecHalf is the vector half of one search: the vector index as it was
// when the search began.
type vecHalf struct {
	v    *vectors
	idx  *vector.Index
	near *nearPassages // the passages that found each paper
}

var _ hybrid.Vectors = vecHalf{}

// Search searches the slots of the papers the lexical half allowed.
func (h vecHalf) Search(ctx context.Context, qv []float32, k int, r hybrid.Restriction) ([]fusion.Item, error) {
	segs, ok := r.Handle.([]segHits)
	if r.Key != "" && !ok {
		return nil, fmt.Errorf("restriction %q carries no hit sets of this index", r.Key)
	}
	rs, near, err := h.v.search(h.idx, qv, k, r.Key, segs)
	if err != nil {
		return nil, err
	}
	h.near.add(near)
	items := make([]fusion.Item, len(rs))
	for i, r := range rs {
		items[i] = fusion.Item{ID: r.ID, Score: float64(r.Score)}
	}
	return items, nil
}

// Vectors reads stored vectors.
func (h vecHalf) Vectors(ctx context.Context, ids []string) ([][]float32, error) {
	var out [][]float32
	for _, id := range ids {
		if d, ok := h.idx.Vector(id); ok {
			out = append(out, d)
		}
	}
	return out, nil
}
