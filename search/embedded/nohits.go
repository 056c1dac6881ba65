package embedded

import (
	"context"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// explainNoHits says why req found nothing (search.ExplainNoHits), with
// counts in the request's mode. When it is the words, it offers spellings
// the index has for them, if those find papers under the same filters.
func (x *Index) explainNoHits(ctx context.Context, req search.Request) (*search.NoHits, *search.Spelling, error) {
	nh, err := search.ExplainNoHits(req.Query, func(q query.Query) (uint64, error) { return x.count(ctx, q, req.Mode) })
	if err != nil || nh.Filter != "" {
		return nh, nil, err
	}
	sp, err := x.spelling(ctx, req)
	if err != nil || sp == nil {
		return nh, nil, err
	}
	nh.Message += "; " + sp.Line()
	return nh, sp, nil
}

// spelling corrects the words of req's query that no paper has to the
// index's nearest spellings, and counts the corrected query under the
// same filters: nil when nothing is corrected or it finds nothing.
func (x *Index) spelling(ctx context.Context, req search.Request) (*search.Spelling, error) {
	if req.Query.Text == "" {
		return nil, nil
	}
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	cs, err := x.corrections(ctx, snap, req.Query.Text)
	snap.Close()
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	sp := &search.Spelling{Corrections: cs}
	sp.Text = sp.Corrected(req.Query.Text)
	q, err := query.Parse(sp.Text)
	if err != nil {
		return nil, nil // a correction that breaks the syntax is no help
	}
	q.Filters = req.Query.Filters
	if sp.Hits, err = x.count(ctx, q, req.Mode); err != nil || sp.Hits == 0 {
		return nil, err
	}
	return sp, nil
}

// count is how many hits q has in mode.
func (x *Index) count(ctx context.Context, q query.Query, mode string) (uint64, error) {
	r, err := x.search(ctx, search.Request{Query: q, Mode: mode})
	if err != nil {
		return 0, err
	}
	return r.Total, nil
}
