package hybrid

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
)

// fixture is a small corpus on both in-memory halves.
type fixture struct {
	lex *memLex
	vec *memVec
	emb *memEmbedder
	pol Policy
}

func newFixture() *fixture {
	papers := []corpus.Paper{
		{ID: "p1", Title: "graph neural networks", Year: 2020, Fields: []string{"cs"}},
		{ID: "p2", Title: "graph theory", Year: 2019, Fields: []string{"math"}},
		{ID: "p3", Title: "protein graph", Year: 2020, Fields: []string{"bio"}},
		{ID: "p4", Title: "neural protein folding", Year: 2021, Fields: []string{"bio"}},
		{ID: "p5", Title: "gene expression neural", Year: 2018, Fields: []string{"bio"}},
		{ID: "p6", Title: "quantum gene", Year: 2020, Fields: []string{"physics"}},
		{ID: "p7", Title: "neural graph gene", Year: 2020, Fields: []string{"cs"}},
		{ID: "p8", Title: "quantum protein", Year: 2017, Fields: []string{"physics"}},
	}
	emb := &memEmbedder{vocab: []string{"noise", "graph", "neural", "protein", "gene", "quantum"}}
	lex := newMemLex(papers)
	vec := &memVec{l: lex, vecs: map[string][]float32{}, fail: map[string]error{}}
	for i := range papers {
		vec.vecs[papers[i].ID] = emb.vector(EmbedText(&papers[i]))
	}
	pol := Policy{Candidates: 100, VectorCandidates: 300, Feedback: 2, FeedbackWeight: 0.5,
		Fusion: fusion.Options{Method: fusion.Convex, Weight: 0.4}}
	return &fixture{lex: lex, vec: vec, emb: emb, pol: pol}
}

func (f *fixture) plan(t *testing.T, q, mode string, limit int) *search.Result {
	t.Helper()
	res, err := f.try(q, mode, limit)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) try(q, mode string, limit int) (*search.Result, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, err
	}
	req := search.Request{Query: pq, Limit: limit, Mode: mode, Explain: true, Facets: []string{search.FacetYear}}
	return Plan(context.Background(), req, f.lex, f.vec, f.emb, f.pol)
}

func hitIDs(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out
}

func closeVec(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-6 || d < -1e-6 {
			return false
		}
	}
	return true
}

// Hybrid feeds the best BM25 papers' vectors into the query vector;
// vector mode and Feedback 0 search with the plain one.
func TestFeedbackChangesQueryVector(t *testing.T) {
	f := newFixture()
	f.plan(t, "graph", search.ModeHybrid, 5)
	plain := f.emb.vector("graph")
	// BM25 ranks p1, p2, p3 (one "graph" each, index order).
	want := embed.Feedback(plain, [][]float32{f.vec.vecs["p1"], f.vec.vecs["p2"]}, 0.5)
	if len(f.vec.searches) != 1 {
		t.Fatalf("%d vector searches, want 1", len(f.vec.searches))
	}
	got := f.vec.searches[0].qv
	if !closeVec(got, want) {
		t.Errorf("query vector %v, want the fed-back %v", got, want)
	}
	if closeVec(got, plain) {
		t.Error("feedback left the query vector unchanged")
	}
	if k := f.vec.searches[0].k; k != 300 {
		t.Errorf("hybrid asked the vector half for %d, want VectorCandidates 300", k)
	}

	for _, c := range []struct {
		name     string
		mode     string
		feedback int
	}{{"vector mode", search.ModeVector, 2}, {"feedback off", search.ModeHybrid, 0}, {"feedback -1", search.ModeHybrid, -1}} {
		f := newFixture()
		f.pol.Feedback = c.feedback
		f.plan(t, "graph", c.mode, 5)
		if got := f.vec.searches[0].qv; !closeVec(got, plain) {
			t.Errorf("%s: query vector %v, want the plain %v", c.name, got, plain)
		}
	}
}

