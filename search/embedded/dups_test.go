package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// writeDupCorpus writes n papers and, after the first two thirds, second
// copies (other titles) of five papers from the first third.
func writeDupCorpus(t *testing.T, path string, n int) []string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	var dups []string
	for i := range n {
		enc.Encode(corpus.Paper{ID: fmt.Sprintf("d%05d", i), Title: fmt.Sprintf("first copy %d", i), Abstract: "graph learning results"})
		if i > 2*n/3 && len(dups) < 5 && i%7 == 0 {
			id := fmt.Sprintf("d%05d", len(dups)*97)
			dups = append(dups, id)
			enc.Encode(corpus.Paper{ID: id, Title: "second copy", Abstract: "graph learning results"})
		}
	}
	return dups
}

// TestDuplicatesAcrossResume: the first copy of a duplicate ID wins and
// every duplicate is reported once, whether the run was interrupted or
// not, and the checkpoint counts the papers the index holds. Before, a
// resumed run let the last copy win, reported none, and counted the
// copies as papers (20,005 for 20,000).
func TestDuplicatesAcrossResume(t *testing.T) {
	const n = 3000
	dir := t.TempDir()
	path := filepath.Join(dir, "dups.jsonl")
	dups := writeDupCorpus(t, path, n)
	if len(dups) != 5 {
		t.Fatalf("corpus has %d duplicates", len(dups))
	}
	ctx := context.Background()
	run := func(idx string, stopAt int64) (reported int64, x *Index) {
		x, err := Open(idx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			rctx, cancel := context.WithCancel(ctx)
			st, err := search.Ingest(rctx, x, openSource(t, path), search.IngestOptions{BatchSize: 250,
				Progress: func(p search.IngestProgress) {
					if stopAt > 0 && p.Papers >= stopAt {
						cancel()
					}
				}})
			cancel()
			reported += st.Duplicates
			if err == nil {
				return reported, x
			}
			if !errors.Is(err, search.ErrStopped) {
				t.Fatal(err)
			}
			stopAt = 0 // interrupted once; the rerun resumes
		}
	}
	straight, a := run(filepath.Join(dir, "a"), 0)
	defer a.Close()
	resumed, b := run(filepath.Join(dir, "b"), 1200)
	defer b.Close()
	for _, x := range []*Index{a, b} {
		ck, _, _ := x.Checkpoint(ctx, path)
		count, _ := x.Count()
		if count != n || ck.Papers != n {
			t.Errorf("%s: index holds %d papers, checkpoint claims %d, want %d", x.Path(), count, ck.Papers, n)
		}
		for _, id := range dups {
			p, err := x.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Title == "second copy" {
				t.Errorf("%s: the second copy of %s won", x.Path(), id)
			}
		}
	}
	if straight != 5 || resumed != 5 {
		t.Errorf("duplicates reported: %d uninterrupted, %d over the interrupted runs; want 5 each", straight, resumed)
	}
}

// TestCheckFindsAndRepairs damages each part check compares (a facet
// column, the vector half, a checkpoint) and expects check to name the
// problem and --repair to leave an index a second check accepts.
func TestCheckFindsAndRepairs(t *testing.T) {
	idx, o := seededIndex(t)
	ctx := context.Background()
	mustCheck(t, idx, o)

	// A facet column whose values disagree with its segment (checksum
	// recomputed, so only the comparison can tell).
	files, _ := filepath.Glob(filepath.Join(idx, facetDir, "*.year"))
	if len(files) == 0 {
		t.Fatal("no saved facet columns")
	}
	x, err := Open(idx, o)
	if err != nil {
		t.Fatal(err)
	}
	// Vectors without papers: delete papers from bleve alone.
	var dels []string
	for i := range 3 {
		dels = append(dels, fmt.Sprintf("p%06d", i))
	}
	b := x.idx.NewBatch()
	for _, id := range dels {
		b.Delete(id)
	}
	// A checkpoint claiming more than its input wrote.
	ck := search.Checkpoint{Source: "ghost", Fingerprint: "ghost|1", Papers: 1 << 40}
	v, _ := json.Marshal(ck)
	b.SetInternal([]byte(checkpointPrefix+"ghost"), v)
	if err := x.idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if err := os.WriteFile(files[0], []byte("QFC1 damaged"), 0o644); err != nil {
		t.Fatal(err)
	}

	r, err := Check(ctx, idx, o, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 3 {
		t.Fatalf("want 3 problems (facet file, orphan vectors, checkpoint), got %q", r.Problems)
	}
	r, err = Check(ctx, idx, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || len(r.Repaired) < 3 {
		t.Fatalf("repair left %q, did %q", r.Problems, r.Repaired)
	}
	r = mustCheck(t, idx, o)
	if r.Papers != 2497 || r.Vectors != 2497 {
		t.Fatalf("after repair: %d papers, %d vectors", r.Papers, r.Vectors)
	}
}
