package embedded

import (
	"context"
	"fmt"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// explainNoHits says why req found nothing (search.ExplainNoHits), with
// counts in the request's mode. When it is the words, it offers spellings
// the index has for them, if those find papers under the same filters.
func (x *Index) explainNoHits(ctx context.Context, req search.Request) (*search.NoHits, error) {
	count := func(q query.Query) (uint64, error) {
		r, err := x.search(ctx, search.Request{Query: q, Mode: req.Mode})
		if err != nil {
			return 0, err
		}
		return r.Total, nil
	}
	nh, err := search.ExplainNoHits(req.Query, count)
	if err != nil || nh.Filter != "" || req.Query.Text == "" {
		return nh, err
	}
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	cs, err := x.corrections(ctx, snap, req.Query.Text)
	snap.Close()
	if err != nil || len(cs) == 0 {
		return nh, err
	}
	try := &search.NoHits{Corrections: cs}
	text := try.Corrected(req.Query.Text)
	q, err := query.Parse(text)
	if err != nil {
		return nh, nil // a correction that breaks the syntax is no help
	}
	q.Filters = req.Query.Filters
	n, err := count(q)
	if err != nil || n == 0 {
		return nh, err
	}
	nh.Corrections = cs
	hits := "hits"
	if n == 1 {
		hits = "hit"
	}
	nh.Message += fmt.Sprintf("; did you mean %q? (%d %s)", text, n, hits)
	return nh, nil
}
