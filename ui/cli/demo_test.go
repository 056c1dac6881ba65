package cli

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// smallDemo makes the demo build a small library for the test's duration.
// The generator is a stream, so these papers are the first of the full
// demo's 20,000 and a filter that finds them finds them there too.
func smallDemo(t *testing.T) {
	t.Helper()
	old := demoPapers
	demoPapers = 1500
	t.Cleanup(func() { demoPapers = old })
}

var hitsLine = regexp.MustCompile(`(?m)^([\d,]+) hits? in `)

// hitCount reads "1,234 hits in …" from search output.
func hitCount(t *testing.T, out string) int {
	t.Helper()
	m := hitsLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no hit count in:\n%s", out)
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

// checkSuggestions runs every command the demo printed, as printed
// (prefix is "quire" or "quire --index DIR"), and wants each to find
// something.
func checkSuggestions(t *testing.T, home, out string, index []string, prefix string) {
	t.Helper()
	for _, c := range demoSuggested {
		line := "  " + prefix + " " + c[0] + " " + shellQuote(c[1]) + "\n"
		if !strings.Contains(out, line) {
			t.Errorf("demo output lacks the suggestion %q:\n%s", line, out)
		}
		r := quire(t, home, append(append([]string{}, index...), c...)...)
		if r.code != 0 {
			t.Errorf("quire %q: exit %d\n%s", c, r.code, r.stderr)
			continue
		}
		switch c[0] {
		case "search":
			if n := hitCount(t, r.stdout); n == 0 {
				t.Errorf("suggested 'quire search %s' finds 0 hits", c[1])
			}
		case "ask":
			if !strings.Contains(r.stdout, "[1]") || !strings.Contains(r.stdout, "Sources") {
				t.Errorf("suggested 'quire ask %s' answered without sources:\n%s", c[1], r.stdout)
			}
		}
	}
}

// TestDemoSuggestionsFindHits: with no index the demo becomes the default
// index, so plain 'quire search' works afterwards, and every command it
// suggests finds papers. Before, it built under the cache dir, 'quire
// search galaxy' said there was no index, and its suggested
// field:Biology search found 0 hits.
func TestDemoSuggestionsFindHits(t *testing.T) {
	smallDemo(t)
	home := t.TempDir()
	r := quire(t, home, "demo")
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stdout, " hits in ") != len(demoShown) || strings.Contains(r.stdout, "--index") {
		t.Errorf("demo output:\n%s", r.stdout)
	}
	checkSuggestions(t, home, r.stdout, nil, "quire")
	s := quire(t, home, "search", "galaxy")
	if s.code != 0 || hitCount(t, s.stdout) == 0 {
		t.Errorf("'quire search galaxy' after the demo: exit %d\n%s%s", s.code, s.stdout, s.stderr)
	}
	// Again: the default index holds only the demo, so it is reused as is.
	r = quire(t, home, "demo")
	if r.code != 0 || !strings.Contains(r.stdout, "already ingested") || strings.Contains(r.stdout, "--index") {
		t.Errorf("second demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestDemoLeavesOwnIndexAlone: when the default index holds the user's
// papers, the demo goes under the cache dir and prints --index commands
// that work.
func TestDemoLeavesOwnIndexAlone(t *testing.T) {
	smallDemo(t)
	home := t.TempDir()
	if r := quire(t, home, "ingest", repoFile(t, "testdata/cli/bad.jsonl")); r.code == 1 || r.code == 2 {
		t.Fatalf("ingest: exit %d\n%s", r.code, r.stderr)
	}
	r := quire(t, home, "demo")
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	dir := filepath.Join(home, "cache", "quire", "demo", "index")
	checkSuggestions(t, home, r.stdout, []string{"--index", dir}, "quire --index "+shellQuote(dir))
	if s := quire(t, home, "stats"); !strings.Contains(s.stdout, "papers:   4\n") {
		t.Errorf("the user's index changed:\n%s", s.stdout)
	}
}
