package embedded

import (
	"context"
	"slices"
	"strconv"

	qs "github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// Disjunctive faceting. A facet whose own key has positive filters in the
// query (year:2019, author:="Yang Liu") is counted as if those filters
// were off, every other filter still on: the values beside the selected
// ones stay listed with the hits each would bring, so a user can add one
// (an OR within the key) or swap to it. Exclusions (-year:2019) stay on:
// what the user removed stays removed. Values the filters select are
// marked Selected and always listed, even past the facet's size.

// facetCount is one facet's counter over its hit set: the request's hits,
// or for a facet with a selection of its own, the hits without it.
type facetCount struct {
	name string
	k    *counter
	j    int // the facet's position in k
}

// ownSelection reports whether q has a positive filter on the key a
// facet is named after.
func ownSelection(q query.Query, facet string) bool {
	return slices.ContainsFunc(q.Filters, func(f query.Filter) bool { return f.Key == facet && !f.Negate })
}

// withoutOwn is q with the positive filters on key removed.
func withoutOwn(q query.Query, key string) query.Query {
	out := q
	out.Filters = slices.DeleteFunc(slices.Clone(q.Filters), func(f query.Filter) bool { return f.Key == key && !f.Negate })
	return out
}

// countFacets sets up the counters of a request's facets: one shared
// counter over the hits for facets without a selection, and one per facet
// with a selection over the hits of the query without it (counted here;
// the shared one is filled by the caller's pass over the hits).
func (x *Index) countFacets(ctx context.Context, p *plan, q query.Query, facets []string) (*counter, []facetCount, error) {
	var plain, own []string
	for _, name := range facets {
		switch {
		case facetIndex(name) < 0 || slices.Contains(plain, name) || slices.Contains(own, name):
		case ownSelection(q, name):
			own = append(own, name)
		default:
			plain = append(plain, name)
		}
	}
	var shared *counter
	if len(plain) > 0 {
		var err error
		if shared, err = x.facets.newCounter(ctx, p.snap, plain); err != nil {
			return nil, nil, err
		}
	}
	var counts []facetCount
	for _, name := range facets {
		if fi := facetIndex(name); fi >= 0 && shared != nil {
			if j := shared.position(fi); j >= 0 && !slices.ContainsFunc(counts, func(c facetCount) bool { return c.name == name }) {
				counts = append(counts, facetCount{name: name, k: shared, j: j})
			}
		}
		if !slices.Contains(own, name) || slices.ContainsFunc(counts, func(c facetCount) bool { return c.name == name }) {
			continue
		}
		k, err := x.facets.newCounter(ctx, p.snap, []string{name})
		if err != nil {
			return nil, nil, err
		}
		relaxed := withoutOwn(q, name)
		key := ""
		if r, ok := hybrid.Restrict(relaxed); ok {
			key = r.String()
		}
		if _, _, err := p.hitSets(ctx, relaxed, key, k); err != nil {
			return nil, nil, err
		}
		counts = append(counts, facetCount{name: name, k: k, j: 0})
	}
	return shared, counts, nil
}

// facetResults reads the counters into the result's facets, in the
// order asked, marking the values the query selects.
func facetResults(counts []facetCount, q query.Query, size int) []qs.Facet {
	out := make([]qs.Facet, 0, len(counts))
	for _, c := range counts {
		f := c.k.facet(c.j, size)
		for i := range f.Values {
			f.Values[i].Selected = q.Selects(f.Name, f.Values[i].Value)
		}
		for _, v := range selectedValues(q, f.Name) {
			if slices.ContainsFunc(f.Values, func(fv qs.FacetValue) bool { return fv.Value == v }) {
				continue
			}
			// A selected value outside the top ones is listed anyway, so
			// it can be seen and cleared.
			n := c.k.count(c.j, v)
			f.Values = append(f.Values, qs.FacetValue{Value: v, Count: n, Selected: true})
			f.Other = max(0, f.Other-n)
		}
		if f.Name == qs.FacetYear {
			sortYears(f.Values)
		}
		out = append(out, f)
	}
	return out
}

// selectedValues lists the values q's exact filters select on a facet's
// key (loose values name no single facet value) and its single years.
func selectedValues(q query.Query, facet string) []string {
	var out []string
	for _, f := range q.Filters {
		switch {
		case f.Key != facet || f.Negate:
		case f.Key == query.KeyYear && f.Min != 0 && f.Min == f.Max:
			out = append(out, strconv.Itoa(f.Min))
		case f.Exact:
			out = append(out, f.Values...)
		}
	}
	return out
}

// addToAll counts one more hit (a vector-only one) in every counter.
func addToAll(shared *counter, counts []facetCount, seg int, local uint64) {
	if shared != nil {
		shared.addLocal(seg, local)
	}
	for _, c := range counts {
		if c.k != shared {
			c.k.addLocal(seg, local)
		}
	}
}
