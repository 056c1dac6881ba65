package embedded

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/quire-research/quire/corpus"
)

// Passage rescoring (rerank.go) ranks the best passageRerankDepth hits by
// whole-body BM25 by their best passage; a paper whose body as a whole
// ranks lower is never looked at, however well one passage matches. On
// 20,000 synthetic full texts that left a body sentence's paper first for
// 37 of 100 sentences where ranking every hit by its best passage gave 80
// (TestRescoreDepth, docs/passages.md). So every passage is also a
// document of its own, in a second bleve index beside the papers', and
// the papers that own a query's best passages join the rescored hits.
//
// The passage index only proposes candidates: their scores come from the
// papers' own index, as every rescored hit's do. A passage index that lags
// its papers (a crash between the two writes) therefore costs recall,
// never a wrong score or a paper the filters exclude, and it is written
// first, so a crash leaves it ahead: the ingest that resumes rewrites both.

const (
	// passagesDir holds the passage index, inside the papers' index.
	passagesDir = "passages"
	// passagesComplete marks a passage index that holds every paper's
	// passages; until then (an index made before it) searches do without.
	passagesComplete = "complete"
	// fPassage is a passage document's one field: its text.
	fPassage = "t"
	// passageCandidates is how many of the best passages name candidates,
	// each rescored in full from the papers' index. On 100,000 synthetic
	// full texts ('quire bench --full-text', 300 body sentences) their
	// paper came first for 73% with 20, 75% with 30, 76% with 40 and 82%
	// with 120, at hybrid p50 39, 39, 41 and 49 ms: 30 keeps a sentence
	// within the 40 ms budget (docs/passages.md).
	passageCandidates = 30
)

// passageDocs finds the papers that own a query's best passages.
type passageDocs interface {
	papers(ctx context.Context, c clauses) ([]string, error)
}

// passageIndex is the passage documents of one papers' index.
type passageIndex struct {
	x        *Index
	idx      bleve.Index
	complete atomic.Bool
	want     int // passages that name candidates: passageCandidates
}

// openPassages opens the passage index of x, creating it for a writer.
// A reader without a complete one gets nil: it searches without. A
// writer whose passage index does not open rebuilds it, as it derives
// wholly from the papers.
func (x *Index) openPassages() (*passageIndex, error) {
	path := filepath.Join(x.path, passagesDir)
	pi := &passageIndex{x: x, want: passageCandidates}
	if x.opts.ReadOnly {
		if !exists(filepath.Join(path, "index_meta.json")) {
			return nil, nil
		}
		idx, err := bleve.OpenUsing(path, map[string]any{"read_only": true, "bolt_timeout": "2s"})
		if err != nil {
			return nil, nil // searches do without; 'quire check' says why
		}
		pi.idx = idx
	} else {
		idx, err := bleve.OpenUsing(path, map[string]any{"unsafe_batch": false})
		if err != nil {
			if err := os.RemoveAll(path); err != nil {
				return nil, err
			}
			im, err := passageMapping()
			if err != nil {
				return nil, err
			}
			if idx, err = bleve.NewUsing(path, im, scorch.Name, scorch.Name, map[string]any{"unsafe_batch": false}); err != nil {
				return nil, fmt.Errorf("create passage index %s: %w", path, err)
			}
			// A new passage index is complete when there are no papers
			// to take passages from.
			if n, err := x.idx.DocCount(); err != nil || n == 0 {
				if err == nil {
					err = idx.SetInternal([]byte(passagesComplete), []byte{1})
				}
				if err != nil {
					idx.Close()
					return nil, err
				}
			}
		}
		pi.idx = idx
	}
	v, err := pi.idx.GetInternal([]byte(passagesComplete))
	if err != nil {
		pi.idx.Close()
		return nil, err
	}
	pi.complete.Store(v != nil)
	if x.opts.ReadOnly && v == nil {
		pi.idx.Close()
		return nil, nil
	}
	return pi, nil
}

func passageMapping() (*mapping.IndexMappingImpl, error) {
	im, err := newMapping()
	if err != nil {
		return nil, err
	}
	fm := mapping.NewTextFieldMapping()
	fm.Analyzer, fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = anProse, false, false, false, false
	im.DefaultMapping.AddFieldMappingsAt(fPassage, fm)
	return im, nil
}

func (pi *passageIndex) close() error {
	if pi == nil {
		return nil
	}
	return pi.idx.Close()
}