// The fused order follows the fusion weight: all BM25 at weight 0, all
// vector at weight 1, each hit explained with both halves' ranks.
func TestFusionOrder(t *testing.T) {
	f := newFixture()
	f.pol.Fusion.Weight = 0
	res := f.plan(t, "neural gene", search.ModeHybrid, 8)
	// BM25: p5 and p7 hold both words, then p1 and p4 one.
	if got, want := hitIDs(res)[:4], []string{"p5", "p7", "p1", "p4"}; !slices.Equal(got, want) {
		t.Errorf("weight 0: first hits %v, want BM25's %v", got, want)
	}
	for i, h := range res.Hits[:4] {
		if h.Explain == nil || h.Explain.BM25Rank != i+1 || h.Explain.Mode != search.ModeHybrid {
			t.Errorf("hit %d explained %+v, want BM25 rank %d", i, h.Explain, i+1)
		}
	}

	f = newFixture()
	f.pol.Fusion.Weight = 1
	res = f.plan(t, "neural gene", search.ModeHybrid, 8)
	last := 0
	for _, h := range res.Hits {
		if h.Explain.VectorRank == 0 {
			continue
		}
		if h.Explain.VectorRank < last {
			t.Errorf("weight 1: %s has vector rank %d after rank %d", h.ID, h.Explain.VectorRank, last)
		}
		last = h.Explain.VectorRank
		if h.Score != h.Explain.Fused {
			t.Errorf("%s: score %v, fused %v", h.ID, h.Score, h.Explain.Fused)
		}
	}
	if last == 0 {
		t.Fatal("no hit has a vector rank")
	}
}

// The expansion round rescored BM25 and searched the vector half again
// only when its feedback papers changed, fed back from the new head.
func TestExpansionResearchesOnlyWhenHeadChanged(t *testing.T) {
	for _, c := range []struct {
		name     string
		reorder  func([]fusion.Item) []fusion.Item
		searches int
		head     []string
	}{
		{"head kept, order swapped", func(top []fusion.Item) []fusion.Item {
			top[0], top[1] = top[1], top[0]
			return top
		}, 1, nil},
		{"head changed", func(top []fusion.Item) []fusion.Item {
			return append([]fusion.Item{top[2]}, append(top[:2:2], top[3:]...)...)
		}, 2, []string{"p3", "p1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			f.pol.Expand = true
			var gotTerms []Term
			var rescored []fusion.Item
			f.lex.rescore = func(top []fusion.Item, terms []Term) []fusion.Item {
				gotTerms = terms
				rescored = c.reorder(top)
				return rescored
			}
			res := f.plan(t, "graph", search.ModeHybrid, 5)
			// The list is fused again from the rescored BM25 order.
			for _, h := range res.Hits {
				if want := slices.IndexFunc(rescored, func(it fusion.Item) bool { return it.ID == h.ID }) + 1; h.Explain.BM25Rank != want {
					t.Errorf("%s has BM25 rank %d, want %d from the rescored list", h.ID, h.Explain.BM25Rank, want)
				}
			}
			if f.lex.calls["Expand"] != 1 || f.lex.calls["Rescore"] != 1 {
				t.Fatalf("Expand called %d times, Rescore %d; want once each", f.lex.calls["Expand"], f.lex.calls["Rescore"])
			}
			if len(f.vec.searches) != c.searches {
				t.Fatalf("%d vector searches, want %d", len(f.vec.searches), c.searches)
			}
			if c.head != nil {
				want := embed.Feedback(f.emb.vector("graph"), [][]float32{f.vec.vecs[c.head[0]], f.vec.vecs[c.head[1]]}, 0.5)
				if !closeVec(f.vec.searches[1].qv, want) {
					t.Errorf("second search's query vector %v, want fed back from %v", f.vec.searches[1].qv, c.head)
				}
			}
			var added []string
			for _, tm := range gotTerms {
				if !tm.Original {
					added = append(added, tm.Text)
				}
			}
			if len(gotTerms) == 0 || !slices.Equal(res.Expansion, added) {
				t.Errorf("expansion %v from terms %v, want the terms the query lacked %v", res.Expansion, gotTerms, added)
			}
		})
	}
	f := newFixture()
	f.plan(t, "graph", search.ModeHybrid, 5)
	if f.lex.calls["Expand"] != 0 {
		t.Error("expanded without Policy.Expand")
	}
}

