package vector

import (
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// core is the in-memory index: quantized vectors, tombstones, IDs and the
// graph. It does no I/O and no locking of its own beyond what parallel graph
// construction needs; Index serialises writers and readers around it.
type core struct {
	dim     int
	workers int

	codes   []int8    // slot*dim .. (slot+1)*dim
	scales  []float32 // per slot: unit vector ≈ scale·codes
	deleted []uint64  // tombstone bitmap over slots
	ndel    int
	// nempty counts live slots with no vector (scale 0): IDs an embedder
	// found nothing to embed in. They are known (looked up, counted as
	// live) but never linked into the graph and never a search result.
	nempty int
	ids    *idTable

	g graph

	freeMu sync.Mutex
	free   []*searcher

	// release unmaps the loaded snapshot the arrays may lie in; nil when
	// they are all on the heap.
	release func()
}

// drop gives back the core's loaded snapshot, once nothing can read the
// core any more (callers hold the write lock and have let go of it).
func (c *core) drop() {
	if c != nil && c.release != nil {
		c.release()
		c.release = nil
	}
}

func newCore(dim, workers int, g graphParams) *core {
	c := &core{dim: dim, workers: workers, ids: newIDTable()}
	c.g.init(g)
	return c
}

func (c *core) slots() int { return len(c.scales) }
func (c *core) live() int  { return c.slots() - c.ndel }

// empty reports a slot that holds no vector (see core.nempty).
func (c *core) empty(slot uint32) bool { return c.scales[slot] == 0 }

// withVectors drops the slots that hold no vector, in place.
func (c *core) withVectors(slots []uint32) []uint32 {
	if c.nempty == 0 {
		return slots
	}
	out := slots[:0]
	for _, s := range slots {
		if !c.empty(s) {
			out = append(out, s)
		}
	}
	return out
}

func (c *core) isDeleted(slot uint32) bool {
	return c.deleted[slot/64]&(1<<(slot%64)) != 0
}

// growSlice makes room for n more elements, with 1/16 slack so a stream of
// small batches reallocates rarely without holding much spare memory.
func growSlice[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	c := len(s) + n
	c += c / 16
	ns := make([]T, len(s), c)
	copy(ns, s)
	return ns
}

// trim gives back the spare capacity growSlice leaves (up to 1/16 of each
// array; about 10 MiB after building a million vectors). Appends after it
// grow again as usual.
func (c *core) trim() {
	c.codes, c.scales = clip(c.codes), clip(c.scales)
	c.g.l0, c.g.l0n, c.g.level, c.g.up = clip(c.g.l0), clip(c.g.l0n), clip(c.g.level), clip(c.g.up)
	c.ids.arena, c.ids.off = clip(c.ids.arena), clip(c.ids.off)
}

// clip copies s into an exactly sized array when more than 1/256 of its
// capacity is spare.
func clip[T any](s []T) []T {
	if cap(s)-len(s) <= cap(s)/256 {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}

// batch is one Apply, already validated and quantized.
type batch struct {
	seq    uint64
	ids    []string
	scales []float32
	codes  []int8 // len(ids)*dim
	dels   []string
}

// apply runs a batch: upserts first, then deletes. It returns the slots
// whose vectors are new or changed and need linking into the graph.
func (c *core) apply(b *batch) []uint32 {
	dim := c.dim
	n := len(b.ids)
	c.codes = growSlice(c.codes, n*dim)
	c.scales = growSlice(c.scales, n)
	var touched []uint32
	var seen map[uint32]bool
	if n > 0 {
		seen = make(map[uint32]bool, n)
	}
	for i, id := range b.ids {
		code := b.codes[i*dim : (i+1)*dim]
		slot, ok := c.ids.lookup(id)
		if b.scales[i] == 0 {
			c.nempty++
		}
		if ok {
			if c.empty(slot) {
				c.nempty--
			}
			copy(c.codes[int(slot)*dim:], code)
			c.scales[slot] = b.scales[i]
		} else {
			slot = c.ids.appendSlot(id)
			c.codes = append(c.codes, code...)
			c.scales = append(c.scales, b.scales[i])
			if w := (c.slots() + 63) / 64; w > len(c.deleted) {
				c.deleted = append(c.deleted, 0)
			}
			if c.g.on {
				c.g.addSlot(slot)
			}
		}
		if !seen[slot] {
			seen[slot] = true
			touched = append(touched, slot)
		}
	}
	for _, id := range b.dels {
		slot, ok := c.ids.lookup(id)
		if !ok {
			continue
		}
		c.ids.remove(id)
		c.deleted[slot/64] |= 1 << (slot % 64)
		c.ndel++
		if c.empty(slot) {
			c.nempty--
		}
	}
	return touched
}

// getSearcher hands out per-goroutine scratch space.
func (c *core) getSearcher() *searcher {
	c.freeMu.Lock()
	defer c.freeMu.Unlock()
	if n := len(c.free); n > 0 {
		s := c.free[n-1]
		c.free = c.free[:n-1]
		return s
	}
	return newSearcher(c.dim)
}

func (c *core) putSearcher(s *searcher) {
	c.freeMu.Lock()
	c.free = append(c.free, s)
	c.freeMu.Unlock()
}

// query is a quantized query.
type query struct {
	q16   []int16
	scale float32 // query ≈ scale·q16, relative to the unit query
}

// topK keeps the k best nodes seen.
type topK struct {
	k int
	h minHeap
}

func (t *topK) offer(sim float32, slot uint32) {
	if len(t.h) < t.k {
		t.h.push(node{sim, slot})
	} else if sim > t.h[0].sim {
		t.h.replaceTop(node{sim, slot})
	}
}

const scanBlock = 1024

// exactAll scans every live slot. Large scans are split across workers.
func (c *core) exactAll(q query, k int) []node {
	n := c.slots()
	workers := c.workers
	if per := 1 << 16; n < workers*per {
		workers = max(1, n/per)
	}
	parts := make([]topK, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		parts[w] = topK{k: k, h: make(minHeap, 0, k)}
		scan := func() {
			c.scanRange(q.q16, lo, hi, &parts[w])
		}
		if w == workers-1 {
			scan()
		} else {
			wg.Go(scan)
		}
	}
	wg.Wait()
	return mergeTop(parts, k)
}

func (c *core) scanRange(q16 []int16, lo, hi int, t *topK) {
	dim := c.dim
	var buf [scanBlock]int32
	hasDel := c.ndel > 0
	for b := lo; b < hi; b += scanBlock {
		m := min(scanBlock, hi-b)
		dotsInt8(q16, c.codes[b*dim:(b+m)*dim], m, dim, buf[:m])
		sc := c.scales[b : b+m]
		for i, d := range buf[:m] {
			s := float32(d) * sc[i]
			if len(t.h) == t.k && s <= t.h[0].sim {
				continue
			}
			slot := uint32(b + i)
			if hasDel && c.isDeleted(slot) || sc[i] == 0 {
				continue
			}
			t.offer(s, slot)
		}
	}
}

// exactAllowed scans the live slots allow holds. Workers take slot ranges
// and read the bitmap themselves: turning a third of a million slots into
// one array first took 3 ms on one core.
func (c *core) exactAllowed(q query, k int, allow *roaring.Bitmap) []node {
	n := c.slots()
	workers := c.workers
	if card, per := allow.GetCardinality(), uint64(1<<14); card < uint64(workers)*per {
		workers = max(1, int(card/per))
	}
	parts := make([]topK, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := uint32(n*w/workers), uint32(n*(w+1)/workers)
		parts[w] = topK{k: k, h: make(minHeap, 0, k)}
		scan := func() {
			// One scanBlock of slots at a time, so scanSlots sees whole
			// blocks and can tell the dense ones.
			var buf [scanBlock]uint32
			m := 0
			it := allow.Iterator()
			it.AdvanceIfNeeded(lo)
			for it.HasNext() {
				v := it.PeekNext()
				if v >= hi {
					break
				}
				if m > 0 && v&^(scanBlock-1) != buf[0]&^(scanBlock-1) {
					c.scanSlots(q.q16, buf[:m], &parts[w])
					m = 0
				}
				buf[m] = it.Next()
				m++
			}
			c.scanSlots(q.q16, buf[:m], &parts[w])
		}
		if w == workers-1 {
			scan()
		} else {
			wg.Go(scan)
		}
	}
	wg.Wait()
	return mergeTop(parts, k)
}

// denseBlock is how many wanted slots of one scanBlock make scanning the
// whole block cheaper than gathering them: the contiguous kernel ran about
// 5.6 times faster per vector than the gather at 1M (6 ms for all slots,
// 10.5 ms for 313k of them).
const denseBlock = scanBlock / 5

// scanSlots offers the vectors at slots (ascending, distinct) to t.
func (c *core) scanSlots(q16 []int16, slots []uint32, t *topK) {
	var buf [scanBlock]int32
	var idx [scanBlock]uint32
	n := uint32(c.slots())
	dim := c.dim
	for len(slots) > 0 {
		base := slots[0] &^ (scanBlock - 1)
		j := 0
		for j < len(slots) && slots[j]&^(scanBlock-1) == base {
			j++
		}
		if j >= denseBlock && base+scanBlock <= n {
			dotsInt8(q16, c.codes[int(base)*dim:int(base+scanBlock)*dim], scanBlock, dim, buf[:])
			for _, s := range slots[:j] {
				if !c.isDeleted(s) && !c.empty(s) {
					t.offer(float32(buf[s-base])*c.scales[s], s)
				}
			}
			slots = slots[j:]
			continue
		}
		m := 0
		for _, s := range slots[:j] { // at most scanBlock: slots are distinct
			if s < n && !c.isDeleted(s) && !c.empty(s) {
				idx[m] = s
				m++
			}
		}
		slots = slots[j:]
		dotsInt8Gather(q16, c.codes, idx[:m], c.dim, buf[:m])
		for i, d := range buf[:m] {
			t.offer(float32(d)*c.scales[idx[i]], idx[i])
		}
	}
}

func mergeTop(parts []topK, k int) []node {
	if len(parts) == 1 {
		return sortNodes(parts[0].h)
	}
	all := topK{k: k, h: make(minHeap, 0, k)}
	for _, p := range parts {
		for _, n := range p.h {
			all.offer(n.sim, n.slot)
		}
	}
	return sortNodes(all.h)
}

// sortNodes orders best first, ties by slot.
func sortNodes(ns []node) []node {
	slices.SortFunc(ns, func(a, b node) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return int(a.slot) - int(b.slot)
	})
	return ns
}

func (c *core) memBytes() int64 {
	b := int64(cap(c.codes)) + 4*int64(cap(c.scales)) + 8*int64(cap(c.deleted))
	b += c.ids.memBytes()
	b += c.g.memBytes()
	return b
}

func defaultWorkers(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

func popcount(ws []uint64) int {
	n := 0
	for _, w := range ws {
		n += bits.OnesCount64(w)
	}
	return n
}
