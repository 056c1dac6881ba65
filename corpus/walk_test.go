package corpus

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deniedFS fails to list one directory, as chmod 000 does for anyone but
// root (tests often run as root, where chmod cannot deny a read).
type deniedFS struct {
	fs.FS
	dir string
}

func (d deniedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == d.dir {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return fs.ReadDir(d.FS, name)
}

func writeDoc(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFolderUnreadableSubdir: one unreadable subdirectory is skipped and
// reported with its path; the papers elsewhere are all read.
func TestFolderUnreadableSubdir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeDoc(t, dir, "a.md", "# A\n\nAbout a.")
	writeDoc(t, dir, "locked/b.md", "# B\n\nAbout b.")
	writeDoc(t, dir, "z/c.md", "# C\n\nAbout c.")
	f, err := newFolder(dir, "", deniedFS{os.DirFS(dir), "locked"})
	if err != nil {
		t.Fatalf("one unreadable subdirectory stopped the listing: %v", err)
	}
	recs, bad := drainSource(t, f, Cursor{})
	if got := strings.Join(recordIDs(recs), ","); got != "a,z/c" {
		t.Errorf("papers %s, want a,z/c", got)
	}
	if len(bad) != 1 || bad[0].Pos.File != filepath.Join(dir, "locked") || !errors.Is(bad[0], fs.ErrPermission) {
		t.Fatalf("errors %v, want one naming %s with permission denied", bad, filepath.Join(dir, "locked"))
	}
	// A resumed run does not report the skipped directory again.
	if _, bad := drainSource(t, f, Cursor{Unit: 0, Line: 1}); len(bad) != 0 {
		t.Errorf("resumed run reported %v again", bad)
	}
}

// TestFolderUnreadableSubdirChmod is the same through the real file
// system, where the test is not root.
func TestFolderUnreadableSubdirChmod(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads a chmod 000 directory; TestFolderUnreadableSubdir covers this through a seam")
	}
	dir := t.TempDir()
	writeDoc(t, dir, "a.md", "# A\n\nAbout a.")
	writeDoc(t, dir, "locked/b.md", "# B\n\nAbout b.")
	locked := filepath.Join(dir, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	f, err := NewFolder(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	recs, bad := drainSource(t, f, Cursor{})
	if len(recs) != 1 || len(bad) != 1 || bad[0].Pos.File != locked {
		t.Errorf("records %v errors %v", recordIDs(recs), bad)
	}
}

// mkfifo makes a named pipe, which blocks any reader until a writer comes.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
}

// withinSeconds fails the test if fn has not returned in a few seconds,
// instead of hanging the whole run.
func withinSeconds(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still blocked after 5 s (reading a named pipe?)")
	}
}

// TestJSONLFolderFIFO: a named pipe among JSONL files is reported and
// skipped, and detection reads the next file; nothing blocks.
func TestJSONLFolderFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pipe := filepath.Join(dir, "a.jsonl")
	mkfifo(t, pipe)
	good := filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(good, []byte(`{"_id":"d1","title":"T","text":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withinSeconds(t, func() {
		src, err := OpenJSONL([]string{pipe, good}, "auto", nil, "")
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		recs, bad := jsonlCollect(t, src, Cursor{})
		if len(recs) != 1 || recs[0].Paper.ID != "d1" {
			t.Errorf("records %+v, want d1", recs)
		}
		if len(bad) != 1 || bad[0].Pos.File != pipe || !strings.Contains(bad[0].Error(), "named pipe") {
			t.Errorf("errors %v, want one naming the pipe", bad)
		}
	})
}

// TestFolderFIFO: a named pipe called like a paper is reported, not read.
func TestFolderFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeDoc(t, dir, "a.md", "# A\n\nAbout a.")
	mkfifo(t, filepath.Join(dir, "pipe.md"))
	withinSeconds(t, func() {
		f, err := NewFolder(dir, "")
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		recs, bad := drainSource(t, f, Cursor{})
		if len(recs) != 1 || len(bad) != 1 || !strings.Contains(bad[0].Error(), "named pipe") {
			t.Errorf("records %v errors %v", recordIDs(recs), bad)
		}
	})
}
