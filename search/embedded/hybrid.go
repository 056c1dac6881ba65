package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/embed/local"
	"github.com/quire-research/quire/search/highlight"
	"github.com/quire-research/quire/search/hybrid"
)

// Search runs one request in the mode it asks for, or the index's default,
// within the request's limits (see limits.go). An empty result says why;
// a query with words no paper has gets spellings (Result.Spelling).
func (x *Index) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	return search.Bounded(ctx, req, func(ctx context.Context) (*search.Result, error) {
		res, err := x.search(ctx, req)
		if err != nil {
			return nil, err
		}
		switch {
		case res.Total == 0:
			res.NoHits, res.Spelling, err = x.explainNoHits(ctx, req)
		case req.Spelling:
			res.Spelling, err = x.spelling(ctx, req)
		}
		if err != nil {
			return nil, err
		}
		return res, nil
	})
}

// search runs one request without limits or explanations: the planner
// (package hybrid) over this index's two halves, on one bleve snapshot and
// the vector index as it is now; then snippets and caps on the hits.
func (x *Index) search(ctx context.Context, req search.Request) (*search.Result, error) {
	start := time.Now()
	mode, err := x.resolveMode(req.Mode)
	if err != nil {
		return nil, err
	}
	req.Mode = mode
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	var vec hybrid.Vectors
	var emb embed.Embedder
	var near *nearPassages
	lex := newLexHalf(x, snap)
	if mode != search.ModeBM25 {
		near = &nearPassages{}
		x.vec.mu.RLock()
		vec, emb = vecHalf{v: x.vec, idx: x.vec.idx, near: near}, x.vec.emb
		lex.vecs = x.vec.idx
		if x.vec.remote != nil {
			rh := remoteHalf{r: x.vec.remote, getBelow: x.vec.getBelow, ledger: x.vec.ledger, near: near, fetchPassages: !inProcess(emb)}
			vec, lex.vecs, lex.remote = rh, nil, rh
		}
		x.vec.mu.RUnlock()
	}
	pol := x.policy(mode)
	pol.EmbedPassages = inProcess(emb)
	res, err := hybrid.Plan(ctx, req, lex, vec, emb, pol)
	if err != nil {
		return nil, err
	}
	var hl *highlight.Highlighter
	if req.Snippets || req.Passages {
		hl = highlight.New(x.an.prose, req.Query)
	}
	for i := range res.Hits {
		if req.Snippets {
			res.Hits[i].Snippet = hl.Snippet(&res.Hits[i].Paper)
		}
		if req.Passages {
			// Before Cap, which may shorten the full text the offsets index.
			h := &res.Hits[i]
			h.Passages = hl.Passages(&h.Paper, hitPassages(lex.bestPassages(h.ID).ranked), near.of(h.ID))
		}
		res.Hits[i].Cap()
	}
	res.Took = time.Since(start)
	return res, nil
}

// hitPassages is rs as a hit's passages, for search/highlight to mark.
func hitPassages(rs []rankedChunk) []search.Passage {
	out := make([]search.Passage, len(rs))
	for i, r := range rs {
		c := r.chunkRef
		out[i] = search.Passage{Index: c.Index, Section: c.Section, Page: c.Page, PageEnd: c.PageEnd,
			Start: c.Start, End: c.End, Score: r.score}
	}
	return out
}

// policy is the planner's policy for a search in mode: the options, with
// the calibration's fusion in hybrid mode.
func (x *Index) policy(mode string) hybrid.Policy {
	p := hybrid.Policy{Candidates: x.opts.Candidates, VectorCandidates: x.opts.VectorCandidates,
		Feedback: x.opts.Feedback, FeedbackWeight: feedbackWeight, Fusion: x.opts.Fusion}
	if mode == search.ModeHybrid {
		p.Fusion, p.Expand = x.fusionFor(x.calibration())
		p.QuoteFusion = x.opts.Fusion
		p.PassageVectors = true
	}
	return p
}

// inProcess reports whether e computes vectors here (the local model or a
// Model2Vec file) rather than over the network, where embedding each
// query's best passages would add a round trip and a bill.
func inProcess(e embed.Embedder) bool {
	for e != nil {
		switch t := e.(type) {
		case *local.Model, *embed.Model2Vec:
			return true
		case interface{ Unwrap() embed.Embedder }:
			e = t.Unwrap()
		default:
			return false
		}
	}
	return false
}

// HasVectors reports whether vector and hybrid searches can run.
func (x *Index) HasVectors() bool { return x.vec.ready() }

// Mode is the mode a request without one runs in.
func (x *Index) Mode() string {
	m, _ := x.resolveMode("")
	return m
}

func (x *Index) resolveMode(m string) (string, error) {
	ready := x.vec.ready()
	switch m {
	case "":
		m = x.opts.Mode
		if m == "" {
			m = search.ModeHybrid
		}
		if !ready {
			m = search.ModeBM25
		}
		return m, nil
	case search.ModeBM25:
		return m, nil
	case search.ModeVector, search.ModeHybrid:
		if !ready {
			return "", search.ErrNoVectors
		}
		return m, nil
	}
	return "", fmt.Errorf("unknown search mode %q (use hybrid, bm25 or vector)", m)
}
