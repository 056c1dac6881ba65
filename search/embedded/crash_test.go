package embedded

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/hybrid"
)

// The crash test runs ingestion in a child process (this test binary,
// re-executed) and kills it with SIGKILL mid-way, then checks that the index
// opens, that every paper the checkpoint claims is there, and that a rerun
// completes without duplicates.

const (
	crashChildEnv   = "QUIRE_CRASH_CHILD"
	crashVectorsEnv = "QUIRE_CRASH_VECTORS"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	x, err := Open(filepath.Join(dir, "idx"), Options{LocalEmbedder: os.Getenv(crashVectorsEnv) != ""})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	src, err := corpus.OpenJSONL([]string{filepath.Join(dir, "papers.jsonl")}, "jsonl", nil, "crash")
	if err != nil {
		fmt.Println("source:", err)
		os.Exit(1)
	}
	_, err = search.Ingest(context.Background(), x, src, search.IngestOptions{
		BatchSize: 200,
		Progress:  func(p search.IngestProgress) { fmt.Println("papers", p.Papers) },
	})
	fmt.Println("finished", err)
	x.Close()
}

func writeCrashCorpus(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	words := strings.Fields("protein folding neural network dark matter galaxy genome editing crispr quantum error correction graph learning climate model vaccine trial")
	for i := range n {
		p := corpus.Paper{
			ID:       fmt.Sprintf("p%06d", i),
			Title:    fmt.Sprintf("%s %s study %d", words[i%len(words)], words[(i*7)%len(words)], i),
			Abstract: strings.Repeat(words[(i*3)%len(words)]+" "+words[(i*5)%len(words)]+" results. ", 20),
			Year:     1990 + i%35,
			Authors:  []string{fmt.Sprintf("Author %d", i%500)},
		}
		b, _ := json.Marshal(p)
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestKillMidIngestThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const total = 40_000
	dir := t.TempDir()
	writeCrashCorpus(t, filepath.Join(dir, "papers.jsonl"), total)

	killChildMidIngest(t, dir, total, nil)
	// Like PRAGMA integrity_check: the killed index is consistent before
	// any writer touches it.
	mustCheck(t, filepath.Join(dir, "idx"), Options{})

	x, err := Open(filepath.Join(dir, "idx"), Options{})
	if err != nil {
		t.Fatalf("index does not open after SIGKILL: %v", err)
	}
	ctx := context.Background()
	ck, ok, err := x.Checkpoint(ctx, filepath.Join(dir, "papers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := x.Count()
	t.Logf("after kill: %d papers indexed, checkpoint ok=%v line=%d done=%v", n, ok, ck.Cursor.Line, ck.Done)
	if ck.Done {
		t.Fatal("checkpoint says done after a kill")
	}
	// Batches land in order with the checkpoint covering them: after a
	// kill the two agree exactly.
	if uint64(ck.Papers) != n || ck.Cursor.Line != int64(n) {
		t.Errorf("after the kill %d papers are indexed but the checkpoint claims %d (line %d)", n, ck.Papers, ck.Cursor.Line)
	}
	// Every paper the checkpoint covers must be present and intact.
	for line := int64(1); ok && line <= ck.Cursor.Line; line += 97 {
		id := fmt.Sprintf("p%06d", line-1)
		p, err := x.Get(ctx, id)
		if err != nil {
			t.Fatalf("checkpoint covers line %d but %s is missing: %v", ck.Cursor.Line, id, err)
		}
		if p.ID != id || p.Year != 1990+int(line-1)%35 {
			t.Fatalf("paper %s corrupted: %+v", id, p)
		}
	}
	if uint64(ck.Papers) > n {
		t.Fatalf("checkpoint counts %d papers but the index holds %d", ck.Papers, n)
	}

	src, err := corpus.OpenJSONL([]string{filepath.Join(dir, "papers.jsonl")}, "jsonl", nil, "crash")
	if err != nil {
		t.Fatal(err)
	}
	st, err := search.Ingest(ctx, x, src, search.IngestOptions{BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if st.ResumedFrom != ck.Cursor {
		t.Errorf("rerun started at %+v, want the checkpoint %+v", st.ResumedFrom, ck.Cursor)
	}
	n, _ = x.Count()
	if n != total {
		t.Fatalf("after resume the index holds %d papers, want %d", n, total)
	}
	res, err := x.Search(ctx, search.Request{Facets: []string{search.FacetYear}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != total {
		t.Fatalf("match-all finds %d, want %d", res.Total, total)
	}
	// A third run reads nothing: the checkpoint says done.
	st, err = search.Ingest(ctx, x, src, search.IngestOptions{})
	if err != nil || !st.AlreadyDone {
		t.Fatalf("third run: AlreadyDone=%v err=%v", st.AlreadyDone, err)
	}
	x.Close()
}

// killChildMidIngest runs crashChild on dir and SIGKILLs it once it has
// read a third of the corpus.
func killChildMidIngest(t *testing.T, dir string, total int, env []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), crashChildEnv+"="+dir), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	killed := false
	deadline := time.After(2 * time.Minute)
	lines := make(chan string)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break wait
			}
			var n int
			if _, err := fmt.Sscanf(l, "papers %d", &n); err == nil && n >= total/3 {
				// Kill hard, mid-stream, while batches are in flight.
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				for range lines {
				}
				break wait
			}
			if strings.HasPrefix(l, "finished") {
				break wait
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("child did not reach a third of the corpus in 2 minutes")
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatal("child finished before it could be killed; make the corpus larger")
	}

}

// TestKillMidIngestVectorsConsistent kills an ingest that writes both
// halves (a local model is already trained, so every batch is embedded
// inline) and checks that the halves agree exactly after reopening — bleve
// may lose its last unpersisted batches, and the vector writes it lost
// must be rolled back — and again after the rerun and sync.
func TestKillMidIngestVectorsConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const total = 30_000
	dir := t.TempDir()
	ctx := context.Background()
	// Train the local embedder on a first source so the child embeds inline.
	writeCrashCorpus(t, filepath.Join(dir, "seed.jsonl"), 3000)
	x, err := Open(filepath.Join(dir, "idx"), Options{LocalEmbedder: true})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := corpus.OpenJSONL([]string{filepath.Join(dir, "seed.jsonl")}, "jsonl", nil, "seed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := search.Ingest(ctx, x, seed, search.IngestOptions{BatchSize: 500}); err != nil {
		t.Fatal(err)
	}
	// Delete the seed papers so IDs in the crash corpus are all new.
	var dels []string
	for i := range 3000 {
		dels = append(dels, fmt.Sprintf("p%06d", i))
	}
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := x.Apply(ctx, &search.Batch{Deletes: dels}); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	writeCrashCorpus(t, filepath.Join(dir, "papers.jsonl"), total)
	killChildMidIngest(t, dir, total, []string{crashVectorsEnv + "=1"})

	// Readers see both halves agree without a writer to roll back the
	// vector log, and check accepts the index as the kill left it.
	ro, err := Open(filepath.Join(dir, "idx"), Options{LocalEmbedder: true, ReadOnly: true})
	if err != nil {
		t.Fatalf("index does not open read-only after SIGKILL: %v", err)
	}
	lex, vec := halves(t, ro)
	sameSets(t, "read-only after kill", lex, vec)
	ro.Close()
	mustCheck(t, filepath.Join(dir, "idx"), Options{LocalEmbedder: true})

	x, err = Open(filepath.Join(dir, "idx"), Options{LocalEmbedder: true})
	if err != nil {
		t.Fatalf("index does not open after SIGKILL: %v", err)
	}
	defer x.Close()
	n, _ := x.Count()
	lex, vec = halves(t, x)
	t.Logf("after kill: %d papers, %d with vectors", n, len(vec))
	if n == 0 || n >= total {
		t.Fatalf("kill landed outside the ingest: %d papers", n)
	}
	sameSets(t, "after kill", lex, vec)

	src, err := corpus.OpenJSONL([]string{filepath.Join(dir, "papers.jsonl")}, "jsonl", nil, "crash")
	if err != nil {
		t.Fatal(err)
	}
	ingestAll(t, x, src, 1000)
	lex, vec = halves(t, x)
	if len(lex) != total {
		t.Fatalf("after resume: %d papers, want %d", len(lex), total)
	}
	sameSets(t, "after resume", lex, vec)
	// Stored vectors are the embeddings of the stored papers.
	for i := 0; i < total; i += 997 {
		id := fmt.Sprintf("p%06d", i)
		if c := storedCosine(t, x, id); c < 0.99 {
			t.Errorf("%s: stored vector has cosine %.4f with a fresh embedding", id, c)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, filepath.Join(dir, "idx"), Options{LocalEmbedder: true})
}

// halves lists the paper IDs in bleve and in the vector index.
func halves(t *testing.T, x *Index) (lex, vec map[string]bool) {
	t.Helper()
	lex, vec = map[string]bool{}, map[string]bool{}
	err := x.eachPaper(context.Background(), func(id string) bool { lex[id] = true; return false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if x.vec.idx != nil {
		for s := range x.vec.idx.Slots() {
			if id := x.vec.idx.ID(uint32(s)); id != "" {
				vec[id] = true
			}
		}
	}
	return lex, vec
}

func sameSets(t *testing.T, when string, lex, vec map[string]bool) {
	t.Helper()
	var missing, extra []string
	for id := range lex {
		if !vec[id] {
			missing = append(missing, id)
		}
	}
	for id := range vec {
		if !lex[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Fatalf("%s: %d papers without a vector (e.g. %v), %d vectors without a paper (e.g. %v)",
			when, len(missing), first(missing), len(extra), first(extra))
	}
}

// storedCosine is the cosine between id's stored vector and a fresh
// embedding of its stored paper by the index's current embedder.
func storedCosine(t *testing.T, x *Index, id string) float64 {
	t.Helper()
	x.vec.mu.RLock()
	emb, idx := x.vec.emb, x.vec.idx
	x.vec.mu.RUnlock()
	p, err := x.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want, err := emb.Embed(context.Background(), []string{hybrid.EmbedText(p)}, embed.Passage)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := idx.Vector(id)
	if !ok {
		t.Fatalf("%s has no vector", id)
	}
	var cos float64
	for j := range got {
		cos += float64(got[j]) * float64(want[0][j])
	}
	return cos
}

// TestOpenHalfCreated: a create killed after index_meta.json but before
// bleve's store was complete left an index no open could read (and, until
// this was fixed, a nil-pointer panic). With no segment stored, Open
// creates it again and the index works; with a segment stored, Open
// refuses and deletes nothing.
func TestOpenHalfCreated(t *testing.T) {
	good := t.TempDir()
	x, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	meta, err := os.ReadFile(filepath.Join(good, "index_meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, store := range []string{"none", "empty", "bolt without mapping"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), meta, 0o644); err != nil {
			t.Fatal(err)
		}
		switch store {
		case "empty":
			os.Mkdir(filepath.Join(dir, "store"), 0o755)
		case "bolt without mapping":
			os.Mkdir(filepath.Join(dir, "store"), 0o755)
			os.WriteFile(filepath.Join(dir, "store", "root.bolt"), nil, 0o644)
		}
		x, err := Open(dir, Options{})
		if err != nil {
			t.Errorf("store %s: %v", store, err)
			continue
		}
		if err := x.Apply(context.Background(), &search.Batch{Upserts: []corpus.Paper{{ID: "p1", Title: "Halo profiles"}}}); err != nil {
			t.Errorf("store %s: apply: %v", store, err)
		}
		if n, err := x.Count(); err != nil || n != 1 {
			t.Errorf("store %s: %d papers, %v; want 1", store, n, err)
		}
		x.Close()
	}
	// An index that holds papers and fails to open (its index_meta.json
	// damaged) is refused and loses nothing.
	dir := t.TempDir()
	x, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Apply(context.Background(), &search.Batch{Upserts: []corpus.Paper{{ID: "p1", Title: "Halo profiles"}}}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	metaPath := filepath.Join(dir, "index_meta.json")
	os.WriteFile(metaPath, []byte("{"), 0o644)
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("an index with a damaged index_meta.json opened")
	}
	os.WriteFile(metaPath, meta, 0o644)
	x, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("after the meta file was put back: %v", err)
	}
	defer x.Close()
	if n, err := x.Count(); err != nil || n != 1 {
		t.Errorf("after a refused open: %d papers, %v; want the 1 stored", n, err)
	}
}
