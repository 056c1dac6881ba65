package vector

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// Options configure an index. Only Dim is required.
type Options struct {
	Dim int // required
	// ExactBelow: while fewer live vectors than this are held, searches scan
	// every vector and no graph is kept; at or above it an HNSW graph is
	// built and maintained (default 20000).
	ExactBelow int
	// M is the number of links per node on the upper HNSW layers (default
	// 16); layer 0 keeps M0 (default 1.5*M: at a million 256-d vectors 24
	// links kept the index at 387 MB and built in 3m10s on two cores, where
	// 32 needed 419 MB and about 4.5 CPU-minutes more).
	M  int
	M0 int
	// EfConstruction is the beam width while linking (default 100).
	EfConstruction int
	// EfSearch is the beam width of a search; a search uses
	// max(EfSearch, k) (default 256: at a million clustered 256-d vectors
	// with M0 24, 128 gives recall@10 0.935, 192 gives 0.96, 256 gives
	// 0.97 at 0.39 ms p50).
	EfSearch int
	// FilterScanBelow: a filtered search allowing fewer vectors than this
	// scans them instead of walking the graph (default 200000). On the
	// arXiv samples (132k papers) a filter keeping 30 % of them took the
	// graph 4.5–5.9 ms and a scan 0.5–1.0 ms: filters correlate with topic,
	// so the beam crosses many vectors it may not return. Above it the graph
	// wins on time: at 1M papers with 313k allowed a scan takes 7 ms, the
	// graph a median 5.5 ms (but on the synthetic corpus, whose vectors are
	// near uniform, it found only 0–98 % of the true top 300; on the arXiv
	// samples filtered graph searches found 95–99 %).
	FilterScanBelow int
	// Workers is the parallelism of graph building and of large exact
	// scans (default GOMAXPROCS).
	Workers int
	// ReadOnly opens an existing index without writing anything: the log
	// is neither created nor cut, and Apply, Rollback and Snapshot fail.
	ReadOnly bool
	// With CapSeq, Open stops replaying the log before the first operation
	// past MaxSeq (a writer also cuts the log there): the index then holds
	// exactly what the caller's other store committed, and a reader sees
	// that without writing. Seq tells whether the snapshot alone is ahead.
	CapSeq bool
	MaxSeq uint64

	// fs is where the log and snapshot are written (osFS unless a test
	// sets it).
	fs fileSystem
}

func (o Options) withDefaults() Options {
	if o.ExactBelow <= 0 {
		o.ExactBelow = 20000
	}
	if o.FilterScanBelow <= 0 {
		o.FilterScanBelow = 200_000
	}
	if o.M <= 0 {
		o.M = 16
	}
	if o.M < 2 {
		o.M = 2
	}
	if o.M0 <= 0 {
		o.M0 = o.M + o.M/2
	}
	o.M0 = min(o.M0, 255)
	if o.EfConstruction <= 0 {
		o.EfConstruction = 100
	}
	if o.EfSearch <= 0 {
		o.EfSearch = 256
	}
	o.Workers = defaultWorkers(o.Workers)
	if o.fs == nil {
		o.fs = osFS{}
	}
	return o
}

// Item is one vector to upsert. A nil or all-zero Vec records that the ID
// has no vector (an embedder found nothing in its text to embed, like the
// local one for a text of unknown words): the ID is known, so Slot, ID
// and Len count it and a caller need not embed it again, but it is never
// a search result, never linked into the graph, and Vector reports false.
type Item struct {
	ID  string
	Vec []float32
}

// Result is one hit: its slot, its ID and an estimate of the cosine
// similarity between the query and the stored vector.
type Result struct {
	Slot  uint32
	ID    string
	Score float32
}

var (
	// ErrDimMismatch is returned by Open when the stored index has a
	// different dimension from Options.Dim, and by Apply for a vector of
	// the wrong length.
	ErrDimMismatch = errors.New("vector dimension mismatch")
	// ErrSeq is returned by Apply for a sequence number that does not
	// advance.
	ErrSeq = errors.New("sequence number does not advance")
	// ErrSnapshotted is returned by Rollback when operations past the
	// target were already written to a snapshot.
	ErrSnapshotted = errors.New("operations already snapshotted")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("vector index closed")

	errReadOnly = errors.New("vector index opened read-only")
)

