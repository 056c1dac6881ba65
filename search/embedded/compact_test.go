package embedded

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/quire-research/quire/search"
)

// Once many papers are deleted, a sync compacts the vector half: the
// deleted vectors go, slots are renumbered, and searches (filtered ones
// included, which map papers to slots) return what they returned before,
// also while the compaction runs.
func TestCompactVectors(t *testing.T) {
	const n = 1500
	x := synthIndex(t, n)
	ctx := context.Background()
	gone := map[string]bool{}
	var dels []string
	for s := range x.vec.idx.Slots() {
		if s%3 == 0 {
			id := x.vec.idx.ID(uint32(s))
			dels = append(dels, id)
			gone[id] = true
		}
	}
	if err := x.Apply(ctx, &search.Batch{Deletes: dels}); err != nil {
		t.Fatal(err)
	}
	var reqs []search.Request
	for _, q := range []string{"neural model data year:2005..2015", "graph learning", "protein folding -climate"} {
		for _, mode := range []string{search.ModeVector, search.ModeHybrid} {
			r, err := search.NewRequest(q, 20)
			if err != nil {
				t.Fatal(err)
			}
			r.Mode = mode
			reqs = append(reqs, r)
		}
	}
	run := func() [][]search.Hit {
		var out [][]search.Hit
		for _, r := range reqs {
			res, err := x.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Hits)
		}
		return out
	}
	before := run()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := x.Search(ctx, reqs[0])
			if err != nil {
				t.Error(err)
				return
			}
			for _, h := range res.Hits {
				if gone[h.ID] || h.Paper.Year < 2005 || h.Paper.Year > 2015 {
					t.Errorf("during compaction: hit %s (year %d, deleted %v)", h.ID, h.Paper.Year, gone[h.ID])
				}
			}
		}
	})
	var phases []string
	err := x.SyncVectors(ctx, func(ph string, done, total int) {
		if len(phases) == 0 || phases[len(phases)-1] != ph {
			phases = append(phases, ph)
		}
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(phases, "compact") {
		t.Errorf("sync phases %v, no compaction", phases)
	}
	if d, s := x.vec.idx.Deleted(), x.vec.idx.Slots(); d != 0 || s != n-len(dels) {
		t.Errorf("after the sync: %d deleted of %d slots, want 0 of %d", d, s, n-len(dels))
	}
	after := run()
	for i, r := range reqs {
		if len(before[i]) == 0 {
			t.Errorf("%s %q: no hits", r.Mode, r.Query.Text)
		}
		for j := range max(len(before[i]), len(after[i])) {
			if j >= len(before[i]) || j >= len(after[i]) || before[i][j].ID != after[i][j].ID || before[i][j].Score != after[i][j].Score {
				t.Errorf("%s %q: hits changed by compaction at rank %d", r.Mode, r.Query.Text, j+1)
				break
			}
		}
		for _, h := range after[i] {
			if gone[h.ID] {
				t.Errorf("%s %q: deleted paper %s returned", r.Mode, r.Query.Text, h.ID)
			}
		}
	}
	// A second sync has nothing to compact.
	phases = nil
	if err := x.SyncVectors(ctx, func(ph string, _, _ int) { phases = append(phases, ph) }); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(phases, "compact") {
		t.Error("compacted again with nothing deleted")
	}
}
