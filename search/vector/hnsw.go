package vector

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// graphParams are the HNSW shape parameters.
type graphParams struct {
	m, m0, efc int
}

// graph is an HNSW graph stored flat: layer 0 is one []uint32 with a
// fixed block of m0 neighbours per slot plus a count byte per slot; the few
// nodes above layer 0 (about 1/m of them) keep their upper layers in one
// shared []uint32, found through upOff, each layer a block of a count
// followed by m neighbours.
type graph struct {
	graphParams
	ml float64
	on bool

	l0    []uint32
	l0n   []uint8
	level []uint8
	upOff map[uint32]uint32
	up    []uint32

	entryMu  sync.Mutex
	entry    uint32
	maxLevel int // -1 when the graph is empty

	locks [1 << 12]sync.Mutex // striped per-node locks for parallel linking
}

const maxLevel = 16

func (g *graph) init(p graphParams) {
	g.graphParams = p
	g.ml = 1 / math.Log(float64(p.m))
	g.upOff = map[uint32]uint32{}
	g.maxLevel = -1
}

func (g *graph) lock(slot uint32) *sync.Mutex { return &g.locks[slot&(1<<12-1)] }

// reserve makes room for n more slots so linking never reallocates.
func (g *graph) reserve(n int) {
	g.l0 = growSlice(g.l0, n*g.m0)
	g.l0n = growSlice(g.l0n, n)
	g.level = growSlice(g.level, n)
}

// addSlot extends the graph arrays to cover slot (the next slot) and draws
// its level. Levels come from a hash of the slot so replay is repeatable.
func (g *graph) addSlot(slot uint32) {
	if cap(g.l0)-len(g.l0) < g.m0 {
		g.l0 = growSlice(g.l0, g.m0)
	}
	n := len(g.l0)
	g.l0 = g.l0[:n+g.m0]
	clear(g.l0[n:])
	g.l0n = append(g.l0n, 0)
	lv := randomLevel(slot, g.ml)
	g.level = append(g.level, uint8(lv))
	if lv > 0 {
		g.upOff[slot] = uint32(len(g.up))
		g.up = append(g.up, make([]uint32, lv*(g.m+1))...)
	}
}

func randomLevel(slot uint32, ml float64) int {
	// splitmix64 of the slot.
	z := uint64(slot) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := (float64(z>>11) + 0.5) / (1 << 53)
	return min(int(-math.Log(u)*ml), maxLevel)
}

// list returns slot's neighbour storage at level lv: the block and the
// count cell. Callers hold the node's lock while linking runs in parallel.
func (g *graph) list(slot uint32, lv int) []uint32 {
	if lv == 0 {
		o := int(slot) * g.m0
		return g.l0[o : o+int(g.l0n[slot])]
	}
	o := int(g.upOff[slot]) + (lv-1)*(g.m+1)
	return g.up[o+1 : o+1+int(g.up[o])]
}

func (g *graph) setList(slot uint32, lv int, ns []uint32) {
	if lv == 0 {
		o := int(slot) * g.m0
		copy(g.l0[o:o+g.m0], ns)
		g.l0n[slot] = uint8(len(ns))
		return
	}
	o := int(g.upOff[slot]) + (lv-1)*(g.m+1)
	copy(g.up[o+1:o+1+g.m], ns)
	g.up[o] = uint32(len(ns))
}

func (g *graph) maxDegree(lv int) int {
	if lv == 0 {
		return g.m0
	}
	return g.m
}

func (g *graph) memBytes() int64 {
	if !g.on {
		return 0
	}
	return 4*int64(cap(g.l0)) + int64(cap(g.l0n)) + int64(cap(g.level)) +
		4*int64(cap(g.up)) + 16*int64(len(g.upOff))
}

// searcher is scratch space for one search or one linking goroutine.
type searcher struct {
	visited []uint16
	epoch   uint16

	q8      []int8
	q16     []int16
	c16     []int16
	n16     []int16
	cand    maxHeap
	res     minHeap
	nb      []uint32
	ids     []uint32
	dots    []int32
	ids2    []uint32
	dot2    []int32
	sel     []node
	prn     []node
	tmp     []node
	out     []node
	shrink  []node
	linkSel []node
}

