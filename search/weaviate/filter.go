package weaviate

import (
	"strings"
	"unicode"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// The query language in Weaviate filters. Each filter matches what the
// embedded engine matches (search/embedded exec.go), value by value:
//
//	year:a..b      year >= a AND year <= b (open sides: corpus.MinYear, MaxYear)
//	field:v        fieldsLc or categoriesLc holds lower(v)   (whole values)
//	category:v     categoriesLc holds lower(v)
//	venue:v        venue is v, or venueWords holds every word of v
//	author:v       authors holds v, or authorWords holds every word of v
//	               (the words may come from different authors, as embedded)
//	source:v       sourceLc is lower(v)
//	doi:v          doiLc is v lower-cased without https://doi.org/
//	id:v           paperId is v
//	key:="v"       the facet property (fields, categories, venue, authors,
//	               source) holds v exactly, case included
//	"a phrase"     every term of it in title or abstract (as embedded: the
//	               terms, not their order)
//	-word          no term of it in title or abstract
//
// Values of one filter OR; different keys AND; repeated positive filters
// AND on multi-valued keys and OR on the others; -key:v is Not.
//
// Prose is compared as the embedded engine's analyser makes it (Porter
// stems, no stop words; analysis.go), so phrases and exclusions match the
// same papers. Names (author:, venue:) are split as Weaviate's "word"
// tokenization splits them (runs of letters and digits), where the
// embedded engine uses Unicode word rules: the two agree on names of
// letters, digits, spaces and punctuation.

// nothing is a filter no paper passes (no paper has that id; a control
// character would not survive the GraphQL form of the filter).
func nothing() *filters.WhereBuilder {
	return eq(pID, "\u2400quire:none")
}

func eq(prop, v string) *filters.WhereBuilder {
	return filters.Where().WithPath([]string{prop}).WithOperator(filters.Equal).WithValueText(v)
}

// and combines filters; nil ones (no constraint) drop out; nil when none
// is left.
func and(fs ...*filters.WhereBuilder) *filters.WhereBuilder {
	return combine(filters.And, fs)
}

// or: a nil operand (every paper) makes the whole nil.
func or(fs ...*filters.WhereBuilder) *filters.WhereBuilder {
	for _, f := range fs {
		if f == nil {
			return nil
		}
	}
	return combine(filters.Or, fs)
}

func combine(op filters.WhereOperator, fs []*filters.WhereBuilder) *filters.WhereBuilder {
	var keep []*filters.WhereBuilder
	for _, f := range fs {
		if f != nil {
			keep = append(keep, f)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return filters.Where().WithOperator(op).WithOperands(keep)
}

// not excludes f's papers. Weaviate takes a Not's complement over every
// object slot it ever used, so an aggregation counted papers rewritten or
// deleted since (3 for 2 papers after one rewrite); taking it within the
// live papers counts each paper once.
func not(f *filters.WhereBuilder) *filters.WhereBuilder {
	if f == nil {
		return nothing()
	}
	return and(live(), filters.Where().WithOperator(filters.Not).WithOperands([]*filters.WhereBuilder{f}))
}

// live matches every paper.
func live() *filters.WhereBuilder {
	return filters.Where().WithPath([]string{pLive}).WithOperator(filters.Equal).WithValueBoolean(true)
}

// words splits text as Weaviate's "word" tokenization does: runs of
// letters and digits, lower-cased.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// inProse matches papers with the term in title or abstract.
func inProse(w string) *filters.WhereBuilder {
	return eq(pStems, w)
}

// anyWord matches papers holding a word of the query's free text (not its
// exclusions) in title, abstract or full text: BM25's hits. It returns
// nil, false when the text has no word to search.
func anyWord(q query.Query) (*filters.WhereBuilder, bool) {
	text, _ := hybrid.SplitNegated(q.Text)
	ts := terms(text)
	if len(ts) == 0 {
		return nil, false
	}
	var fs []*filters.WhereBuilder
	for _, w := range ts {
		fs = append(fs, eq(pStems, w), eq(pBodyStems, w))
	}
	return or(fs...), true
}

// restriction is the filter of q's filters, phrases and "-word"
// exclusions; nil when they allow every paper.
func restriction(q query.Query) *filters.WhereBuilder {
	var all []*filters.WhereBuilder
	for _, ph := range q.Phrases {
		for _, w := range terms(ph) {
			all = append(all, inProse(w))
		}
	}
	_, negs := hybrid.SplitNegated(q.Text)
	for _, n := range negs {
		var any []*filters.WhereBuilder
		for _, w := range terms(n) {
			any = append(any, inProse(w))
		}
		if len(any) > 0 {
			all = append(all, not(or(any...)))
		}
	}
	// Positive filters AND across keys; repeated one-valued keys OR.
	groups := map[string][]*filters.WhereBuilder{}
	var keys []string
	for _, f := range q.Filters {
		fw := filterWhere(f)
		switch {
		case f.Negate:
			all = append(all, not(fw))
		case query.MultiValued(f.Key):
			all = append(all, fw)
		default:
			if _, ok := groups[f.Key]; !ok {
				keys = append(keys, f.Key)
			}
			groups[f.Key] = append(groups[f.Key], fw)
		}
	}
	for _, k := range keys {
		all = append(all, or(groups[k]...))
	}
	if len(all) == 0 {
		return nil
	}
	if w := and(all...); w != nil {
		return w
	}
	return nil
}

// filterWhere is one filter: its values OR'ed. A nil result allows every
// paper.
func filterWhere(f query.Filter) *filters.WhereBuilder {
	if f.Key == query.KeyYear {
		lo, hi := corpus.MinYear, corpus.MaxYear
		if f.Min != 0 {
			lo = f.Min
		}
		if f.Max != 0 {
			hi = f.Max
		}
		return and(
			filters.Where().WithPath([]string{pYear}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(lo)),
			filters.Where().WithPath([]string{pYear}).WithOperator(filters.LessThanEqual).WithValueInt(int64(hi)),
		)
	}
	var vs []*filters.WhereBuilder
	for _, v := range f.Values {
		vs = append(vs, valueWhere(f.Key, v, f.Exact))
	}
	return or(vs...)
}

// exactProp is the facet property whose whole values key:= matches; ""
// where the loose filter is exact already (id, doi).
func exactProp(key string) string {
	switch key {
	case query.KeyField:
		return pFields
	case query.KeyCategory:
		return pCats
	case query.KeyVenue:
		return pVenue
	case query.KeyAuthor:
		return pAuthors
	case query.KeySource:
		return pSource
	}
	return ""
}

// valueWhere matches one value of a filter on key.
func valueWhere(key, v string, exact bool) *filters.WhereBuilder {
	if p := exactProp(key); exact && p != "" {
		return eq(p, v)
	}
	lv := strings.ToLower(v)
	switch key {
	case query.KeyField:
		return or(eq(pFieldsLc, lv), eq(pCatsLc, lv))
	case query.KeyCategory:
		return eq(pCatsLc, lv)
	case query.KeyVenue:
		return or(eq(pVenue, v), allWords(pVenueWords, v))
	case query.KeyAuthor:
		return or(eq(pAuthors, v), allWords(pAuthWords, v))
	case query.KeySource:
		return eq(pSourceLc, lv)
	case query.KeyDOI:
		return eq(pDOILc, doiKey(v))
	case query.KeyID:
		return eq(pID, v)
	}
	return nothing()
}

// allWords matches papers whose prop holds every word of v; nil (every
// paper) when v has no word, as the embedded engine treats it.
func allWords(prop, v string) *filters.WhereBuilder {
	var fs []*filters.WhereBuilder
	for _, w := range words(v) {
		fs = append(fs, eq(prop, w))
	}
	return and(fs...)
}
