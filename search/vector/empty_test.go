package vector

import (
	"context"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestNoVectorMarker: an ID upserted with a nil or all-zero vector (a text
// the embedder knows no word of) is recorded as having no vector. It stays
// known through the log, a snapshot, a reopen and a compaction, so a
// caller does not embed it again, but no search (exact or graph, filtered
// to it or not) ever returns it, and Vector reports it has none. Before,
// the zero vector was stored as one and filtered scans returned it with
// score 0, and a nil vector was an error.
func TestNoVectorMarker(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 4, 21)
	dir := t.TempDir()
	o := Options{Dim: testDim, ExactBelow: 40}
	x := openT(t, dir, o)
	ups := append(g.items(1, 0, 60), Item{ID: "blank", Vec: make([]float32, testDim)}, Item{ID: "nil"})
	applyT(t, x, 1, ups, nil)
	applyT(t, x, 2, []Item{{ID: docID(5), Vec: make([]float32, testDim)}}, nil) // a vector replaced by none
	applyT(t, x, 3, []Item{{ID: "later", Vec: g.vec(3, 3)}, {ID: "blank2"}}, []string{"blank2"})

	markers := []string{"blank", "nil", docID(5)}
	check := func(x *Index, when string) {
		t.Helper()
		if x.Empty() != 3 || x.Len() != 63 {
			t.Fatalf("%s: %d IDs without a vector of %d, want 3 of 63", when, x.Empty(), x.Len())
		}
		only := roaring.New()
		for _, id := range markers {
			slot, ok := x.Slot(id)
			if !ok {
				t.Fatalf("%s: %s is not known: it would be embedded again", when, id)
			}
			if x.ID(slot) != id {
				t.Fatalf("%s: slot %d is %q, want %s", when, slot, x.ID(slot), id)
			}
			if _, ok := x.Vector(id); ok {
				t.Fatalf("%s: %s reports a vector", when, id)
			}
			only.Add(slot)
		}
		real, _ := x.Slot(docID(7))
		some := only.Clone()
		some.Add(real)
		for i := range 60 {
			q := g.vec(1, uint64(i))
			for _, allow := range []*roaring.Bitmap{nil, only, some} {
				for _, res := range [][]Result{x.Search(q, 70, allow), x.Exact(q, 70, allow)} {
					for _, r := range res {
						if x.c.empty(r.Slot) {
							t.Fatalf("%s: a search returned %s, which has no vector", when, r.ID)
						}
					}
					if allow == some && (len(res) != 1 || res[0].ID != docID(7)) {
						t.Fatalf("%s: filtered to three markers and %s, got %v", when, docID(7), res)
					}
				}
			}
		}
		if res := x.Search(make([]float32, testDim), 5, nil); len(res) != 0 {
			t.Fatalf("%s: a zero query returned %d hits", when, len(res))
		}
	}
	check(x, "after apply")
	x.Close()
	y := openT(t, dir, o)
	check(y, "replayed from the log")
	if err := y.Snapshot(); err != nil {
		t.Fatal(err)
	}
	y.Close()
	z := openT(t, dir, o)
	check(z, "loaded from the snapshot")
	cp, err := z.Compact(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := z.Install(cp); err != nil {
		t.Fatal(err)
	}
	check(z, "compacted")

	// A marker given a vector is found again; deleting one forgets it.
	applyT(t, z, 4, []Item{{ID: "blank", Vec: g.vec(9, 1)}}, []string{"nil"})
	if z.Empty() != 1 {
		t.Fatalf("%d IDs without a vector, want 1", z.Empty())
	}
	if res := z.Search(g.vec(9, 1), 1, nil); len(res) != 1 || res[0].ID != "blank" {
		t.Fatalf("the marker given a vector is not found: %v", res)
	}
	if _, ok := z.Slot("nil"); ok {
		t.Fatal("a deleted marker is still known")
	}
}
