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
	if err := printPassages(&b, res, true, false, false); err != nil {
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
	if err := printPassages(&b, one, true, false, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "2 passages from 1 paper (") {
		t.Errorf("one paper counted as %q", strings.SplitN(b.String(), "\n", 2)[0])
	}
	b.Reset()
	if err := printPassages(&b, res, true, true, false); err != nil {
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
	if err := printPassages(&b, res, true, false, false); err != nil {
		t.Fatal(err)
	}
	if want := "0 passages from 0 papers (bm25)\nno hits: no paper matches the words of the query; did you mean \"soil\"? (3 hits)\n"; b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

// Papers found but no passage listed: the line under the count says why
// and what to do, for filters alone, metadata-only papers and bodies
// without the query's words.
func TestPrintPassagesNoneSaysWhy(t *testing.T) {
	meta := search.Hit{ID: "m", Paper: corpus.Paper{ID: "m", Title: "Metadata only"}}
	body := search.Hit{ID: "b", Paper: corpus.Paper{ID: "b", Title: "Body", FullText: "Soil nitrogen."}}
	for _, c := range []struct {
		name  string
		words bool
		hits  []search.Hit
		want  string
	}{
		{"filters alone", false, []search.Hit{body}, "passages are found by the query's words: add some, or drop --passages"},
		{"metadata only", true, []search.Hit{meta}, "these papers have no full text (metadata only), so no passages"},
		{"bodies without the words", true, []search.Hit{meta, body}, "no passage of these papers holds the query's words: drop --passages"},
	} {
		var b strings.Builder
		if err := printPassages(&b, &search.Result{Mode: search.ModeHybrid, Hits: c.hits}, c.words, false, false); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(b.String(), "\n"); len(lines) < 2 || !strings.HasPrefix(lines[0], "0 passages from") || !strings.HasPrefix(lines[1], c.want) {
			t.Errorf("%s:\n%s", c.name, b.String())
		}
	}
}

// A page past the last hit says so instead of printing nothing.
func TestPrintResultOffsetPastTheEnd(t *testing.T) {
	var b strings.Builder
	printResult(&b, &search.Result{Mode: search.ModeBM25, Total: 108}, 200, false)
	if !strings.Contains(b.String(), "108 hits in") || !strings.Contains(b.String(), "--offset 200 is past the last of them") {
		t.Errorf("output:\n%s", b.String())
	}
	b.Reset()
	printResult(&b, &search.Result{Mode: search.ModeBM25, Total: 108, Hits: []search.Hit{{ID: "x"}}}, 100, false)
	if strings.Contains(b.String(), "past the last") {
		t.Errorf("a page with hits is not past the end:\n%s", b.String())
	}
}
