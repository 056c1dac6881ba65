// Package embedded is Quire's default search engine: a bleve v2 index with
// BM25 scoring on disk in one folder, plus facet columns of Quire's own that
// count values over a hit set far faster than bleve's doc-value facets.
// It needs no network and no keys.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/vector"
)

// Options tune an index. The zero value is usable.
type Options struct {
	// TitleBoost weighs title matches over the title+abstract field.
	TitleBoost float64
	// K1 and B are the BM25 parameters.
	K1, B float64
	// ReadOnly opens an existing index for searching only.
	ReadOnly bool

	// Embedder fills the vector half. Nil with LocalEmbedder set trains
	// one from the index's own papers (see SyncVectors); nil without it
	// leaves the index BM25-only.
	Embedder      embed.Embedder
	LocalEmbedder bool
	// NoPassageVectors embeds papers alone, not their full texts'
	// passages: those multiply the texts embedded by the mean passage
	// count (about 40), which over the network is the bill and the time.
	// The next sync drops passage vectors already stored; turned back on,
	// it embeds them.
	NoPassageVectors bool
	// Mode is the default search mode (search.ModeHybrid when vectors
	// exist, else search.ModeBM25).
	Mode string
	// Fusion merges the halves of a hybrid search.
	Fusion fusion.Options
	// Candidates is how many hits the BM25 half offers fusion (default 100).
	Candidates int
	// VectorCandidates is how many the vector half offers (default 300).
	VectorCandidates int
	// RescoreDepth is how many of the best whole-body BM25 hits are
	// rescored by their best passage (default 50; rerank.go).
	RescoreDepth int
	// FilterScanBelow: filtered vector searches allowing fewer papers than
	// this scan them (vector.Options; default 200000).
	FilterScanBelow int
	// Feedback is how many top BM25 hits' vectors are added to the query
	// vector in hybrid mode (pseudo-relevance feedback; default 2, -1 off).
	Feedback int
	// Adaptive probes the vector half against BM25 on the index's own
	// papers (see calibrate.go) and, where vectors are the stronger half,
	// fuses with a vector weight of at least 0.6 and expands the BM25 query
	// from the fused list's best papers.
	Adaptive bool
	// Remote, when set, holds the vectors instead of the index (S3
	// Vectors; remote.go): the index keeps no vector index, SyncVectors
	// pushes to it, and searches query it. RemoteGetBelow is the
	// restriction size at or under which a filtered search scores the
	// allowed papers' vectors here (default DefaultRemoteGetBelow).
	Remote         Remote
	RemoteGetBelow int

	// LockWait is how long a read-only open waits for a writer to finish
	// (0: fail at once). A writer never waits: a second one fails at once,
	// naming the holder.
	LockWait time.Duration
	// Command names this process in the lock file ("quire ingest").
	Command string
	// OnLockWait is called once, at once, when a read-only open starts to
	// wait for a writer, with a line saying who holds the index.
	OnLockWait func(msg string)
}

func (o Options) withDefaults() Options {
	if o.TitleBoost <= 0 {
		o.TitleBoost = DefaultTitleBoost
	}
	if o.K1 <= 0 {
		o.K1 = DefaultK1
	}
	if o.B <= 0 || o.B > 1 {
		o.B = DefaultB
	}
	if o.Candidates <= 0 {
		o.Candidates = DefaultCandidates
	}
	if o.VectorCandidates <= 0 {
		o.VectorCandidates = DefaultVectorCandidates
	}
	if o.Fusion.Method == "" {
		o.Fusion = fusion.Options{Method: fusion.Convex, Weight: DefaultVectorWeight}
	}
	if o.Feedback == 0 {
		o.Feedback = DefaultFeedback
	}
	if o.RemoteGetBelow == 0 {
		o.RemoteGetBelow = DefaultRemoteGetBelow
	}
	if o.RescoreDepth <= 0 {
		o.RescoreDepth = passageRerankDepth
	}
	return o
}

