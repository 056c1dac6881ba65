package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"golang.org/x/sync/errgroup"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/embed/local"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/vector"
)

// The vector half lives in <index>/vectors: the vector index itself, the
// local embedding model when one was trained here, and meta.json naming
// the embedder whose vectors the index holds.
const (
	vectorDir  = "vectors"
	modelFile  = "model.lsa"
	metaFile   = "meta.json"
	vecSeqKey  = "vecseq"
	fID        = "_id"
	trainLimit = 100_000
	syncBatch  = 2000
)

// vectorMeta records which embedder filled the vector index.
type vectorMeta struct {
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
	// Passages: every paper's passages have their vectors (passvec.go).
	// An index written before passages had vectors lacks it, and the next
	// sync embeds them.
	Passages bool `json:"passages,omitempty"`
}

// vectors is the embedded index's vector half. Writes go to the vector
// index first (its log is synced) and then to bleve with the same sequence
// number, so on open any vector write that bleve lost is rolled back.
type vectors struct {
	dir       string
	local     bool // the embedder is trained from this index's papers
	scanBelow int  // vector.Options.FilterScanBelow
	// passageFilterMax: a filter allowing more vectors than this, passages
	// included, searches the allowed papers' own vectors only. Past the
	// index's scan threshold a filtered search walks the graph, and over
	// a million allowed passages (100,000 full texts, a year and field
	// filter) the walk or the scan it falls back to took 130–270 ms where
	// the papers alone scan in 12 ms (docs/passages.md).
	passageFilterMax int

	mu    sync.RWMutex   // under Index.writeMu (see Locks in embedded.go)
	emb   embed.Embedder // nil until a local model is trained
	idx   *vector.Index  // nil until the first vector is written
	stale bool           // idx holds another embedder's vectors
	// passages: idx holds the passage vectors of every paper (vectorMeta).
	passages bool
	// noPassages: embed papers alone (Options.NoPassageVectors).
	noPassages bool
	seq        uint64       // last sequence number written
	cal        *calibration // the probe's verdict; see calibrate.go

	// remote, when set, holds the vectors instead of idx (remote.go);
	// ledger records what it holds.
	remote   Remote
	ledger   *ledger
	getBelow int

	gen  atomic.Uint64 // bumps on every write; invalidates slot columns
	cols sync.Map      // segment → *slotColumn
	// slotMu is held for reading from mapping papers to slots until the
	// vector search with them is done, and for writing while a compaction
	// renumbers the slots.
	slotMu sync.RWMutex

	passMu  sync.Mutex
	passSet *passageSet // see passageSlots

	// allowCache keeps the slot sets of recent restrictions: typing in the
	// search bar changes the text while the filters stay put.
	allowMu    sync.Mutex
	allowCache []allowEntry
}

type allowEntry struct {
	key   string
	gen   uint64
	segs  []segment.Segment
	slots *roaring.Bitmap
}

const allowCacheSize = 8

// slotColumn maps a segment's document numbers to vector slots.
type slotColumn struct {
	gen   uint64
	slots []uint32 // noSlot when the paper has no vector
	// passages are the slots of each paper's passage vectors, as runs
	// (passageSet.runs); nil when no paper in the segment has any.
	passages [][]uint32
}

const noSlot = ^uint32(0)

