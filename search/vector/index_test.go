package vector

import (
	"cmp"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

const testDim = 37 // odd on purpose: exercises the kernels' tails

func openT(t *testing.T, dir string, o Options) *Index {
	t.Helper()
	if o.Dim == 0 {
		o.Dim = testDim
	}
	x, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func applyT(t *testing.T, x *Index, seq uint64, ups []Item, dels []string) {
	t.Helper()
	if err := x.Apply(seq, ups, dels); err != nil {
		t.Fatal(err)
	}
}

// state is everything observable about an index, for comparing two.
func state(x *Index) map[string][]float32 {
	ids := make([]string, 0)
	x.EachID(func(_ uint32, id []byte) { ids = append(ids, string(id)) })
	m := map[string][]float32{}
	for _, id := range ids {
		v, _ := x.Vector(id)
		m[id] = v
	}
	return m
}

func sameState(t *testing.T, got, want map[string][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d vectors, want %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Fatalf("%s missing", id)
		}
		for i := range w {
			if g[i] != w[i] {
				t.Fatalf("%s differs at %d", id, i)
			}
		}
	}
}

func TestApplySearchBasics(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 20, 1)
	x := openT(t, t.TempDir(), Options{})
	items := g.items(1, 0, 500)
	applyT(t, x, 1, items, nil)
	if x.Len() != 500 || x.Seq() != 1 {
		t.Fatalf("Len %d Seq %d", x.Len(), x.Seq())
	}
	// A stored vector finds itself first with cosine ≈ 1.
	for _, i := range []int{0, 17, 499} {
		res := x.Search(items[i].Vec, 5, nil)
		if len(res) != 5 || res[0].ID != items[i].ID {
			t.Fatalf("search %d: %+v", i, res)
		}
		if math.Abs(float64(res[0].Score)-1) > 0.02 {
			t.Fatalf("self score %v", res[0].Score)
		}
		if slot, ok := x.Slot(items[i].ID); !ok || slot != res[0].Slot || x.ID(slot) != items[i].ID {
			t.Fatalf("slot/id round trip for %s", items[i].ID)
		}
		v, ok := x.Vector(items[i].ID)
		if !ok {
			t.Fatal("no vector")
		}
		var dot float64
		for j := range v {
			dot += float64(v[j]) * float64(items[i].Vec[j])
		}
		if dot < 0.99 {
			t.Fatalf("dequantized vector off: cos %v", dot)
		}
	}
	// Upsert replaces in place; delete tombstones; unknown delete is a no-op.
	slot, _ := x.Slot(items[3].ID)
	applyT(t, x, 2, []Item{{ID: items[3].ID, Vec: items[4].Vec}}, []string{items[5].ID, "nope"})
	if s2, _ := x.Slot(items[3].ID); s2 != slot {
		t.Fatalf("upsert moved slot %d → %d", slot, s2)
	}
	if x.Len() != 499 {
		t.Fatalf("Len %d", x.Len())
	}
	if _, ok := x.Slot(items[5].ID); ok {
		t.Fatal("deleted ID still has a slot")
	}
	for _, r := range x.Search(items[5].Vec, 50, nil) {
		if r.ID == items[5].ID {
			t.Fatal("deleted vector returned")
		}
	}
	res := x.Search(items[4].Vec, 2, nil)
	if got := map[string]bool{res[0].ID: true, res[1].ID: true}; !got[items[3].ID] || !got[items[4].ID] {
		t.Fatalf("replaced vector not found: %+v", res)
	}
	// Errors.
	if err := x.Apply(2, nil, nil); !errors.Is(err, ErrSeq) {
		t.Fatalf("stale seq: %v", err)
	}
	if err := x.Apply(3, []Item{{ID: "short", Vec: []float32{1}}}, nil); !errors.Is(err, ErrDimMismatch) {
		t.Fatalf("short vector: %v", err)
	}
	if x.Seq() != 2 {
		t.Fatal("failed apply moved seq")
	}
	// Re-adding a deleted ID gives it a fresh slot.
	applyT(t, x, 3, []Item{{ID: items[5].ID, Vec: items[5].Vec}}, nil)
	if s, ok := x.Slot(items[5].ID); !ok || s != 500 {
		t.Fatalf("re-added slot %d %v", s, ok)
	}
	// EachID walks the live slots in order: the re-added ID last, its
	// old slot skipped.
	var walked []uint32
	x.EachID(func(s uint32, id []byte) {
		// x.c.ids directly: EachID holds the read lock.
		if got, ok := x.c.ids.lookup(string(id)); !ok || got != s {
			t.Errorf("EachID gave %q at slot %d; its slot is %d", id, s, got)
		}
		walked = append(walked, s)
	})
	if len(walked) != 500 || slices.Contains(walked, 5) || walked[499] != 500 || !slices.IsSorted(walked) {
		t.Fatalf("EachID walked %d slots, last %d, slot 5 included %v", len(walked), walked[len(walked)-1], slices.Contains(walked, 5))
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 20, 2)
	for _, snap := range []bool{false, true} {
		dir := t.TempDir()
		x, err := Open(dir, Options{Dim: testDim, ExactBelow: 300, EfConstruction: 24})
		if err != nil {
			t.Fatal(err)
		}
		applyT(t, x, 5, g.items(2, 0, 200), nil)
		applyT(t, x, 9, g.items(2, 200, 400), []string{docID(7)}) // crosses ExactBelow: graph
		if snap {
			if err := x.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
		applyT(t, x, 10, g.items(3, 0, 10), []string{docID(8)})
		want := state(x)
		q := g.vec(99, 1)
		wantRes := x.Exact(q, 10, nil)
		x.Close()

		y := openT(t, dir, Options{Dim: testDim, ExactBelow: 300, EfConstruction: 24})
		if y.Seq() != 10 || y.Len() != 399 {
			t.Fatalf("snap=%v: reopened Seq %d Len %d", snap, y.Seq(), y.Len())
		}
		sameState(t, state(y), want)
		got := y.Exact(q, 10, nil)
		for i := range wantRes {
			if got[i] != wantRes[i] {
				t.Fatalf("exact result %d: %+v vs %+v", i, got[i], wantRes[i])
			}
		}
		if !y.c.g.on {
			t.Fatal("graph not rebuilt")
		}
		if r := y.Search(q, 10, nil); len(r) != 10 {
			t.Fatalf("graph search after reopen: %d results", len(r))
		}
	}
}

func TestDimMismatch(t *testing.T) {
	t.Parallel()
	for _, snap := range []bool{false, true} {
		dir := t.TempDir()
		x := openT(t, dir, Options{})
		applyT(t, x, 1, newClustered(testDim, 2, 1).items(1, 0, 3), nil)
		if snap {
			if err := x.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
		x.Close()
		_, err := Open(dir, Options{Dim: testDim + 1})
		if !errors.Is(err, ErrDimMismatch) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("snap=%v: %v", snap, err)
		}
	}
}

// TestTornWAL simulates a crash mid-append: every cut inside the last
// record must reopen to exactly the state before it.
func TestTornWAL(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 5, 3)
	dir := t.TempDir()
	x, err := Open(dir, Options{Dim: testDim})
	if err != nil {
		t.Fatal(err)
	}
	applyT(t, x, 1, g.items(1, 0, 20), nil)
	applyT(t, x, 2, g.items(1, 20, 30), []string{docID(3)})
	want := state(x)
	path := filepath.Join(dir, walName)
	st, _ := os.Stat(path)
	good := st.Size()
	applyT(t, x, 3, g.items(1, 30, 40), []string{docID(4)})
	x.Close()
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int64{good + 1, good + 7, good + 8, good + 30, int64(len(full)) - 1} {
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		y, err := Open(dir, Options{Dim: testDim})
		if err != nil {
			t.Fatal(err)
		}
		if y.Seq() != 2 {
			t.Fatalf("cut %d: Seq %d", cut, y.Seq())
		}
		sameState(t, state(y), want)
		// The torn tail is gone and appends land after the good records.
		applyT(t, y, 3, g.items(1, 40, 41), nil)
		y.Close()
		z, err := Open(dir, Options{Dim: testDim})
		if err != nil {
			t.Fatal(err)
		}
		if z.Seq() != 3 || z.Len() != 30 {
			t.Fatalf("cut %d: after append Seq %d Len %d", cut, z.Seq(), z.Len())
		}
		z.Close()
	}
	// A flipped byte in the middle of a record is caught by the checksum.
	bad := append([]byte(nil), full...)
	bad[good+20] ^= 0xff
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	y := openT(t, dir, Options{Dim: testDim})
	if y.Seq() != 2 {
		t.Fatalf("corrupt record: Seq %d", y.Seq())
	}
	sameState(t, state(y), want)
}