// Defaults chosen on the BEIR dev halves in ../shared/data (see
// quality_test.go and the README's numbers).
const (
	DefaultTitleBoost = 0.3
	DefaultK1         = 0.9
	DefaultB          = 0.65
	// Hybrid defaults, measured on the same dev halves with the local
	// embedder (docs/measurements.md): convex fusion beat RRF on every
	// collection; feedback from the best BM25 papers lifted Recall@100
	// (two measured at least as well as three on every dev half and on
	// SciFact's train claims, and one dropped MED below vector alone); and
	// a vector list three times as deep as the BM25 one lifted it too.
	DefaultCandidates       = 100
	DefaultVectorCandidates = 300
	DefaultVectorWeight     = 0.4
	DefaultFeedback         = 2
	feedbackWeight          = 0.5
)

// Index is the embedded engine. It is safe for concurrent use.
//
// The engine composes two halves for the planner (package hybrid; see
// halves.go): a BM25 half over bleve's segments (exec.go, facets.go,
// disjunctive.go, expand.go) and a vector half (vectors.go). It owns what
// spans both: commits (one bleve batch carries the vector log's sequence
// number, commitLocked), checkpoints, snapshots and faults.
//
// # Locks
//
// Every lock of the package, and the only order in which two may be held
// (outer first). A lock not listed under another is never held while
// taking one of this package.
//
//  1. quire.lock (indexLock, lock.go): a file lock between processes,
//     taken by Open before anything else and released by Close.
//  2. Index.writeMu: orders writes. Held by a prepared batch's Commit,
//     SyncVectors, RetrainVectors and Check's repairs for the whole of
//     their writes, so vector sequence numbers follow bleve's batch order
//     and a vector snapshot never holds a write bleve could still lose.
//     Under it:
//     - vectors.mu (write lock): the vector half's state (emb, idx, stale,
//     seq, cal). Searches take it for reading only long enough to copy
//     emb and idx; the vector index's own locks (package vector) nest
//     inside it.
//     - vectors.slotMu (write lock): while a compaction installs its
//     renumbered slots (vectors.compact).
//  3. vectors.slotMu (read lock): held by a search from mapping its
//     allowed papers to slots until its vector search is done. Under it:
//     - vectors.allowMu: the cache of recent restrictions' slot sets.
//     (vectors.cols, a sync.Map, and vectors.gen, an atomic, need none.)
//
// Leaves: held briefly, under any of the above, taking nothing while held:
// Index.mu (the length statistics, stats.go); facetCache.mu and each
// dict.mu (facet columns and value dictionaries, facets.go; a dict.mu is
// taken inside a lazyColumn's sync.Once, which builds a column once);
// restrictCache.mu (restrict.go); sharedTop.mu (one search's
// top k, exec.go); backfill.mu (one sync's progress line, vectors.go); the
// package's faults mutex (indexes by store path, fault.go) and
// writeFaultMu (the tests' fault injection). Index.faultOnce and
// closeOnce are sync.Onces; a fault is read from the closed channel
// Index.faulted without a lock.
//
// bleve's own locks sit below all of these: scorch is called with any of
// them held, and calls back into this package (fault.go's error callback)
// only to take the faults mutex and faultOnce.
type Index struct {
	path string
	opts Options
	idx  bleve.Index
	// passages are the passage documents (passdocs.go), nil for a
	// reader without them; passageDocs is what searches ask, the same
	// index unless a test sets another.
	passages    *passageIndex
	passageDocs passageDocs
	an          analyzers
	facets      *facetCache
	// restricts caches what recent filters allow, per segment.
	restricts *restrictCache

	mu    sync.Mutex // guards stats; a leaf (see Locks above)
	stats lengthStats
	lock  *indexLock

	// The first write failure (see fault.go): once set, writes fail at
	// once and Close writes nothing that assumes bleve is on disk.
	faultOnce sync.Once
	faultErr  error
	faulted   chan struct{}

	vec     *vectors   // nil when the index has no vector half
	writeMu sync.Mutex // orders writes; outermost but the file lock (see Locks above)

	closeOnce sync.Once
	closeErr  error
	durable   *Durable
}

var _ search.Engine = (*Index)(nil)

const checkpointPrefix = "ckpt\x00"

