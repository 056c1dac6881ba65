package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testSettle = 150 * time.Millisecond

func start(t *testing.T, dir string) *Watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := New(ctx, dir, Options{Settle: testSettle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-w.Done()
	})
	return w
}

func write(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// next waits for the next batch.
func next(t *testing.T, w *Watcher, within time.Duration) []Change {
	t.Helper()
	select {
	case b := <-w.Batches():
		return b
	case <-time.After(within):
		t.Fatalf("no batch within %s", within)
		return nil
	}
}

// collect gathers batches until want (rel → op) is seen, and fails on any
// change not in want.
func collect(t *testing.T, w *Watcher, want map[string]Op) (batches int) {
	t.Helper()
	got := map[string]Op{}
	deadline := time.After(5 * time.Second)
	for len(got) < len(want) {
		select {
		case b := <-w.Batches():
			batches++
			for _, c := range b {
				if want[c.Rel] != c.Op {
					t.Fatalf("unexpected change %s %s (want %v)", c.Op, c.Rel, want)
				}
				got[c.Rel] = c.Op
			}
		case <-deadline:
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	return batches
}

// quiet checks that no batch arrives for a while.
func quiet(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case b := <-w.Batches():
		t.Fatalf("unexpected batch %v", b)
	case <-time.After(3 * testSettle):
	}
}

func TestListsFilesAtStart(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.md"), "# A")
	write(t, filepath.Join(dir, "sub", "b.txt"), "B")
	write(t, filepath.Join(dir, "notes.png"), "x")
	write(t, filepath.Join(dir, ".hidden", "c.md"), "C")
	w := start(t, dir)
	files := w.Files()
	if len(files) != 2 || files["a.md"].Size != 3 || files["sub/b.txt"].Size != 1 {
		t.Fatalf("files = %v", files)
	}
}

func TestCreateModifyDelete(t *testing.T) {
	dir := t.TempDir()
	w := start(t, dir)
	p := filepath.Join(dir, "a.md")
	write(t, p, "# A\n\nfirst")
	b := next(t, w, 3*time.Second)
	if len(b) != 1 || b[0].Op != Write || b[0].Rel != "a.md" || b[0].Size != int64(len("# A\n\nfirst")) {
		t.Fatalf("create: %v", b)
	}
	write(t, p, "# A\n\nsecond version")
	b = next(t, w, 3*time.Second)
	if len(b) != 1 || b[0].Op != Write || b[0].Size != int64(len("# A\n\nsecond version")) {
		t.Fatalf("modify: %v", b)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	b = next(t, w, 3*time.Second)
	if len(b) != 1 || b[0].Op != Remove || b[0].Rel != "a.md" {
		t.Fatalf("delete: %v", b)
	}
	// Not documents, and hidden files, are never reported.
	write(t, filepath.Join(dir, "x.png"), "x")
	write(t, filepath.Join(dir, ".a.md.swp"), "x")
	quiet(t, w)
}

func TestRenameAwayAndIn(t *testing.T) {
	dir, away := t.TempDir(), t.TempDir()
	write(t, filepath.Join(dir, "a.md"), "# A")
	write(t, filepath.Join(away, "b.md"), "# B")
	w := start(t, dir)
	if err := os.Rename(filepath.Join(dir, "a.md"), filepath.Join(away, "a.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(away, "b.md"), filepath.Join(dir, "b.md")); err != nil {
		t.Fatal(err)
	}
	collect(t, w, map[string]Op{"a.md": Remove, "b.md": Write})
	// Renamed inside the folder: the old name goes, the new one comes.
	if err := os.Rename(filepath.Join(dir, "b.md"), filepath.Join(dir, "c.md")); err != nil {
		t.Fatal(err)
	}
	collect(t, w, map[string]Op{"b.md": Remove, "c.md": Write})
}

// An editor saving by writing a hidden temporary file and renaming it over
// the document: one change of the document, nothing of the temporary.
func TestEditorSave(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.md")
	write(t, p, "# A\n\nold")
	w := start(t, dir)
	tmp := filepath.Join(dir, ".a.md.tmp123")
	write(t, tmp, "# A\n\nnew text, longer")
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	b := next(t, w, 3*time.Second)
	if len(b) != 1 || b[0].Op != Write || b[0].Rel != "a.md" || b[0].Size != int64(len("# A\n\nnew text, longer")) {
		t.Fatalf("save: %v", b)
	}
	quiet(t, w)
	// vim's backup pattern: a.md~ written, the document replaced.
	write(t, p+"~", "backup")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	write(t, p, "# A\n\nthird")
	b = next(t, w, 3*time.Second)
	if len(b) != 1 || b[0].Op != Write || b[0].Rel != "a.md" {
		t.Fatalf("remove+write within the settle time must be one write: %v", b)
	}
}

func TestNewSubfolder(t *testing.T) {
	dir := t.TempDir()
	w := start(t, dir)
	// mkdir -p and files at once: some land before the folder's watch.
	write(t, filepath.Join(dir, "x", "y", "a.md"), "# A")
	write(t, filepath.Join(dir, "x", "b.md"), "# B")
	collect(t, w, map[string]Op{"x/y/a.md": Write, "x/b.md": Write})
	// Files written into the new folders later are seen too.
	write(t, filepath.Join(dir, "x", "y", "c.md"), "# C")
	collect(t, w, map[string]Op{"x/y/c.md": Write})
	// A folder renamed away takes its papers with it.
	if err := os.Rename(filepath.Join(dir, "x"), filepath.Join(t.TempDir(), "x")); err != nil {
		t.Fatal(err)
	}
	collect(t, w, map[string]Op{"x/y/a.md": Remove, "x/b.md": Remove, "x/y/c.md": Remove})
	// A folder deleted the same way.
	write(t, filepath.Join(dir, "z", "d.md"), "# D")
	collect(t, w, map[string]Op{"z/d.md": Write})
	if err := os.RemoveAll(filepath.Join(dir, "z")); err != nil {
		t.Fatal(err)
	}
	collect(t, w, map[string]Op{"z/d.md": Remove})
}

// A writer that pauses shorter than Settle between pieces is reported
// once, with the whole file, never half-written.
func TestSlowWriter(t *testing.T) {
	dir := t.TempDir()
	w := start(t, dir)
	p := filepath.Join(dir, "slow.md")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const pieces = 10
	for i := range pieces {
		fmt.Fprintf(f, "line %d of a paper written slowly\n", i)
		select {
		case b := <-w.Batches():
			t.Fatalf("reported after %d of %d pieces: %v", i+1, pieces, b)
		case <-time.After(testSettle * 2 / 3):
		}
	}
	fi, _ := f.Stat()
	f.Close()
	b := next(t, w, 3*time.Second)
	if len(b) != 1 || b[0].Size != fi.Size() {
		t.Fatalf("slow writer: %v, want one change of %d bytes", b, fi.Size())
	}
	if time.Since(b[0].Settled) < testSettle {
		t.Fatalf("reported %s after its last write, before the settle time", time.Since(b[0].Settled))
	}
}

// Many files at once arrive in a few batches, not one each.
func TestBurst(t *testing.T) {
	dir := t.TempDir()
	w := start(t, dir)
	want := map[string]Op{}
	for i := range 500 {
		rel := fmt.Sprintf("d%d/p%03d.md", i%5, i)
		want[rel] = Write
		write(t, filepath.Join(dir, filepath.FromSlash(rel)), strings.Repeat("text ", i+1))
	}
	batches := collect(t, w, want)
	if batches > 10 {
		t.Fatalf("500 files came in %d batches", batches)
	}
	t.Logf("500 files in %d batches", batches)
}

func TestNotADirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.md")
	write(t, p, "x")
	if _, err := New(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(context.Background(), filepath.Join(p, "nope"), Options{}); err == nil {
		t.Fatal("missing folder accepted")
	}
}
