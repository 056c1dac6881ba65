package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// CheckReport is what Check found: like SQLite's integrity_check, every
// part of the index is read and the parts compared with each other.
type CheckReport struct {
	Path     string `json:"path"`
	Papers   uint64 `json:"papers"`
	Vectors  int    `json:"vectors"`  // papers' vectors
	Passages int    `json:"passages"` // passages' vectors
	// BodyPassages are the passages of the papers' full texts, and
	// PassageDocs the passage documents that hold them for BM25
	// (passdocs.go; -1 when none are built).
	BodyPassages int    `json:"body_passages"`
	PassageDocs  int    `json:"passage_documents"`
	BleveSeq     uint64 `json:"bleve_vector_seq"`
	VectorSeq    uint64 `json:"vector_seq"`
	// Remote names the vector store the counts were read from (its
	// ledger) when the vectors live outside the index; sequence numbers
	// then mean nothing.
	Remote      string `json:"remote,omitempty"`
	Checkpoints int    `json:"checkpoints"`
	FacetFiles  int    `json:"facet_files"`
	// Problems are inconsistencies; Notes are states a crash leaves that
	// the next writer resolves by itself; Repaired lists what --repair did.
	Problems []string `json:"problems"`
	Notes    []string `json:"notes,omitempty"`
	Repaired []string `json:"repaired,omitempty"`
}

// OK reports whether no problem was found (after repairs, none left).
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

func (r *CheckReport) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

func (r *CheckReport) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// Check opens the index in dir and verifies it: every stored paper
// decodes and is live once; checkpoints decode and claim no more papers
// than were written from their input; the vector half holds exactly the
// papers' IDs at the sequence number bleve recorded (its snapshot and log
// checksums are verified as it loads); saved facet columns match columns
// built afresh. With repair (which opens the index for writing) it
// rebuilds facet columns, re-syncs the vectors (rebuilding them if they
// cannot be loaded) and drops checkpoints that claim papers the index
// does not have, so the next ingest reads those sources again.
func Check(ctx context.Context, dir string, o Options, repair bool) (*CheckReport, error) {
	r := &CheckReport{Path: dir, Problems: []string{}}
	o.ReadOnly = !repair
	x, err := OpenContext(ctx, dir, o)
	if err != nil && repair && strings.Contains(err.Error(), ": vectors: ") {
		// Vectors that do not load are rebuilt from the papers.
		r.problem("%v", err)
		if rerr := os.RemoveAll(filepath.Join(dir, vectorDir, "index")); rerr != nil {
			return r, rerr
		}
		r.Repaired = append(r.Repaired, "removed the vector index that did not load; rebuilt below")
		x, err = OpenContext(ctx, dir, o)
		r.Problems = r.Problems[:0]
	}
	if err != nil {
		return r, err
	}
	defer x.Close()
	return r, x.check(ctx, r, repair)
}

func (x *Index) check(ctx context.Context, r *CheckReport, repair bool) error {
	lex, byInput, err := x.checkPapers(ctx, r)
	if err != nil {
		return err
	}
	dropCk := x.checkCheckpoints(r, byInput)
	staleVec := x.checkVectors(r, lex)
	badFacets, err := x.checkFacets(ctx, r)
	if err != nil {
		return err
	}
	rebuild, err := x.checkPassageDocs(r)
	if err != nil {
		return err
	}
	if !repair {
		return nil
	}
	before := len(r.Problems)
	if len(dropCk) > 0 {
		b := x.idx.NewBatch()
		for _, src := range dropCk {
			b.DeleteInternal([]byte(checkpointPrefix + src))
		}
		x.writeMu.Lock()
		err := x.commitLocked(ctx, b, nil, nil)
		x.writeMu.Unlock()
		if err != nil {
			return err
		}
		r.Repaired = append(r.Repaired, fmt.Sprintf("dropped the checkpoints of %s: the next ingest reads them again", strings.Join(dropCk, ", ")))
	}
	if len(badFacets) > 0 {
		for _, p := range badFacets {
			os.Remove(p)
		}
		x.facets = newFacetCache(x.facets.dir)
		if err := x.saveFacets(); err != nil {
			return err
		}
		r.Repaired = append(r.Repaired, fmt.Sprintf("rebuilt %d facet column files", len(badFacets)))
	}
	if staleVec {
		if err := x.SyncVectors(ctx, nil); err != nil {
			return fmt.Errorf("re-sync vectors: %w", err)
		}
		r.Repaired = append(r.Repaired, "re-synced the vectors with the papers")
	}
	if rebuild {
		if err := x.rebuildPassages(ctx); err != nil {
			return fmt.Errorf("rebuild passage documents: %w", err)
		}
		r.Repaired = append(r.Repaired, "rebuilt the passage documents from the papers")
	}
	// Check again what was repaired, from scratch.
	again := &CheckReport{Path: r.Path, Problems: []string{}}
	if err := x.check(ctx, again, false); err != nil {
		return err
	}
	if len(again.Problems) == 0 && before > 0 {
		r.Repaired = append(r.Repaired, fmt.Sprintf("%d problems fixed; a second check found none", before))
	}
	r.Problems = again.Problems
	return nil
}

