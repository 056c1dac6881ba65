package embedded

import (
	"context"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// explainNoHits says why req found nothing (search.ExplainNoHits), with
// counts in the request's mode.
func (x *Index) explainNoHits(ctx context.Context, req search.Request) (*search.NoHits, error) {
	return search.ExplainNoHits(req.Query, func(q query.Query) (uint64, error) {
		r, err := x.search(ctx, search.Request{Query: q, Mode: req.Mode})
		if err != nil {
			return 0, err
		}
		return r.Total, nil
	})
}