// Open opens the index in dir, creating it when dir does not exist or is
// empty.
func Open(dir string, o Options) (*Index, error) {
	return OpenContext(context.Background(), dir, o)
}

// OpenContext is Open whose wait for another process's lock (see
// Options.LockWait) ends when ctx does.
func OpenContext(ctx context.Context, dir string, o Options) (*Index, error) {
	o = o.withDefaults()
	im, err := newMapping()
	if err != nil {
		return nil, err
	}
	runtime := map[string]any{
		// Every batch returns once it is on disk (synced), so what Apply
		// confirmed survives a crash or power loss, and a write error
		// reaches the batch that hit it. Measured against bleve's unsafe
		// mode (return once searchable) on SciFact and the 1990–2017 arXiv
		// sample, ingest took the same time either way
		// (docs/durability.md).
		"unsafe_batch":           false,
		"read_only":              o.ReadOnly,
		"asyncErrorCallbackName": asyncErrorCallback,
		// Quire's lock is taken first; this only bounds a wait on a
		// process that holds bleve's lock without it.
		"bolt_timeout": (o.LockWait + 2*time.Second).String(),
	}
	meta := filepath.Join(dir, "index_meta.json")
	if o.ReadOnly && !exists(meta) {
		return nil, fmt.Errorf("no index at %s (run 'quire ingest' or 'quire demo' first)", dir)
	}
	lock, err := lockIndex(ctx, dir, !o.ReadOnly, o.LockWait, o.Command, o.OnLockWait)
	if err != nil {
		return nil, err
	}
	x := &Index{path: dir, opts: o, an: resolveAnalyzers(im), facets: newFacetCache(filepath.Join(dir, facetDir)),
		restricts: newRestrictCache(restrictCacheBytes), lock: lock, faulted: make(chan struct{})}
	x.watchFaults()
	fail := func(err error) (*Index, error) {
		if x.idx != nil {
			x.idx.Close()
		}
		x.unwatchFaults()
		lock.release(false)
		return nil, err
	}
	// Through a local: bleve returns a nil *indexImpl on error, which in
	// x.idx would be a non-nil interface that fail then closes.
	var idx bleve.Index
	create := !exists(meta)
	if !create {
		idx, err = bleve.OpenUsing(dir, runtime)
		if err != nil && !o.ReadOnly && neverStored(dir) {
			// A create killed before it finished (kill -9, power loss)
			// leaves index_meta.json without the store bleve writes
			// next, and every later open failed. No segment was ever
			// written, so there is nothing to lose: create it again.
			if rmErr := removeHalfCreated(dir); rmErr != nil {
				return fail(fmt.Errorf("open index %s: %w (and removing the unfinished index failed: %v)", dir, err, rmErr))
			}
			create = true
		} else if err != nil {
			return fail(fmt.Errorf("open index %s: %w", dir, err))
		}
	}
	if create {
		if idx, err = bleve.NewUsing(dir, im, scorch.Name, scorch.Name, runtime); err != nil {
			return fail(fmt.Errorf("create index %s: %w", dir, err))
		}
		if err := syncCreated(dir); err != nil {
			idx.Close()
			return fail(fmt.Errorf("create index %s: %w", dir, err))
		}
	}
	x.idx = idx
	if err := x.loadStats(); err != nil {
		return fail(fmt.Errorf("open index %s: length statistics: %w", dir, err))
	}
	if err := x.openVectors(o); err != nil {
		return fail(fmt.Errorf("open index %s: vectors: %w", dir, err))
	}
	if x.passages, err = x.openPassages(); err != nil {
		x.vec.close()
		return fail(fmt.Errorf("open index %s: passages: %w", dir, err))
	}
	if x.passages != nil {
		x.passageDocs = x.passages
	}
	return x, nil
}

// neverStored reports whether the index in dir holds no segment: its
// store is missing or has no .zap file, so no batch ever reached it.
func neverStored(dir string) bool {
	es, err := os.ReadDir(storePath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".zap") {
			return false
		}
	}
	return true
}

