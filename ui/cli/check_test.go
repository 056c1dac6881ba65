package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckCommand: 'quire check' accepts a fresh index (exit 0), finds a
// damaged facet column (exit 1, named in --json), and --repair fixes it.
func TestCheckCommand(t *testing.T) {
	home := t.TempDir()
	if r := quire(t, home, "ingest", repoFile(t, "testdata/cli/bad.jsonl")); r.code != exitSkipped {
		t.Fatalf("ingest: exit %d\n%s", r.code, r.stderr)
	}
	r := quire(t, home, "check")
	if r.code != 0 || !strings.Contains(r.stdout, "ok") {
		t.Fatalf("check of a fresh index: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cols, _ := filepath.Glob(filepath.Join(home, "data", "quire", "index", "facets", "*.year"))
	if len(cols) == 0 {
		t.Fatal("no facet columns saved")
	}
	if err := os.WriteFile(cols[0], []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = quire(t, home, "check", "--json")
	var rep struct {
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json is not JSON: %v\n%s", err, r.stdout)
	}
	if r.code != exitFailed || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "facet column") {
		t.Fatalf("damaged column: exit %d, problems %q", r.code, rep.Problems)
	}
	if r = quire(t, home, "check", "--repair"); r.code != 0 || !strings.Contains(r.stdout, "repaired:") {
		t.Fatalf("repair: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = quire(t, home, "check"); r.code != 0 {
		t.Fatalf("check after repair: exit %d\n%s", r.code, r.stdout)
	}
}
