package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
)

// TestSearchUsesRunningServerWithSameOutput starts 'quire serve' in
// process, then checks that 'quire search' goes through it and prints
// exactly what a local search prints, and that stopping the server
// removes its file so search falls back.
func TestSearchUsesRunningServerWithSameOutput(t *testing.T) {
	home := t.TempDir()
	if r := quire(t, home, "ingest", repoFile(t, "search/enginetest/testdata/papers.jsonl")); r.code != 0 {
		t.Fatalf("ingest: %d\n%s", r.code, r.stderr)
	}
	e, stop := startServe(t, home)
	info := serverFile(e)
	req, err := search.NewRequest("crispr year:2018..", 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := searchServer(e, "crispr year:2018..", req); !ok || err != nil {
		t.Fatalf("search did not reach the server: ok %v, %v", ok, err)
	}
	took := regexp.MustCompile(`hits? in [^ ]+ `)
	for _, args := range [][]string{
		{"search", "crispr year:2018..", "--limit", "5"},
		{"search", "--explain", "--mode", "bm25", "gene editing -yeast"},
		{"search", "--json", "--facets", "year,venue", "protein"},
		{"search", "--offset", "3", "zzzznothing OR crispr"},
	} {
		remote := quire(t, home, args...)
		local := quire(t, home, append(args, "--no-server")...)
		if remote.code != 0 || local.code != 0 {
			t.Fatalf("%q: exit %d/%d\n%s%s", args, remote.code, local.code, remote.stderr, local.stderr)
		}
		norm := func(s string) string {
			s = took.ReplaceAllString(s, "hits in T ")
			return regexp.MustCompile(`"took_ns": \d+`).ReplaceAllString(s, `"took_ns": T`)
		}
		if norm(remote.stdout) != norm(local.stdout) {
			t.Errorf("%q differs:\nserver:\n%s\nlocal:\n%s", args, remote.stdout, local.stdout)
		}
	}
	// A query mistake is the same usage error either way.
	if r := quire(t, home, "search", "year:20x"); r.code != exitUsage {
		t.Errorf("bad query via server: exit %d", r.code)
	}
	if r := stop(); r.code != exitStopped {
		t.Errorf("serve stopped with %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(info); !os.IsNotExist(err) {
		t.Errorf("server file left behind: %v", err)
	}
	if r := quire(t, home, "search", "crispr"); r.code != 0 || !strings.Contains(r.stdout, "CRISPR") {
		t.Errorf("after the server stopped: %d\n%s", r.code, r.stderr)
	}
}

// startServe runs 'quire serve' in process on home's index and waits for
// its server file. stop ends it and returns how it exited; it also runs
// at cleanup.
func startServe(t *testing.T, home string) (*env, func() runResult) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan runResult, 1)
	go func() { served <- quireCtx(ctx, home, "serve", "--addr", "127.0.0.1:0") }()
	var once sync.Once
	var res runResult
	stop := func() runResult {
		once.Do(func() {
			cancel()
			select {
			case res = <-served:
			case <-time.After(10 * time.Second):
				t.Error("serve did not stop")
			}
		})
		return res
	}
	t.Cleanup(func() { stop() })
	e := cmdEnv(t, home)
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(serverFile(e)); err == nil {
			return e, stop
		}
		select {
		case r := <-served:
			t.Fatalf("serve ended: %d\n%s", r.code, r.stderr)
		default:
		}
		if time.Now().After(end) {
			t.Fatal("no server file")
		}
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	home := t.TempDir()
	for _, args := range [][]string{{"serve", "--addr", "0.0.0.0:0"}, {"mcp", "--http", "0.0.0.0:0"}} {
		r := quire(t, home, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--allow-remote") {
			t.Errorf("%q: exit %d, %s", args, r.code, r.stderr)
		}
	}
	r := quire(t, home, "mcp", "--print-token")
	tok := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(tok) != 64 {
		t.Fatalf("print-token: %d %q %s", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(filepath.Join(home, "config", "quire", "token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v", fi, err)
	}
	if again := quire(t, home, "mcp", "--print-token"); strings.TrimSpace(again.stdout) != tok {
		t.Error("the token changed between runs")
	}
}

// quireCtx is quire with a context the test cancels, as Ctrl-C would.
func quireCtx(ctx context.Context, home string, args ...string) runResult {
	getenv := testEnv(home)
	var out, errb strings.Builder
	code := Run(ctx, args, strings.NewReader(""), &out, &errb, getenv)
	return runResult{code, out.String(), errb.String()}
}

// cmdEnv is the env a command run by quire(t, home, …) sees.
func cmdEnv(t *testing.T, home string) *env {
	t.Helper()
	getenv := testEnv(home)
	cfg, err := config.Load("", getenv)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: context.Background(), getenv: getenv, cfg: cfg, stdout: os.Stdout, stderr: os.Stderr}
}