// removeHalfCreated removes what an unfinished create left of bleve's
// files, so it can run again.
func removeHalfCreated(dir string) error {
	if err := os.RemoveAll(storePath(dir)); err != nil {
		return err
	}
	return os.Remove(filepath.Join(dir, "index_meta.json"))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Close saves the facet columns and a vector snapshot, then closes the
// index and releases its lock. After a write failure (Fault) it saves
// nothing: bleve may hold batches that never reached the disk, and a
// snapshot must not cover them. Closing again does nothing and returns the
// first Close's error.
func (x *Index) Close() error {
	x.closeOnce.Do(func() { x.closeErr = x.close() })
	return x.closeErr
}

func (x *Index) close() error {
	err := x.Fault()
	if err == nil && !x.opts.ReadOnly {
		// A cache: failing to save it costs the next open time, no data,
		// but a full disk should still be heard of.
		err = x.saveFacets()
	}
	if err == nil && !x.opts.ReadOnly {
		// Every batch Apply confirmed is on disk, so the snapshot may
		// cover it all.
		err = x.snapshotVectors()
	}
	err = errors.Join(err, x.vec.close(), x.passages.close(), x.idx.Close())
	x.unwatchFaults()
	if x.Fault() != nil {
		// Until bleve closed, its persister kept retrying, and a retry
		// may have landed batches whose write reported failure: only the
		// disk can say what is there now.
		x.durable = readDurable(x.path)
	}
	x.lock.release(!x.opts.ReadOnly)
	return err
}

// Durable is what is on disk after a write failure, read when Close has
// stopped bleve's persister; nil before Close or without a failure.
type Durable struct {
	Papers      uint64
	Checkpoints []search.Checkpoint
}

// Durable reports what a closed index that hit a write failure holds.
func (x *Index) Durable() *Durable { return x.durable }

func readDurable(dir string) *Durable {
	idx, err := bleve.OpenUsing(dir, map[string]any{"read_only": true, "bolt_timeout": "2s"})
	if err != nil {
		return nil
	}
	defer idx.Close()
	d := &Durable{}
	d.Papers, _ = idx.DocCount()
	adv, err := idx.Advanced()
	if err != nil {
		return d
	}
	r, err := adv.Reader()
	if err != nil {
		return d
	}
	defer r.Close()
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		for k, v := range snap.Internal() {
			var c search.Checkpoint
			if strings.HasPrefix(k, checkpointPrefix) && json.Unmarshal(v, &c) == nil {
				d.Checkpoints = append(d.Checkpoints, c)
			}
		}
	}
	return d
}

const closeTimeout = 5 * time.Minute

// saveFacets writes the facet columns later opens read instead of building.
func (x *Index) saveFacets() error {
	if err := x.checkWrite(phaseFacets); err != nil {
		return err
	}
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	if err := x.facets.saveColumns(context.Background(), snap); err != nil {
		return fmt.Errorf("save facet columns in %s: %w", x.facets.dir, err)
	}
	return nil
}

// Flush reports whether every batch applied so far is on disk: Apply
// returns only once its batch is, so Flush waits for nothing and returns
// the write failure, if any, that stopped the index.
func (x *Index) Flush(time.Duration) error { return x.Fault() }

// Path is the index folder.
func (x *Index) Path() string { return x.path }

// Apply writes upserts, deletions and checkpoints in one bleve batch, which
// scorch introduces atomically.
func (x *Index) Apply(ctx context.Context, b *search.Batch) error {
	pb, err := x.Prepare(ctx, b)
	if err != nil {
		return err
	}
	return pb.Commit(ctx, b.Checkpoints)
}

var _ search.Preparer = (*Index)(nil)