func TestRollback(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 5, 4)
	dir := t.TempDir()
	x := openT(t, dir, Options{Dim: testDim, ExactBelow: 50})
	applyT(t, x, 1, g.items(1, 0, 40), nil)
	applyT(t, x, 2, g.items(1, 40, 60), nil) // graph on
	want2 := state(x)
	applyT(t, x, 3, g.items(1, 60, 70), []string{docID(1)})
	applyT(t, x, 4, []Item{{ID: docID(2), Vec: g.vec(9, 9)}}, nil)
	if err := x.Rollback(2); err != nil {
		t.Fatal(err)
	}
	if x.Seq() != 2 {
		t.Fatalf("Seq %d", x.Seq())
	}
	sameState(t, state(x), want2)
	// Rolled-back ops stay gone after reopen, and seq 3 can be reused.
	applyT(t, x, 3, g.items(2, 0, 5), nil)
	x.Close()
	y := openT(t, dir, Options{Dim: testDim, ExactBelow: 50})
	if y.Seq() != 3 || y.Len() != 60 {
		t.Fatalf("reopen Seq %d Len %d", y.Seq(), y.Len())
	}
	if err := y.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := y.Rollback(2); !errors.Is(err, ErrSnapshotted) {
		t.Fatalf("rollback past snapshot: %v", err)
	}
	if err := y.Rollback(3); err != nil {
		t.Fatalf("rollback to current: %v", err)
	}
	applyT(t, y, 4, g.items(3, 0, 5), nil)
	if err := y.Rollback(3); err != nil || y.Len() != 60 {
		t.Fatalf("rollback after snapshot: %v, Len %d", err, y.Len())
	}
}

