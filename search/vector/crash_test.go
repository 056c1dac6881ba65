package vector

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// crashOp is one step of the power-loss workload.
type crashOp struct {
	name string
	run  func(x *Index) error
}

func crashWorkload(g *clustered) []crashOp {
	apply := func(seq uint64, ups []Item, dels ...string) crashOp {
		return crashOp{fmt.Sprintf("Apply(%d)", seq), func(x *Index) error { return x.Apply(seq, ups, dels) }}
	}
	snapshot := crashOp{"Snapshot", func(x *Index) error { return x.Snapshot() }}
	rollback := func(seq uint64) crashOp {
		return crashOp{fmt.Sprintf("Rollback(%d)", seq), func(x *Index) error { return x.Rollback(seq) }}
	}
	var dels []string
	for i := 41; i < 46; i++ {
		dels = append(dels, docID(i))
	}
	return []crashOp{
		apply(1, g.items(1, 0, 24)),
		apply(2, g.items(1, 24, 40), docID(3), docID(5)),
		snapshot,
		apply(3, g.items(2, 0, 10), docID(7)),
		rollback(2),
		apply(3, g.items(3, 40, 60)), // seq 3 again, as after a primary store's rollback
		snapshot,                     // with the graph (ExactBelow 30)
		apply(4, append(g.items(1, 60, 64), Item{ID: "no-vector"}), dels...), // an ID recorded without a vector
		apply(5, g.items(4, 10, 20)),
		rollback(4),
		apply(5, nil, docID(0)),
		snapshot,
		apply(6, g.items(1, 64, 70)),
	}
}

// durableState is what a reopened index must match.
type durableState struct {
	seq  uint64
	vecs map[string][]float32
}

func stateOf(x *Index) durableState { return durableState{x.Seq(), state(x)} }

func (s durableState) equal(o durableState) bool {
	if s.seq != o.seq || len(s.vecs) != len(o.vecs) {
		return false
	}
	for id, v := range s.vecs {
		w, ok := o.vecs[id]
		if !ok || len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}

// TestPowerLoss cuts the power before every change the index makes to its
// files (each create, mkdir, write, truncate, sync, rename, remove and
// directory sync of a workload of applies, deletes, snapshots and
// rollbacks; snapshots are written in 512-byte pieces so the cut falls
// between many of their writes), in four modes of what unsynced writes
// leave behind, and reopens what survives. The rule: every operation
// that returned nil is there, the one cut short is there whole or not at
// all, the index opens (a torn log tail is cut off) and appends after it
// survive the next reopen.
func TestPowerLoss(t *testing.T) {
	old := snapBuffer
	snapBuffer = 512
	t.Cleanup(func() { snapBuffer = old }) // after the parallel subtests
	g := newClustered(testDim, 6, 17)
	ops := crashWorkload(g)
	opt := Options{Dim: testDim, ExactBelow: 30, Workers: 1}

	// The state after each operation, without faults.
	ref := openT(t, t.TempDir(), opt)
	want := []durableState{stateOf(ref)}
	for _, op := range ops {
		if err := op.run(ref); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		want = append(want, stateOf(ref))
	}

	for _, mode := range []crashMode{dropUnsynced, tornTail, zeroTail, keepUnsynced} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			t.Logf("%d power cuts, every one recovered", powerCuts(t, mode, ops, opt, want))
		})
	}
}

// powerCuts runs ops with the power cut before each change in turn, then
// checks what survives in mode, and returns how many cuts it made.
func powerCuts(t *testing.T, mode crashMode, ops []crashOp, opt Options, want []durableState) int {
	cuts := 0
	for cut := 1; ; cut++ {
		root := t.TempDir()
		cfs := newCrashFS(root)
		cfs.cutAt = cut
		o := opt
		o.fs = cfs
		dir := filepath.Join(root, "vectors", "index")
		done, inFlight := 0, "Open"
		x, openErr := Open(dir, o)
		if openErr == nil {
			for _, op := range ops {
				inFlight = op.name
				if op.run(x) != nil {
					break
				}
				done++
			}
			x.Close()
		}
		if !cfs.cut {
			break // the workload ran to the end: every point was cut
		}
		cuts++
		where := fmt.Sprintf("%s, power cut in %s before %q (after %d changes: %s)", mode, inFlight, cfs.lost, len(cfs.trace), strings.Join(cfs.trace[max(0, len(cfs.trace)-4):], "; "))
		if err := cfs.Crash(mode); err != nil {
			t.Fatal(err)
		}
		checkRecovered(t, where, dir, o, want[done], want[min(done+1, len(ops))], openErr == nil)
	}
	return cuts
}

// checkRecovered reopens dir after a power cut and checks it holds
// acked, or next if the operation in flight was opened at all.
func checkRecovered(t *testing.T, where, dir string, o Options, acked, next durableState, opened bool) {
	t.Helper()
	y, err := Open(dir, o)
	if err != nil {
		t.Fatalf("%s: reopen: %v", where, err)
	}
	got := stateOf(y)
	if !got.equal(acked) && !(opened && got.equal(next)) {
		y.Close()
		t.Fatalf("%s: reopened at seq %d with %d vectors; want the acknowledged seq %d with %d vectors, or the one in flight (seq %d, %d vectors)",
			where, got.seq, len(got.vecs), acked.seq, len(acked.vecs), next.seq, len(next.vecs))
	}
	// A torn tail is cut off, so the next append lands right after the
	// good records and survives a reopen.
	if st, err := os.Stat(filepath.Join(dir, walName)); err != nil || st.Size() != y.walEnd {
		t.Fatalf("%s: log not cut to its intact records (%v, end %d)", where, err, y.walEnd)
	}
	after := Item{ID: "after-crash", Vec: make([]float32, testDim)}
	after.Vec[0] = 1
	if err := y.Apply(got.seq+1, []Item{after}, nil); err != nil {
		t.Fatalf("%s: apply after the crash: %v", where, err)
	}
	y.Close()
	z, err := Open(dir, o)
	if err != nil {
		t.Fatalf("%s: second reopen: %v", where, err)
	}
	defer z.Close()
	if _, ok := z.Slot("after-crash"); !ok || z.Seq() != got.seq+1 || z.Len() != len(got.vecs)+1 {
		t.Fatalf("%s: the append after the crash was lost (seq %d, %d vectors)", where, z.Seq(), z.Len())
	}
}