// A query that quotes a passage is fused by Policy.QuoteFusion, without
// the expansion round; any other query, or a policy without QuoteFusion,
// keeps Fusion and Expand. The papers quoted come first either way.
func TestQuotationFusion(t *testing.T) {
	for _, c := range []struct {
		name    string
		quoted  int  // the lexical half's answer
		quote   bool // QuoteFusion set
		mode    string
		want    []string // the page's BM25 ranks
		expands bool
	}{
		// "graph gene": BM25 ranks p7, p1, p2; the vectors p7, p2, p1.
		{"not quoted", 0, true, search.ModeHybrid, []string{"1", "3", "2"}, true},
		{"quoted", 1, true, search.ModeHybrid, []string{"1", "2", "3"}, false},
		{"two quoted, no quote fusion", 2, false, search.ModeHybrid, []string{"1", "2", "3"}, true},
		{"one quoted, no quote fusion", 1, false, search.ModeHybrid, []string{"1", "3", "2"}, true},
		{"quoted, vector mode", 2, true, search.ModeVector, []string{"0", "0", "0"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			f.pol.Feedback = 0
			f.pol.Expand = true
			f.pol.Fusion.Weight = 1 // vectors alone
			if c.quote {
				f.pol.QuoteFusion = fusion.Options{Method: fusion.Convex, Weight: 0} // BM25 alone
			}
			f.lex.quoted = c.quoted
			res := f.plan(t, "graph gene", c.mode, 3)
			var lexOrder []string
			for _, h := range res.Hits {
				lexOrder = append(lexOrder, fmt.Sprint(h.Explain.BM25Rank))
			}
			if !slices.Equal(lexOrder, c.want) {
				t.Errorf("BM25 ranks %v, want %v", lexOrder, c.want)
			}
			if got := f.lex.calls["Expand"] > 0 || len(res.Expansion) > 0; got != c.expands {
				t.Errorf("expanded %v (%d calls, %v), want %v", got, f.lex.calls["Expand"], res.Expansion, c.expands)
			}
		})
	}
}

// window keeps every match, drops excluded papers, and keeps allowed
// vector-only papers only within the first n places.
func TestWindowRule(t *testing.T) {
	fused := []fusion.Fused{
		{ID: "a", LexRank: 1}, {ID: "v1"}, {ID: "x"}, {ID: "v3"}, {ID: "m"}, {ID: "b", LexRank: 2}, {ID: "m2"}, {ID: "v2"},
	}
	// v1, x, v3, m, m2, v2:
	adm := []Admission{Allowed, Excluded, Allowed, Matched, Matched, Allowed}
	out, added := window(fused, adm, 3)
	var got []string
	for _, f := range out {
		got = append(got, f.ID)
	}
	if want := []string{"a", "v1", "m", "b", "m2"}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	if want := []string{"v1"}; !slices.Equal(added, want) {
		t.Errorf("added %v, want %v (v3 sits at place 3, just past the window of 3)", added, want)
	}
	if fused[1].ID != "v1" || len(fused) != 8 {
		t.Error("window changed its input")
	}
}