func newSearcher(dim int) *searcher {
	return &searcher{q8: make([]int8, dim), q16: make([]int16, dim), c16: make([]int16, dim), n16: make([]int16, dim)}
}

// reset starts a new visited generation sized for n slots.
func (s *searcher) reset(n int) {
	if len(s.visited) < n {
		s.visited = make([]uint16, n+n/8)
		s.epoch = 0
	}
	s.epoch++
	if s.epoch == 0 {
		clear(s.visited)
		s.epoch = 1
	}
}

func (s *searcher) visit(slot uint32) bool {
	if s.visited[slot] == s.epoch {
		return false
	}
	s.visited[slot] = s.epoch
	return true
}

// filter says which slots a search may return.
type filter struct {
	deleted []uint64 // nil when nothing is deleted
	allow   *roaring.Bitmap
	self    uint32
	noSelf  bool
	// budget, when set, caps the similarities a search computes; over it
	// the search stops with exhausted set, and the caller scans instead.
	budget    int
	spent     int
	exhausted bool
}

func (f *filter) ok(slot uint32) bool {
	if f.deleted != nil && f.deleted[slot/64]&(1<<(slot%64)) != 0 {
		return false
	}
	if f.noSelf && slot == f.self {
		return false
	}
	return f.allow == nil || f.allow.Contains(slot)
}

// sims fills s.dots for the slots in ids against the query.
func (c *core) sims(q16 []int16, ids []uint32, out []int32) {
	dotsInt8Gather(q16, c.codes, ids, c.dim, out)
}

// greedy walks level lv from cur towards q, one best step at a time.
func (c *core) greedy(s *searcher, q query, cur node, lv int, locked bool) node {
	for changed := true; changed; {
		changed = false
		s.ids = c.neighbours(s, s.ids[:0], cur.slot, lv, locked)
		if len(s.ids) == 0 {
			break
		}
		s.dots = growTo(s.dots, len(s.ids))
		c.sims(q.q16, s.ids, s.dots)
		for i, d := range s.dots[:len(s.ids)] {
			sim := float32(d) * c.scales[s.ids[i]] * q.scale
			if sim > cur.sim {
				cur = node{sim, s.ids[i]}
				changed = true
			}
		}
	}
	return cur
}

func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/2)
	}
	return s[:n]
}

// neighbours appends slot's neighbours at lv to dst, under its lock if
// linking may be running.
func (c *core) neighbours(s *searcher, dst []uint32, slot uint32, lv int, locked bool) []uint32 {
	if !locked {
		return append(dst, c.g.list(slot, lv)...)
	}
	mu := c.g.lock(slot)
	mu.Lock()
	dst = append(dst, c.g.list(slot, lv)...)
	mu.Unlock()
	return dst
}

// searchLayer is the HNSW beam search on one level starting from eps. It
// walks through every node but only collects the ones f allows, keeping the
// best ef of those in s.res.
func (c *core) searchLayer(s *searcher, q query, eps []node, ef, lv int, f *filter, locked bool) {
	s.cand = s.cand[:0]
	s.res = s.res[:0]
	for _, e := range eps {
		s.visited[e.slot] = s.epoch
		s.cand.push(e)
		if f.ok(e.slot) && !c.empty(e.slot) {
			s.res.push(e)
			if len(s.res) > ef {
				s.res.pop()
			}
		}
	}
	for len(s.cand) > 0 {
		cur := s.cand.pop()
		if len(s.res) >= ef && cur.sim < s.res[0].sim {
			break
		}
		s.nb = c.neighbours(s, s.nb[:0], cur.slot, lv, locked)
		ids := s.ids[:0]
		for _, n := range s.nb {
			if s.visit(n) {
				ids = append(ids, n)
			}
		}
		s.ids = ids
		if len(ids) == 0 {
			continue
		}
		if f.budget > 0 {
			if f.spent += len(ids); f.spent > f.budget {
				f.exhausted = true
				return
			}
		}
		s.dots = growTo(s.dots, len(ids))
		c.sims(q.q16, ids, s.dots)
		for i, d := range s.dots[:len(ids)] {
			slot := ids[i]
			sim := float32(d) * c.scales[slot] * q.scale
			if len(s.res) < ef || sim > s.res[0].sim {
				s.cand.push(node{sim, slot})
				if f.ok(slot) && !c.empty(slot) {
					if len(s.res) < ef {
						s.res.push(node{sim, slot})
					} else {
						s.res.replaceTop(node{sim, slot})
					}
				}
			}
		}
	}
}

