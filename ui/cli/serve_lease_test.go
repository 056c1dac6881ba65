package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/quire-research/quire/search"
)

// servedIDs searches q through the running server and returns the hits'
// IDs, sorted; it fails the test when the server does not answer.
func servedIDs(t *testing.T, e *env, q string) []string {
	t.Helper()
	req, err := search.NewRequest(q, 20)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode = search.ModeBM25 // words, not neighbours in vector space
	res, ok, err := searchServer(e, q, req)
	if !ok || err != nil {
		t.Fatalf("search %q through the server: ok %v, %v", q, ok, err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestServeLetsOneShotIngestWrite: a one-shot ingest while 'quire serve'
// holds the index waits for the server to let go (announced through the
// status file), writes, and the server then answers with the new papers
// without a restart.
func TestServeLetsOneShotIngestWrite(t *testing.T) {
	home := t.TempDir()
	if r := quire(t, home, "ingest", repoFile(t, "search/enginetest/testdata/papers.jsonl")); r.code != 0 {
		t.Fatalf("ingest: %d\n%s", r.code, r.stderr)
	}
	e, _ := startServe(t, home)
	if ids := servedIDs(t, e, "zymurgy"); len(ids) != 0 {
		t.Fatalf("before the ingest: %v", ids)
	}
	start := time.Now()
	// Bounded: without the lease the ingest would wait for the server
	// for ever.
	ictx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := quireCtx(ictx, home, "ingest", repoFile(t, "testdata/cli/serve_new.jsonl"))
	took := time.Since(start)
	if r.code != 0 {
		t.Fatalf("ingest while serving: %d\n%s", r.code, r.stderr)
	}
	// The server lets go within writerPoll+appLetGo; the rest is the
	// ingest itself (slower under -race).
	if took > 20*time.Second {
		t.Errorf("ingest while serving took %v", took)
	}
	want := []string{"new-001", "new-002", "new-003"}
	if ids := servedIDs(t, e, "zymurgy"); !slices.Equal(ids, want) {
		t.Errorf("after the ingest the server finds %v, want %v", ids, want)
	}
	// The ingest left the status file free: no writer is announced.
	if st, running := watcherRunning(indexDirOf(home)); running {
		t.Errorf("status file still held after the ingest: %+v", st)
	}
}

// TestServeFollowsWatcher: 'quire ingest --watch DIR' beside a running
// server gets the index for each batch, and the server answers with the
// papers of each.
func TestServeFollowsWatcher(t *testing.T) {
	home := t.TempDir()
	if r := quire(t, home, "ingest", repoFile(t, "search/enginetest/testdata/papers.jsonl")); r.code != 0 {
		t.Fatalf("ingest: %d\n%s", r.code, r.stderr)
	}
	e, _ := startServe(t, home)
	dir := t.TempDir()
	w := startWatch(t, home, dir)
	if err := os.WriteFile(filepath.Join(dir, "new.md"), []byte("# Zymurgy notes\n\nAbstract: zymurgy of ale yeast.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"new"}
	var ids []string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if ids = servedIDs(t, e, "zymurgy"); slices.Equal(ids, want) {
			break
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("the server finds %v, want %v\nwatch:\n%s\n%s", ids, want, w.out, w.errb)
	}
	if c := w.stop(t); c != exitStopped {
		t.Errorf("watch exit %d\n%s", c, w.errb)
	}
}