// openVectors opens the vector half, rolling back writes bleve lost.
func (x *Index) openVectors(o Options) error {
	if o.Embedder == nil && !o.LocalEmbedder {
		return nil
	}
	v := &vectors{dir: filepath.Join(x.path, vectorDir), local: o.LocalEmbedder && o.Embedder == nil, emb: o.Embedder, scanBelow: o.FilterScanBelow,
		passageFilterMax: defaultPassageFilterMax, noPassages: o.NoPassageVectors,
		remote: o.Remote, getBelow: o.RemoteGetBelow}
	// The local model loads while the vectors do: each takes about 0.2 s
	// at a million papers.
	type loadedModel struct {
		m   *local.Model
		err error
	}
	model := make(chan loadedModel, 1)
	if v.local {
		go func() {
			m, err := local.Load(filepath.Join(v.dir, modelFile))
			model <- loadedModel{m, err}
		}()
	} else {
		model <- loadedModel{}
	}
	bleveSeq := x.vectorSeq()
	var idx *vector.Index
	var meta vectorMeta
	var err error
	if v.remote == nil {
		idx, meta, err = x.openVectorIndex(v, o, bleveSeq)
	} else {
		v.ledger, err = openLedger(v.dir, v.remote.Name())
	}
	lm := <-model
	switch {
	case err != nil:
	case errors.Is(lm.err, local.ErrNoModel):
	case lm.err != nil:
		err = lm.err
	case lm.m != nil:
		v.emb = lm.m
	}
	if err == nil {
		v.cal, err = loadCalibration(v.dir)
	}
	if err != nil {
		if idx != nil {
			idx.Close()
		}
		return err
	}
	if idx != nil && v.emb != nil && meta.Embedder != v.emb.Name() {
		v.stale = true
	}
	v.idx = idx
	v.passages = meta.Passages
	v.seq = bleveSeq
	if v.idx != nil {
		v.seq = max(v.seq, v.idx.Seq())
	}
	x.vec = v
	return nil
}