// Prepare embeds and analyses a batch's papers (work that may run for
// several batches at once) without writing anything; Commit writes it.
// b.Checkpoints are left to Commit.
func (x *Index) Prepare(ctx context.Context, b *search.Batch) (search.PreparedBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := x.Fault(); err != nil {
		return nil, err
	}
	items, err := x.vec.embedBatch(ctx, b.Upserts)
	if err != nil {
		return nil, err
	}
	bb := x.idx.NewBatch()
	for i := range b.Upserts {
		d, err := x.an.buildDocument(&b.Upserts[i])
		if err == nil && len(b.Origins) == len(b.Upserts) {
			err = addOrigin(d, b.Origins[i])
		}
		if err != nil {
			return nil, fmt.Errorf("paper %q: %w", b.Upserts[i].ID, err)
		}
		if err := bb.IndexAdvanced(d); err != nil {
			return nil, fmt.Errorf("paper %q: %w", b.Upserts[i].ID, err)
		}
	}
	for _, id := range b.Deletes {
		bb.Delete(id)
	}
	if err := x.sample(b.Upserts, bb); err != nil {
		return nil, err
	}
	var pb *bleve.Batch
	if x.passages != nil {
		if pb, err = x.passages.batch(b.Upserts, b.Deletes); err != nil {
			return nil, err
		}
	}
	return &prepared{x: x, bb: bb, pb: pb, items: items, dels: b.Deletes, changed: x.vec.changed(b.Upserts)}, nil
}

// prepared is a batch ready to commit.
type prepared struct {
	x     *Index
	bb    *bleve.Batch
	pb    *bleve.Batch // the passage documents' writes, nil without them
	items []vector.Item
	dels  []string
	// changed are upserted papers a remote vector half must take again
	// (remote.go).
	changed []string
}

// Commit writes the prepared batch with cks, atomically, and returns once
// it is on disk.
func (p *prepared) Commit(ctx context.Context, cks []search.Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, c := range cks {
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		p.bb.SetInternal([]byte(checkpointPrefix+c.Source), v)
	}
	p.x.writeMu.Lock()
	defer p.x.writeMu.Unlock()
	// Marked before bleve has the new text, so a crash between the two
	// costs a push, never a stale vector.
	if err := p.x.vec.markChanged(p.changed); err != nil {
		return err
	}
	// Passages first: a crash between the two leaves them ahead of their
	// papers, which only proposes candidates the papers' index then
	// scores (passdocs.go), and the resumed ingest writes both again.
	if p.pb != nil && p.pb.Size() > 0 {
		if err := p.x.passages.idx.Batch(p.pb); err != nil {
			return fmt.Errorf("index %s: passages: %w", p.x.path, err)
		}
	}
	return p.x.commitLocked(ctx, p.bb, p.items, p.dels)
}

// commitLocked writes vectors, then the bleve batch carrying their
// sequence number, and returns once the batch is on disk. Every write of
// either half goes through here, so a vector snapshot taken after a
// confirmed commit never holds a write bleve could still lose. The caller
// holds x.writeMu, which orders sequence numbers as batches.
//
// It stops waiting when ctx ends or a background write fails: the batch
// may still land, but is not confirmed, and the index is marked faulted so
// nothing later assumes it did.
func (x *Index) commitLocked(ctx context.Context, bb *bleve.Batch, items []vector.Item, dels []string) error {
	if err := x.Fault(); err != nil {
		return err
	}
	if len(items)+len(dels) > 0 && x.vec != nil {
		if err := x.checkWrite(phaseVectorLog); err != nil {
			return err
		}
	}
	seq, err := x.vec.write(items, dels)
	if err != nil {
		if seq > 0 {
			x.setFault(err)
		}
		return err
	}
	if seq > 0 {
		bb.SetInternal([]byte(vecSeqKey), seqBytes(seq))
	}
	// bleve's Batch returns once the batch is on disk, or with the error
	// of the first attempt to persist it that failed; only a persister
	// that never gets to it leaves the wait to ctx.
	done := make(chan error, 1)
	go func() {
		if err := x.checkWrite(phaseBatch); err != nil {
			done <- err
			return
		}
		done <- x.idx.Batch(bb)
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = fmt.Errorf("index %s: batch not confirmed on disk: %w", x.path, context.Cause(ctx))
	}
	if err != nil {
		// The vector half is ahead of bleve now (the next writer's open
		// rolls it back); stop writing until then.
		x.setFault(err)
		return err
	}
	// bleve syncs each new segment file and root.bolt but never the
	// store folder: make the new files' names durable before the batch
	// counts as confirmed (docs/durability.md, "What is fsynced when").
	if err := syncDir(storePath(x.path)); err != nil {
		x.setFault(err)
		return fmt.Errorf("index %s: sync %s: %w", x.path, storePath(x.path), err)
	}
	if seq > 0 {
		x.maybeSnapshot()
	}
	return nil
}

