package embedded

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
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
// (TestRescoreDepth, docs/passages.md). So every passage is also a BM25
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
	// passageCandidates is how many of the best passages name candidates.
	// Each new candidate is rescored from the papers' index, the search's
	// dearest step: 20 found 65 of 100 sentences' papers on 20,000
	// synthetic full texts, 50 found 72 at twice the added time, 10 found
	// 61 (TestRescoreDepth).
	passageCandidates = 20
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
}

// openPassages opens the passage index of x, creating it for a writer.
// A reader without a complete one gets nil: it searches without. A
// writer whose passage index does not open rebuilds it, as it derives
// wholly from the papers.
func (x *Index) openPassages() (*passageIndex, error) {
	path := filepath.Join(x.path, passagesDir)
	pi := &passageIndex{x: x}
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
// passages, best first, ranked by the papers' index's own BM25 executor
// (exec.go) over the passage documents.
func (pi *passageIndex) papers(ctx context.Context, c clauses) ([]string, error) {
	if !pi.complete.Load() {
		return nil, nil
	}
	snap, err := snapshotOf(pi.idx, filepath.Join(pi.x.path, passagesDir))
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	x := pi.x
	p := &plan{x: x, snap: snap, segs: snap.Segments(), k1: x.opts.K1, b: x.opts.B, hasText: true}
	n, err := snap.DocCount()
	if err != nil || n == 0 {
		return nil, err
	}
	avg := x.lengthStats().avg(fPassage)
	for _, t := range c.body {
		df, err := p.docFreq(fPassage, t.term)
		if err != nil {
			return nil, err
		}
		if df > 0 {
			p.terms = append(p.terms, qterm{field: fPassage, term: t.term, weight: t.weight, idf: idf(n, df), avgLen: avg})
		}
	}
	if len(p.terms) == 0 {
		return nil, nil
	}
	segs := make([]segHits, len(p.segs))
	for si, ss := range p.segs {
		cur, err := p.cursors(ss)
		if err != nil {
			return nil, err
		}
		// Every live passage may score: hits only says whether the
		// segment has any, and ORing the postings would cost more than
		// ranking them.
		live := ss.DocNumbersLive()
		hits := live
		if len(cur) == 0 {
			hits = roaring.New()
		}
		segs[si] = segHits{ss: ss, allowed: live, hits: hits, cur: cur}
	}
	top := &sharedTop{want: passageCandidates}
	top.theta.Store(math.Float64bits(-1))
	if err := p.rank(ctx, segs, top); err != nil {
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

// byPassage returns the hits, other than rescored, whose papers own the
// query's best passages, scored as the ranking scores them.
func (lx *lexical) byPassage(ctx context.Context, rescored []scored, c clauses) ([]scored, error) {
	src := lx.p.x.passageDocs
	if src == nil {
		return nil, nil
	}
	ids, err := src.papers(ctx, c)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var out []scored
	for si, sh := range lx.segs {
		if sh.hits.IsEmpty() {
			continue
		}
		bm, err := sh.ss.DocNumbers(ids)
		if err != nil {
			return nil, err
		}
		bm.And(sh.hits)
		for _, s := range rescored {
			if s.seg == si {
				bm.Remove(uint32(s.local))
			}
		}
		if bm.IsEmpty() {
			continue
		}
		var cands []scored
		for it := bm.Iterator(); it.HasNext(); {
			cands = append(cands, scored{seg: si, local: uint64(it.Next())})
		}
		if err := lx.p.scoreAll(sh, cands); err != nil {
			return nil, err
		}
		out = append(out, cands...)
	}
	return out, nil
}