// checkPapers reads every live paper; it returns their IDs and how many
// were written from each input (by fingerprint).
func (x *Index) checkPapers(ctx context.Context, r *CheckReport) (map[string]bool, map[string]int64, error) {
	snap, err := x.snapshot()
	if err != nil {
		return nil, nil, err
	}
	defer snap.Close()
	lex := map[string]bool{}
	byInput := map[string]int64{}
	bad := 0
	for _, ss := range snap.Segments() {
		live := ss.DocNumbersLive()
		for it, i := live.Iterator(), 0; it.HasNext(); i++ {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
			}
			doc := uint64(it.Next())
			raw, err := ss.DocID(doc)
			if err != nil {
				return nil, nil, fmt.Errorf("segment %d doc %d: %w", ss.Id(), doc, err)
			}
			id := string(raw)
			if lex[id] {
				r.problem("paper %s is live twice", id)
			}
			lex[id] = true
			rec, err := readStored(ss, doc)
			var p corpus.Paper
			switch {
			case err != nil:
				err = fmt.Errorf("stored fields: %w", err)
			case rec.src == nil:
				err = fmt.Errorf("no stored record")
			default:
				if err = json.Unmarshal(rec.src, &p); err == nil && p.ID != id {
					err = fmt.Errorf("stored record has id %q", p.ID)
				}
				if err == nil {
					var n int
					n, err = checkPassages(rec)
					r.BodyPassages += n
				}
			}
			if err != nil {
				if bad++; bad <= 10 {
					r.problem("paper %s: %v", id, err)
				}
				continue
			}
			var o search.Origin
			if rec.origin != nil && json.Unmarshal(rec.origin, &o) == nil {
				byInput[o.Fingerprint]++
			}
		}
	}
	if bad > 10 {
		r.problem("… and %d more papers that do not decode", bad-10)
	}
	n, err := x.idx.DocCount()
	if err != nil {
		return nil, nil, err
	}
	r.Papers = n
	if n != uint64(len(lex)) {
		r.problem("bleve counts %d papers, its segments hold %d live", n, len(lex))
	}
	return lex, byInput, nil
}

// checkCheckpoints returns the sources whose checkpoint claims more
// papers than the index has from their input.
func (x *Index) checkCheckpoints(r *CheckReport, byInput map[string]int64) []string {
	snap, err := x.snapshot()
	if err != nil {
		r.problem("checkpoints: %v", err)
		return nil
	}
	defer snap.Close()
	var drop []string
	for k, v := range snap.Internal() {
		src, ok := strings.CutPrefix(k, checkpointPrefix)
		if !ok {
			continue
		}
		r.Checkpoints++
		var c search.Checkpoint
		if err := json.Unmarshal(v, &c); err != nil {
			r.problem("checkpoint of %s does not decode: %v", src, err)
			drop = append(drop, src)
			continue
		}
		got, known := byInput[search.OriginFingerprint(c.Fingerprint)]
		switch {
		case !known && c.Papers > 0:
			// Written before papers recorded their origin, or every paper
			// was replaced by another source's copy since.
			if uint64(c.Papers) > r.Papers {
				r.problem("checkpoint of %s claims %d papers, the index has %d", src, c.Papers, r.Papers)
				drop = append(drop, src)
			}
		case got > c.Papers:
			r.problem("checkpoint of %s claims %d papers, but %d were written from it", src, c.Papers, got)
			drop = append(drop, src)
		case got < c.Papers:
			r.note("checkpoint of %s claims %d papers, %d are still from it (the rest were replaced by other sources or deleted)", src, c.Papers, got)
		}
	}
	slices.Sort(drop)
	return drop
}

