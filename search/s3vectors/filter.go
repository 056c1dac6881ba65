package s3vectors

import (
	"slices"
	"strings"

	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// The query language in S3 Vectors filters. Each filter is translated to
// what the embedded engine matches, value by value, over the metadata Put
// writes (keys lower-cased where the filter ignores case):
//
//	year:a..b     year >= a AND year <= b (an open side has no bound;
//	              papers without a year have no year key and never match)
//	field:v       fields or categories holds lower(v)
//	category:v    categories holds lower(v)
//	venue:v       venue is v, or venue_words holds every word of v
//	venue:="v"    venue is v
//	source:v      source is lower(v)
//
// Values of one filter OR ($in); different keys AND; repeated positive
// filters AND on multi-valued keys and OR on the others, as in
// search/query. -key:v is the complement, written so that papers without
// the key pass: {"$or": [{k: {"$exists": false}}, {k: {"$nin": [...]}}]}
// (AWS does not document whether $ne and $nin match a missing key).
//
// What the metadata cannot answer goes to Translated.Residual, for the
// caller to check on the results; the S3 filter then allows a superset
// (never fewer papers than q): phrases and -word exclusions (no text is
// stored), author: (authors are not stored: a long author list would take
// most of the 2 KB of filterable metadata), id: and doi: (use Get for
// those), and key:= on field, category and source, which are stored
// lower-cased and so filter as their case-insensitive forms. A negated
// filter that cannot be expressed exactly is left out of the S3 filter
// entirely.

// cond is a filter being built: a field operator or a combination.
type cond struct {
	op   string // "$eq", "$in", "$nin", "$gte", "$lte", "$gt", "$lt", "$exists", "and", "or"
	key  string
	val  any
	kids []*cond
}

func in(key string, vs []string) *cond { return &cond{op: "$in", key: key, val: vs} }

// and combines conds; nil ones (no constraint) drop out; nil when none is
// left.
func and(cs ...*cond) *cond {
	var keep []*cond
	for _, c := range cs {
		if c != nil {
			keep = append(keep, c)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return &cond{op: "and", kids: keep}
}

// or: a nil operand (every paper) makes the whole nil.
func or(cs ...*cond) *cond {
	if len(cs) == 0 || slices.Contains(cs, nil) {
		return nil
	}
	if len(cs) == 1 {
		return cs[0]
	}
	return &cond{op: "or", kids: cs}
}

// not is the complement of c; papers without a key pass a negated test of
// it. c must not be nil.
func not(c *cond) *cond {
	absent := &cond{op: "$exists", key: c.key, val: false}
	switch c.op {
	case "and", "or":
		kids := make([]*cond, len(c.kids))
		for i, k := range c.kids {
			kids[i] = not(k)
		}
		if c.op == "and" {
			return &cond{op: "or", kids: kids}
		}
		return &cond{op: "and", kids: kids}
	case "$in":
		return or(absent, &cond{op: "$nin", key: c.key, val: c.val})
	case "$eq":
		return or(absent, &cond{op: "$nin", key: c.key, val: []any{c.val}})
	case "$gte":
		return or(absent, &cond{op: "$lt", key: c.key, val: c.val})
	case "$lte":
		return or(absent, &cond{op: "$gt", key: c.key, val: c.val})
	case "$exists":
		return &cond{op: "$exists", key: c.key, val: !c.val.(bool)}
	}
	panic("s3vectors: no complement for " + c.op)
}

// doc renders c as the service's filter document.
func (c *cond) doc() map[string]any {
	switch c.op {
	case "and", "or":
		kids := make([]any, len(c.kids))
		for i, k := range c.kids {
			kids[i] = k.doc()
		}
		return map[string]any{"$" + c.op: kids}
	}
	return map[string]any{c.key: map[string]any{c.op: c.val}}
}

// Translated is what Query could say to S3 Vectors of a query's filters.
type Translated struct {
	// Filter is the filter document sent; nil when none was.
	Filter map[string]any
	// Exact reports that the filter allows exactly the papers q allows:
	// no result needs checking.
	Exact bool
	// Residual holds the parts of q the filter could not express (its
	// Phrases, "-word" exclusions in Text, and Filters): a result is
	// allowed by q when it is allowed by Residual. Empty when Exact.
	Residual query.Query
	// Reasons say briefly why each part went to Residual.
	Reasons []string
	// Recheck lists results stored with partial metadata (some filterable
	// entries were dropped at Put): they pass any filter, so the caller
	// must check them against the whole of q.
	Recheck []string
}

// Translate turns q's filters, phrases and exclusions (a Restriction's
// Query) into an S3 Vectors filter and the residual the caller checks.
func Translate(q query.Query) Translated {
	var t Translated
	var all []*cond
	t.Residual.Phrases = slices.Clone(q.Phrases)
	if len(q.Phrases) > 0 {
		t.Reasons = append(t.Reasons, "phrases: no text is stored with the vectors")
	}
	if _, negs := hybrid.SplitNegated(q.Text); len(negs) > 0 {
		for _, n := range negs {
			t.Residual.Text = strings.TrimSpace(t.Residual.Text + " -" + n)
		}
		t.Reasons = append(t.Reasons, "-word exclusions: no text is stored with the vectors")
	}
	// Positive filters AND across keys; repeated one-valued keys OR, so a
	// group is exact only when each of its filters is.
	type group struct {
		conds   []*cond
		filters []query.Filter
		exact   bool
	}
	groups := map[string]*group{}
	var keys []string
	residual := func(f query.Filter, why string) {
		t.Residual.Filters = append(t.Residual.Filters, f)
		if why != "" && !slices.Contains(t.Reasons, why) {
			t.Reasons = append(t.Reasons, why)
		}
	}
	for _, f := range q.Filters {
		c, exact, why := filterCond(f)
		switch {
		case f.Negate:
			if exact && c != nil {
				all = append(all, not(c))
			} else if exact {
				all = append(all, nothing())
			} else {
				residual(f, why)
			}
		case query.MultiValued(f.Key):
			all = append(all, c)
			if !exact {
				residual(f, why)
			}
		default:
			g := groups[f.Key]
			if g == nil {
				g = &group{exact: true}
				groups[f.Key] = g
				keys = append(keys, f.Key)
			}
			g.conds = append(g.conds, c)
			g.filters = append(g.filters, f)
			if !exact {
				g.exact = false
				if why != "" && !slices.Contains(t.Reasons, why) {
					t.Reasons = append(t.Reasons, why)
				}
			}
		}
	}
	for _, k := range keys {
		g := groups[k]
		all = append(all, or(g.conds...))
		if !g.exact {
			for _, f := range g.filters {
				residual(f, "")
			}
		}
	}
	if c := and(all...); c != nil {
		t.Filter = c.doc()
	}
	t.Exact = len(t.Residual.Filters) == 0 && len(t.Residual.Phrases) == 0 && t.Residual.Text == ""
	return t
}

// nothing matches no paper: year is a number when present.
func nothing() *cond {
	return and(&cond{op: "$exists", key: metaYear, val: true}, &cond{op: "$exists", key: metaYear, val: false})
}

// filterCond is one filter (its values OR'ed, the negation left to the
// caller): the condition, whether it allows exactly the filter's papers
// (else a superset), and why not. A nil condition allows every paper.
func filterCond(f query.Filter) (c *cond, exact bool, why string) {
	if f.Key == query.KeyYear {
		var lo, hi *cond
		if f.Min != 0 {
			lo = &cond{op: "$gte", key: metaYear, val: f.Min}
		}
		if f.Max != 0 {
			hi = &cond{op: "$lte", key: metaYear, val: f.Max}
		}
		if lo == nil && hi == nil {
			return &cond{op: "$exists", key: metaYear, val: true}, true, ""
		}
		return and(lo, hi), true, ""
	}
	if len(f.Values) == 0 {
		return nil, false, f.Key + ": a filter without values"
	}
	lower := make([]string, len(f.Values))
	for i, v := range f.Values {
		lower[i] = strings.ToLower(v)
	}
	caseWhy := f.Key + ":= is matched ignoring case (stored lower-cased)"
	switch f.Key {
	case query.KeyField:
		return or(in(metaFields, lower), in(metaCategories, lower)), !f.Exact, caseWhy
	case query.KeyCategory:
		return in(metaCategories, lower), !f.Exact, caseWhy
	case query.KeySource:
		return in(metaSource, lower), !f.Exact, caseWhy
	case query.KeyVenue:
		if f.Exact {
			return in(metaVenue, f.Values), true, ""
		}
		var vs []*cond
		for _, v := range f.Values {
			ws := words(v)
			if len(ws) == 0 {
				return nil, true, "" // no word to require: every paper, as embedded
			}
			var all []*cond
			for _, w := range lowerSet(ws) {
				all = append(all, &cond{op: "$eq", key: metaVenueWords, val: w})
			}
			vs = append(vs, or(&cond{op: "$eq", key: metaVenue, val: v}, and(all...)))
		}
		return or(vs...), true, ""
	case query.KeyAuthor:
		return nil, false, "author: authors are not stored with the vectors"
	case query.KeyID, query.KeyDOI:
		return nil, false, f.Key + ": not stored with the vectors (look the paper up instead)"
	}
	return nil, false, f.Key + ": not stored with the vectors"
}
