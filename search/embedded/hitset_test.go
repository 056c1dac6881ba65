package embedded

import (
	"context"
	"fmt"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// One hit set per request: in every mode, the total, the facet counts
// and the hits one can page through describe the same papers, whether
// facets come with the hits or from a facets-only request (the app sends
// both). Before, hybrid reported max(BM25 matches, fused candidates) while
// its facets counted the BM25 matches alone.
func TestOneHitSetPerRequest(t *testing.T) {
	x := synthIndex(t, 1500)
	ctx := context.Background()
	all, err := x.Search(ctx, search.Request{Limit: 0, Facets: []string{search.FacetYear, search.FacetField}, FacetSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	year := all.Facets[0].Values[len(all.Facets[0].Values)/2].Value
	field := all.Facets[1].Values[0].Value
	for _, q := range []string{
		fmt.Sprintf("neural model data field:%q", field),             // broad
		fmt.Sprintf("protein folding year:%s field:%q", year, field), // narrow: vectors fill in
		"protein folding",
	} {
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{search.ModeHybrid, search.ModeBM25, search.ModeVector} {
			facets := search.Request{Query: pq, Mode: mode, Facets: []string{search.FacetSource}, FacetSize: 10}
			only, err := x.Search(ctx, facets)
			if err != nil {
				t.Fatal(err)
			}
			facets.Limit = 10
			page, err := x.Search(ctx, facets)
			if err != nil {
				t.Fatal(err)
			}
			sum := func(r *search.Result) uint64 {
				var n int
				for _, v := range r.Facets[0].Values {
					n += v.Count
				}
				return uint64(n + r.Facets[0].Other)
			}
			if page.Total != sum(page) || only.Total != page.Total || sum(only) != sum(page) {
				t.Errorf("%q %s: total %d, facets count %d; facets-only request: total %d, facets %d",
					q, mode, page.Total, sum(page), only.Total, sum(only))
			}
			if mode == search.ModeVector || page.Total > 100 {
				continue // vector mode ranks every allowed paper; paging all is for small sets
			}
			every, err := x.Search(ctx, search.Request{Query: pq, Mode: mode, Limit: int(page.Total) + 5})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, h := range every.Hits {
				seen[h.ID] = true
			}
			if uint64(len(seen)) != page.Total || every.Total != page.Total {
				t.Errorf("%q %s: total %d but %d distinct hits listed (total then %d)", q, mode, page.Total, len(seen), every.Total)
			}
			t.Logf("%q %s: %d hits", q, mode, page.Total)
		}
	}
	// A query with no word the index knows has no hits in hybrid mode: the
	// vector half alone used to report its 300 nearest papers.
	for _, q := range []string{"*", "qwzxv", `"*" -x`} {
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.Search(ctx, search.Request{Query: pq, Limit: 10, Mode: search.ModeHybrid, Facets: []string{search.FacetYear}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 0 || len(res.Hits) != 0 || len(res.Facets[0].Values) != 0 || res.NoHits == nil {
			t.Errorf("%q: %d hits (%d listed), facets %v, NoHits %v; want none, explained", q, res.Total, len(res.Hits), res.Facets, res.NoHits)
		}
	}
}