// checkVectors compares the vector half with the papers; it reports
// whether a sync would change it.
func (x *Index) checkVectors(r *CheckReport, lex map[string]bool) bool {
	r.BleveSeq = x.vectorSeq()
	v := x.vec
	if v == nil {
		return false
	}
	v.mu.RLock()
	idx, stale, emb, passages := v.idx, v.stale, v.emb, v.passages
	v.mu.RUnlock()
	if v.remote != nil {
		return x.checkRemote(r, lex, emb != nil)
	}
	if idx == nil {
		if emb != nil && len(lex) > 0 {
			r.note("the embedder is trained but no vectors are stored yet (the next ingest embeds the papers)")
			return true
		}
		return false
	}
	r.VectorSeq = idx.Seq()
	switch {
	case !passages && !v.noPassages:
		r.note("the index holds no passage vectors (made before them, or with [embed] passages off); the next ingest embeds its passages")
	case passages && v.noPassages:
		r.note("passage vectors are turned off ([embed] passages); the next ingest drops the stored ones")
	}
	if n := idx.Ahead(); n > 0 {
		batches := "batches"
		if n == 1 {
			batches = "batch"
		}
		r.note("the vector log holds %d %s bleve did not commit (a crash); they are left out, and the next writer cuts them", n, batches)
	}
	if stale {
		if r.VectorSeq > r.BleveSeq {
			r.problem("the vector snapshot is at sequence %d, past bleve's %d: its vectors are not trusted", r.VectorSeq, r.BleveSeq)
		} else {
			r.note("the vectors were made by another embedder; the next ingest rebuilds them")
		}
		return true
	}
	if r.VectorSeq < r.BleveSeq {
		r.problem("bleve recorded vector sequence %d, the vector index has only %d", r.BleveSeq, r.VectorSeq)
	}
	var missing, extra []string
	vec := map[string]bool{}
	idx.EachID(func(_ uint32, id []byte) {
		p, passage := paperOf(id)
		if passage {
			r.Passages++
		} else {
			r.Vectors++
			vec[string(id)] = true
		}
		if !lex[string(p)] {
			extra = append(extra, showVectorID(string(id)))
		}
	})
	for id := range lex {
		if !vec[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		r.problem("%d papers have no vector (e.g. %s)", len(missing), strings.Join(first(missing), ", "))
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		r.problem("%d vectors have no paper (e.g. %s)", len(extra), strings.Join(first(extra), ", "))
	}
	return len(missing)+len(extra) > 0 || r.VectorSeq < r.BleveSeq
}

func first(s []string) []string { return s[:min(3, len(s))] }

// checkFacets compares every saved facet column with one built from the
// segment; it returns the files that are damaged or disagree.
func (x *Index) checkFacets(ctx context.Context, r *CheckReport) ([]string, error) {
	c := x.facets
	if c.dir == "" {
		return nil, nil
	}
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	fresh := newFacetCache("")
	var bad []string
	for _, ss := range snap.Segments() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		size := c.segBytes(ss.Id())
		if size < 0 {
			continue
		}
		docs := int(ss.Segment().Count())
		for fi, spec := range facetSpecs {
			p := c.path(ss.Id(), fi)
			b, err := os.ReadFile(p)
			if os.IsNotExist(err) {
				continue // not saved yet: built when first counted
			}
			r.FacetFiles++
			var saved column
			if err == nil {
				saved, err = decodeColumn(b, docs, size, spec.multi, fresh.dicts[fi])
			}
			if err != nil {
				r.problem("facet column %s: %v", p, err)
				bad = append(bad, p)
				continue
			}
			built, err := fresh.build(ss.Segment(), fi)
			if err != nil {
				return nil, err
			}
			if !slices.Equal(saved.vals, built.vals) || !slices.Equal(saved.offs, built.offs) {
				r.problem("facet column %s disagrees with its segment", p)
				bad = append(bad, p)
			}
		}
	}
	return bad, nil
}

// checkPassages checks that a record's stored passage bounds decode and
// lie within its stored full text.
func checkPassages(rec stored) (int, error) {
	if rec.chunks == nil || rec.body == "" {
		return 0, nil
	}
	refs, err := decodeChunkRefs(rec.chunks)
	if err != nil {
		return 0, fmt.Errorf("stored passages: %w", err)
	}
	for _, c := range refs {
		if c.Start < 0 || c.Start >= c.End || c.End > len(rec.body) {
			return 0, fmt.Errorf("stored passage %d spans %d–%d of a %d-byte full text", c.Index, c.Start, c.End, len(rec.body))
		}
	}
	return len(refs), nil
}

// checkPassageDocs compares the passage documents with the papers'
// passages and reports whether they should be rebuilt. A mismatch is a
// note: a write stopped between the two costs searches candidates, never
// a wrong result (passdocs.go).
func (x *Index) checkPassageDocs(r *CheckReport) (bool, error) {
	r.PassageDocs = -1
	pi := x.passages
	if pi == nil || !pi.complete.Load() {
		if r.BodyPassages > 0 {
			r.note("the passage documents are not built yet: the next 'quire ingest' builds them (until then a paper is found by a passage only among the best %d by whole text)", passageRerankDepth)
		}
		return r.BodyPassages > 0, nil
	}
	n, err := pi.idx.DocCount()
	if err != nil {
		return false, err
	}
	r.PassageDocs = int(n)
	if int(n) != r.BodyPassages {
		r.note("%d passage documents for the papers' %d passages: a write stopped between the two, which costs searches candidates; --repair rebuilds them", n, r.BodyPassages)
		return true, nil
	}
	return false, nil
}