// Through the planner: a vector-only paper within the window joins the
// total and the facets, a match BM25 did not offer is kept uncounted, and
// a paper the restriction forbids never appears.
func TestAdmittedPapersCountInFacets(t *testing.T) {
	f := newFixture()
	f.pol.Candidates = 2
	f.pol.Fusion.Weight = 1        // the fused order is the vector order
	f.vec.ignoreRestriction = true // a vector half that leaks forbidden papers
	// p8 has no "graph" but sits where the query vector points.
	f.vec.vecs["p8"] = f.emb.vector("graph")
	res := f.plan(t, "graph -theory", search.ModeHybrid, 2)
	// Matches: p1, p3, p7 (p2 is excluded); BM25 offers p1 and p3. The
	// vector order starts p8, p2, ...: p8 is admitted, p2 dropped, and p7
	// (a match past BM25's two) is kept without being counted again.
	if got, want := hitIDs(res), []string{"p8", "p1"}; !slices.Equal(got, want) {
		t.Errorf("hits %v, want %v", got, want)
	}
	if want := []string{"p8"}; !slices.Equal(f.lex.counted, want) {
		t.Errorf("counted %v, want %v (the allowed papers within the window of 2)", f.lex.counted, want)
	}
	if res.Total != 4 {
		t.Errorf("total %d, want 3 matches + 1 admitted", res.Total)
	}
	var n int
	for _, v := range res.Facets[0].Values {
		n += v.Count
		if v.Value == "2017" && v.Count != 1 {
			t.Errorf("year 2017 (p8) counted %d times, want 1", v.Count)
		}
	}
	if uint64(n) != res.Total {
		t.Errorf("year facet counts %d papers, total says %d", n, res.Total)
	}
	if f.lex.calls["Admit"] != 1 {
		t.Errorf("Admit called %d times, want once", f.lex.calls["Admit"])
	}
}

// The restriction the lexical half computes is the one the vector half
// searches under.
func TestRestrictionReachesVectorHalf(t *testing.T) {
	f := newFixture()
	res := f.plan(t, `neural year:2020 -folding`, search.ModeHybrid, 10)
	pq, _ := query.Parse(`neural year:2020 -folding`)
	want, _ := Restrict(pq)
	r := f.vec.searches[0].r
	if r.Key != want.String() || !slices.EqualFunc(r.Query.Filters, want.Filters, func(a, b query.Filter) bool { return a.String() == b.String() }) {
		t.Errorf("vector half searched under %q, want %q", r.Key, want.String())
	}
	if strings.Contains(r.Query.Text, "neural") {
		t.Errorf("the restriction carries the free text: %q", r.Query.Text)
	}
	for _, h := range res.Hits {
		if h.Paper.Year != 2020 || strings.Contains(h.Paper.Title, "folding") {
			t.Errorf("hit %s (%d, %q) is outside the restriction", h.ID, h.Paper.Year, h.Paper.Title)
		}
	}
	f = newFixture()
	f.plan(t, "neural", search.ModeHybrid, 10)
	if r := f.vec.searches[0].r; r.Key != "" {
		t.Errorf("an unrestricted query passed restriction %q", r.Key)
	}
}

// Vector mode without text lists the allowed papers in index order and
// touches neither the embedder nor the vector half.
func TestVectorModeWithoutText(t *testing.T) {
	f := newFixture()
	res := f.plan(t, "year:2020", search.ModeVector, 3)
	if got, want := hitIDs(res), []string{"p1", "p3", "p6"}; !slices.Equal(got, want) {
		t.Errorf("hits %v, want the first allowed papers %v", got, want)
	}
	if res.Total != 4 || res.Mode != search.ModeVector {
		t.Errorf("total %d mode %q, want 4 vector", res.Total, res.Mode)
	}
	if len(f.emb.texts) != 0 || len(f.vec.searches) != 0 {
		t.Errorf("embedded %v and searched vectors %d times", f.emb.texts, len(f.vec.searches))
	}
	// With text, the total is still every allowed paper, and BM25 ranks
	// nothing.
	f = newFixture()
	res = f.plan(t, "quantum year:2020", search.ModeVector, 3)
	if res.Total != 4 || f.lex.calls["Rank"] != 0 {
		t.Errorf("total %d with %d BM25 rankings, want 4 and none", res.Total, f.lex.calls["Rank"])
	}
	if res.Hits[0].ID != "p6" || res.Hits[0].Explain.VectorRank != 1 {
		t.Errorf("first hit %s %+v, want p6, vector rank 1", res.Hits[0].ID, res.Hits[0].Explain)
	}
	if f.vec.searches[0].k != 100 {
		t.Errorf("vector mode asked for %d, want Candidates", f.vec.searches[0].k)
	}
}

