package cli

import (
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

// An empty result prints why, right under the count.
func TestSearchPrintsWhyNothingMatched(t *testing.T) {
	var b strings.Builder
	res := &search.Result{Mode: search.ModeBM25, NoHits: &search.NoHits{Filter: "year:2030", Without: 57,
		Message: "no hits: year:2030 removed the last matches (57 without it)"}}
	printResult(&b, res, 0, false)
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "0 hits") || lines[1] != res.NoHits.Message {
		t.Fatalf("output:\n%s", b.String())
	}
}

// Hits found by some words, with others no paper has: the spelling to
// retry with, right under the count.
func TestSearchPrintsSpelling(t *testing.T) {
	var b strings.Builder
	res := &search.Result{Mode: search.ModeBM25, Total: 1, Hits: []search.Hit{{ID: "a"}},
		Spelling: &search.Spelling{Corrections: []search.Correction{{Word: "nueral", To: "neural"}}, Text: "graph neural", Hits: 12}}
	printResult(&b, res, 0, false)
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "1 hit in") || lines[1] != `did you mean "graph neural"? (12 hits)` {
		t.Fatalf("output:\n%s", b.String())
	}
}
