package embedded

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// Fault injection: a real full disk (a small tmpfs, which needs root, as in
// CI) and a seam (writeFault) that fails each phase of a write in turn.
// Every case must end in a clear error, an index Check accepts, and a next
// run that completes.

// smallDisk mounts a tmpfs of size bytes and returns its path; it skips
// the test where mounting is not permitted.
func smallDisk(t *testing.T, size int) (string, func(size int)) {
	t.Helper()
	dir := t.TempDir()
	opts := fmt.Sprintf("size=%d", size)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root, as in CI): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	grow := func(size int) {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d", size)); err != nil {
			t.Fatalf("grow tmpfs: %v", err)
		}
	}
	return dir, grow
}

func openSource(t *testing.T, path string) corpus.Source {
	t.Helper()
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, "fault")
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// mustCheck runs Check read-only and fails the test on any problem.
func mustCheck(t *testing.T, dir string, o Options) *CheckReport {
	t.Helper()
	r, err := Check(context.Background(), dir, o, false)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if !r.OK() {
		t.Fatalf("check found problems: %q (notes %q)", r.Problems, r.Notes)
	}
	return r
}

// TestDiskFullStopsIngest fills a 3 MB file system mid-ingest. Before
// durable batches and the async-error hook, the run reported success
// while bleve's persister spun forever, and the checkpoint said 0.
func TestDiskFullStopsIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	disk, grow := smallDisk(t, 3<<20)
	corpusPath := filepath.Join(t.TempDir(), "papers.jsonl")
	const total = 12_000
	writeCrashCorpus(t, corpusPath, total)
	dir := filepath.Join(disk, "idx")
	ctx := context.Background()

	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		st  search.IngestStats
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		st, err := search.Ingest(ctx, x, openSource(t, corpusPath), search.IngestOptions{BatchSize: 500})
		done <- result{st, err}
	}()
	var res result
	select {
	case res = <-done:
	// A guard against a write loop that never gives up, not a speed
	// target: under -race on a busy 2-core machine the run has taken
	// over 30 s.
	case <-time.After(3 * time.Minute):
		t.Fatal("ingest on a full disk did not end within 3 minutes")
	}
	t.Logf("stopped after %s: %v", time.Since(start).Round(time.Millisecond), res.err)
	if res.err == nil {
		t.Fatalf("ingest on a full disk reported success (%d papers)", res.st.Papers)
	}
	if !strings.Contains(res.err.Error(), "no space left on device") || !strings.Contains(res.err.Error(), dir) {
		t.Errorf("error should say 'no space left on device' and name %s: %v", dir, res.err)
	}
	if res.st.Papers >= total {
		t.Fatalf("all %d papers claimed written on a 3 MB disk", res.st.Papers)
	}
	if err := x.Close(); err == nil {
		t.Error("Close after a write failure returned nil")
	}

	// Every paper the run confirmed is on disk, the checkpoint covers
	// exactly what is on disk (bleve's retries may have landed the failed
	// batch too), and Durable, read at Close, says so.
	grow(64 << 20)
	y, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("index does not open after the disk filled: %v", err)
	}
	n, _ := y.Count()
	ck, _, _ := y.Checkpoint(ctx, corpusPath)
	y.Close()
	d := x.Durable()
	if d == nil || d.Papers != n || len(d.Checkpoints) != 1 || d.Checkpoints[0].Papers != ck.Papers {
		t.Fatalf("Durable %+v, but a fresh open finds %d papers and a checkpoint of %d", d, n, ck.Papers)
	}
	if n < uint64(res.st.Papers) || uint64(ck.Papers) != n || ck.Cursor.Line != int64(n) {
		t.Fatalf("on disk %d papers, run said %d written (%d checkpointed), checkpoint says %d (line %d)",
			n, res.st.Papers, res.st.Checkpointed, ck.Papers, ck.Cursor.Line)
	}
	mustCheck(t, dir, Options{})

	// With space freed the same run completes.
	x, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := search.Ingest(ctx, x, openSource(t, corpusPath), search.IngestOptions{BatchSize: 500})
	if err != nil {
		t.Fatalf("rerun after freeing space: %v", err)
	}
	after, _ := x.Count()
	if after != total || uint64(st.Papers)+n != total {
		t.Fatalf("after the rerun %d papers (rerun wrote %d, %d were on disk), want %d", after, st.Papers, n, total)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, dir, Options{})
}

