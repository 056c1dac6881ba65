package embedded

import (
	"context"
	"slices"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// onlyMatches hides the lexical half's PageRanker, so the planner ranks
// and then loads each hit.
type onlyMatches struct{ hybrid.Lexical }

func (l onlyMatches) Match(ctx context.Context, q query.Query, facets []string) (hybrid.Matches, error) {
	m, err := l.Lexical.Match(ctx, q, facets)
	return struct{ hybrid.Matches }{m}, err
}

// The BM25 page read in one pass (RankPage) is the page Rank and Paper
// give, hit for hit, at every offset.
func TestRankPageMatchesRankThenPaper(t *testing.T) {
	x := synthIndex(t, 1500)
	ctx := context.Background()
	snap, err := x.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	for _, q := range []string{"graph learning", "model year:2010..2020", `"neural network" -quantum`, "year:2015"} {
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, 3, 40} {
			req := search.Request{Query: pq, Limit: 7, Offset: off, Mode: search.ModeBM25, Explain: true, Facets: []string{search.FacetYear}, FacetSize: 5}
			lex := newLexHalf(x, snap)
			one, err := hybrid.Plan(ctx, req, lex, nil, nil, x.policy(search.ModeBM25))
			if err != nil {
				t.Fatal(err)
			}
			two, err := hybrid.Plan(ctx, req, onlyMatches{newLexHalf(x, snap)}, nil, nil, x.policy(search.ModeBM25))
			if err != nil {
				t.Fatal(err)
			}
			if one.Total != two.Total || len(one.Hits) != len(two.Hits) {
				t.Fatalf("%q at %d: %d hits of %d in one pass, %d of %d by Rank", q, off, len(one.Hits), one.Total, len(two.Hits), two.Total)
			}
			for i := range one.Hits {
				a, b := one.Hits[i], two.Hits[i]
				if a.ID != b.ID || a.Score != b.Score || a.Paper.Title != b.Paper.Title || *a.Explain != *b.Explain {
					t.Errorf("%q at %d, hit %d: %s %.4f %+v, by Rank %s %.4f %+v", q, off, i, a.ID, a.Score, a.Explain, b.ID, b.Score, b.Explain)
				}
			}
			if off == 0 && len(one.Hits) == 0 {
				t.Errorf("%q found nothing; the test needs hits", q)
			}
		}
	}
}

// The vector half searches only under a restriction it can map to slots.
func TestVectorHalfNeedsHitSets(t *testing.T) {
	x := synthIndex(t, 1200)
	h := vecHalf{v: x.vec, idx: x.vec.idx}
	pq, _ := query.Parse("year:2015")
	r, _ := hybrid.Restrict(pq)
	if _, err := h.Search(context.Background(), make([]float32, x.vec.emb.Dim()), 5, hybrid.Restriction{Query: r, Key: r.String()}); err == nil {
		t.Error("a restriction without hit sets searched every paper")
	}
	got, err := h.Vectors(context.Background(), []string{"nope", "synth-0000001", "synth-0000002"})
	if err != nil || len(got) != 2 || !slices.Equal(got[0], mustVector(t, x, "synth-0000001")) {
		t.Errorf("Vectors: %d vectors, %v; want the two stored ones in order", len(got), err)
	}
}

func mustVector(t *testing.T, x *Index, id string) []float32 {
	t.Helper()
	v, ok := x.vec.idx.Vector(id)
	if !ok {
		t.Fatalf("no vector for %s", id)
	}
	return v
}
