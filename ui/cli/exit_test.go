package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes pins the documented exit status of every command: 2 for a
// wrong command line, 1 for a failure, 3 for an ingest that skipped bad
// records, 130 for a stopped run. Before, ingest exited 0 with every
// record skipped, and bad flags or query syntax exited 1.
func TestExitCodes(t *testing.T) {
	home := t.TempDir()
	bad := filepath.Join(home, "all-bad.jsonl")
	if err := os.WriteFile(bad, []byte("{not json\n{\"title\": 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Every command refuses an unknown flag with 2 and its usage.
	for _, c := range commands {
		r := quire(t, home, c.name, "--no-such-flag")
		if r.code != exitUsage {
			t.Errorf("quire %s --no-such-flag: exit %d, want %d\n%s", c.name, r.code, exitUsage, r.stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, exitOK},
		{[]string{"search", "--help"}, exitOK},
		{[]string{"--no-such-flag"}, exitUsage},
		{[]string{"serach", "x"}, exitUsage},
		{[]string{"search"}, exitUsage},
		{[]string{"search", "crispr year:20x8"}, exitUsage},
		{[]string{"ingest"}, exitUsage},
		{[]string{"demo", "extra"}, exitUsage},
		{[]string{"gen", "--papers", "0"}, exitUsage},
		{[]string{"search", "anything"}, exitFailed}, // no index yet
		{[]string{"stats"}, exitFailed},
		{[]string{"ask", "why?"}, exitFailed},
		{[]string{"ingest", filepath.Join(home, "missing.jsonl")}, exitFailed},
		{[]string{"eval", filepath.Join(home, "missing")}, exitFailed},
		{[]string{"ingest", bad}, exitFailed}, // nothing written at all
		{[]string{"ingest", repoFile(t, "testdata/cli/bad.jsonl")}, exitSkipped},
		{[]string{"ingest", repoFile(t, "testdata/cli/bad.jsonl")}, exitOK}, // already done: nothing skipped now
		{[]string{"search", "attention"}, exitOK},
		{[]string{"stats"}, exitOK},
	} {
		r := quire(t, home, c.args...)
		if r.code != c.want {
			t.Errorf("quire %q: exit %d, want %d\n%s%s", c.args, r.code, c.want, r.stdout, r.stderr)
		}
	}
	// A run stopped by a signal (the context is cancelled) exits 130.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	env := map[string]string{"HOME": home, "NO_COLOR": "1"}
	code := Run(ctx, []string{"--index", filepath.Join(home, "other"), "ingest", repoFile(t, "testdata/cli/bad.jsonl")},
		strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if code != exitStopped {
		t.Errorf("cancelled ingest: exit %d, want %d\n%s", code, exitStopped, errb.String())
	}
}

// TestHelpDocumentsExitCodes: 'quire --help' lists the exit codes.
func TestHelpDocumentsExitCodes(t *testing.T) {
	r := quire(t, t.TempDir(), "--help")
	for _, want := range []string{"exit status:", "  2    usage", "  3    finished, but bad records were skipped", "130"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout+r.stderr)
		}
	}
}

// TestUnknownCommandSuggests: a mistyped command names the nearest one.
func TestUnknownCommandSuggests(t *testing.T) {
	for typo, want := range map[string]string{"serach": "search", "injest": "ingest", "stat": "stats", "ing": "ingest", "sarch": "search"} {
		r := quire(t, t.TempDir(), typo)
		if r.code != exitUsage || !strings.Contains(r.stderr, "did you mean "+want+"?") {
			t.Errorf("quire %s: exit %d, stderr %q; want a suggestion of %s", typo, r.code, r.stderr, want)
		}
	}
	if r := quire(t, t.TempDir(), "help", "serach"); r.code != exitUsage || !strings.Contains(r.stderr, "did you mean search?") {
		t.Errorf("quire help serach: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := quire(t, t.TempDir(), "xyzzy"); r.code != exitUsage || strings.Contains(r.stderr, "did you mean") {
		t.Errorf("quire xyzzy: exit %d, stderr %q; want no suggestion", r.code, r.stderr)
	}
}