// Index is a persistent int8 vector index. Any number of Search, Exact and
// lookup calls may run together; writes (Apply, Rollback, Snapshot) are
// serialised and exclude searches while they change the index (Snapshot
// only reads, so searches continue during it).
//
// Slots are dense and stable: a new ID takes the next slot, an upsert of an
// existing ID keeps its slot, and a deleted ID's slot is tombstoned, never
// returned and never reused (a later upsert of that ID gets a new slot).
// Tombstoned vectors stay in memory and in the graph, where they still help
// searches route.
type Index struct {
	dir string
	opt Options

	wmu sync.Mutex   // serialises writers
	mu  sync.RWMutex // guards the fields below against readers

	c       *core
	seq     uint64
	snapSeq uint64
	wal     file
	walEnd  int64
	walRecs []walRec
	logUps  int // upserts in the log, which an open replays
	// tail holds slots a read-only open replayed from the log without
	// linking them into the graph (ascending, distinct).
	tail   []uint32
	ahead  int // log records past MaxSeq left out at open
	closed bool
	// rewrite: the snapshot on disk needs writing again though nothing
	// new was applied (a compaction renumbered the slots, or the file is
	// in an older format).
	rewrite bool
}

// Open opens the index in dir, creating it if missing; otherwise it loads
// the snapshot and replays the write-ahead log after it.
func Open(dir string, o Options) (*Index, error) {
	if o.Dim <= 0 {
		return nil, fmt.Errorf("vector index %s: Options.Dim must be positive", dir)
	}
	if !littleEndian {
		return nil, errors.New("vector index needs a little-endian machine")
	}
	o = o.withDefaults()
	if o.ReadOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, err
		}
	} else if err := mkdirAll(o.fs, dir); err != nil {
		return nil, err
	}
	// A crash mid-snapshot can leave a temp file behind.
	if olds, _ := filepath.Glob(filepath.Join(dir, snapName+".tmp*")); len(olds) > 0 && !o.ReadOnly {
		for _, f := range olds {
			o.fs.Remove(f)
		}
	}
	x := &Index{dir: dir, opt: o}
	if err := x.load(); err != nil {
		x.c.drop()
		return nil, fmt.Errorf("vector index %s: %w", dir, err)
	}
	return x, nil
}

func (x *Index) params() graphParams {
	return graphParams{m: x.opt.M, m0: x.opt.M0, efc: x.opt.EfConstruction}
}

