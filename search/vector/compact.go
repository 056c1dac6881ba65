package vector

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Compaction is a copy of an index without its deleted vectors, built by
// Compact and put in place by Install.
type Compaction struct {
	x       *Index
	c       *core
	seq     uint64
	dropped int
}

// Dropped is the number of deleted slots the compaction removes.
func (cp *Compaction) Dropped() int { return cp.dropped }

// Compact builds a copy of the index holding only live vectors, renumbered
// densely in slot order, with the graph rebuilt over them (a graph with
// holes routes worse than one built without them). Deleted vectors
// otherwise stay in memory and in every scan for good. Searches go on
// while it runs; writes wait. The copy takes effect only through Install,
// because slot numbers change and a caller that maps its own documents to
// slots must switch over at the same moment. progress, when not nil, is
// told how many vectors are linked into the new graph, a few times a
// second; cancelling ctx abandons the copy.
func (x *Index) Compact(ctx context.Context, progress func(done, total int)) (*Compaction, error) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return nil, ErrClosed
	}
	// Only writers change the core, and they are shut out, so it can be
	// read without the read lock.
	old := x.c
	graph := old.g.on && old.live() >= x.opt.ExactBelow
	var done atomic.Int64
	if progress != nil {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		defer wg.Wait() // no call after return
		defer close(stop)
		wg.Go(func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					progress(int(done.Load()), old.live())
				}
			}
		})
	}
	nc := old.compacted(ctx, x.params(), graph, &done)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Compaction{x: x, c: nc, seq: x.seq, dropped: old.ndel}, nil
}

// Install replaces the index's vectors with the compaction's. It fails if
// anything was written since Compact. Slots change: every slot obtained
// before it is void. The snapshot on disk keeps the old layout until the
// next Snapshot, which is consistent either way since the log records IDs.
func (x *Index) Install(cp *Compaction) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if cp.x != x {
		return fmt.Errorf("vector index %s: install: compaction of another index", x.dir)
	}
	if cp.seq != x.seq {
		return fmt.Errorf("vector index %s: install: written since the compaction (%d, now %d)", x.dir, cp.seq, x.seq)
	}
	x.mu.Lock()
	old := x.c
	x.c = cp.c
	old.drop()
	x.mu.Unlock()
	x.rewrite = true
	return nil
}

// Deleted is the number of deleted vectors the index still holds.
func (x *Index) Deleted() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return 0
	}
	return x.c.ndel
}

// compacted returns a copy of c with only its live slots, in order, and
// the graph linked afresh over them when graph is set.
func (c *core) compacted(ctx context.Context, p graphParams, graph bool, done *atomic.Int64) *core {
	n := c.live()
	nc := newCore(c.dim, c.workers, p)
	nc.codes = make([]int8, 0, n*c.dim)
	nc.scales = make([]float32, 0, n)
	nc.deleted = make([]uint64, (n+63)/64)
	nc.ids.off = make([]uint32, 1, n+1)
	nc.ids.rehashFor(n)
	for s := range uint32(c.slots()) {
		if c.isDeleted(s) {
			continue
		}
		nc.ids.appendSlot(c.ids.id(s))
		nc.codes = append(nc.codes, c.codes[int(s)*c.dim:int(s+1)*c.dim]...)
		nc.scales = append(nc.scales, c.scales[s])
	}
	nc.ids.arena = clip(nc.ids.arena)
	nc.nempty = c.nempty
	if graph {
		g := &nc.g
		g.on = true
		g.reserve(n)
		slots := make([]uint32, n)
		for s := range uint32(n) {
			g.addSlot(s)
			slots[s] = s
		}
		nc.linkAllCtx(ctx, nc.withVectors(slots), done)
		g.up = clip(g.up)
	}
	return nc
}
