package weaviate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/probe"
)

// Adaptive hybrid, as the embedded engine has it (search/embedded
// calibrate.go): after the vectors are synced, the probe (package probe)
// searches sentences held out of a sample of the papers with each half
// alone; where the vector half finds their papers clearly better, hybrid
// fuses with a vector weight of at least 0.6. The verdict is stored in the
// meta collection, so every client fuses alike. (The embedded engine also
// expands the BM25 query on such corpora; Weaviate's BM25 takes no
// weighted terms, so this engine does not.)
const (
	probeSample = 10000 // papers the probe searches among
	leanGain    = 0.05  // vector-minus-BM25 MRR from which hybrid leans on vectors
	leanWeight  = 0.6   // the least vector weight when leaning
	reprobeAt   = 0.25  // probe again once the collection grew or shrank by this
	calKey      = "calibration"
)

// calibration is the probe's verdict on one embedder over the collection.
type calibration struct {
	Embedder string `json:"embedder"`
	Papers   uint64 `json:"papers"`
	probe.Result
	Lean bool `json:"lean"`
}

// policyFor is the planner's policy under cal.
func policyFor(cal *calibration) hybrid.Policy {
	p := policy()
	if cal != nil && cal.Lean {
		p.Fusion.Weight = max(p.Fusion.Weight, leanWeight)
	}
	return p
}

// policy is the embedded engine's default policy, without the expansion
// round (Weaviate's BM25 cannot rescore with weighted expansion terms).
func policy() hybrid.Policy {
	return hybrid.Policy{
		Candidates:       100,
		VectorCandidates: 300,
		Feedback:         2,
		FeedbackWeight:   0.5,
		Fusion:           fusion.Options{Method: fusion.Convex, Weight: DefaultVectorWeight},
	}
}

// calibrationFor is the stored verdict if it was made with emb.
func (e *Engine) calibrationFor(emb embed.Embedder) *calibration {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.cal == nil || emb == nil || e.cal.Embedder != emb.Name() {
		return nil
	}
	return e.cal
}

// loadCalibration reads the stored verdict; nil when there is none.
func (e *Engine) loadCalibration(ctx context.Context) (*calibration, error) {
	rs, err := e.findIn(ctx, e.meta, metaWhere(kindModel, calKey), 1, nil, mValue)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	var cal calibration
	if err := json.Unmarshal([]byte(str(rs[0].Properties[mValue])), &cal); err != nil {
		return nil, fmt.Errorf("weaviate: calibration in %s: %w", e.meta, err)
	}
	return &cal, nil
}

// calibrate runs the probe when the verdict is missing, was made with
// another embedder, or the collection has grown or shrunk much since.
func (e *Engine) calibrate(ctx context.Context, n uint64, progress func(string, int, int)) error {
	emb := e.embedder()
	if old := e.calibrationFor(emb); old != nil && old.Papers > 0 {
		if r := float64(n) / float64(old.Papers); r > 1-reprobeAt && r < 1+reprobeAt {
			return nil
		}
	}
	type sampled struct {
		id  string
		doc probe.Doc
	}
	var got []sampled
	stride := uint64(max(1, (int(n)+probeSample-1)/probeSample))
	err := e.eachPage(ctx, []string{pID, pTitle, pAbstract}, true, func(rs []graphql.SearchResult) error {
		for _, r := range rs {
			p := paperOf(r.Properties)
			if idHash(p.ID)%stride == 0 && len(r.Vector) > 0 {
				got = append(got, sampled{p.ID, probe.Doc{Text: hybrid.EmbedText(p), Vector: r.Vector}})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The probe's seeded choices index into docs: order them by id, so the
	// same papers always give the same verdict.
	slices.SortFunc(got, func(a, b sampled) int { return strings.Compare(a.id, b.id) })
	docs := make([]probe.Doc, len(got))
	for i := range got {
		docs[i] = got[i].doc
	}
	pol := policy()
	res, err := probe.Run(ctx, docs, emb, analyze, probe.Options{K1: 0.9, B: 0.65, Feedback: pol.Feedback,
		FeedbackWeight: pol.FeedbackWeight, Progress: func(done, total int) { progress("probe", done, total) }})
	if err != nil {
		return err
	}
	cal := &calibration{Embedder: emb.Name(), Papers: n, Result: res, Lean: res.Probes >= probe.MinProbes && res.Gain() >= leanGain}
	js, err := json.Marshal(cal)
	if err != nil {
		return err
	}
	if err := e.writeMeta(ctx, []*metaObject{{kind: kindModel, key: calKey, value: string(js)}}); err != nil {
		return fmt.Errorf("weaviate: store the probe's verdict: %w", err)
	}
	e.mu.Lock()
	e.cal = cal
	e.mu.Unlock()
	return nil
}

// analyze is the BM25 analysis, term by term, for the probe.
func analyze(s string) []string {
	toks := prose.Analyze([]byte(s))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out
}

// calibrationStats is the verdict as Stats reports it.
func (e *Engine) calibrationStats(emb embed.Embedder) *search.Calibration {
	cal := e.calibrationFor(emb)
	if cal == nil {
		return nil
	}
	return &search.Calibration{Probes: cal.Probes, BM25MRR: cal.BM25MRR, VectorMRR: cal.VectorMRR, Lean: cal.Lean,
		Weight: policyFor(cal).Fusion.Weight}
}