// search runs a full HNSW query: greedy descent, then the beam on layer 0.
// The result is best first.
func (c *core) search(s *searcher, q query, ef int, f *filter, locked bool) []node {
	g := &c.g
	g.entryMu.Lock()
	ep, top := g.entry, g.maxLevel
	g.entryMu.Unlock()
	if top < 0 {
		return nil
	}
	s.reset(c.slots())
	cur := node{c.sim1(q, ep), ep}
	for lv := top; lv > 0; lv-- {
		cur = c.greedy(s, q, cur, lv, locked)
	}
	s.tmp = append(s.tmp[:0], cur)
	c.searchLayer(s, q, s.tmp, ef, 0, f, locked)
	s.out = append(s.out[:0], s.res...)
	return sortNodes(s.out)
}

func (c *core) sim1(q query, slot uint32) float32 {
	var d [1]int32
	c.sims(q.q16, []uint32{slot}, d[:])
	return float32(d[0]) * c.scales[slot] * q.scale
}

// linkAll links slots into the graph using the configured workers.
func (c *core) linkAll(slots []uint32) { c.linkAllCtx(context.Background(), slots, nil) }

// linkAllCtx is linkAll that stops early once ctx is done (leaving the
// graph partly linked: only for a graph that will be thrown away) and
// counts linked slots in done when it is not nil.
func (c *core) linkAllCtx(ctx context.Context, slots []uint32, done *atomic.Int64) {
	workers := min(c.workers, max(1, len(slots)/64))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := c.getSearcher()
			defer c.putSearcher(s)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(slots) || i%256 == 0 && ctx.Err() != nil {
					return
				}
				c.link(s, slots[i])
				if done != nil {
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

// link inserts slot (or re-inserts it after its vector changed): find its
// neighbours level by level, keep a diverse set (the HNSW heuristic) and add
// the reverse links, shrinking full neighbour lists the same way.
func (c *core) link(s *searcher, slot uint32) {
	g := &c.g
	L := int(g.level[slot])
	widen(s.q16, c.codes[int(slot)*c.dim:int(slot+1)*c.dim])
	q := query{q16: s.q16, scale: c.scales[slot]}

	g.entryMu.Lock()
	ep, top := g.entry, g.maxLevel
	if top < 0 {
		g.entry, g.maxLevel = slot, L
		g.entryMu.Unlock()
		return
	}
	hold := L > top
	if !hold {
		g.entryMu.Unlock()
	}

	s.reset(c.slots())
	f := filter{self: slot, noSelf: true}
	if c.ndel > 0 {
		f.deleted = c.deleted
	}
	cur := node{c.sim1(q, ep), ep}
	for lv := top; lv > L; lv-- {
		cur = c.greedy(s, q, cur, lv, true)
	}
	eps := append(s.tmp[:0], cur)
	for lv := min(L, top); lv >= 0; lv-- {
		s.epoch++ // a fresh visited set per level
		if s.epoch == 0 {
			clear(s.visited)
			s.epoch = 1
		}
		c.searchLayer(s, q, eps, g.efc, lv, &f, true)
		cands := sortNodes(append(s.out[:0], s.res...))
		s.out = cands
		// addLink reuses the selection scratch, so keep our own copy.
		sel := append(s.linkSel[:0], c.selectNeighbours(s, cands, g.maxDegree(lv), lv == 0)...)
		s.linkSel = sel
		ids := s.ids2[:0]
		for _, n := range sel {
			ids = append(ids, n.slot)
		}
		s.ids2 = ids
		mu := g.lock(slot)
		mu.Lock()
		g.setList(slot, lv, ids)
		mu.Unlock()
		for _, n := range sel {
			c.addLink(s, n.slot, slot, n.sim, lv)
		}
		eps = append(s.tmp[:0], cands...)
		s.tmp = eps
		if len(eps) == 0 {
			eps = append(eps, cur)
		}
	}
	if hold {
		g.entry, g.maxLevel = slot, L
		g.entryMu.Unlock()
	}
}

// selectNeighbours applies the HNSW heuristic to cands (best first): keep a
// candidate only if it is closer to the base than to any already kept. On
// layer 0 the pruned ones fill any remaining room, which keeps degree up.
func (c *core) selectNeighbours(s *searcher, cands []node, m int, fill bool) []node {
	sel := s.sel[:0]
	prn := s.prn[:0]
	dim := c.dim
	for _, cn := range cands {
		if len(sel) >= m {
			break
		}
		if len(sel) == 0 {
			sel = append(sel, cn)
			continue
		}
		widen(s.c16, c.codes[int(cn.slot)*dim:int(cn.slot+1)*dim])
		good := true
		sc := c.scales[cn.slot]
		// Check against the kept ones a few at a time, nearest first: the
		// nearest usually decide, so most rejections cost a few dots.
		var ids [8]uint32
		var dots [8]int32
		for lo := 0; lo < len(sel) && good; lo += len(ids) {
			part := sel[lo:min(lo+len(ids), len(sel))]
			for i, x := range part {
				ids[i] = x.slot
			}
			c.sims(s.c16, ids[:len(part)], dots[:len(part)])
			for i, d := range dots[:len(part)] {
				if float32(d)*sc*c.scales[ids[i]] > cn.sim {
					good = false
					break
				}
			}
		}
		if good {
			sel = append(sel, cn)
		} else {
			prn = append(prn, cn)
		}
	}
	if fill {
		for _, p := range prn {
			if len(sel) >= m {
				break
			}
			sel = append(sel, p)
		}
	}
	s.sel, s.prn = sel, prn
	return sel
}

// addLink adds slot to n's neighbours at lv, shrinking the list with the
// heuristic when it is full.
func (c *core) addLink(s *searcher, n, slot uint32, sim float32, lv int) {
	g := &c.g
	mu := g.lock(n)
	mu.Lock()
	defer mu.Unlock()
	cur := g.list(n, lv)
	for _, x := range cur {
		if x == slot {
			return
		}
	}
	m := g.maxDegree(lv)
	if len(cur) < m {
		if lv == 0 {
			g.l0[int(n)*g.m0+len(cur)] = slot
			g.l0n[n]++
		} else {
			o := int(g.upOff[n]) + (lv-1)*(g.m+1)
			g.up[o+1+len(cur)] = slot
			g.up[o]++
		}
		return
	}
	// Full: rank the old neighbours and the new one by closeness to n.
	dim := c.dim
	widen(s.n16, c.codes[int(n)*dim:int(n+1)*dim])
	s.ids2 = append(s.ids2[:0], cur...)
	s.dot2 = growTo(s.dot2, len(cur))
	c.sims(s.n16, s.ids2, s.dot2)
	cands := s.tmp2()
	sn := c.scales[n]
	worst := float32(math.Inf(1))
	for i, d := range s.dot2[:len(cur)] {
		sim := float32(d) * sn * c.scales[s.ids2[i]]
		worst = min(worst, sim)
		cands = append(cands, node{sim, s.ids2[i]})
	}
	if sim <= worst {
		// The new node would rank last, and the list is already the
		// heuristic's choice of the rest: nothing changes.
		return
	}
	cands = append(cands, node{sim, slot})
	s.shrink = cands
	sortNodes(cands)
	sel := c.selectNeighbours(s, cands, m, lv == 0)
	ids := s.ids2[:0]
	for _, x := range sel {
		ids = append(ids, x.slot)
	}
	g.setList(n, lv, ids)
}

// tmp2 is a scratch node slice distinct from the ones link is iterating.
func (s *searcher) tmp2() []node { return s.shrink[:0] }
