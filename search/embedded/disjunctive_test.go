package embedded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// facetLine renders a facet as "value=count*" (* for selected), sorted by
// value, for compact comparisons.
func facetLine(res *search.Result, name string) string {
	for _, f := range res.Facets {
		if f.Name != name {
			continue
		}
		var parts []string
		for _, v := range f.Values {
			s := fmt.Sprintf("%s=%d", v.Value, v.Count)
			if v.Selected {
				s += "*"
			}
			parts = append(parts, s)
		}
		slices.Sort(parts)
		return strings.Join(parts, " ")
	}
	return "(missing)"
}

// Choosing a facet value keeps its siblings visible with the counts they
// would give (the facet's own filter off, the others on), marks the chosen
// value, and leaves every other facet counting the hits.
func TestDisjunctiveFacets(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	ctx := context.Background()
	tests := []struct {
		q     string
		total uint64
		want  map[string]string
	}{
		{"year:2019", 1, map[string]string{
			"year":  "2015=1 2018=1 2019=1* 2021=1 2022=1",
			"field": "Quantitative Biology=1",
		}},
		// Two years OR'ed; the text still applies to the siblings.
		{"crispr year:2019,2021", 2, map[string]string{
			"year":   "2019=1* 2021=1* 2022=1",
			"source": "arxiv=2",
		}},
		// An exclusion stays on: 2015 is gone from the year facet too.
		{"-year:2015 year:2019", 1, map[string]string{
			"year": "2018=1 2019=1* 2021=1 2022=1",
		}},
		// Exact authors: the selected one and its co-author siblings.
		{`crispr author:="Feng Zhang"`, 2, map[string]string{
			"author": "Feng Zhang=2* Jennifer A. Doudna=2 Samuel Sternberg=1",
			"venue":  "Cell=2",
			"year":   "2021=1 2022=1",
		}},
		// A selected value with no hits left is still listed, to clear it.
		{`venue:=Cell venue:="Nowhere"`, 2, map[string]string{
			"venue": "Cell=2* Nature=1 NeurIPS=1 Nowhere=0* Phys. Rev. D=1",
		}},
	}
	for _, tt := range tests {
		q, err := query.Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{search.ModeBM25, ""} {
			res, err := x.Search(ctx, search.Request{Query: q, Limit: 10, Facets: search.AllFacets, FacetSize: 10, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != tt.total {
				t.Errorf("%q (%s): total %d, want %d", tt.q, res.Mode, res.Total, tt.total)
			}
			for name, want := range tt.want {
				if got := facetLine(res, name); got != want {
					t.Errorf("%q (%s) facet %s:\n got %s\nwant %s", tt.q, res.Mode, name, got, want)
				}
			}
		}
	}
}
