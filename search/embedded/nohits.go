package embedded

import (
	"context"
	"fmt"
	"slices"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// maxExplained bounds the extra counts an empty result costs: one per
// filter, for at most this many filters.
const maxExplained = 8

// explainNoHits says why req found nothing: the first filter whose removal
// alone brings hits back, with their number; failing that (several filters
// each empty the result), the filter that, added to the words one by one
// in the order typed, removed the last matches. Counts are in the request's
// mode, so they are what the user would see.
func (x *Index) explainNoHits(ctx context.Context, req search.Request) (*search.NoHits, error) {
	count := func(q query.Query) (uint64, error) {
		r, err := x.search(ctx, search.Request{Query: q, Mode: req.Mode})
		if err != nil {
			return 0, err
		}
		return r.Total, nil
	}
	q := req.Query
	fs := q.Filters[:min(len(q.Filters), maxExplained)]
	for i, f := range fs {
		without := q
		without.Filters = slices.Delete(slices.Clone(q.Filters), i, i+1)
		n, err := count(without)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return &search.NoHits{Filter: f.String(), Without: n,
				Message: fmt.Sprintf("no hits: %s removed the last matches (%d without it)", f, n)}, nil
		}
	}
	words := q
	words.Filters = nil
	n, err := count(words)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		msg := "no hits: no paper matches the words of the query"
		if q.Text == "" {
			msg = "no hits: the index has no papers"
		}
		return &search.NoHits{Message: msg}, nil
	}
	for i, f := range fs {
		next := words
		next.Filters = fs[:i+1]
		m, err := count(next)
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return &search.NoHits{Filter: f.String(), Without: n,
				Message: fmt.Sprintf("no hits: %s removed the last matches (%d with the filters before it)", f, n)}, nil
		}
		n = m
	}
	return &search.NoHits{Message: "no hits: the filters together leave no paper"}, nil
}