// load builds the in-memory state from disk: snapshot, then WAL.
func (x *Index) load() error {
	c, seq, version, err := readSnapshot(filepath.Join(x.dir, snapName), x.opt.Dim, x.opt.Workers, x.params())
	if err != nil {
		return err
	}
	if c == nil {
		c = newCore(x.opt.Dim, x.opt.Workers, x.params())
	}
	x.c, x.seq, x.snapSeq, x.rewrite = c, seq, seq, version != 0 && version < snapVersion
	x.walRecs = nil
	x.logUps, x.ahead, x.tail = 0, 0, nil
	cut, prev := int64(-1), int64(walHeader)
	f, end, err := openWAL(x.opt.fs, filepath.Join(x.dir, walName), x.opt.Dim, x.opt.ReadOnly, func(b *batch, end int64) error {
		start := prev
		prev = end
		if b.seq <= x.seq {
			return nil // already in the snapshot
		}
		if x.opt.CapSeq && b.seq > x.opt.MaxSeq {
			if cut < 0 {
				cut = start
			}
			x.ahead++
			return nil
		}
		x.logUps += len(b.ids)
		x.applyMem(b)
		x.walRecs = append(x.walRecs, walRec{b.seq, end})
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(x.tail)
	x.tail = slices.Compact(x.tail)
	if cut >= 0 {
		end = cut
		if !x.opt.ReadOnly {
			// Cut like a torn record, so a later append does not land
			// before records it would leave behind.
			if err := f.Truncate(cut); err != nil {
				f.Close()
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
		}
	}
	x.wal, x.walEnd = f, end
	return nil
}

// Ahead is how many log records past Options.MaxSeq the last open (or
// Rollback) left out: writes the caller's other store never committed.
func (x *Index) Ahead() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.ahead
}

// applyMem applies a batch to memory and keeps the graph up to date.
func (x *Index) applyMem(b *batch) {
	c := x.c
	if c.g.on {
		c.g.reserve(len(b.ids))
	}
	touched := c.apply(b)
	x.seq = b.seq
	switch {
	case x.opt.ReadOnly && c.g.on:
		// A reader does not link what the log adds (linking is most of
		// an open's time after a crash): it scans those slots exactly,
		// next to each graph search, until a writer snapshots them.
		x.tail = append(x.tail, touched...)
	case x.opt.ReadOnly:
		// Without a graph in the snapshot, searches scan everything.
	case c.g.on:
		c.linkAll(c.withVectors(touched))
	case c.live() >= x.opt.ExactBelow:
		x.buildGraph()
	}
}

// buildGraph turns the graph on and links every live slot.
func (x *Index) buildGraph() {
	c := x.c
	g := &c.g
	g.init(x.params())
	g.on = true
	n := c.slots()
	g.reserve(n)
	live := make([]uint32, 0, c.live())
	for s := range uint32(n) {
		g.addSlot(s)
		if !c.isDeleted(s) && !c.empty(s) {
			live = append(live, s)
		}
	}
	c.linkAll(live)
}

// Apply upserts ups and then deletes dels as operation seq, which must be
// greater than Seq. It returns once the operation is in the write-ahead log
// and synced. Upserting an existing ID replaces its vector; deleting an
// unknown ID does nothing. Vectors are normalised before quantization.
func (x *Index) Apply(seq uint64, ups []Item, dels []string) error {
	dim := x.opt.Dim
	b := &batch{seq: seq, ids: make([]string, len(ups)), scales: make([]float32, len(ups)), codes: make([]int8, len(ups)*dim), dels: dels}
	for i, it := range ups {
		if it.Vec == nil {
			b.ids[i] = it.ID // codes and scale stay 0: no vector
			continue
		}
		if len(it.Vec) != dim {
			return fmt.Errorf("vector %q: %w: has %d values, index has %d", it.ID, ErrDimMismatch, len(it.Vec), dim)
		}
		sc, _, err := quantize(it.Vec, b.codes[i*dim:(i+1)*dim])
		if err != nil {
			return fmt.Errorf("vector %q: %w", it.ID, err)
		}
		b.ids[i], b.scales[i] = it.ID, sc
	}
	rec := encodeBatch(b, dim)

	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if x.opt.ReadOnly {
		return errReadOnly
	}
	if seq <= x.seq {
		return fmt.Errorf("apply %d after %d: %w", seq, x.seq, ErrSeq)
	}
	if _, err := x.wal.WriteAt(rec, x.walEnd); err != nil {
		return x.walFailed(err)
	}
	if err := x.wal.Sync(); err != nil {
		return x.walFailed(err)
	}
	x.walEnd += int64(len(rec))
	x.walRecs = append(x.walRecs, walRec{seq, x.walEnd})
	x.logUps += len(b.ids)

	x.mu.Lock()
	defer x.mu.Unlock()
	x.applyMem(b)
	return nil
}

// walFailed cuts a partly written record off the log so a later append does
// not land after garbage.
func (x *Index) walFailed(err error) error {
	if terr := x.wal.Truncate(x.walEnd); terr != nil {
		return fmt.Errorf("vector index %s: write-ahead log: %w (and truncating it: %v)", x.dir, err, terr)
	}
	return fmt.Errorf("vector index %s: write-ahead log: %w", x.dir, err)
}

// Seq is the sequence number of the last applied operation.
func (x *Index) Seq() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.seq
}

// Rollback drops every operation with a sequence number greater than seq,
// for when the caller's other store committed only up to seq. It fails with
// ErrSnapshotted if such operations are already in the snapshot. It reloads
// the snapshot and replays the remaining log, so it costs about an Open.
func (x *Index) Rollback(seq uint64) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if seq >= x.seq {
		return nil
	}
	if x.opt.ReadOnly {
		return errReadOnly
	}
	if seq < x.snapSeq {
		return fmt.Errorf("vector index %s: rollback to %d: snapshot is at %d: %w", x.dir, seq, x.snapSeq, ErrSnapshotted)
	}
	cut := int64(walHeader)
	for _, r := range x.walRecs {
		if r.seq <= seq {
			cut = r.end
		}
	}
	if err := x.wal.Truncate(cut); err != nil {
		return err
	}
	if err := x.wal.Sync(); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.wal.Close()
	x.c.drop()
	x.c = nil
	if err := x.load(); err != nil {
		x.c.drop()
		x.closed = true
		return fmt.Errorf("vector index %s: rollback: %w", x.dir, err)
	}
	return nil
}

