package vector

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// copyDir copies a fixture directory, so opening it cannot change it.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// A version 1 snapshot (and the log after it), written by the code before
// version 2, loads into the same index as the same writes made now.
func TestSnapshotVersion1Loads(t *testing.T) {
	t.Parallel()
	o := Options{Dim: 8, ExactBelow: 40}
	dir := copyDir(t, filepath.Join("..", "..", "testdata", "vector", "v1"))
	old := openT(t, dir, o)
	g := newClustered(8, 5, 3)
	ref := openT(t, t.TempDir(), o)
	applyT(t, ref, 1, g.items(1, 0, 60), []string{docID(7)})
	applyT(t, ref, 2, g.items(1, 60, 65), []string{docID(8)})
	if old.Seq() != 2 || old.Len() != 63 || !old.c.g.on {
		t.Fatalf("version 1 fixture: Seq %d, Len %d, graph %v", old.Seq(), old.Len(), old.c.g.on)
	}
	sameState(t, state(old), state(ref))
	// Written again, it becomes version 2 and still holds the same.
	want := state(old)
	if err := old.Snapshot(); err != nil {
		t.Fatal(err)
	}
	old.Close()
	b, err := os.ReadFile(filepath.Join(dir, snapName))
	if err != nil {
		t.Fatal(err)
	}
	if b[4] != snapVersion {
		t.Errorf("rewritten snapshot has version %d", b[4])
	}
	sameState(t, state(openT(t, dir, o)), want)
}

// A loaded snapshot is used in place (mapped where possible): writes that
// change its arrays in place, upserts of existing vectors, deletions and
// graph relinking, must reach the index but never the file.
func TestSnapshotWritesStayInMemory(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 20, 4)
	o := Options{Dim: testDim, ExactBelow: 200, EfConstruction: 24}
	dir := t.TempDir()
	x := openT(t, dir, o)
	ref := openT(t, t.TempDir(), o)
	for _, ix := range []*Index{x, ref} {
		applyT(t, ix, 1, g.items(1, 0, 500), []string{docID(3)})
	}
	if err := x.Snapshot(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	snap, err := os.ReadFile(filepath.Join(dir, snapName))
	if err != nil {
		t.Fatal(err)
	}

	x = openT(t, dir, o)
	// New vectors for existing IDs, deletions, and a few new IDs.
	for _, ix := range []*Index{x, ref} {
		applyT(t, ix, 2, g.items(9, 10, 60), []string{docID(100), docID(101)})
		applyT(t, ix, 3, g.items(1, 500, 520), nil)
	}
	sameState(t, state(x), state(ref))
	q := g.vec(777, 2)
	if got, want := idsAndScores(x.Exact(q, 20, nil)), idsAndScores(ref.Exact(q, 20, nil)); !slices.Equal(got, want) {
		t.Errorf("exact results differ from an index never loaded:\n%v\n%v", got, want)
	}
	if r := recall(x, g, 50, 10, nil); r < 0.9 {
		t.Errorf("graph recall@10 %.3f after writes over a loaded snapshot", r)
	}
	if now, err := os.ReadFile(filepath.Join(dir, snapName)); err != nil || !bytes.Equal(now, snap) {
		t.Errorf("the snapshot file changed under writes (err %v)", err)
	}
	want := state(x)
	x.Close()
	sameState(t, state(openT(t, dir, o)), want)
}

// Any flipped byte or lost tail of a version 2 snapshot is refused.
func TestSnapshotCorruption(t *testing.T) {
	t.Parallel()
	g := newClustered(testDim, 10, 6)
	o := Options{Dim: testDim, ExactBelow: 50}
	dir := t.TempDir()
	x := openT(t, dir, o)
	applyT(t, x, 1, g.items(1, 0, 120), nil)
	if err := x.Snapshot(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	good, err := os.ReadFile(filepath.Join(dir, snapName))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{
		append(slices.Clone(good[:100]), append([]byte{good[100] ^ 1}, good[101:]...)...),
		append(slices.Clone(good[:len(good)-9]), good[len(good)-9]^0x80, good[len(good)-8], good[len(good)-7], good[len(good)-6], good[len(good)-5], good[len(good)-4], good[len(good)-3], good[len(good)-2], good[len(good)-1]),
		good[:len(good)-8],
		good[:40],
	} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, snapName), bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if y, err := Open(d, o); !errors.Is(err, errCorruptSnapshot) {
			if y != nil {
				y.Close()
			}
			t.Errorf("%d-byte damaged snapshot: %v", len(bad), err)
		}
	}
}

// Opening a version 1 index and closing it after a snapshot call rewrites
// it as version 2 even with nothing new written.
func TestSnapshotUpgradesVersion1(t *testing.T) {
	t.Parallel()
	dir := copyDir(t, filepath.Join("..", "..", "testdata", "vector", "v1"))
	o := Options{Dim: 8, ExactBelow: 40}
	x := openT(t, dir, o)
	if err := x.Snapshot(); err != nil { // folds the log in: seq 2 > 1
		t.Fatal(err)
	}
	x.Close()
	x = openT(t, dir, o)
	if x.rewrite {
		t.Error("a version 2 snapshot is marked for rewriting")
	}
	x.Close()
	// The same with an empty log: only the version asks for the rewrite.
	dir = copyDir(t, filepath.Join("..", "..", "testdata", "vector", "v1"))
	os.Remove(filepath.Join(dir, walName))
	x = openT(t, dir, o)
	if !x.rewrite {
		t.Error("a version 1 snapshot is not marked for rewriting")
	}
	if err := x.Snapshot(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if b, err := os.ReadFile(filepath.Join(dir, snapName)); err != nil || b[4] != snapVersion {
		t.Errorf("after Snapshot: version %d (%v)", b[4], err)
	}
}