// recall@k of Search against Exact over nq held-out queries.
func recall(x *Index, g *clustered, nq, k int, allow *roaring.Bitmap) float64 {
	hit, total := 0, 0
	for i := range nq {
		q := g.vec(777, uint64(i))
		truth := x.Exact(q, k, allow)
		got := map[uint32]bool{}
		for _, r := range x.Search(q, k, allow) {
			got[r.Slot] = true
		}
		for _, r := range truth {
			if got[r.Slot] {
				hit++
			}
		}
		total += len(truth)
	}
	return float64(hit) / float64(total)
}

func TestGraphRecallAndFilters(t *testing.T) {
	t.Parallel()
	const n = 3000
	g := newClustered(32, 50, 5)
	x := openT(t, t.TempDir(), Options{Dim: 32, ExactBelow: 1000, EfConstruction: 48})
	applyT(t, x, 1, g.items(1, 0, 800), nil)
	if x.c.g.on {
		t.Fatal("graph built below ExactBelow")
	}
	applyT(t, x, 2, g.items(1, 800, n/2), nil) // builds the graph
	applyT(t, x, 3, g.items(1, n/2, n), nil)   // links incrementally
	if r := recall(x, g, 30, 10, nil); r < 0.95 {
		t.Fatalf("recall@10 %.3f", r)
	}
	// The graph scores a hit as the scan does: fusion and --explain read
	// the score, not only the order.
	for i := range 10 {
		q := g.vec(555, uint64(i))
		exact := map[string]float32{}
		for _, r := range x.Exact(q, 50, nil) {
			exact[r.ID] = r.Score
		}
		for _, r := range x.Search(q, 10, nil) {
			if e, ok := exact[r.ID]; ok && math.Abs(float64(e-r.Score)) > 1e-4 {
				t.Fatalf("%s: graph score %.5f, exact %.5f", r.ID, r.Score, e)
			}
		}
	}
	// Deleted nodes are never returned.
	var dels []string
	for i := 0; i < n; i += 3 {
		dels = append(dels, docID(i))
	}
	applyT(t, x, 4, nil, dels)
	for i := range 20 {
		for _, r := range x.Search(g.vec(777, uint64(i)), 20, nil) {
			if x.ID(r.Slot) == "" {
				t.Fatalf("deleted slot %d returned", r.Slot)
			}
		}
	}
	if r := recall(x, g, 30, 10, nil); r < 0.9 {
		t.Fatalf("recall@10 with deletions %.3f", r)
	}
	// Filters of every size return k allowed results whenever k exist.
	for _, every := range []int{1, 2, 7, 50, 400, 1000} {
		allow := roaring.New()
		for s := 0; s < n; s += every {
			allow.Add(uint32(s))
		}
		live := 0
		for _, s := range allow.ToArray() {
			if x.ID(s) != "" {
				live++
			}
		}
		for i := range 10 {
			res := x.Search(g.vec(777, uint64(i)), 10, allow)
			if len(res) != min(10, live) {
				t.Fatalf("every %d: %d results, %d allowed live", every, len(res), live)
			}
			for _, r := range res {
				if !allow.Contains(r.Slot) || x.ID(r.Slot) == "" {
					t.Fatalf("every %d: slot %d not allowed", every, r.Slot)
				}
			}
		}
		if r := recall(x, g, 10, 10, allow); r < 0.85 {
			t.Fatalf("every %d: filtered recall %.3f", every, r)
		}
	}
}