// Snapshot writes the whole index to a new snapshot file atomically and
// empties the write-ahead log. With nothing written since the last one it
// does nothing: at a million vectors a snapshot is some 300 MB.
func (x *Index) Snapshot() error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if x.seq == x.snapSeq && !x.rewrite {
		return nil
	}
	if x.opt.ReadOnly {
		return errReadOnly
	}
	x.mu.RLock()
	err := writeSnapshot(x.opt.fs, x.dir, x.c, x.seq)
	x.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("vector index %s: snapshot: %w", x.dir, err)
	}
	x.snapSeq, x.rewrite = x.seq, false
	if err := x.wal.Truncate(walHeader); err != nil {
		return err
	}
	if err := x.wal.Sync(); err != nil {
		return err
	}
	x.walEnd, x.walRecs, x.logUps = walHeader, nil, 0
	return nil
}

// LogLen is the number of upserts in the write-ahead log, which every open
// replays (linking each into the graph) until the next Snapshot.
func (x *Index) LogLen() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.logUps
}

// Trim returns the arrays' growth room (up to 1/16 of each), so memory
// after bulk work is what a reopen would hold. It copies every array
// that has spare room, blocking searches meanwhile: call it after a
// build, not after every write.
func (x *Index) Trim() {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.c != nil {
		x.c.trim()
	}
}

// Close releases the log file. The index must not be used afterwards.
func (x *Index) Close() error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	x.c.drop()
	x.c = nil // let the memory go even if the Index is still referenced
	if x.wal == nil {
		return nil
	}
	return x.wal.Close()
}

// filterExactRatio: allowed sets under 1/filterExactRatio of the live
// vectors are scanned too. Measured at 1M: a graph search with a tenth of
// the vectors allowed took 8.5 ms p50, an exact scan of them 5 ms.
const filterExactRatio = 8

// walkCost: at 1M synthetic papers with 313k allowed, a budget of the
// allowed count over 16 cut the filtered vector search's p99 from 60–69
// to 30–36 ms at the same p50 (a scan takes 7 ms; over 32 the p50 rose).
const walkCost = 16

// Search returns up to k nearest vectors to q, best first. With allow set,
// only those slots are returned, and k results come back whenever at least k
// allowed live vectors exist. Small indexes and small allowed sets are
// scanned exactly; otherwise the HNSW graph is searched.
func (x *Index) Search(q []float32, k int, allow *roaring.Bitmap) []Result {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c := x.c
	if k <= 0 || c == nil || c.live() == 0 || len(q) != x.opt.Dim {
		return nil
	}
	if !c.g.on || c.live() < x.opt.ExactBelow {
		return x.exactLocked(q, k, allow)
	}
	var card uint64
	if allow != nil {
		card = allow.GetCardinality()
		if card == 0 {
			return nil
		}
		if card < uint64(x.opt.FilterScanBelow) || card*filterExactRatio < uint64(c.live()) {
			return x.exactLocked(q, k, allow)
		}
	}
	s := c.getSearcher()
	defer c.putSearcher(s)
	qs, ok := quantizeQuery(s, q)
	if !ok {
		return nil
	}
	ef := max(x.opt.EfSearch, k)
	if allow != nil {
		// Fewer allowed nodes means the beam's allowed results are spread
		// over more of the graph; widen it in proportion, within reason.
		boost := math.Sqrt(float64(c.live()) / float64(card))
		ef = int(float64(ef) * min(boost, 4))
	}
	f := filter{allow: allow}
	if c.ndel > 0 {
		f.deleted = c.deleted
	}
	if allow != nil {
		// A query far from every allowed vector can walk much of the graph:
		// once the walk has cost what scanning the allowed set would, scan
		// it. A walk's similarity (a random gather, the visited set, two
		// heaps, one core) costs about walkCost of the scan's (streamed, all
		// cores).
		f.budget = int(card) / walkCost
	}
	ns := c.search(s, query{s.q16, qs}, ef, &f, false)
	if f.exhausted || len(ns) < k && (allow != nil || c.ndel > 0 || c.nempty > 0) && len(ns) < c.live()-c.nempty {
		// The walk ran over its budget, or the beam ran out of allowed
		// nodes: fall back to a scan, which finds every allowed one.
		return x.exactLocked(q, k, allow)
	}
	if len(x.tail) > 0 {
		ns = x.withTail(ns, s.q16, qs, k, allow)
	}
	// The graph's similarities already carry the query's scale.
	return x.results(ns[:min(k, len(ns))], 1)
}