// TestStopWithStuckWrite: Ctrl-C ends a run within seconds even when the
// batch in flight never returns (a persister stuck retrying).
func TestStopWithStuckWrite(t *testing.T) {
	dir := t.TempDir()
	corpusPath := filepath.Join(dir, "papers.jsonl")
	writeCrashCorpus(t, corpusPath, 3000)
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	var calls int
	setWriteFault(func(phase string) error {
		if phase == phaseBatch {
			if calls++; calls == 3 {
				<-stuck // the third batch never reaches bleve
			}
		}
		return nil
	})
	t.Cleanup(func() { setWriteFault(nil) })
	x, err := Open(filepath.Join(dir, "idx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := search.Ingest(ctx, x, openSource(t, corpusPath), search.IngestOptions{BatchSize: 500,
			Progress: func(p search.IngestProgress) {
				if p.Papers >= 1000 {
					cancel()
				}
			}})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a stopped run with a stuck batch reported success")
		}
		t.Logf("stopped: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("Ctrl-C did not end a run whose batch was stuck within 15 s")
	}
}

// TestWriteFaultEachPhase fails each phase of a write once and checks the
// error names it, the index passes Check, and the next run completes.
func TestWriteFaultEachPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("trains embedders")
	}
	for _, phase := range []string{phaseBatch, phaseVectorLog, phaseSnapshot, phaseModel, phaseFacets} {
		t.Run(strings.ReplaceAll(phase, " ", "_"), func(t *testing.T) {
			dir := t.TempDir()
			idx := filepath.Join(dir, "idx")
			ctx := context.Background()
			o := Options{LocalEmbedder: true}
			// A first source with a trained model, so later batches embed
			// inline and every phase is reached.
			seedPath := filepath.Join(dir, "seed.jsonl")
			writeCrashCorpus(t, seedPath, 2500)
			x, err := Open(idx, o)
			if err != nil {
				t.Fatal(err)
			}
			ingestAll(t, x, openSource(t, seedPath), 500)
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			morePath := filepath.Join(dir, "more.jsonl")
			writeOffsetCorpus(t, morePath, 2500, 1500)

			retrain := func() error {
				x, err := Open(idx, o)
				if err != nil {
					return err
				}
				return errors.Join(x.RetrainVectors(ctx, nil), x.Close())
			}
			if phase == phaseModel {
				// Only a (re)training writes the model: add papers first
				// so the retrain learns a different one.
				if err := runOnce(idx, o, morePath); err != nil {
					t.Fatal(err)
				}
			}
			injected := errors.New("injected write error")
			fired := 0
			setWriteFault(func(p string) error {
				if p == phase && fired == 0 {
					fired++
					return injected
				}
				return nil
			})
			defer func() { setWriteFault(nil) }()
			next := func() error { return runOnce(idx, o, morePath) }
			if phase == phaseModel {
				next = retrain
			}
			err = next()
			if fired == 0 {
				t.Fatalf("phase %q was never reached", phase)
			}
			if !errors.Is(err, injected) || !strings.Contains(err.Error(), phase) {
				t.Fatalf("want the injected error naming %q, got %v", phase, err)
			}
			setWriteFault(nil)
			mustCheck(t, idx, o)
			if err := next(); err != nil {
				t.Fatalf("next run: %v", err)
			}
			r := mustCheck(t, idx, o)
			if r.Papers != 4000 || r.Vectors != 4000 {
				t.Fatalf("after the next run: %d papers, %d vectors; want 4000 each", r.Papers, r.Vectors)
			}
		})
	}
}

