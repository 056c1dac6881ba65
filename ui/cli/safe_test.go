package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

// hostile reports the first byte sequence a terminal would obey: ESC,
// BEL, CR, an 8-bit CSI (U+009B) or a bidi override.
func hostile(s string) string {
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b", "\u202e"} {
		if strings.Contains(s, bad) {
			return bad
		}
	}
	return ""
}

// TestHostilePapersCannotDriveTheTerminal: a paper whose title holds an
// OSC title sequence and a clear-screen sequence, and whose other fields
// carry more, is printed without them by search, stats and ask, and
// bad records quoting them are reported without them; --json stays exact
// JSON that decodes to the original bytes. Before, search renamed the
// terminal and cleared it.
func TestHostilePapersCannotDriveTheTerminal(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home, "ingest", repoFile(t, "testdata/cli/hostile.jsonl"))
	if r.code != exitSkipped {
		t.Fatalf("ingest: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	check := func(name string, r runResult) {
		t.Helper()
		if b := hostile(r.stdout + r.stderr); b != "" {
			t.Errorf("%s printed %q:\n%q\n%q", name, b, r.stdout, r.stderr)
		}
	}
	check("ingest", r)
	if !strings.Contains(r.stderr, "hostile.jsonl:3: year") {
		t.Errorf("the bad record is not reported:\n%s", r.stderr)
	}

	r = quire(t, home, "search", "attention")
	check("search", r)
	if !strings.Contains(r.stdout, "Pwned") || strings.Contains(r.stdout, "PWNED TITLE") || !strings.Contains(r.stdout, "Mallory Red") {
		t.Errorf("search should show the text without the sequences:\n%s", r.stdout)
	}
	r = quire(t, home, "stats")
	check("stats", r)
	r = quire(t, home, "ask", "attention")
	check("ask", r)
	if r.code != 0 || !strings.Contains(r.stdout, "[1]") {
		t.Errorf("ask: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r = quire(t, home, "search", "--json", "attention")
	check("search --json", r)
	var res search.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("--json is not JSON: %v\n%s", err, r.stdout)
	}
	var found bool
	for _, h := range res.Hits {
		if h.ID == "evil-1" {
			found = true
			want := "Pwned \x1b]0;PWNED TITLE\x07 attention \x1b[2J\x1b[H study"
			if h.Paper.Title != want {
				t.Errorf("--json title %q, want the exact %q", h.Paper.Title, want)
			}
			if !strings.Contains(h.Paper.Abstract, "\u009b2J") {
				t.Errorf("--json lost the C1 character: %q", h.Paper.Abstract)
			}
		}
	}
	if !found {
		t.Errorf("evil-1 not in --json hits: %+v", res.Hits)
	}
}
