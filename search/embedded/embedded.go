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
	// Mode is the default search mode (search.ModeHybrid when vectors
	// exist, else search.ModeBM25).
	Mode string
	// Fusion merges the halves of a hybrid search.
	Fusion fusion.Options
	// Candidates is how many hits the BM25 half offers fusion (default 100).
	Candidates int
	// VectorCandidates is how many the vector half offers (default 300).
	VectorCandidates int
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
type Index struct {
	path   string
	opts   Options
	idx    bleve.Index
	an     analyzers
	facets *facetCache
	// restricts caches what recent filters allow, per segment.
	restricts *restrictCache

	mu        sync.Mutex
	persisted []chan error // one per batch not yet known to be on disk
	stats     lengthStats

	vec     *vectors   // nil when the index has no vector half
	writeMu sync.Mutex // orders vector writes as bleve batches

	closeOnce sync.Once
	closeErr  error
}

var _ search.Engine = (*Index)(nil)

const checkpointPrefix = "ckpt\x00"

// Open opens the index in dir, creating it when dir does not exist or is
// empty.
func Open(dir string, o Options) (*Index, error) {
	o = o.withDefaults()
	im, err := newMapping()
	if err != nil {
		return nil, err
	}
	runtime := map[string]any{
		// A batch returns once it is searchable; the persister writes it out
		// soon after. A crash loses at most the last unpersisted batches, and
		// the checkpoints written inside them, so a rerun redoes exactly that.
		"unsafe_batch": true,
		"read_only":    o.ReadOnly,
	}
	var idx bleve.Index
	if exists(filepath.Join(dir, "index_meta.json")) {
		idx, err = bleve.OpenUsing(dir, runtime)
		if err != nil {
			return nil, fmt.Errorf("open index %s: %w", dir, err)
		}
	} else {
		if o.ReadOnly {
			return nil, fmt.Errorf("no index at %s (run 'quire ingest' or 'quire demo' first)", dir)
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, err
		}
		idx, err = bleve.NewUsing(dir, im, scorch.Name, scorch.Name, runtime)
		if err != nil {
			return nil, fmt.Errorf("create index %s: %w", dir, err)
		}
	}
	x := &Index{path: dir, opts: o, idx: idx, an: resolveAnalyzers(im), facets: newFacetCache(filepath.Join(dir, facetDir)), restricts: newRestrictCache(restrictCacheBytes)}
	if err := x.loadStats(); err != nil {
		idx.Close()
		return nil, fmt.Errorf("open index %s: length statistics: %w", dir, err)
	}
	if err := x.openVectors(o); err != nil {
		idx.Close()
		return nil, fmt.Errorf("open index %s: vectors: %w", dir, err)
	}
	return x, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Close waits until every batch is on disk, then closes the index. Batches
// return as soon as they are searchable (see Open), and bleve's Close does
// not flush what the persister has not written yet. Closing again does
// nothing and returns the first Close's error.
func (x *Index) Close() error {
	x.closeOnce.Do(func() { x.closeErr = x.close() })
	return x.closeErr
}

func (x *Index) close() error {
	err := x.Flush(closeTimeout)
	if err == nil && !x.opts.ReadOnly {
		// A cache: failing to save it costs the next open time, no data.
		_ = x.saveFacets()
	}
	if err == nil && x.vec != nil && x.vec.idx != nil && !x.opts.ReadOnly {
		// Everything bleve has is on disk, so the snapshot may cover it all.
		err = x.vec.idx.Snapshot()
	}
	return errors.Join(err, x.vec.close(), x.idx.Close())
}

const closeTimeout = 5 * time.Minute

// saveFacets writes the facet columns later opens read instead of building.
func (x *Index) saveFacets() error {
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

// Flush waits until every batch applied so far is persisted.
func (x *Index) Flush(timeout time.Duration) error {
	x.mu.Lock()
	pending := x.persisted
	x.persisted = nil
	x.mu.Unlock()
	deadline := time.After(timeout)
	for _, ch := range pending {
		select {
		case err := <-ch:
			if err != nil {
				return fmt.Errorf("persist index %s: %w", x.path, err)
			}
		case <-deadline:
			return fmt.Errorf("persist index %s: not on disk after %s", x.path, timeout)
		}
	}
	return nil
}

// Path is the index folder.
func (x *Index) Path() string { return x.path }

// Apply writes upserts, deletions and checkpoints in one bleve batch, which
// scorch introduces atomically.
func (x *Index) Apply(ctx context.Context, b *search.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	items, err := x.vec.embedBatch(ctx, b.Upserts)
	if err != nil {
		return err
	}
	bb := x.idx.NewBatch()
	for i := range b.Upserts {
		d, err := x.an.buildDocument(&b.Upserts[i])
		if err != nil {
			return fmt.Errorf("paper %q: %w", b.Upserts[i].ID, err)
		}
		if err := bb.IndexAdvanced(d); err != nil {
			return fmt.Errorf("paper %q: %w", b.Upserts[i].ID, err)
		}
	}
	for _, id := range b.Deletes {
		bb.Delete(id)
	}
	if err := x.sample(b.Upserts, bb); err != nil {
		return err
	}
	for _, c := range b.Checkpoints {
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		bb.SetInternal([]byte(checkpointPrefix+c.Source), v)
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return x.commitLocked(bb, items, b.Deletes)
}

// commitLocked writes vectors, then the bleve batch carrying their
// sequence number, and tracks the batch until it is on disk (Flush waits
// for it). Every write of either half goes through here, so a vector
// snapshot taken after Flush never holds a write bleve could still lose.
// The caller holds x.writeMu, which orders sequence numbers as batches.
func (x *Index) commitLocked(bb *bleve.Batch, items []vector.Item, dels []string) error {
	seq, err := x.vec.write(items, dels)
	if err != nil {
		return err
	}
	if seq > 0 {
		bb.SetInternal([]byte(vecSeqKey), seqBytes(seq))
	}
	ch := make(chan error, 1)
	bb.SetPersistedCallback(func(err error) { ch <- err })
	if err := x.idx.Batch(bb); err != nil {
		return err
	}
	x.mu.Lock()
	// Drop channels already signalled so a long ingest keeps few.
	live := x.persisted[:0]
	for _, c := range x.persisted {
		if len(c) == 0 {
			live = append(live, c)
		}
	}
	x.persisted = append(live, ch)
	x.mu.Unlock()
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
	var src []byte
	d.VisitFields(func(f index.Field) {
		if f.Name() == fSrc {
			src = f.Value()
		}
	})
	if src == nil {
		return nil, fmt.Errorf("paper %s has no stored record", id)
	}
	var p corpus.Paper
	if err := json.Unmarshal(src, &p); err != nil {
		return nil, fmt.Errorf("paper %s: stored record: %w", id, err)
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
			st.Vectors = uint64(v.idx.Len())
			st.VectorBytes = v.idx.MemBytes()
			st.Engine = "embedded (bleve " + bleveVersion + " BM25 + int8 HNSW vectors)"
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