// Get loads one paper by ID.
func (x *Index) Get(ctx context.Context, id string) (*corpus.Paper, error) {
	d, err := x.idx.Document(id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("%w: %s", search.ErrNotFound, id)
	}
	var r stored
	d.VisitFields(func(f index.Field) {
		switch f.Name() {
		case fSrc:
			r.src = f.Value()
		case fBody:
			r.body = string(f.Value())
		}
	})
	p, err := r.paper("paper " + id)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Checkpoint reads a source's ingestion checkpoint.
func (x *Index) Checkpoint(ctx context.Context, source string) (search.Checkpoint, bool, error) {
	v, err := x.idx.GetInternal([]byte(checkpointPrefix + source))
	if err != nil || v == nil {
		return search.Checkpoint{}, false, err
	}
	var c search.Checkpoint
	if err := json.Unmarshal(v, &c); err != nil {
		return search.Checkpoint{}, false, fmt.Errorf("checkpoint for %s: %w", source, err)
	}
	return c, true, nil
}

// Count is the number of live papers.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

// Stats describes the index, with facet counts over every paper.
func (x *Index) Stats(ctx context.Context) (*search.Stats, error) {
	n, err := x.idx.DocCount()
	if err != nil {
		return nil, err
	}
	st := &search.Stats{Engine: "embedded (bleve " + bleveVersion + ", BM25)", Path: x.path, Papers: n}
	if v := x.vec; v != nil {
		v.mu.RLock()
		if v.emb != nil {
			st.Embedder = v.emb.Name()
		}
		if v.idx != nil && !v.stale {
			p := v.passageCount()
			st.Vectors, st.PassageVectors = uint64(v.idx.Len()-p), uint64(p)
			st.VectorBytes = v.idx.MemBytes()
			st.Engine = "embedded (bleve " + bleveVersion + " BM25 + int8 HNSW vectors)"
		}
		if v.remote != nil {
			st.Engine = "embedded (bleve " + bleveVersion + " BM25) + " + v.remote.Name()
			if v.ledger != nil && v.emb != nil {
				st.Vectors, st.PassageVectors = uint64(v.ledger.len()), uint64(v.ledger.passageTotal())
			}
		}
		v.mu.RUnlock()
	}
	st.Calibration = x.Calibration()
	st.DiskBytes = x.DiskBytes()
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	st.Segments = len(snap.Segments())
	for k, v := range snap.Internal() {
		if !strings.HasPrefix(k, checkpointPrefix) {
			continue
		}
		var c search.Checkpoint
		if json.Unmarshal(v, &c) == nil {
			st.Checkpoints = append(st.Checkpoints, c)
		}
	}
	snap.Close()
	res, err := x.Search(ctx, search.Request{Facets: search.AllFacets, FacetSize: 10})
	if err != nil {
		return nil, err
	}
	st.Facets = res.Facets
	return st, nil
}

const bleveVersion = "v2.6"

// DiskBytes is the size of the index folder.
func (x *Index) DiskBytes() int64 {
	var total int64
	_ = filepath.WalkDir(x.path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}

// syncCreated makes a new index's files and folders durable: bleve
// writes index_meta.json without a sync and never syncs a folder.
func syncCreated(dir string) error {
	f, err := os.Open(filepath.Join(dir, "index_meta.json"))
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	for _, d := range []string{storePath(dir), dir, filepath.Dir(filepath.Clean(dir))} {
		if err == nil {
			err = syncDir(d)
		}
	}
	return err
}

// EachPaper visits every live paper, in segment order (stable while the
// index is unchanged): what 'quire push' copies.
func (x *Index) EachPaper(ctx context.Context, fn func(*corpus.Paper) error) error {
	return x.eachPaper(ctx, func(string) bool { return true }, fn)
}