// Vector mode has no hits for a text whose vector is zero (no word the
// embedder knows), counted (no page) as listed, and says so under its
// filters too; the restriction alone still lists.
func TestVectorModeUnknownWords(t *testing.T) {
	for _, limit := range []int{10, 0} {
		for _, q := range []string{"zzz", "zzz year:2020"} {
			f := newFixture()
			f.emb.zero = true
			res := f.plan(t, q, search.ModeVector, limit)
			if res.Total != 0 || len(res.Hits) != 0 || len(f.vec.searches) != 0 || len(f.emb.texts) != 1 {
				t.Errorf("%q limit %d: total %d, %d hits, %d vector searches, embedded %v", q, limit, res.Total, len(res.Hits), len(f.vec.searches), f.emb.texts)
			}
		}
	}
	f := newFixture()
	f.emb.zero = true
	if res := f.plan(t, "quantum", search.ModeVector, 0); res.Total == 0 || len(f.vec.searches) != 0 {
		t.Errorf("a count with known words: total %d, %d vector searches (want none)", res.Total, len(f.vec.searches))
	}
}

// Hybrid skips the vector half when no word of the query is in the index.
func TestHybridSkipsVectorsForUnknownWords(t *testing.T) {
	f := newFixture()
	res := f.plan(t, "zzz", search.ModeHybrid, 10)
	if len(f.emb.texts) != 0 || len(f.vec.searches) != 0 || res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("embedded %v, %d vector searches, total %d", f.emb.texts, len(f.vec.searches), res.Total)
	}
}

// BM25 mode explains ranks from the offset and never embeds; the page is
// the same whether the lexical half ranks it in one pass or the planner
// loads each hit.
func TestBM25Mode(t *testing.T) {
	for _, pages := range []bool{false, true} {
		f := newFixture()
		f.lex.pages = pages
		pq, _ := query.Parse("neural gene")
		res, err := Plan(context.Background(), search.Request{Query: pq, Limit: 2, Offset: 1, Mode: search.ModeBM25, Explain: true}, f.lex, nil, nil, f.pol)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := hitIDs(res), []string{"p7", "p1"}; !slices.Equal(got, want) {
			t.Errorf("pages %v: hits %v, want %v", pages, got, want)
		}
		if e := res.Hits[0].Explain; e.BM25Rank != 2 || e.Mode != search.ModeBM25 || e.BM25Score != 2 || res.Hits[0].Paper.Title != "neural graph gene" {
			t.Errorf("pages %v: hit %+v, want p7 at BM25 rank 2 score 2", pages, res.Hits[0])
		}
		if res.Total != 5 || res.Facets != nil {
			t.Errorf("pages %v: total %d facets %v, want 5 and none asked", pages, res.Total, res.Facets)
		}
		if pages && (f.lex.calls["RankPage"] != 1 || f.lex.calls["Paper"] != 0) {
			t.Errorf("RankPage called %d times and Paper %d, want once and never", f.lex.calls["RankPage"], f.lex.calls["Paper"])
		}
		if !pages && f.lex.calls["Paper"] != 2 {
			t.Errorf("Paper called %d times, want once per hit", f.lex.calls["Paper"])
		}
		if _, err := Plan(context.Background(), search.Request{Query: pq, Limit: 2, Mode: search.ModeHybrid}, f.lex, nil, nil, f.pol); !errors.Is(err, search.ErrNoVectors) {
			t.Errorf("hybrid without a vector half: %v, want ErrNoVectors", err)
		}
		if _, err := Plan(context.Background(), search.Request{Query: pq, Limit: 2, Mode: "sideways"}, f.lex, nil, nil, f.pol); err == nil || !strings.Contains(err.Error(), `unknown search mode "sideways"`) {
			t.Errorf("an unknown mode: %v, want it named", err)
		}
	}
}

