package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/query"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchProc is 'quire ingest --watch' running in-process.
type watchProc struct {
	out, errb *syncBuffer
	cancel    context.CancelFunc
	code      chan int
}

func testEnv(home string) func(string) string {
	envs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME":   filepath.Join(home, "data"),
		"XDG_CACHE_HOME":  filepath.Join(home, "cache"),
		"NO_COLOR":        "1",
	}
	return func(k string) string { return envs[k] }
}

func indexDirOf(home string) string { return filepath.Join(home, "data", "quire", "index") }

func startWatch(t *testing.T, home, dir string) *watchProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &watchProc{out: &syncBuffer{}, errb: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		p.code <- Run(ctx, []string{"ingest", "--watch", dir}, strings.NewReader(""), p.out, p.errb, testEnv(home))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.code:
		case <-time.After(10 * time.Second):
		}
	})
	p.waitOut(t, "watching ")
	return p
}

func (p *watchProc) waitOut(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.out.String(), s) {
		select {
		case c := <-p.code:
			t.Fatalf("watch exited %d before %q:\n%s\n%s", c, s, p.out, p.errb)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s\n%s", s, p.out, p.errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends Ctrl-C and returns the exit code.
func (p *watchProc) stop(t *testing.T) int {
	t.Helper()
	p.cancel()
	select {
	case c := <-p.code:
		p.code <- c // for Cleanup
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop within 10 s of Ctrl-C")
		return -1
	}
}

// reader opens the index read-only, as 'quire search' or the app does in
// another process, for every look.
type reader struct {
	t   *testing.T
	dir string
}

func (r reader) open() *embedded.Index {
	r.t.Helper()
	x, err := embedded.Open(r.dir, embedded.Options{ReadOnly: true, LockWait: 20 * time.Second, LocalEmbedder: true})
	if err != nil {
		r.t.Fatalf("read-only open: %v", err)
	}
	return x
}

// ids searches BM25 (or mode) for q and returns the hits' IDs, sorted.
func (r reader) ids(q, mode string) ([]string, string) {
	r.t.Helper()
	x := r.open()
	defer x.Close()
	pq, err := query.Parse(q)
	if err != nil {
		r.t.Fatal(err)
	}
	res, err := x.Search(context.Background(), search.Request{Query: pq, Limit: 100, Mode: mode})
	if err != nil {
		r.t.Fatalf("search %q: %v", q, err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out, res.Mode
}

// eventually waits until the BM25 hits of q are want.
func (r reader) eventually(q string, want ...string) {
	r.t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := r.ids(q, search.ModeBM25)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("search %q: got %v, want %v", q, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var vocab = strings.Fields(`protein folding gene editing crispr language model quantum error correction graph neural
network attention transformer retrieval ranking corpus citation survey benchmark dataset training inference
sampling diffusion molecule enzyme catalysis lattice spin magnet superconductor photon laser optics sensor
robot control policy reward agent planning search index compression entropy coding channel noise signal
image vision segmentation detection tracking speech audio music text summarisation translation parsing syntax`)

// paper writes a Markdown paper whose words are drawn from vocab, plus
// the marker words given.
func paper(t *testing.T, p, title string, rng *rand.Rand, marker ...string) {
	t.Helper()
	var words []string
	for range 40 {
		words = append(words, vocab[rng.IntN(len(vocab))])
	}
	words = append(words, marker...)
	text := fmt.Sprintf("# %s\n\nAbstract: %s.\n", title, strings.Join(words, " "))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedFolder writes n papers, enough for the local embedder to learn from.
func seedFolder(t *testing.T, dir string, n int, rng *rand.Rand) {
	for i := range n {
		paper(t, filepath.Join(dir, fmt.Sprintf("seed%03d.md", i)), fmt.Sprintf("Seed paper %d", i), rng)
	}
}

func TestWatchFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the watcher for several seconds")
	}
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	seedFolder(t, dir, 120, rng)
	paper(t, filepath.Join(dir, "old.md"), "Old paper", rng, "walrusword")
	w := startWatch(t, home, dir)
	r := reader{t, indexDirOf(home)}
	r.eventually("walrusword", "old")

	// Create: searchable by BM25, and by hybrid search with its vector.
	paper(t, filepath.Join(dir, "new.md"), "New paper", rng, "zebraword")
	r.eventually("zebraword", "new")
	if got, mode := r.ids("zebraword", search.ModeHybrid); mode != search.ModeHybrid || !slices.Contains(got, "new") {
		t.Fatalf("hybrid: mode %s hits %v", mode, got)
	}
	x := r.open()
	st, err := x.Stats(context.Background())
	x.Close()
	if err != nil || st.Vectors != st.Papers || st.Papers != 122 {
		t.Fatalf("stats %+v %v: every paper needs its vector", st, err)
	}

	// Modify: the new text replaces the old.
	paper(t, filepath.Join(dir, "new.md"), "New paper", rng, "okapiword")
	r.eventually("okapiword", "new")
	r.eventually("zebraword")

	// Delete.
	if err := os.Remove(filepath.Join(dir, "old.md")); err != nil {
		t.Fatal(err)
	}
	r.eventually("walrusword")

	// Rename away and in, and an editor's save (temp file renamed over).
	away := t.TempDir()
	if err := os.Rename(filepath.Join(dir, "new.md"), filepath.Join(away, "new.md")); err != nil {
		t.Fatal(err)
	}
	r.eventually("okapiword")
	paper(t, filepath.Join(away, "moved.md"), "Moved paper", rng, "lemurword")
	if err := os.Rename(filepath.Join(away, "moved.md"), filepath.Join(dir, "moved.md")); err != nil {
		t.Fatal(err)
	}
	r.eventually("lemurword", "moved")
	paper(t, filepath.Join(dir, ".moved.md.swp"), "Moved paper", rng, "tapirword")
	if err := os.Rename(filepath.Join(dir, ".moved.md.swp"), filepath.Join(dir, "moved.md")); err != nil {
		t.Fatal(err)
	}
	r.eventually("tapirword", "moved")
	r.eventually("lemurword")

	// A new subfolder, with papers in it from the start.
	paper(t, filepath.Join(dir, "a", "b", "deep.md"), "Deep paper", rng, "ibexword")
	r.eventually("ibexword", "a/b/deep")

	// A bad file is reported by name and the watch goes on.
	if err := os.WriteFile(filepath.Join(dir, "bad.md"), []byte("---\nyear: [1, 2\n---\n# Bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.waitErr(t, "bad.md")
	paper(t, filepath.Join(dir, "after.md"), "After the bad one", rng, "yakword")
	r.eventually("yakword", "after")

	// A burst: 100 files at once come in a few batches.
	before := strings.Count(w.out.String(), " papers, ")
	var want []string
	for i := range 100 {
		paper(t, filepath.Join(dir, "burst", fmt.Sprintf("b%03d.md", i)), fmt.Sprintf("Burst %d", i), rng, "burstword")
		want = append(want, fmt.Sprintf("burst/b%03d", i))
	}
	r.eventually("burstword", want...)
	if n := strings.Count(w.out.String(), " papers, ") - before; n > 8 {
		t.Errorf("100 files took %d batches:\n%s", n, w.out)
	}
	if !strings.Contains(w.out.String(), "ms after the last write") {
		t.Errorf("no per-batch line:\n%s", w.out)
	}
}

func (p *watchProc) waitErr(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.errb.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr lacks %q:\n%s", s, p.errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A slow writer's paper is never searchable half-written.
func TestWatchSlowWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the watcher for several seconds")
	}
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	seedFolder(t, dir, 5, rng)
	w := startWatch(t, home, dir)
	r := reader{t, indexDirOf(home)}
	f, err := os.Create(filepath.Join(dir, "slow.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The writer runs on its own; the reader looks all the while, and
	// must never find the paper without its last piece.
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		fmt.Fprintf(f, "# Slow paper\n\nAbstract: firstpiece")
		for i := range 10 {
			time.Sleep(150 * time.Millisecond) // under the 300 ms settle time
			fmt.Fprintf(f, " piece%d", i)
		}
		fmt.Fprintf(f, " lastpiece.\n")
		f.Close()
	}()
	looks := 0
	for done := false; !done; {
		select {
		case <-wrote:
			done = true
		default:
		}
		first, _ := r.ids("firstpiece", search.ModeBM25)
		last, _ := r.ids("lastpiece", search.ModeBM25)
		looks++
		if len(first) > 0 && len(last) == 0 {
			t.Fatalf("half-written paper searchable (look %d)", looks)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.eventually("firstpiece lastpiece", "slow")
	t.Logf("%d looks while the paper was written", looks)
	if n := strings.Count(w.out.String(), " papers, "); n != 1 {
		t.Errorf("the slow paper took %d batches, want 1:\n%s", n, w.out)
	}
}

// Ctrl-C keeps what was committed; a restart catches up with changes made
// while no watcher ran, deletions included.
func TestWatchRestartCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the watcher for several seconds")
	}
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	seedFolder(t, dir, 5, rng)
	paper(t, filepath.Join(dir, "gone.md"), "Gone", rng, "goneword")
	paper(t, filepath.Join(dir, "edited.md"), "Edited", rng, "beforeword")
	w := startWatch(t, home, dir)
	r := reader{t, indexDirOf(home)}
	// Ctrl-C right after a burst lands: whatever was committed stays.
	for i := range 30 {
		paper(t, filepath.Join(dir, fmt.Sprintf("c%02d.md", i)), "Burst", rng, "ctrlcword")
	}
	w.waitOut(t, " papers, ")
	if code := w.stop(t); code != exitStopped {
		t.Fatalf("exit %d after Ctrl-C, want %d:\n%s", code, exitStopped, w.errb)
	}
	committed, _ := r.ids("ctrlcword", search.ModeBM25)
	if len(committed) == 0 {
		t.Fatal("a batch reported written is not in the index after Ctrl-C")
	}

	// While stopped: a deletion, an edit, a new file.
	if err := os.Remove(filepath.Join(dir, "gone.md")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // a later mtime than the first write
	paper(t, filepath.Join(dir, "edited.md"), "Edited", rng, "afterword")
	paper(t, filepath.Join(dir, "while.md"), "Written while down", rng, "whileword")

	w = startWatch(t, home, dir)
	r.eventually("goneword")
	r.eventually("beforeword")
	r.eventually("afterword", "edited")
	r.eventually("whileword", "while")
	var all []string
	for i := range 30 {
		all = append(all, fmt.Sprintf("c%02d", i))
	}
	r.eventually("ctrlcword", all...)
	if !strings.Contains(w.out.String(), "changed while not watching") {
		t.Errorf("no catch-up line:\n%s", w.out)
	}
}

// A second watcher of the same index fails at once, naming the first.
func TestWatchOnePerIndex(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	seedFolder(t, dir, 3, rand.New(rand.NewPCG(7, 8)))
	startWatch(t, home, dir)
	r := quire(t, home, "ingest", "--watch", dir)
	if r.code != exitFailed || !strings.Contains(r.stderr, "already watched by pid") {
		t.Fatalf("second watcher: exit %d\n%s", r.code, r.stderr)
	}
	r = quire(t, home, "ingest", "--watch", filepath.Join(dir, "seed000.md"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "not a folder") {
		t.Fatalf("a file: exit %d\n%s", r.code, r.stderr)
	}
}
