package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestIngestProgressIsHonest: learning the embedder shows each of its
// steps (it used to sit at "learn embedder: 0% 0 papers" while the model
// was learned), the closing line gives the whole command's time, and a
// re-run that finds nothing to do shows no phase and no rate ("5,183
// papers in 6ms, 795,629/s").
func TestIngestProgressIsHonest(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "synth.jsonl")
	if r := quire(t, home, "gen", "--papers", "400", "-o", path); r.code != 0 {
		t.Fatalf("gen: exit %d\n%s", r.code, r.stderr)
	}
	r := quire(t, home, "ingest", path)
	if r.code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"learn embedder 1/4: read papers: done, 400 papers in ",
		"learn embedder 2/4: tokenise: done, 400 papers in ",
		"learn embedder 3/4: word vectors: done in ",
		"learn embedder 4/4: decompose: done in ",
		"embed papers: done, 400 papers in ",
		"probe vectors against BM25: done, ",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := regexp.MustCompile(`^ingest finished in \d+(ms|s|m\d\ds): 400 papers written, 0 skipped`)
	if !last.MatchString(lines[len(lines)-1]) {
		t.Errorf("closing line %q does not give the whole run", lines[len(lines)-1])
	}

	r = quire(t, home, "ingest", path)
	if r.code != 0 || !strings.Contains(r.stdout, "already ingested") {
		t.Fatalf("re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "embed papers") || strings.Contains(r.stderr, "/s") {
		t.Errorf("a re-run with nothing to do reports work:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "ingest finished in ") {
		t.Errorf("re-run has no closing line:\n%s", r.stdout)
	}
}
