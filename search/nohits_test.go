package search

import "testing"

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
