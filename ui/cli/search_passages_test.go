package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// --passages prints one row per passage, with its paper, section and pages,
// and skips hits that have none.
func TestPrintPassagesRows(t *testing.T) {
	res := &search.Result{Mode: search.ModeHybrid, Hits: []search.Hit{
		{ID: "a", Paper: corpus.Paper{ID: "a", Title: "Soil"}, Passages: []search.Passage{
			{Index: 3, Section: "3 Results", Page: 2, PageEnd: 3, Text: search.Snippet{Text: "nitrogen rose", Marks: [][2]int{{0, 8}}}},
			{Index: 1, Section: "1 Intro", Page: 1, Text: search.Snippet{Text: "nitrogen is"}},
		}},
		{ID: "b", Paper: corpus.Paper{ID: "b", Title: "Metadata only"}},
	}}
	var b strings.Builder
	if err := printPassages(&b, res, false, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"2 passages from 2 papers", "a · 3 Results · pp. 2-3", "‹nitrogen› rose", "a · 1 Intro · p. 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Metadata only") {
		t.Errorf("a hit without passages was listed:\n%s", out)
	}
	b.Reset()
	one := &search.Result{Mode: res.Mode, Hits: res.Hits[:1]}
	if err := printPassages(&b, one, false, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "2 passages from 1 paper (") {
		t.Errorf("one paper counted as %q", strings.SplitN(b.String(), "\n", 2)[0])
	}
	b.Reset()
	if err := printPassages(&b, res, true, false); err != nil {
		t.Fatal(err)
	}
	var rows []passageRow
	if err := json.Unmarshal([]byte(b.String()), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].PaperID != "a" || rows[0].Index != 3 || rows[1].Page != 1 {
		t.Fatalf("json rows %+v", rows)
	}
}

// An empty --passages list says why, as a search's does.
func TestPrintPassagesNoHits(t *testing.T) {
	var b strings.Builder
	res := &search.Result{Mode: search.ModeBM25, NoHits: &search.NoHits{Message: `no hits: no paper matches the words of the query; did you mean "soil"? (3 hits)`}}
	if err := printPassages(&b, res, false, false); err != nil {
		t.Fatal(err)
	}
	if want := "0 passages from 0 papers (bm25)\nno hits: no paper matches the words of the query; did you mean \"soil\"? (3 hits)\n"; b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}