// Errors of either half come back, wrapped with the stage.
func TestErrorsPropagate(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name  string
		set   func(*fixture)
		mode  string
		stage string
	}{
		{"match", func(f *fixture) { f.lex.fail["Match"] = boom }, search.ModeHybrid, ""},
		{"rank", func(f *fixture) { f.lex.fail["Rank"] = boom }, search.ModeHybrid, "rank BM25 hits"},
		{"rank bm25", func(f *fixture) { f.lex.fail["Rank"] = boom }, search.ModeBM25, "rank BM25 hits"},
		{"embed", func(f *fixture) { f.emb.err = boom }, search.ModeHybrid, "embed query with mem"},
		{"vector search", func(f *fixture) { f.vec.fail["Search"] = boom }, search.ModeVector, "vector search"},
		{"feedback", func(f *fixture) { f.vec.fail["Vectors"] = boom }, search.ModeHybrid, "feedback vectors"},
		{"admit", func(f *fixture) { f.lex.fail["Admit"] = boom }, search.ModeHybrid, "admit vector hits"},
		{"count", func(f *fixture) { f.lex.fail["Count"] = boom }, search.ModeHybrid, "count vector hits"},
		{"expand", func(f *fixture) { f.pol.Expand = true; f.lex.fail["Expand"] = boom }, search.ModeHybrid, "expand the query"},
		{"rescore", func(f *fixture) { f.pol.Expand = true; f.lex.fail["Rescore"] = boom }, search.ModeHybrid, "rescore"},
		{"load for expansion", func(f *fixture) { f.pol.Expand = true; f.lex.fail["Paper"] = boom }, search.ModeHybrid, "expand the query: load"},
		{"load a BM25 hit", func(f *fixture) { f.lex.fail["Paper"] = boom }, search.ModeBM25, "load hit"},
		{"rank a page", func(f *fixture) { f.lex.pages = true; f.lex.fail["RankPage"] = boom }, search.ModeBM25, "rank BM25 hits"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			c.set(f)
			_, err := f.try("graph neural", c.mode, 10)
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), c.stage) {
				t.Errorf("error %v, want boom after %q", err, c.stage)
			}
		})
	}
	// A fused hit whose paper cannot be loaded (gone mid-search) is
	// skipped, not an error.
	f := newFixture()
	f.lex.fail["Paper"] = boom
	res, err := f.try("graph neural", search.ModeHybrid, 10)
	if err != nil || len(res.Hits) != 0 || res.Total == 0 {
		t.Errorf("unloadable hits: %v, %d hits, total %d; want no error, no hits, the total", err, len(res.Hits), res.Total)
	}
}

func TestSameHead(t *testing.T) {
	items := func(ids ...string) []fusion.Item {
		var out []fusion.Item
		for _, id := range ids {
			out = append(out, fusion.Item{ID: id})
		}
		return out
	}
	for _, c := range []struct {
		a, b []fusion.Item
		n    int
		want bool
	}{
		{items("a", "b", "c"), items("b", "a", "d"), 2, true},
		{items("a", "b", "c"), items("a", "c", "b"), 2, false},
		{items("a"), items("a", "b"), 2, false},
		{items("a", "b"), items("c", "d"), 0, true},
		{items("a", "b"), items("c", "d"), -1, true},
	} {
		if got := sameHead(c.a, c.b, c.n); got != c.want {
			t.Errorf("sameHead(%v, %v, %d) = %v, want %v", c.a, c.b, c.n, got, c.want)
		}
	}
}

func TestRestrict(t *testing.T) {
	pq, _ := query.Parse(`deep "neural net" -vision year:2020`)
	r, ok := Restrict(pq)
	if !ok || r.Text != " -vision" || len(r.Filters) != 1 || !slices.Equal(r.Phrases, []string{"neural net"}) {
		t.Errorf("Restrict = %+v, %v", r, ok)
	}
	if _, ok := Restrict(query.Query{Text: "just words"}); ok {
		t.Error("plain words restrict nothing")
	}
	r2, _ := Restrict(r)
	if r2.String() != r.String() {
		t.Errorf("Restrict is not idempotent: %q then %q", r.String(), r2.String())
	}
}