// runOnce is one 'quire ingest': open, ingest, sync vectors, close.
func runOnce(dir string, o Options, path string) error {
	ctx := context.Background()
	x, err := Open(dir, o)
	if err != nil {
		return err
	}
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, "fault")
	if err != nil {
		x.Close()
		return err
	}
	_, err = search.Ingest(ctx, x, src, search.IngestOptions{BatchSize: 500})
	if err == nil {
		err = x.SyncVectors(ctx, nil)
	}
	return errors.Join(err, x.Close())
}

// writeOffsetCorpus writes n papers like writeCrashCorpus, numbered from
// first.
func writeOffsetCorpus(t *testing.T, path string, first, n int) {
	t.Helper()
	tmp := path + ".all"
	writeCrashCorpus(t, tmp, first+n)
	in, err := os.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for i := 0; sc.Scan(); i++ {
		if i >= first {
			fmt.Fprintln(out, sc.Text())
		}
	}
}

// TestSecondWriterFailsFast: a second writer fails at once naming the
// holder; a reader waits up to LockWait, saying so, and opens once the
// writer is gone. Before the lock file, both waited forever in silence.
func TestSecondWriterFailsFast(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	w, err := Open(dir, Options{Command: "quire ingest"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Open(dir, Options{Command: "quire ingest"})
	var le *LockError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != os.Getpid() || le.Holder.Command != "quire ingest" {
		t.Fatalf("second writer: want a LockError naming pid %d (quire ingest), got %v", os.Getpid(), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("second writer took %s to fail", d)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d (quire ingest", os.Getpid())) {
		t.Errorf("message does not name the holder: %v", err)
	}
	// A reader with no wait fails at once too.
	if _, err := Open(dir, Options{ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("reader without wait: want ErrLocked, got %v", err)
	}
	// A reader that may wait says who it waits for, and opens when the
	// writer closes.
	var told []string
	go func() {
		time.Sleep(300 * time.Millisecond)
		w.Close()
	}()
	start = time.Now()
	r, err := Open(dir, Options{ReadOnly: true, LockWait: 10 * time.Second, OnLockWait: func(m string) { told = append(told, m) }})
	if err != nil {
		t.Fatalf("reader waiting for the writer: %v", err)
	}
	if len(told) != 1 || !strings.Contains(told[0], "being written by pid") || !strings.Contains(told[0], "Ctrl-C") {
		t.Errorf("reader's wait message: %q", told)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("reader opened %s after the writer closed", d)
	}
	// Readers share; a writer then fails naming readers.
	r2, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	_, err = Open(dir, Options{})
	if !errors.As(err, &le) || le.Holder != nil || !strings.Contains(err.Error(), "open for reading") {
		t.Fatalf("writer while readers hold the index: %v", err)
	}
	r.Close()
	r2.Close()
	w2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("writer after the readers closed: %v", err)
	}
	w2.Close()
	// A reader's wait ends with its context (Ctrl-C).
	w3, _ := Open(dir, Options{})
	defer w3.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := OpenContext(ctx, dir, Options{ReadOnly: true, LockWait: time.Minute}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

// TestLockFileWithoutHolder: a lock file left by a killed writer (whose
// flock the kernel released) does not block anyone.
func TestLockFileWithoutHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	w, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	b, _ := json.Marshal(Holder{PID: 999999, Command: "quire ingest", Started: time.Now()})
	if err := os.WriteFile(filepath.Join(dir, lockFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("stale lock file blocked a writer: %v", err)
	}
	w.Close()
}

// seededIndex builds an index with a trained local model and vectors for
// 2,500 papers, so later batches embed inline, and returns its folder.
func seededIndex(t *testing.T) (string, Options) {
	t.Helper()
	dir := t.TempDir()
	idx := filepath.Join(dir, "idx")
	o := Options{LocalEmbedder: true}
	seedPath := filepath.Join(dir, "seed.jsonl")
	writeCrashCorpus(t, seedPath, 2500)
	x, err := Open(idx, o)
	if err != nil {
		t.Fatal(err)
	}
	ingestAll(t, x, openSource(t, seedPath), 500)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	return idx, o
}

// TestReadOnlyOpenAfterCrash: a batch whose vectors reached the log but
// whose bleve half did not (a crash between them) must stay invisible to
// readers, which cannot cut the log. Before, a read-only open replayed it
// and vector search returned papers that do not exist.
func TestReadOnlyOpenAfterCrash(t *testing.T) {
	idx, o := seededIndex(t)
	morePath := filepath.Join(filepath.Dir(idx), "more.jsonl")
	writeOffsetCorpus(t, morePath, 2500, 1500)
	calls := 0
	setWriteFault(func(p string) error {
		if p == phaseBatch {
			if calls++; calls == 3 {
				return errors.New("crash between the halves")
			}
		}
		return nil
	})
	defer func() { setWriteFault(nil) }()
	if err := runOnce(idx, o, morePath); err == nil {
		t.Fatal("the injected failure did not fail the run")
	}
	setWriteFault(nil)

	ro := o
	ro.ReadOnly = true
	x, err := Open(idx, ro)
	if err != nil {
		t.Fatal(err)
	}
	lex, vec := halves(t, x)
	if n := x.vec.idx.Ahead(); n != 1 {
		t.Errorf("read-only open left out %d log records, want the 1 bleve lacks", n)
	}
	sameSets(t, "read-only after the crash", lex, vec)
	res, err := x.Search(context.Background(), search.Request{Query: mustParse(t, "protein folding"), Limit: 20, Mode: search.ModeVector})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 20 {
		t.Errorf("vector search returned %d of 20 hits", len(res.Hits))
	}
	x.Close()
	r := mustCheck(t, idx, o)
	if len(r.Notes) == 0 {
		t.Error("check did not note the vector batch bleve lacks")
	}
	// The next writer cuts the log and completes the run.
	if err := runOnce(idx, o, morePath); err != nil {
		t.Fatal(err)
	}
	r = mustCheck(t, idx, o)
	if r.Papers != 4000 || r.Vectors != 4000 || len(r.Notes) != 0 {
		t.Fatalf("after the next run: %+v", r)
	}
}

// TestVectorLogStaysShort: ingest snapshots the vectors once their log is
// long, so an open after a crash replays little. Before, the log held
// every batch since the last clean close and each open after a crash
// replayed it all (2.7–4.8 s on the arXiv samples).
func TestVectorLogStaysShort(t *testing.T) {
	idx, o := seededIndex(t)
	defer func(n int) { logSnapshotAt = n }(logSnapshotAt)
	logSnapshotAt = 600
	morePath := filepath.Join(filepath.Dir(idx), "more.jsonl")
	writeOffsetCorpus(t, morePath, 2500, 2000)
	x, err := Open(idx, o)
	if err != nil {
		t.Fatal(err)
	}
	maxLog := 0
	_, err = search.Ingest(context.Background(), x, openSource(t, morePath), search.IngestOptions{BatchSize: 250,
		Progress: func(search.IngestProgress) { maxLog = max(maxLog, x.vec.idx.LogLen()) }})
	if err != nil {
		t.Fatal(err)
	}
	// 4,500 vectors: a snapshot is due once 1,125 are in the log.
	if maxLog > 1125+250 {
		t.Fatalf("the vector log grew to %d upserts", maxLog)
	}
	x.Close()
}

func mustParse(t *testing.T, q string) query.Query {
	t.Helper()
	r, err := search.NewRequest(q, 10)
	if err != nil {
		t.Fatal(err)
	}
	return r.Query
}