func TestConcurrentSearchAndApply(t *testing.T) {
	t.Parallel()
	g := newClustered(16, 10, 6)
	x := openT(t, t.TempDir(), Options{Dim: 16, ExactBelow: 200, EfConstruction: 16})
	applyT(t, x, 1, g.items(1, 0, 300), nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 3 {
		wg.Go(func() {
			for i := uint64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := g.vec(uint64(100+r), i)
				if len(x.Search(q, 5, nil)) != 5 {
					t.Error("short result")
					return
				}
				x.Exact(q, 5, nil)
			}
		})
	}
	for seq := uint64(2); seq < 8; seq++ {
		lo := int(seq) * 50
		applyT(t, x, seq, g.items(1, 300+lo, 350+lo), []string{docID(lo)})
		if seq == 5 {
			if err := x.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
}

// A filtered walk that costs more similarities than scanning the allowed
// vectors would stops, and the search scans them instead.
func TestFilteredWalkBudget(t *testing.T) {
	t.Parallel()
	g := newClustered(32, 50, 5)
	x := openT(t, t.TempDir(), Options{Dim: 32, ExactBelow: 1000, EfConstruction: 48, FilterScanBelow: 1})
	applyT(t, x, 1, g.items(1, 0, 3000), nil)
	allow := roaring.New()
	for s := 0; s < 3000; s += 100 {
		allow.Add(uint32(s))
	}
	walk := func(q []float32, budget int) bool {
		s := x.c.getSearcher()
		defer x.c.putSearcher(s)
		qs, _ := quantizeQuery(s, q)
		f := filter{allow: allow, budget: budget}
		x.c.search(s, query{s.q16, qs}, 256, &f, false)
		return f.exhausted
	}
	for i := range 10 {
		q := g.vec(321, uint64(i))
		if !walk(q, int(allow.GetCardinality())) {
			t.Fatalf("query %d: a walk over 30 allowed of 3,000 stayed within a budget of 30", i)
		}
		if walk(q, 1<<30) {
			t.Fatalf("query %d: an unlimited walk ran out of budget", i)
		}
		got, want := x.Search(q, 10, allow), x.Exact(q, 10, allow)
		if len(got) != len(want) {
			t.Fatalf("query %d: %d results, exact %d", i, len(got), len(want))
		}
		for j := range want {
			if got[j].ID != want[j].ID {
				t.Fatalf("query %d rank %d: %s, exact %s", i, j, got[j].ID, want[j].ID)
			}
		}
	}
}

// A filtered scan, dense or sparse, finds what comparing every allowed
// vector by hand finds.
func TestFilteredScanMatchesBruteForce(t *testing.T) {
	t.Parallel()
	const n = 5000
	g := newClustered(32, 40, 9)
	x := openT(t, t.TempDir(), Options{Dim: 32})
	applyT(t, x, 1, g.items(1, 0, n), []string{docID(7), docID(4001)})
	for _, every := range []int{1, 2, 3, 7, 60} {
		allow := roaring.New()
		for s := 0; s < n; s += every {
			allow.Add(uint32(s))
		}
		for i := range 5 {
			q := g.vec(44, uint64(i))
			got := x.Exact(q, 20, allow)
			// By hand: the int8 dot of every allowed live vector.
			s := x.c.getSearcher()
			qs, _ := quantizeQuery(s, q)
			var want []Result
			for _, slot := range allow.ToArray() {
				if x.c.isDeleted(slot) {
					continue
				}
				var d [1]int32
				dotsInt8Generic(s.q16, x.c.codes[int(slot)*32:int(slot+1)*32], 1, 32, d[:])
				want = append(want, Result{Slot: slot, Score: float32(d[0]) * x.c.scales[slot] * qs})
			}
			x.c.putSearcher(s)
			slices.SortFunc(want, func(a, b Result) int { return cmp.Compare(b.Score, a.Score) })
			want = want[:20]
			for j := range want {
				if math.Abs(float64(got[j].Score-want[j].Score)) > 1e-6 {
					t.Fatalf("every %d query %d rank %d: scan %.6f (slot %d), by hand %.6f (slot %d)", every, i, j, got[j].Score, got[j].Slot, want[j].Score, want[j].Slot)
				}
			}
		}
	}
}

// Trim returns the arrays' growth room without changing what the index
// holds, and the index keeps growing afterwards.
func TestTrim(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 20, 5)
	x := openT(t, t.TempDir(), Options{Dim: testDim, ExactBelow: 300, EfConstruction: 24})
	for i := range 6 {
		applyT(t, x, uint64(i+1), g.items(1, i*100, (i+1)*100), nil)
	}
	q := g.vec(77, 1)
	before, want := x.MemBytes(), x.Search(q, 10, nil)
	x.Trim()
	c := x.c
	if cap(c.codes) != len(c.codes) || cap(c.g.l0) != len(c.g.l0) {
		t.Errorf("codes %d/%d, l0 %d/%d (len/cap) after Trim", len(c.codes), cap(c.codes), len(c.g.l0), cap(c.g.l0))
	}
	if after := x.MemBytes(); after >= before {
		t.Errorf("MemBytes %d before Trim, %d after", before, after)
	}
	if got := x.Search(q, 10, nil); !slices.Equal(got, want) {
		t.Errorf("search changed by the trim:\n%v\n%v", got, want)
	}
	applyT(t, x, 7, g.items(1, 600, 700), nil)
	if x.Len() != 700 || len(x.Search(q, 10, nil)) != 10 {
		t.Errorf("after growing again: Len %d", x.Len())
	}
}
