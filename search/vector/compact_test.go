package vector

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// idsAndScores drops slots, which compaction renumbers.
func idsAndScores(rs []Result) []Result {
	out := make([]Result, len(rs))
	for i, r := range rs {
		out[i] = Result{ID: r.ID, Score: r.Score}
	}
	return out
}

func TestCompact(t *testing.T) {
	t.Parallel()
	const n = 3000
	g := newClustered(32, 50, 5)
	dir := t.TempDir()
	o := Options{Dim: 32, ExactBelow: 1000, EfConstruction: 48}
	x := openT(t, dir, o)
	applyT(t, x, 1, g.items(1, 0, n), nil)
	var dels []string
	for i := 0; i < n; i += 3 {
		dels = append(dels, docID(i))
	}
	applyT(t, x, 2, nil, dels)
	want := state(x)
	q := g.vec(777, 3)
	exact := idsAndScores(x.Exact(q, 50, nil))

	cp, err := x.Compact(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Dropped() != len(dels) {
		t.Errorf("Dropped %d, want %d", cp.Dropped(), len(dels))
	}
	// Nothing changes until Install.
	if x.Deleted() != len(dels) || x.Slots() != n {
		t.Errorf("before Install: Deleted %d, Slots %d", x.Deleted(), x.Slots())
	}
	if err := x.Install(cp); err != nil {
		t.Fatal(err)
	}
	live := n - len(dels)
	if x.Deleted() != 0 || x.Slots() != live || x.Len() != live {
		t.Fatalf("after Install: Deleted %d, Slots %d, Len %d; want 0, %d, %d", x.Deleted(), x.Slots(), x.Len(), live, live)
	}
	sameState(t, state(x), want)
	if got := idsAndScores(x.Exact(q, 50, nil)); !slices.Equal(got, exact) {
		t.Errorf("exact search changed by compaction:\n%v\n%v", got, exact)
	}
	for s := range uint32(live) {
		id := x.ID(s)
		if slot, ok := x.Slot(id); !ok || slot != s {
			t.Fatalf("slot %d holds %q, which maps to %d, %v", s, id, slot, ok)
		}
	}
	if r := recall(x, g, 100, 10, nil); r < 0.95 {
		t.Errorf("graph recall@10 after compaction %.3f, want ≥ 0.95", r)
	}

	// Writes go on, and a compaction overtaken by a write is refused.
	stale, err := x.Compact(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	applyT(t, x, 3, g.items(1, n, n+10), []string{docID(1)})
	if err := x.Install(stale); err == nil {
		t.Error("Install after a write succeeded")
	}
	if _, ok := x.Vector(docID(n + 5)); !ok || x.Len() != live+9 {
		t.Errorf("after a write: Len %d, want %d", x.Len(), live+9)
	}

	// The compacted layout survives a snapshot and a reopen; before the
	// snapshot, a reopen rebuilds the old layout from the log, with the
	// same vectors.
	want = state(x)
	x.Close()
	x = openT(t, dir, o)
	sameState(t, state(x), want)
	cp, err = x.Compact(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Install(cp); err != nil {
		t.Fatal(err)
	}
	if err := x.Snapshot(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x = openT(t, dir, o)
	sameState(t, state(x), want)
	if x.Deleted() != 0 || x.Slots() != live+9 {
		t.Errorf("reopened: Deleted %d, Slots %d, want 0, %d", x.Deleted(), x.Slots(), live+9)
	}
}

// A compaction that leaves fewer live vectors than ExactBelow drops the
// graph; adding vectors builds it again.
func TestCompactBelowExact(t *testing.T) {
	t.Parallel()
	g := newClustered(32, 20, 9)
	x := openT(t, t.TempDir(), Options{Dim: 32, ExactBelow: 500})
	applyT(t, x, 1, g.items(1, 0, 600), nil)
	var dels []string
	for i := range 300 {
		dels = append(dels, docID(i))
	}
	applyT(t, x, 2, nil, dels)
	cp, err := x.Compact(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Install(cp); err != nil {
		t.Fatal(err)
	}
	if x.c.g.on {
		t.Error("graph kept over 300 vectors with ExactBelow 500")
	}
	q := g.vec(777, 1)
	if got, want := x.Search(q, 10, nil), x.Exact(q, 10, nil); !slices.Equal(got, want) {
		t.Errorf("scan after compaction differs from exact:\n%v\n%v", got, want)
	}
	applyT(t, x, 3, g.items(1, 600, 900), nil)
	if !x.c.g.on || x.Len() != 600 {
		t.Errorf("graph on %v, Len %d after growing past ExactBelow", x.c.g.on, x.Len())
	}
	if r := recall(x, g, 50, 10, nil); r < 0.9 {
		t.Errorf("recall@10 %.3f after regrowing the graph", r)
	}
}

func TestCompactCancel(t *testing.T) {
	t.Parallel()
	g := newClustered(32, 20, 9)
	x := openT(t, t.TempDir(), Options{Dim: 32, ExactBelow: 100})
	applyT(t, x, 1, g.items(1, 0, 2000), []string{docID(5)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if cp, err := x.Compact(ctx, nil); err == nil || cp != nil {
		t.Fatalf("cancelled Compact: %v, %v", cp, err)
	}
	if x.Deleted() != 1 || x.Len() != 1999 {
		t.Errorf("after a cancelled compaction: Deleted %d, Len %d", x.Deleted(), x.Len())
	}
	var last int
	cp, err := x.Compact(context.Background(), func(done, total int) {
		if total != 1999 || done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	})
	if err != nil || cp.Dropped() != 1 {
		t.Fatalf("Compact: %v", err)
	}
}

// A snapshot with nothing new to write leaves the file alone; a write or
// an installed compaction (same sequence number, new layout) does not.
func TestSnapshotOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	g := newClustered(32, 20, 9)
	dir := t.TempDir()
	o := Options{Dim: 32, ExactBelow: 100}
	x := openT(t, dir, o)
	applyT(t, x, 1, g.items(1, 0, 400), nil)
	file := func() os.FileInfo {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, snapName))
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	snap := func() {
		t.Helper()
		if err := x.Snapshot(); err != nil {
			t.Fatal(err)
		}
	}
	snap()
	first := file()
	snap()
	if !os.SameFile(first, file()) {
		t.Error("an unchanged index wrote a new snapshot")
	}
	applyT(t, x, 2, nil, []string{docID(1), docID(2)})
	snap()
	second := file()
	if os.SameFile(first, second) {
		t.Error("a write did not lead to a new snapshot")
	}
	cp, err := x.Compact(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Install(cp); err != nil {
		t.Fatal(err)
	}
	snap()
	if os.SameFile(second, file()) {
		t.Error("a compaction did not lead to a new snapshot")
	}
	x.Close()
	x = openT(t, dir, o)
	if x.Deleted() != 0 || x.Slots() != 398 {
		t.Errorf("reopened: %d deleted of %d slots, want 0 of 398", x.Deleted(), x.Slots())
	}
}
