package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/probe"
)

// How hybrid search adapts to a corpus. No single fusion suits every
// collection: on SciFact the vector half is the weaker one and a vector
// weight above 0.4 loses nDCG@10, while on MED, Cranfield and CISI it is
// the stronger one and hybrid only beats it when leaning on it and
// expanding the BM25 query. The probe (package probe) tells the two kinds
// apart from the papers alone; its verdict is kept beside the vectors.
const (
	calibrationFile = "calibration.json"
	probeSample     = 10000 // papers the probe searches among
	// leanGain is the probe's vector-minus-BM25 MRR from which hybrid leans
	// on the vector half. Measured gains: SciFact −0.03 to −0.05; MED,
	// Cranfield and CISI +0.11 to +0.28.
	leanGain   = 0.05
	leanWeight = 0.6 // the least vector weight when leaning
	// reprobeAt: the probe runs again once the index has grown or shrunk
	// by this fraction since it last ran.
	reprobeAt = 0.25
)

// calibration is the probe's verdict on one embedder over one index.
type calibration struct {
	Embedder string `json:"embedder"`
	Papers   uint64 `json:"papers"`
	probe.Result
	// Lean says hybrid leans on the vector half and expands queries.
	Lean bool `json:"lean"`
}

// Calibration reports the probe's last verdict; nil when none applies (no
// vectors yet, adaptation off, or another embedder's verdict).
func (x *Index) Calibration() *search.Calibration {
	cal := x.calibration()
	if cal == nil {
		return nil
	}
	fo, _ := x.fusionFor(cal)
	return &search.Calibration{Probes: cal.Probes, BM25MRR: cal.BM25MRR, VectorMRR: cal.VectorMRR, Lean: cal.Lean, Expands: cal.Lean, Weight: fo.Weight}
}

// calibration is the verdict for the current embedder, or nil.
func (x *Index) calibration() *calibration {
	v := x.vec
	if v == nil || !x.opts.Adaptive {
		return nil
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.cal == nil || v.emb == nil || v.cal.Embedder != v.emb.Name() {
		return nil
	}
	return v.cal
}

// fusionFor is the fusion a hybrid search uses, and whether it expands
// the query.
func (x *Index) fusionFor(cal *calibration) (fusion.Options, bool) {
	fo := x.opts.Fusion
	if cal == nil || !cal.Lean {
		return fo, false
	}
	fo.Weight = max(fo.Weight, leanWeight)
	return fo, true
}

func loadCalibration(dir string) (*calibration, error) {
	b, err := os.ReadFile(filepath.Join(dir, calibrationFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c calibration
	if err := json.Unmarshal(b, &c); err != nil {
		// A damaged verdict is only a cache: probe again.
		return nil, nil
	}
	return &c, nil
}

// calibrate probes the vector half when the verdict is missing, was made
// with another embedder, or the index has grown or shrunk much since. The
// caller holds writeMu.
func (x *Index) calibrate(ctx context.Context, progress SyncProgress) error {
	v := x.vec
	if !x.opts.Adaptive || v == nil || v.emb == nil || (v.idx == nil && v.remote == nil) {
		return nil
	}
	n, err := x.idx.DocCount()
	if err != nil {
		return err
	}
	v.mu.RLock()
	old, emb, idx := v.cal, v.emb, v.idx
	v.mu.RUnlock()
	if old != nil && old.Embedder == emb.Name() && old.Papers > 0 {
		ratio := float64(n) / float64(old.Papers)
		if ratio > 1-reprobeAt && ratio < 1+reprobeAt {
			return nil
		}
	}
	type sampled struct {
		id  string
		doc probe.Doc
	}
	var got []sampled
	err = x.eachPaper(ctx, evenSample(int(n), probeSample), func(p *corpus.Paper) error {
		if v.remote != nil {
			got = append(got, sampled{p.ID, probe.Doc{Text: hybrid.EmbedText(p)}}) // vectors fetched below
		} else if vec, ok := idx.Vector(p.ID); ok {
			got = append(got, sampled{p.ID, probe.Doc{Text: hybrid.EmbedText(p), Vector: vec}})
		}
		return nil
	})
	if err == nil && v.remote != nil {
		ids := make([]string, len(got))
		for i := range got {
			ids[i] = got[i].id
		}
		var vecs map[string][]float32
		if vecs, err = v.remote.Get(ctx, ids); err == nil {
			kept := got[:0]
			for _, s := range got {
				if vec, ok := vecs[s.id]; ok {
					s.doc.Vector = vec
					kept = append(kept, s)
				}
			}
			got = kept
		}
	}
	if err != nil {
		return err
	}
	// The probe's seeded choices index into docs: order them by id, not by
	// segment, so the same papers always get the same verdict.
	slices.SortFunc(got, func(a, b sampled) int { return strings.Compare(a.id, b.id) })
	docs := make([]probe.Doc, len(got))
	for i := range got {
		docs[i] = got[i].doc
	}
	an := x.an.prose
	analyze := func(s string) []string {
		toks := an.Analyze([]byte(s))
		out := make([]string, len(toks))
		for i, t := range toks {
			out[i] = string(t.Term)
		}
		return out
	}
	o := probe.Options{K1: x.opts.K1, B: x.opts.B, Feedback: x.opts.Feedback, FeedbackWeight: feedbackWeight,
		Progress: func(done, total int) { progress("probe", done, total) }}
	res, err := probe.Run(ctx, docs, emb, analyze, o)
	if err != nil {
		return err
	}
	cal := &calibration{Embedder: emb.Name(), Papers: n, Result: res,
		Lean: res.Probes >= probe.MinProbes && res.Gain() >= leanGain}
	if err := writeJSON(filepath.Join(v.dir, calibrationFile), cal); err != nil {
		return fmt.Errorf("save the probe's verdict: %w", err)
	}
	v.mu.Lock()
	v.cal = cal
	v.mu.Unlock()
	return nil
}
