package tui

import (
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

// TestFacetNoteReplacesEmptySidebar: an engine that cannot count facets
// says why, and the sidebar shows that instead of "no facets yet" (or
// zeros).
func TestFacetNoteReplacesEmptySidebar(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	typeText(t, m, "protein")
	m.onFacets(facetsMsg{seq: m.seq, res: &search.Result{FacetNote: "facets unavailable: the knowledge base cannot count them"}})
	s := screen(m)
	if !strings.Contains(s, "facets unavailable") || strings.Contains(s, "no facets yet") {
		t.Fatalf("sidebar without the engine's note:\n%s", s)
	}
	m.onFacets(facetsMsg{seq: m.seq, res: &search.Result{Facets: []search.Facet{{Name: "year", Values: []search.FacetValue{{Value: "2020", Count: 3}}}}}})
	if s := screen(m); strings.Contains(s, "facets unavailable") {
		t.Fatalf("the note stayed after facets came back:\n%s", s)
	}
}
