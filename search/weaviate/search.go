package weaviate

import (
	"context"
	"fmt"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/highlight"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// Search runs one request in its mode (see the package comment), within
// the limits every engine keeps (search/limits.go).
func (e *Engine) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	return search.Bounded(ctx, req, func(ctx context.Context) (*search.Result, error) {
		return e.search(ctx, req)
	})
}

func (e *Engine) search(ctx context.Context, req search.Request) (*search.Result, error) {
	start := time.Now()
	emb := e.embedder()
	mode, err := e.mode(req.Mode, emb)
	if err != nil {
		return nil, err
	}
	req.Mode = mode
	v := e.newView(req.FacetSize)
	var res *search.Result
	if mode == search.ModeHybrid && e.o.Hybrid == HybridNative {
		res, err = e.native(ctx, req, v, emb)
	} else {
		var vec hybrid.Vectors
		if emb != nil {
			vec = v
		}
		res, err = hybrid.Plan(ctx, req, v, vec, emb, policyFor(e.calibrationFor(emb)))
	}
	if err != nil {
		return nil, err
	}
	// Hits are marked as the embedded engine marks them, by the same
	// analyser: the passages BM25 or the vector half found, else the
	// full text's chunks that hold the most of the query's words.
	var hl *highlight.Highlighter
	if req.Snippets || req.Passages {
		hl = highlight.New(prose, req.Query)
	}
	for i := range res.Hits {
		h := &res.Hits[i]
		if req.Snippets {
			h.Snippet = hl.Snippet(&h.Paper)
		}
		if req.Passages {
			found, near := v.passages(h.ID)
			h.Passages = hl.Passages(&h.Paper, found, near)
		}
		h.Cap()
	}
	if res.Total == 0 {
		if res.NoHits, err = e.explainNoHits(ctx, req.Query); err != nil {
			return nil, err
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// mode resolves a request's mode: hybrid where vectors exist, else BM25;
// a hybrid request without vectors runs as BM25 and says so.
func (e *Engine) mode(m string, emb embed.Embedder) (string, error) {
	if m == "" {
		m = e.o.Mode
	}
	switch m {
	case "":
		m = search.ModeHybrid
	case search.ModeBM25, search.ModeHybrid, search.ModeVector:
	default:
		return "", fmt.Errorf("unknown search mode %q (use hybrid, bm25 or vector)", m)
	}
	switch {
	case emb != nil:
	case m == search.ModeVector:
		return "", search.ErrNoVectors
	default:
		m = search.ModeBM25
	}
	return m, nil
}

// native is a hybrid search by Weaviate's own hybrid (relativeScoreFusion,
// alpha = the vector weight). The hits are the BM25 matches plus the
// vector-only papers Weaviate fuses into the first window (candidates, or
// the page if deeper), counted in total and facets: the same rule as the
// planner, so the two are compared on one definition of a hit.
func (e *Engine) native(ctx context.Context, req search.Request, v *view, emb embed.Embedder) (*search.Result, error) {
	text := stems(textOf(req.Query))
	mt, err := v.Match(ctx, req.Query, req.Facets)
	if err != nil {
		return nil, err
	}
	m := mt.(*matches)
	if text == "" || !m.hasTerms {
		// Nothing to embed: the planner ranks BM25 (or the allowed papers).
		return hybrid.Plan(ctx, req, v, v, emb, policyFor(e.calibrationFor(emb)))
	}
	vs, err := emb.Embed(ctx, []string{text}, embed.Query)
	if err != nil {
		return nil, fmt.Errorf("embed query with %s: %w", emb.Name(), err)
	}
	want := req.Offset + req.Limit
	k := max(policy().Candidates, want)
	alpha := policyFor(e.calibrationFor(emb)).Fusion.Weight
	rs, err := e.hybridSearch(ctx, text, vs[0], m.restrict, k, alpha)
	if err != nil {
		return nil, err
	}
	v.keep(rs)
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = str(r.Properties[pID])
	}
	adm, err := m.Admit(ctx, ids)
	if err != nil {
		return nil, err
	}
	res := &search.Result{Mode: search.ModeHybrid, Total: m.Total()}
	var added []string
	var page []graphql.SearchResult
	for i, r := range rs {
		switch adm[i] {
		case hybrid.Excluded:
			continue
		case hybrid.Allowed:
			added = append(added, ids[i])
		}
		page = append(page, r)
	}
	if err := m.Count(ctx, added); err != nil {
		return nil, err
	}
	res.Total += uint64(len(added))
	res.Facets = m.Facets(req.FacetSize)
	if req.Offset < len(page) {
		page = page[req.Offset:min(len(page), want)]
	} else {
		page = nil
	}
	for _, r := range page {
		p, err := v.Paper(ctx, str(r.Properties[pID]))
		if err != nil {
			continue // deleted mid-search, as the planner skips it
		}
		h := search.Hit{ID: p.ID, Paper: *p, Score: float64(r.Metadata.Score)}
		if req.Explain {
			h.Explain = &search.Explain{Mode: search.ModeHybrid, Fused: h.Score}
		}
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// hybridSearch is Weaviate's hybrid search under where.
func (e *Engine) hybridSearch(ctx context.Context, text string, qv []float32, where *filters.WhereBuilder, k int, alpha float64) ([]graphql.SearchResult, error) {
	h := (&graphql.HybridArgumentBuilder{}).WithQuery(text).WithVector(qv).
		WithAlpha(float32(alpha)).WithFusionType(graphql.RelativeScore).WithProperties([]string{pStems})
	out, err := e.searchIn(ctx, e.o.Collection, where, k, &graphql.Metadata{ID: true, Score: true},
		func(s *graphql.Search) *graphql.Search { return s.WithHybrid(h) }, hitProps...)
	if err != nil {
		return nil, fmt.Errorf("weaviate hybrid: %w", err)
	}
	return out, nil
}

// explainNoHits says why q found nothing (search.ExplainNoHits). The
// BM25 hit set stands for all modes here: one aggregation per count,
// where the embedded engine counts in the request's mode.
func (e *Engine) explainNoHits(ctx context.Context, q query.Query) (*search.NoHits, error) {
	return search.ExplainNoHits(q, func(q query.Query) (uint64, error) {
		return e.count(ctx, hitWhere(q))
	})
}
