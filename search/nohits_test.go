package search

import (
	"strings"
	"testing"

	"github.com/quire-research/quire/search/query"
)

// A correction replaces its word where it stands whole, once, and leaves
// filters and other words as typed.
func TestCorrected(t *testing.T) {
	n := &Spelling{Corrections: []Correction{{Word: "curvs", To: "curves"}, {Word: "survivl", To: "survival"}}}
	tests := []struct{ in, want string }{
		{"survivl curvs", "survival curves"},
		{"survivl curvs year:2020 author:curvsmith", "survival curves year:2020 author:curvsmith"},
		// Not inside a longer word; the first whole one.
		{"curvsmith curvs curvs", "curvsmith curves curvs"},
		{`"kaplan survivl" -curvs`, `"kaplan survival" -curves`},
		{"no such words", "no such words"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := n.Corrected(tt.in); got != tt.want {
			t.Errorf("Corrected(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// With no filter to blame, an empty result whose words match papers is
// the mode's doing, and the message says so rather than blaming filters.
func TestExplainNoHitsWithoutFilters(t *testing.T) {
	q, err := query.Parse("coxx regresion")
	if err != nil {
		t.Fatal(err)
	}
	nh, err := ExplainNoHits(q, func(query.Query) (uint64, error) { return 3, nil })
	if err != nil {
		t.Fatal(err)
	}
	if nh.Filter != "" || !strings.Contains(nh.Message, "3 papers hold the query's words") {
		t.Errorf("no hits: %+v; want the 3 papers named and no filter blamed", nh)
	}
	nh, err = ExplainNoHits(q, func(query.Query) (uint64, error) { return 0, nil })
	if err != nil || nh.Message != "no hits: no paper matches the words of the query" {
		t.Errorf("no matches: %+v, %v", nh, err)
	}
}