// batch returns the writes that make the passage index match upserts and
// dels: each upserted paper's passages, and the removal of the ones past
// its new count and of deleted papers'.
func (pi *passageIndex) batch(upserts []corpus.Paper, dels []string) (*bleve.Batch, error) {
	// One snapshot for the batch's lookups, not a reader per passage.
	snap, err := snapshotOf(pi.idx, filepath.Join(pi.x.path, passagesDir))
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	b := pi.idx.NewBatch()
	for i := range upserts {
		p := &upserts[i]
		n, err := pi.add(b, p)
		if err != nil {
			return nil, fmt.Errorf("paper %q: passages: %w", p.ID, err)
		}
		if err := stalePassageDocs(snap, b, p.ID, n); err != nil {
			return nil, err
		}
	}
	for _, id := range dels {
		if err := stalePassageDocs(snap, b, id, 0); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// add puts p's passages in b and returns how many there are.
func (pi *passageIndex) add(b *bleve.Batch, p *corpus.Paper) (int, error) {
	cs := corpus.BodyChunks(p)
	for i, c := range cs {
		d := document.NewDocument(passageID(p.ID, i))
		d.AddField(document.NewTextFieldCustom(fPassage, nil, []byte(c.Text), index.IndexField, pi.x.an.prose))
		if err := b.IndexAdvanced(d); err != nil {
			return 0, err
		}
	}
	return len(cs), nil
}

// stalePassageDocs deletes in b the paper's stored passages from number
// n on.
// Passages are numbered from 0 without gaps, so they end at the first
// number not stored.
func stalePassageDocs(snap *scorch.IndexSnapshot, b *bleve.Batch, paper string, n int) error {
	for ; ; n++ {
		id := passageID(paper, n)
		d, err := snap.Document(id)
		if err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		b.Delete(id)
	}
}

// rebuildPassages replaces the passage documents with new ones, made
// from the papers.
func (x *Index) rebuildPassages(ctx context.Context) error {
	x.writeMu.Lock()
	x.passageDocs = nil
	err := x.passages.close()
	if err == nil {
		err = os.RemoveAll(filepath.Join(x.path, passagesDir))
	}
	if err == nil {
		x.passages, err = x.openPassages()
	}
	if x.passages != nil {
		x.passageDocs = x.passages
	}
	x.writeMu.Unlock()
	if err != nil {
		return err
	}
	return x.syncPassages(ctx, func(string, int, int) {})
}

// syncPassages fills a passage index made after its papers (an index from
// before passage documents, or one rebuilt): every paper's passages, then
// the mark that searches may use it. Stopped, it starts over next time.
func (x *Index) syncPassages(ctx context.Context, progress SyncProgress) error {
	pi := x.passages
	if pi == nil || x.opts.ReadOnly || pi.complete.Load() {
		return nil
	}
	if err := x.Fault(); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	n, err := x.idx.DocCount()
	if err != nil {
		return err
	}
	const phase = "index passages"
	done := 0
	b := pi.idx.NewBatch()
	err = x.EachPaper(ctx, func(p *corpus.Paper) error {
		if _, err := pi.add(b, p); err != nil {
			return fmt.Errorf("paper %q: passages: %w", p.ID, err)
		}
		if done++; b.Size() >= 4096 {
			if err := pi.idx.Batch(b); err != nil {
				return err
			}
			b.Reset()
			progress(phase, done, int(n))
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.SetInternal([]byte(passagesComplete), []byte{1})
	if err := pi.idx.Batch(b); err != nil {
		return err
	}
	progress(phase, done, int(n))
	pi.complete.Store(true)
	return nil
}

// papers returns the papers that own the query's passageCandidates best
// passages, best first.
//
// A passage is ranked by the idf of the query's words it holds, each
// clause counted once at its weight: BM25 with every term counted once
// in a passage of average length. The passages only propose candidates,
// which the papers' index then scores in full (rerank.go), and the chunker
// cuts passages to one budget, so their lengths and counts say little;
// what they cost is most of a sentence's search. zap reads a term's
// counts by walking its postings, and at 3.6M passages a probe walked
// most of every list: the full BM25 ranking took p50 49 ms a sentence on
// 100,000 synthetic full texts. Which passages hold a word is a roaring
// bitmap, probed and skipped through without a walk.
func (pi *passageIndex) papers(ctx context.Context, c clauses) ([]string, error) {
	if !pi.complete.Load() {
		return nil, nil
	}
	snap, err := snapshotOf(pi.idx, filepath.Join(pi.x.path, passagesDir))
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	p := &plan{x: pi.x, snap: snap, segs: snap.Segments()}
	n, err := snap.DocCount()
	if err != nil || n == 0 {
		return nil, err
	}
	var terms []qterm
	for _, t := range c.body {
		df, err := p.docFreq(fPassage, t.term)
		if err != nil {
			return nil, err
		}
		if df > 0 {
			terms = append(terms, qterm{field: fPassage, term: t.term, weight: t.weight, idf: idf(n, df)})
		}
	}
	if len(terms) == 0 {
		return nil, nil
	}
	// Ascending weight, for maxScore's bounds; the score is summed in
	// this order too, so equal term sets score exactly equal.
	slices.SortStableFunc(terms, func(a, b qterm) int { return cmp.Compare(a.weight*a.idf, b.weight*b.idf) })
	top := &sharedTop{want: pi.want}
	top.theta.Store(math.Float64bits(-1))
	err = parallel(ctx, min(runtime.GOMAXPROCS(0), len(p.segs)), len(p.segs), func(_, si int) error {
		return rankHeld(ctx, p.segs[si], si, terms, top)
	})
	if err != nil {
		return nil, err
	}
	best := make([]scored, len(top.h))
	for i := len(best) - 1; i >= 0; i-- {
		best[i] = heap.Pop(&top.h).(scored)
	}
	var ids []string
	seen := map[string]bool{}
	for _, s := range best {
		raw, err := p.loadID(s)
		if err != nil {
			return nil, err
		}
		if id, _ := paperOf(raw); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// rankHeld ranks one segment's passages into top by the summed weight of
// the terms (ascending by weight) each holds: MaxScore over the terms'
// bitmaps. A document counts only if some essential term has it; the
// others are probed.
func rankHeld(ctx context.Context, ss *scorch.SegmentSnapshot, seg int, terms []qterm, top *sharedTop) error {
	d, err := ss.Segment().Dictionary(fPassage)
	if err != nil {
		return err
	}
	w := make([]float64, len(terms))
	bms := make([]*roaring.Bitmap, len(terms))
	its := make([]roaring.IntPeekable, len(terms))
	prefix := make([]float64, len(terms)) // prefix[i] = w[0] + … + w[i]
	deleted := ss.Deleted()
	for i := range terms {
		pl, err := d.PostingsList(terms[i].term, nil, nil)
		if err != nil {
			return err
		}
		bms[i] = roaring.New()
		orInto(bms[i], pl) // the whole list: OrInto ignores an exception
		if deleted != nil {
			bms[i].AndNot(deleted)
		}
		its[i] = bms[i].Iterator()
		w[i] = terms[i].weight * terms[i].idf
		prefix[i] = w[i]
		if i > 0 {
			prefix[i] += prefix[i-1]
		}
	}
	const slack = 1e-9 // bounds summed in another order than scores
	for steps := 0; ; steps++ {
		if steps&0xffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		theta := top.threshold()
		ess := 0
		for ess < len(terms) && prefix[ess] < theta-slack {
			ess++
		}
		doc := uint32(math.MaxUint32)
		found := false
		for _, it := range its[ess:] {
			if it.HasNext() && it.PeekNext() <= doc {
				doc, found = it.PeekNext(), true
			}
		}
		if !found {
			return nil
		}
		bound := 0.0
		for i := ess; i < len(terms); i++ {
			if its[i].HasNext() && its[i].PeekNext() == doc {
				bound += w[i]
				its[i].Next()
			}
		}
		for i := ess - 1; i >= 0 && bound+prefix[i] >= theta-slack; i-- {
			if bms[i].Contains(doc) {
				bound += w[i]
			}
		}
		if bound < theta-slack {
			continue
		}
		var s float64
		for i := range terms {
			if bms[i].Contains(doc) {
				s += w[i]
			}
		}
		top.offer(scored{s, seg, uint64(doc)})
	}
}

// byPassage returns the hits, other than rescored, whose papers own the
// query's best passages, scored without their full-text clauses: the
// rescoring that follows gives them their best passage's (rerank.go).
func (lx *lexical) byPassage(ctx context.Context, rescored []scored, c clauses) ([]scored, error) {
	src := lx.p.x.passageDocs
	if src == nil {
		return nil, nil
	}
	ids, err := src.papers(ctx, c)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	found := make([][]scored, len(lx.segs))
	err = parallel(ctx, min(runtime.GOMAXPROCS(0), len(lx.segs)), len(lx.segs), func(_, si int) error {
		sh := lx.segs[si]
		if sh.hits.IsEmpty() {
			return nil
		}
		bm, err := sh.ss.DocNumbers(ids)
		if err != nil {
			return err
		}
		bm.And(sh.hits)
		for _, s := range rescored {
			if s.seg == si {
				bm.Remove(uint32(s.local))
			}
		}
		if bm.IsEmpty() {
			return nil
		}
		var cands []scored
		for it := bm.Iterator(); it.HasNext(); {
			cands = append(cands, scored{seg: si, local: uint64(it.Next())})
		}
		found[si] = cands
		return lx.p.scoreAll(sh, cands, false)
	})
	return slices.Concat(found...), err
}
