package vector

import (
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestReadOnlyOpen: a read-only open writes nothing, replays the log only
// up to MaxSeq, and does not link what it replays into the graph: it
// scans those vectors exactly next to each graph search, so it opens
// faster than a writer and still finds every vector. Before, readers
// replayed the whole log, linking each vector (seconds after a crash).
func TestReadOnlyOpen(t *testing.T) {
	dir := t.TempDir()
	g := newClustered(32, 20, 5)
	o := Options{Dim: 32, ExactBelow: 500}
	x, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	applyT(t, x, 1, g.items(1, 0, 3000), nil)
	if err := x.Snapshot(); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		applyT(t, x, uint64(2+i), g.items(1, 3000+i*500, 3500+i*500), nil)
	}
	// Upsert some snapshotted vectors with new values and delete others.
	applyT(t, x, 8, g.items(7, 0, 50), []string{docID(100), docID(3100)})
	applyT(t, x, 9, g.items(1, 6000, 6500), nil) // the batch the caller lacks
	x.Close()

	ro := o
	ro.ReadOnly, ro.CapSeq, ro.MaxSeq = true, true, 8
	start := time.Now()
	r, err := Open(dir, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	roTime := time.Since(start)
	if r.Seq() != 8 || r.Ahead() != 1 || r.Len() != 5998 {
		t.Fatalf("read-only open: seq %d, %d records ahead, %d vectors; want 8, 1, 5998", r.Seq(), r.Ahead(), r.Len())
	}
	if len(r.tail) == 0 {
		t.Fatal("a read-only open linked the log's vectors")
	}
	// Every vector from the log is found by its own value, filtered or
	// not (they are scanned exactly); deleted ones never are. The graph's
	// vectors are found as a writer would find them: the graph is linked
	// in parallel, so which of them an unfiltered walk misses varies from
	// run to run (one of about 80 once, under a loaded CI machine).
	graphMisses, graphQueries := 0, 0
	for i := 0; i < 6000; i += 37 {
		id := docID(i)
		v := g.vec(1, uint64(i))
		if i < 50 {
			v = g.vec(7, uint64(i))
		}
		for _, allow := range []*roaring.Bitmap{nil, allowOf(r, id, docID(i+1))} {
			res := r.Search(v, 3, allow)
			gone := i == 100 || i == 3100
			if gone {
				for _, h := range res {
					if h.ID == id {
						t.Fatalf("deleted %s returned", id)
					}
				}
				continue
			}
			inGraph := allow == nil && i >= 50 && i < 3000
			if inGraph {
				graphQueries++
			}
			if len(res) == 0 || res[0].ID != id {
				if inGraph {
					graphMisses++
					t.Logf("read-only search for graph vector %s returned %v", id, res)
					continue
				}
				t.Fatalf("read-only search for %s's own vector returned %v", id, res)
			}
		}
	}
	if graphMisses > 2 {
		t.Fatalf("%d of %d graph vectors not found by their own value", graphMisses, graphQueries)
	}
	// A writer's open of the same state finds the same, and cuts the log.
	wo := o
	wo.CapSeq, wo.MaxSeq = true, 8
	start = time.Now()
	w, err := Open(dir, wo)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open replaying 3,050 log vectors: read-only %s, writer %s", roTime, time.Since(start))
	if w.Len() != 5998 || w.Ahead() != 1 {
		t.Fatalf("writer open: %d vectors, %d ahead", w.Len(), w.Ahead())
	}
	w.Close()
	w, err = Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if w.Seq() != 8 {
		t.Fatalf("the writer did not cut the log: seq %d", w.Seq())
	}
	w.Close()
}

func allowOf(x *Index, ids ...string) *roaring.Bitmap {
	b := roaring.New()
	for _, id := range ids {
		if s, ok := x.Slot(id); ok {
			b.Add(s)
		}
	}
	return b
}