// withTail merges a graph search's nodes with an exact scan of the slots
// not linked into the graph (see Index.tail); the result carries the
// query's scale like the graph's.
func (x *Index) withTail(ns []node, q16 []int16, qs float32, k int, allow *roaring.Bitmap) []node {
	slots := x.tail
	if allow != nil {
		slots = make([]uint32, 0, len(x.tail))
		for _, s := range x.tail {
			if allow.Contains(s) {
				slots = append(slots, s)
			}
		}
	}
	tail := topK{k: k, h: make(minHeap, 0, k)}
	x.c.scanSlots(q16, slots, &tail)
	best := topK{k: k, h: make(minHeap, 0, k)}
	seen := make(map[uint32]bool, len(tail.h))
	for _, n := range tail.h {
		seen[n.slot] = true
		best.offer(n.sim*qs, n.slot)
	}
	for _, n := range ns {
		if !seen[n.slot] {
			best.offer(n.sim, n.slot)
		}
	}
	return sortNodes(best.h)
}

// Exact returns the k best vectors by a full int8 scan (of only the allowed
// slots when allow is set). It is the ground truth Search approximates.
func (x *Index) Exact(q []float32, k int, allow *roaring.Bitmap) []Result {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if k <= 0 || x.c == nil || len(q) != x.opt.Dim {
		return nil
	}
	return x.exactLocked(q, k, allow)
}

func (x *Index) exactLocked(q []float32, k int, allow *roaring.Bitmap) []Result {
	c := x.c
	s := c.getSearcher()
	defer c.putSearcher(s)
	qs, ok := quantizeQuery(s, q)
	if !ok {
		return nil
	}
	qq := query{s.q16, qs}
	var ns []node
	if allow == nil {
		ns = c.exactAll(qq, k)
	} else {
		ns = c.exactAllowed(qq, k, allow)
	}
	return x.results(ns, qs)
}

// quantizeQuery fills s.q16; the scale maps the int dot product to a cosine.
func quantizeQuery(s *searcher, q []float32) (float32, bool) {
	sc, _, err := quantize(q, s.q8)
	if err != nil || sc == 0 {
		return 0, false // a zero query has no direction to rank by
	}
	widen(s.q16, s.q8)
	return sc, true
}

func (x *Index) results(ns []node, qs float32) []Result {
	out := make([]Result, len(ns))
	for i, n := range ns {
		out[i] = Result{Slot: n.slot, ID: x.c.ids.id(n.slot), Score: n.sim * qs}
	}
	return out
}

// Slot returns the slot of a live ID.
func (x *Index) Slot(id string) (uint32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return 0, false
	}
	return x.c.ids.lookup(id)
}

// ID returns the ID in a live slot, or "" for a deleted or unknown slot.
func (x *Index) ID(slot uint32) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil || int(slot) >= x.c.slots() || x.c.isDeleted(slot) {
		return ""
	}
	return x.c.ids.id(slot)
}

// Vector returns the stored (dequantized, unit-length) vector of an ID;
// false for an unknown ID or one recorded without a vector.
func (x *Index) Vector(id string) ([]float32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return nil, false
	}
	slot, ok := x.c.ids.lookup(id)
	if !ok || x.c.empty(slot) {
		return nil, false
	}
	dim := x.c.dim
	sc := x.c.scales[slot]
	v := make([]float32, dim)
	for i, b := range x.c.codes[int(slot)*dim : int(slot+1)*dim] {
		v[i] = float32(b) * sc
	}
	return v, true
}

// Empty is the number of live IDs recorded without a vector (see Item).
func (x *Index) Empty() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return 0
	}
	return x.c.nempty
}

// Len is the number of live IDs, with a vector or recorded without one.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return 0
	}
	return x.c.live()
}

// MemBytes is the memory held by vectors, scales, tombstones, the graph and
// the ID table (capacity, not just length).
func (x *Index) MemBytes() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return 0
	}
	return x.c.memBytes()
}