// vectorSeq is the vector sequence number bleve recorded last.
func (x *Index) vectorSeq() uint64 {
	if b, err := x.idx.GetInternal([]byte(vecSeqKey)); err == nil && len(b) == 8 {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// openVectorIndex opens the saved vectors, if any, rolled back to what
// bleve has (a crash may leave the vectors ahead).
func (x *Index) openVectorIndex(v *vectors, o Options, bleveSeq uint64) (*vector.Index, vectorMeta, error) {
	var meta vectorMeta
	if b, err := os.ReadFile(filepath.Join(v.dir, metaFile)); err == nil {
		if err := json.Unmarshal(b, &meta); err != nil {
			return nil, meta, fmt.Errorf("%s: %w", filepath.Join(v.dir, metaFile), err)
		}
	}
	if meta.Embedder == "" {
		return nil, meta, nil
	}
	// The log replays only as far as bleve committed: a crash can leave
	// the vectors a batch or more ahead, and a reader (which cannot cut the
	// log) must not see them either.
	idx, err := vector.Open(filepath.Join(v.dir, "index"), vector.Options{Dim: meta.Dim, FilterScanBelow: v.scanBelow,
		ReadOnly: o.ReadOnly, CapSeq: true, MaxSeq: bleveSeq})
	if err != nil {
		return nil, meta, err
	}
	if idx.Seq() > bleveSeq {
		// The snapshot itself is ahead (which only a fault between the
		// halves can do): its vectors are untrusted and the next sync
		// rebuilds them; searches meanwhile use BM25.
		v.stale = true
	}
	return idx, meta, nil
}

// ready reports whether searches can use vectors.
func (v *vectors) ready() bool {
	if v == nil {
		return false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.emb != nil && (v.idx != nil || v.remote != nil) && !v.stale
}

// writable reports whether Apply should embed papers as they arrive.
func (v *vectors) writable() bool {
	if v == nil {
		return false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	// A remote half is written by SyncVectors alone.
	return v.remote == nil && v.emb != nil && !v.stale && (v.idx != nil || !v.local)
}

// ensureIndex opens an empty vector index for the current embedder.
func (v *vectors) ensureIndex() error {
	if v.idx != nil {
		return nil
	}
	if err := mkdirDurable(v.dir); err != nil {
		return err
	}
	idx, err := vector.Open(filepath.Join(v.dir, "index"), vector.Options{Dim: v.emb.Dim(), FilterScanBelow: v.scanBelow})
	if err != nil {
		return err
	}
	v.idx = idx
	v.passages = !v.noPassages
	return v.writeMeta()
}

// writeMeta records the embedder the vector index is filled by.
func (v *vectors) writeMeta() error {
	return writeJSON(filepath.Join(v.dir, metaFile), vectorMeta{Embedder: v.emb.Name(), Dim: v.emb.Dim(), Passages: v.passages})
}

// writeJSON replaces the file at path with v as JSON, by rename, so a
// reader never sees half of it; the file and then its folder are synced,
// so after a power loss the file is the old one or the new one, never
// empty (meta.json names the embedder every open needs).
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileDurable(path, b)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// embedBatch embeds a batch's upserts, each paper followed by its
// passages; nil when vectors are off.
func (v *vectors) embedBatch(ctx context.Context, ups []corpus.Paper) ([]vector.Item, error) {
	if !v.writable() || len(ups) == 0 {
		return nil, nil
	}
	texts, ids := v.embedTexts(ups)
	v.mu.RLock()
	emb := v.emb
	v.mu.RUnlock()
	return embedItems(ctx, emb, texts, ids)
}

// embedTexts lists what is embedded for ups, with the vector IDs: each
// paper's title and abstract and, unless passage vectors are off, each of
// its passages.
func (v *vectors) embedTexts(ups []corpus.Paper) (texts, ids []string) {
	for i := range ups {
		texts = append(texts, hybrid.EmbedText(&ups[i]))
		ids = append(ids, ups[i].ID)
		if v.noPassages {
			continue
		}
		for n, t := range passageTexts(&ups[i]) {
			texts = append(texts, t)
			ids = append(ids, passageID(ups[i].ID, n))
		}
	}
	return texts, ids
}

// embedItems embeds texts as the vectors of ids.
func embedItems(ctx context.Context, emb embed.Embedder, texts, ids []string) ([]vector.Item, error) {
	vecs, err := emb.Embed(ctx, texts, embed.Passage)
	if err != nil {
		return nil, fmt.Errorf("embed papers with %s: %w", emb.Name(), err)
	}
	items := make([]vector.Item, len(ids))
	for i, id := range ids {
		items[i] = vector.Item{ID: id, Vec: vecs[i]}
	}
	return items, nil
}

// write applies items and deletions under the next sequence number and
// returns that number for bleve to record, or 0 when nothing was written.
// The caller holds x.writeMu so sequence order is bleve's batch order.
func (v *vectors) write(items []vector.Item, dels []string) (uint64, error) {
	if v == nil || (len(items) == 0 && (v.idx == nil || len(dels) == 0)) {
		return 0, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stale {
		return 0, nil
	}
	if v.idx == nil {
		if err := v.ensureIndex(); err != nil {
			return 0, err
		}
	}
	dels = stalePassages(v.idx, items, dels)
	v.seq = max(v.seq, v.idx.Seq()) + 1
	if err := v.idx.Apply(v.seq, items, dels); err != nil {
		return 0, err
	}
	v.gen.Add(1)
	return v.seq, nil
}

// snapshotVectors writes the vector snapshot and empties its log. Only
// writes bleve confirmed may be in it (a later open could not roll back
// the rest), so it refuses after a write failure.
func (x *Index) snapshotVectors() error {
	if x.vec == nil || x.vec.idx == nil {
		return nil
	}
	if err := x.Fault(); err != nil {
		return err
	}
	if err := x.checkWrite(phaseSnapshot); err != nil {
		return err
	}
	return x.vec.idx.Snapshot()
}

// logSnapshotAt: once the vector log holds this many upserts, and at least
// a quarter as many as the index, a commit snapshots the vectors. Every
// open replays the log, linking each vector into the graph again, so a
// long log made each open after a crash take seconds; a quarter keeps the
// snapshots' cost linear in what is written.
var logSnapshotAt = 20_000

// maybeSnapshot snapshots the vectors when their log has grown long; the
// caller holds x.writeMu and its commit was confirmed. A failure costs the
// next open time, not data (the log still has everything), so it is not
// the commit's error.
func (x *Index) maybeSnapshot() {
	v := x.vec
	if v == nil || v.idx == nil {
		return
	}
	if n := v.idx.LogLen(); n >= logSnapshotAt && n*4 >= v.idx.Len() {
		_ = x.snapshotVectors()
	}
}

func seqBytes(s uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, s)
	return b
}

// column returns the slot column of a segment, building it from the
// segment's ID dictionary when the vector index changed since.
func (v *vectors) column(seg segment.Segment) (*slotColumn, error) {
	gen := v.gen.Load()
	if c, ok := v.cols.Load(seg); ok && c.(*slotColumn).gen == gen {
		return c.(*slotColumn), nil
	}
	n := seg.Count()
	col := &slotColumn{gen: gen, slots: make([]uint32, n)}
	for i := range col.slots {
		col.slots[i] = noSlot
	}
	d, err := seg.Dictionary(fID)
	if err != nil {
		return nil, err
	}
	runs := v.passageSlots().runs
	it := d.AutomatonIterator(nil, nil, nil)
	var pl segment.PostingsList
	for {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		slot, ok := v.idx.Slot(e.Term)
		if !ok {
			continue
		}
		ps := runs[e.Term]
		pl, err = d.PostingsList([]byte(e.Term), nil, pl)
		if err != nil {
			return nil, err
		}
		pi := pl.Iterator(false, false, false, nil)
		for {
			p, err := pi.Next()
			if err != nil {
				return nil, err
			}
			if p == nil {
				break
			}
			if p.Number() < n {
				col.slots[p.Number()] = slot
				if ps != nil {
					if col.passages == nil {
						col.passages = make([][]uint32, n)
					}
					col.passages[p.Number()] = ps
				}
			}
		}
	}
	v.cols.Store(seg, col)
	return col, nil
}

// search returns the k papers nearest to qv, each scored by its nearest
// vector (its own or a passage's), restricted to the papers segs allow,
// or unrestricted when key (the restriction's name) is "".
func (v *vectors) search(idx *vector.Index, qv []float32, k int, key string, segs []segHits) ([]vector.Result, map[string]int, error) {
	v.slotMu.RLock()
	defer v.slotMu.RUnlock()
	var allow *roaring.Bitmap
	if key != "" {
		var err error
		if allow, err = v.allowSlots(key, segs); err != nil {
			return nil, nil, err
		}
	}
	// A paper's passages crowd the nearest vectors: ask for more until k
	// papers are found or there are no more vectors to find.
	for want := k; ; want *= widenBy {
		rs := idx.Search(qv, want, allow)
		papers, near := byPaper(rs, func(r *vector.Result) *string { return &r.ID })
		if len(papers) >= k || len(rs) < want || want >= k*maxWiden {
			return papers[:min(k, len(papers))], near, nil
		}
	}
}

const defaultPassageFilterMax = 200_000

// widenBy and maxWiden bound how far search looks past k vectors for k
// papers.
const (
	widenBy  = 4
	maxWiden = 4
)

// allowSlots maps per-segment allowed documents to vector slots. It reads
// the bitmaps in blocks and adds slots in bulk: a broad filter allows
// hundreds of thousands of papers, and per-element calls dominated.
func (v *vectors) allowSlots(key string, segs []segHits) (*roaring.Bitmap, error) {
	gen := v.gen.Load()
	ids := make([]segment.Segment, len(segs))
	for i, sh := range segs {
		ids[i] = sh.ss.Segment()
	}
	v.allowMu.Lock()
	for _, e := range v.allowCache {
		if e.key == key && e.gen == gen && slices.Equal(e.segs, ids) {
			v.allowMu.Unlock()
			return e.slots, nil
		}
	}
	v.allowMu.Unlock()
	out, pass := roaring.New(), roaring.New()
	docs := make([]uint32, 4096)
	var slots []uint32
	for _, sh := range segs {
		col, err := v.column(sh.ss.Segment())
		if err != nil {
			return nil, err
		}
		it := sh.allowed.ManyIterator()
		for n := it.NextMany(docs); n > 0; n = it.NextMany(docs) {
			slots = slots[:0]
			for _, d := range docs[:n] {
				if s := col.slots[d]; s != noSlot {
					slots = append(slots, s)
				}
				if col.passages != nil {
					for r := col.passages[d]; len(r) > 0; r = r[2:] {
						pass.AddRange(uint64(r[0]), uint64(r[1]))
					}
				}
			}
			out.AddMany(slots)
		}
	}
	if out.GetCardinality()+pass.GetCardinality() <= uint64(v.passageFilterMax) {
		out.Or(pass)
	}
	v.allowMu.Lock()
	v.allowCache = append([]allowEntry{{key, gen, ids, out}}, v.allowCache[:min(len(v.allowCache), allowCacheSize-1)]...)
	v.allowMu.Unlock()
	// Drop the columns of segments merged away since: kept, they would
	// hold four bytes per paper each, for as long as the process runs.
	// (A search still on an older snapshot only rebuilds its column.)
	v.cols.Range(func(k, _ any) bool {
		if !slices.Contains(ids, k.(segment.Segment)) {
			v.cols.Delete(k)
		}
		return true
	})
	return out, nil
}

// SyncProgress reports the derived halves catching up: phase is "index
// passages" (passdocs.go), "train" (reading papers to learn from),
// "train:tokenise", "train:word vectors", "train:decompose", "embed",
// "compact" or "probe"; done counts papers (or
// probe sentences) of total, and a total of 0 means the phase has none.
type SyncProgress func(phase string, done, total int)

// SyncVectors makes the vector half, and the passage documents, match the
// papers: it fills a passage index made after its papers, trains the local
// embedder when there is none, rebuilds the vectors when the embedder
// changed, embeds papers that have no vector and drops vectors of papers
// that are gone. It is safe to stop at any point and run again; ingest
// runs it after every source.
func (x *Index) SyncVectors(ctx context.Context, progress SyncProgress) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if err := x.syncPassages(ctx, progress); err != nil {
		return err
	}
	v := x.vec
	if v == nil {
		return nil
	}
	if err := x.Fault(); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	n, err := x.idx.DocCount()
	if err != nil || n == 0 {
		return err
	}
	if ok, err := x.ensureEmbedder(ctx, int(n), progress); !ok || err != nil {
		return err
	}
	if v.remote != nil {
		return x.syncRemote(ctx, progress)
	}
	if err := v.resetIfStale(); err != nil {
		return err
	}
	seen, added, err := x.backfill(ctx, int(n), progress)
	if err != nil {
		return err
	}
	if v.passages == v.noPassages {
		if err := x.matchPassageSetting(ctx); err != nil {
			return err
		}
	}
	if err := x.dropOrphans(ctx, seen); err != nil {
		return err
	}
	compacted, err := v.compact(ctx, progress)
	if err != nil {
		return err
	}
	// A snapshot may only hold writes bleve has on disk, or a later
	// rollback could not undo them: every commit above was confirmed.
	if err := x.snapshotVectors(); err != nil {
		return err
	}
	// After bulk work, give back the arrays' growth room (up to 1/16); a
	// small sync leaves it for the next ones rather than copy every array.
	if !compacted && added*16 >= v.idx.Slots() {
		v.idx.Trim()
	}
	return x.calibrate(ctx, progress)
}

// ensureEmbedder trains the local embedder when there is none yet, and
// reports whether there is an embedder to sync with. Too few papers to
// learn from is no error: the index stays BM25-only until a later ingest
// brings more. The caller holds x.writeMu.
func (x *Index) ensureEmbedder(ctx context.Context, n int, progress SyncProgress) (bool, error) {
	v := x.vec
	if v.local && v.emb == nil {
		err := x.trainLocal(ctx, n, progress)
		if errors.Is(err, local.ErrTooFew) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return v.emb != nil, nil
}

// resetIfStale starts an empty vector index when there is none or the
// stored one holds another embedder's vectors. The caller holds x.writeMu.
func (v *vectors) resetIfStale() error {
	if !v.stale && v.idx != nil {
		return nil
	}
	v.mu.Lock()
	if v.idx != nil {
		v.idx.Close()
		v.idx = nil
	}
	if err := os.RemoveAll(filepath.Join(v.dir, "index")); err != nil {
		v.mu.Unlock()
		return err
	}
	v.stale = false
	err := v.ensureIndex()
	v.mu.Unlock()
	if err != nil {
		return err
	}
	v.gen.Add(1)
	return nil
}

// backfill is one sync's pass over every live paper, embedding the ones
// without a vector in three overlapping stages: reading stored papers
// (read), embedding (embed), and writing, which links the graph on every
// core (write).
type backfill struct {
	x        *Index
	n        int // live papers
	progress SyncProgress
	seen     map[string]struct{} // every live paper's ID, for dropOrphans
	added    int                 // vectors written
	// Progress counts papers whose vector is written (or was there): the
	// reader runs ahead of the embedder and writer, and a count taken
	// from it would reach 100% while most of the work remains.
	visited, pending atomic.Int64
	mu               sync.Mutex // guards shown
	shown            int64
}

// backfill embeds the live papers that have no vector and returns every
// live paper's ID and the number of vectors written. The caller holds
// x.writeMu.
func (x *Index) backfill(ctx context.Context, n int, progress SyncProgress) (map[string]struct{}, int, error) {
	b := &backfill{x: x, n: n, progress: progress, seen: make(map[string]struct{}, n), shown: -1}
	todo := make(chan []corpus.Paper, 2)
	ready := make(chan []vector.Item, 2)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(todo)
		return b.read(gctx, todo)
	})
	g.Go(func() error {
		defer close(ready)
		return b.embed(gctx, todo, ready)
	})
	g.Go(func() error { return b.write(gctx, ready) })
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	if b.added > 0 {
		// A sync that embedded nothing reports no embed phase at all.
		progress("embed", n, n)
	}
	return b.seen, b.added, nil
}

func (b *backfill) report() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.visited.Load() - b.pending.Load(); d > b.shown {
		b.shown = d
		b.progress("embed", int(d), b.n)
	}
}

// read sends the live papers without a vector to todo, in batches.
func (b *backfill) read(ctx context.Context, todo chan<- []corpus.Paper) error {
	v := b.x.vec
	send := func(batch []corpus.Paper) error {
		select {
		case todo <- batch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var batch []corpus.Paper
	// A first backfill need not look IDs up: each lookup would wait while
	// the writer links a batch into the graph, stalling this stage.
	empty := v.idx.Len() == 0
	// An index from before passages had vectors reads every paper once,
	// to embed the passages of those with a full text.
	upgrade := !v.passages && !v.noPassages
	vectored := map[string]bool{} // papers read for their passages alone
	err := b.x.eachPaper(ctx, func(id string) bool {
		b.seen[id] = struct{}{}
		need := empty
		if !empty {
			_, ok := v.idx.Slot(id)
			need = !ok || upgrade
			if ok && need {
				vectored[id] = true
			}
		}
		// pending before visited, so a report in between never counts
		// this paper as done.
		if need {
			b.pending.Add(1)
		}
		if b.visited.Add(1)%1000 == 0 && b.pending.Load() > 0 {
			b.report()
		}
		return need
	}, func(p *corpus.Paper) error {
		if vectored[p.ID] && p.FullText == "" {
			delete(vectored, p.ID)
			b.pending.Add(-1)
			return nil
		}
		delete(vectored, p.ID)
		batch = append(batch, *p)
		if len(batch) < syncBatch {
			return nil
		}
		err := send(batch)
		batch = nil
		return err
	})
	if err == nil && len(batch) > 0 {
		err = send(batch)
	}
	return err
}

// embed turns batches of papers into batches of vectors.
func (b *backfill) embed(ctx context.Context, todo <-chan []corpus.Paper, ready chan<- []vector.Item) error {
	for batch := range todo {
		items, err := b.x.vec.embedBatch(ctx, batch)
		if err != nil {
			return err
		}
		select {
		case ready <- items:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// write commits each batch of vectors, with its sequence number in bleve.
func (b *backfill) write(ctx context.Context, ready <-chan []vector.Item) error {
	for items := range ready {
		if err := b.x.commitLocked(ctx, b.x.idx.NewBatch(), items, nil); err != nil {
			return err
		}
		b.added += len(items)
		papers := 0
		for _, it := range items {
			if _, ok := paperOf(it.ID); !ok {
				papers++
			}
		}
		b.pending.Add(-int64(papers))
		b.report()
	}
	return nil
}

// matchPassageSetting records in the meta file whether the index holds
// passage vectors, once the backfill embedded them all, or after dropping
// them all when passage vectors were turned off. The caller holds
// x.writeMu.
func (x *Index) matchPassageSetting(ctx context.Context) error {
	v := x.vec
	if v.noPassages && v.idx != nil {
		var dels []string
		v.idx.EachID(func(_ uint32, id []byte) {
			if _, ok := paperOf(id); ok {
				dels = append(dels, string(id))
			}
		})
		// About a sync batch's passages (some 40 a paper) a commit.
		for chunk := range slices.Chunk(dels, syncBatch*40) {
			if err := x.commitLocked(ctx, x.idx.NewBatch(), nil, chunk); err != nil {
				return err
			}
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.passages = !v.noPassages
	return v.writeMeta()
}

// dropOrphans deletes the vectors whose paper is gone (a crash between the
// halves, or deletions made while vectors were off); seen holds every live
// paper's ID. The caller holds x.writeMu.
func (x *Index) dropOrphans(ctx context.Context, seen map[string]struct{}) error {
	v := x.vec
	// Papers' vectors against papers: passages' vectors outnumber the
	// papers, and counted in they sent every sync through the walk below.
	if v.idx.Len()-v.passageCount() <= len(seen) {
		return nil
	}
	var orphans []string
	v.idx.EachID(func(_ uint32, id []byte) {
		p, _ := paperOf(id)
		if _, ok := seen[string(p)]; !ok {
			orphans = append(orphans, string(id))
		}
	})
	return x.commitLocked(ctx, x.idx.NewBatch(), nil, orphans)
}

// compactAt: the vector half is compacted once 1/compactAt of its slots
// hold deleted vectors, which every scan still reads and every graph walk
// still crosses.
const compactAt = 4

// compact rebuilds the vector index without its deleted vectors when they
// are many. Searches go on meanwhile; they wait only for the switch, when
// every slot number changes.
func (v *vectors) compact(ctx context.Context, progress SyncProgress) (bool, error) {
	del, slots := v.idx.Deleted(), v.idx.Slots()
	if del == 0 || del*compactAt < slots {
		return false, nil
	}
	live := slots - del
	progress("compact", 0, live)
	cp, err := v.idx.Compact(ctx, func(done, total int) { progress("compact", done, total) })
	if err != nil {
		return false, err
	}
	v.slotMu.Lock()
	err = v.idx.Install(cp)
	v.gen.Add(1)
	v.slotMu.Unlock()
	if err != nil {
		return false, err
	}
	progress("compact", live, live)
	return true, nil
}

// ErrNotLocal is returned by RetrainVectors when the embedder is not
// learned from the index.
var ErrNotLocal = errors.New("the embedder is not the local one, so there is nothing to retrain")

// RetrainVectors learns the local embedder again from the papers now in
// the index (after the corpus has grown or changed, or to move an index to
// a newer kind of model) and then re-embeds every paper with it. Searches
// keep using the old model and vectors until the new model is saved; the
// rebuild is resumable like any sync.
func (x *Index) RetrainVectors(ctx context.Context, progress SyncProgress) error {
	v := x.vec
	if v == nil || !v.local {
		return ErrNotLocal
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	x.writeMu.Lock()
	n, err := x.idx.DocCount()
	if err == nil && n > 0 {
		err = x.trainLocal(ctx, int(n), progress)
	}
	x.writeMu.Unlock()
	if err != nil {
		return err
	}
	return x.SyncVectors(ctx, progress)
}

// trainLocal learns the local embedder from an even sample of the papers.
func (x *Index) trainLocal(ctx context.Context, n int, progress SyncProgress) error {
	v := x.vec
	total := min(n, trainLimit)
	progress("train", 0, total)
	var texts []string
	err := x.eachPaper(ctx, evenSample(n, trainLimit), func(p *corpus.Paper) error {
		texts = append(texts, hybrid.EmbedText(p))
		if len(texts)%1000 == 0 {
			progress("train", len(texts), total)
		}
		return nil
	})
	if err != nil {
		return err
	}
	progress("train", len(texts), total)
	// Each step of training is a phase of its own ("train:tokenise",
	// "train:word vectors", "train:decompose"; the last two have no
	// total), so progress never sits at 100% of reading while the model
	// is being learned.
	step := ""
	stage := func(s string) {
		if step == "tokenise" {
			progress("train:tokenise", len(texts), len(texts))
		}
		step = s
		progress("train:"+s, 0, map[string]int{"tokenise": len(texts)}[s])
	}
	tokenised := func(docs int) {
		if step == "tokenise" {
			progress("train:tokenise", docs, len(texts))
		}
	}
	m, err := local.Train(ctx, func(yield func(string) bool) {
		for _, t := range texts {
			if !yield(t) {
				return
			}
		}
	}, local.TrainOptions{MaxDocs: trainLimit, Stage: stage, Progress: tokenised})
	if err != nil {
		return err
	}
	v.mu.RLock()
	same := v.emb != nil && v.emb.Name() == m.Name()
	v.mu.RUnlock()
	if same {
		// Models are named by their content: the same papers taught the
		// same model, and the vectors already stored stand.
		return nil
	}
	if err := mkdirDurable(v.dir); err != nil {
		return err
	}
	if err := x.checkWrite(phaseModel); err != nil {
		return err
	}
	if err := m.Save(filepath.Join(v.dir, modelFile)); err != nil {
		return err
	}
	v.mu.Lock()
	v.emb = m
	v.stale = v.idx != nil
	v.mu.Unlock()
	return nil
}

// evenSample is a want function for eachPaper that picks about limit of
// n papers by a hash of their id, so the same papers give the same sample
// whatever order bleve's segments hold them in (merges reorder them).
func evenSample(n, limit int) func(string) bool {
	stride := uint64(max(1, (n+limit-1)/limit))
	return func(id string) bool { return idHash(id)%stride == 0 }
}

// idHash is a stable hash of a paper id (FNV-1a: the same on every run,
// unlike maphash).
func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// eachPaper visits every live paper: want(id) says whether to decode it,
// and fn receives the decoded ones.
func (x *Index) eachPaper(ctx context.Context, want func(id string) bool, fn func(*corpus.Paper) error) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	for _, ss := range snap.Segments() {
		if err := eachInSegment(ctx, ss, want, fn); err != nil {
			return err
		}
	}
	return nil
}

func eachInSegment(ctx context.Context, ss *scorch.SegmentSnapshot, want func(string) bool, fn func(*corpus.Paper) error) error {
	live := ss.DocNumbersLive()
	it := live.Iterator()
	for i := 0; it.HasNext(); i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		doc := uint64(it.Next())
		rawID, err := ss.DocID(doc)
		if err != nil {
			return err
		}
		id := string(rawID)
		if !want(id) {
			continue
		}
		r, err := readStored(ss, doc)
		if err != nil {
			return err
		}
		if r.src == nil {
			continue
		}
		p, err := r.paper("paper " + id)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return nil
}

func (v *vectors) close() error {
	if v == nil || v.idx == nil {
		return nil
	}
	return v.idx.Close()
}

// mkdirDurable makes dir and syncs its entry into the parent folder, so a
// power cut cannot lose the folder after files in it were synced.
func mkdirDurable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}
