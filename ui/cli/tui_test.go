package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/ui/tui"
)

// With no index and no terminal, plain quire prints the help (exit 0)
// instead of failing or drawing an app nobody sees; quire tui says it
// needs a terminal.
func TestNoIndexWithoutTerminal(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home)
	if r.code != 0 || !strings.Contains(r.stdout, "usage: quire") || !strings.Contains(r.stdout, "demo") {
		t.Fatalf("plain quire: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Fatal("escape codes written to a non-terminal")
	}
	r = quire(t, home, "tui")
	if r.code != 1 || !strings.Contains(r.stderr, "needs a terminal") {
		t.Fatalf("quire tui: exit %d stderr %q", r.code, r.stderr)
	}
}

func testSetup(t *testing.T) *appSetup {
	t.Helper()
	home := t.TempDir()
	envs := map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME": filepath.Join(home, "data"), "XDG_CACHE_HOME": filepath.Join(home, "cache"),
	}
	getenv := func(k string) string { return envs[k] }
	cfg, err := config.Load(config.ConfigPathFromArgs(nil, getenv), getenv)
	if err != nil {
		t.Fatal(err)
	}
	s := newAppSetup(&env{ctx: context.Background(), getenv: getenv, cfg: cfg, stdout: os.Stdout, stderr: os.Stderr})
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFirstRunSetupIngestsWithProgressAndSearches(t *testing.T) {
	s := testSetup(t)
	var mu sync.Mutex
	var phases []string
	b, err := s.Ingest(context.Background(), repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl"), func(p tui.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(phases) == 0 || !strings.HasPrefix(phases[0], "ingest ") || !slices.ContainsFunc(phases, func(p string) bool { return strings.Contains(p, "embedder") }) {
		t.Fatalf("phases %v", phases)
	}
	st, err := b.Stats(context.Background())
	if err != nil || st.Papers == 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
	q, _ := query.Parse("diphoton")
	res, err := b.Search(context.Background(), search.Request{Query: q, Limit: 5})
	if err != nil || res.Total == 0 {
		t.Fatalf("search after the first-run ingest: %+v %v", res, err)
	}
}

func TestFirstRunSetupRefusesEmptySource(t *testing.T) {
	s := testSetup(t)
	empty := t.TempDir()
	_, err := s.Ingest(context.Background(), empty, func(tui.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "holds no .md") {
		t.Fatalf("empty folder: %v", err)
	}
	blank := filepath.Join(empty, "blank.jsonl")
	os.WriteFile(blank, []byte("\n"), 0o644)
	_, err = s.Ingest(context.Background(), blank, func(tui.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "no papers read from") {
		t.Fatalf("empty file: %v", err)
	}
	_, err = s.Ingest(context.Background(), filepath.Join(empty, "missing"), func(tui.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing path: %v", err)
	}
}

func TestFirstRunSetupCancelIsStopped(t *testing.T) {
	s := testSetup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Ingest(ctx, repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl"), func(tui.Progress) {})
	if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Fatalf("cancelled ingest: %v", err)
	}
}

func TestCompletePath(t *testing.T) {
	s := testSetup(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "papers", "arxiv"), 0o755)
	os.WriteFile(filepath.Join(dir, "papers.jsonl"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), nil, 0o644)
	got := s.CompletePath(filepath.Join(dir, "pa"))
	want := []string{filepath.Join(dir, "papers.jsonl"), filepath.Join(dir, "papers") + "/"}
	if !slices.Equal(got, want) {
		t.Fatalf("CompletePath = %v, want %v", got, want)
	}
	if got := s.CompletePath(dir + "/"); slices.Contains(got, dir+"/.hidden") || len(got) != 2 {
		t.Fatalf("listing %v", got)
	}
	home := s.e.getenv("HOME")
	os.MkdirAll(filepath.Join(home, "mydata"), 0o755)
	if got := s.CompletePath("~/my"); !slices.Equal(got, []string{"~/mydata/"}) {
		t.Fatalf("~ completion %v", got)
	}
	if !strings.Contains(s.Docs(), "Query language") || !strings.Contains(s.Docs(), "ingest") {
		t.Fatal("docs lack the basics")
	}
}