// With PassageVectors a BM25 hit's best passage scores it on the vector
// half: a paper with no vector of its own gains a rank there, one whose
// passage is nearer the query rises, and a farther passage never lowers
// a paper's own score. The passage's stored vector is used where there is
// one; otherwise its text is embedded, with EmbedPassages only.
func TestPassageVectors(t *testing.T) {
	run := func(on bool, setup ...func(*fixture)) (*fixture, map[string]*search.Explain) {
		f := newFixture()
		f.pol.Feedback = 0
		f.pol.Fusion.Weight = 1
		f.pol.PassageVectors, f.pol.EmbedPassages = on, on
		delete(f.vec.vecs, "p1") // graph neural networks
		f.lex.passages = map[string]string{
			"p1": "graph protein",       // as near the query as p3's title
			"p2": "quantum",             // farther than p2's title
			"p6": "graph protein graph", // not a BM25 hit: never asked
		}
		for _, fn := range setup {
			fn(f)
		}
		res := f.plan(t, "graph protein", search.ModeHybrid, 8)
		ex := map[string]*search.Explain{}
		for _, h := range res.Hits {
			ex[h.ID] = h.Explain
		}
		return f, ex
	}

	f, off := run(false)
	if off["p1"] != nil && off["p1"].VectorRank != 0 {
		t.Errorf("off: p1 has no vector but vector rank %d", off["p1"].VectorRank)
	}
	if len(f.emb.texts) != 1 {
		t.Errorf("off: embedded %q, want only the query", f.emb.texts)
	}

	f, on := run(true)
	if on["p1"] == nil || on["p1"].VectorRank != 2 || on["p1"].VectorScore < 0.999 {
		t.Errorf("on: p1 explained %+v, want vector rank 2 with its passage's score 1", on["p1"])
	}
	if on["p3"].VectorRank != 1 {
		t.Errorf("on: p3 vector rank %d, want 1 (its own vector, ahead of the tie)", on["p3"].VectorRank)
	}
	if got, want := on["p2"].VectorScore, off["p2"].VectorScore; got != want {
		t.Errorf("on: p2 vector score %v, want its own %v (the passage is farther)", got, want)
	}
	for _, s := range f.emb.texts {
		if strings.Contains(s, "graph protein graph") {
			t.Errorf("embedded p6's passage %q though p6 is no BM25 hit", s)
		}
	}
	if !slices.Contains(f.emb.texts, "graph protein") || !slices.Contains(f.emb.texts, "quantum") {
		t.Errorf("on: embedded %q, want the BM25 hits' passages", f.emb.texts)
	}

	// Stored passage vectors score the hits with nothing embedded but the
	// query; with EmbedPassages off, a passage without one is skipped.
	f, stored := run(true, func(f *fixture) {
		f.pol.EmbedPassages = false
		f.lex.passageVecs = map[string][]float32{"p1": f.emb.vector("graph protein")}
	})
	if len(f.emb.texts) != 1 {
		t.Errorf("stored: embedded %q, want only the query", f.emb.texts)
	}
	if stored["p1"] == nil || stored["p1"].VectorRank != 2 || stored["p1"].VectorScore < 0.999 {
		t.Errorf("stored: p1 explained %+v, want vector rank 2 with its stored passage's score 1", stored["p1"])
	}
	if got, want := stored["p2"].VectorScore, off["p2"].VectorScore; got != want {
		t.Errorf("stored: p2 vector score %v, want its own %v", got, want)
	}

	// Vector mode has no BM25 hits to take passages from.
	f = newFixture()
	f.pol.PassageVectors = true
	f.lex.passages = map[string]string{"p1": "graph protein"}
	f.plan(t, "graph protein", search.ModeVector, 8)
	if len(f.emb.texts) != 1 {
		t.Errorf("vector mode embedded %q, want only the query", f.emb.texts)
	}
}
