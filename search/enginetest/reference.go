package enginetest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// The reference matcher: the query language as the README documents it,
// over the fixture (whose words each appear in one form only, so stemming
// changes no expected set).

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

var stop = func() analysis.TokenMap {
	m := analysis.NewTokenMap()
	if err := m.LoadBytes(en.EnglishStopWords); err != nil {
		panic(err)
	}
	return m
}()

// terms are s's words without stop words.
func terms(s string) []string {
	return slices.DeleteFunc(words(s), func(w string) bool { return stop[w] })
}

func hasAll(have []string, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func hasAny(have []string, want []string) bool {
	return slices.ContainsFunc(want, func(w string) bool { return slices.Contains(have, w) })
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}

// Match returns the sorted IDs of the papers q finds in BM25 mode: those
// passing its filters, phrases and exclusions and, with free text, holding
// a word of it in title, abstract or full text.
func Match(papers []corpus.Paper, q query.Query) []string {
	var out []string
	for i := range papers {
		if matches(&papers[i], q) {
			out = append(out, papers[i].ID)
		}
	}
	slices.Sort(out)
	return out
}

func matches(p *corpus.Paper, q query.Query) bool {
	if !allowed(p, q) {
		return false
	}
	text, _ := splitNegated(q.Text)
	ts := terms(text)
	if len(ts) == 0 {
		return true
	}
	return hasAny(words(p.Title+" "+p.Abstract+" "+p.FullText), ts)
}

func splitNegated(text string) (string, []string) {
	var keep, negs []string
	for _, w := range strings.Fields(text) {
		if len(w) > 1 && w[0] == '-' {
			negs = append(negs, w[1:])
			continue
		}
		keep = append(keep, w)
	}
	return strings.Join(keep, " "), negs
}

// allowed applies q's filters, phrases and exclusions.
func allowed(p *corpus.Paper, q query.Query) bool {
	prose := words(p.Title + " " + p.Abstract)
	for _, ph := range q.Phrases {
		if !hasAll(prose, terms(ph)) {
			return false
		}
	}
	_, negs := splitNegated(q.Text)
	for _, n := range negs {
		if hasAny(prose, terms(n)) {
			return false
		}
	}
	groups := map[string]bool{}
	for _, f := range q.Filters {
		m := filterMatches(p, f)
		switch {
		case f.Negate:
			if m {
				return false
			}
		case query.MultiValued(f.Key):
			if !m {
				return false
			}
		default:
			groups[f.Key] = groups[f.Key] || m
		}
	}
	for _, ok := range groups {
		if !ok {
			return false
		}
	}
	return true
}

func filterMatches(p *corpus.Paper, f query.Filter) bool {
	if f.Key == query.KeyYear {
		return p.Year != 0 && (f.Min == 0 || p.Year >= f.Min) && (f.Max == 0 || p.Year <= f.Max)
	}
	return slices.ContainsFunc(f.Values, func(v string) bool { return valueMatches(p, f.Key, v, f.Exact) })
}

func valueMatches(p *corpus.Paper, key, v string, exact bool) bool {
	if exact {
		switch key {
		case query.KeyField:
			return slices.Contains(p.Fields, v)
		case query.KeyCategory:
			return slices.Contains(p.Categories, v)
		case query.KeyVenue:
			return p.Venue == v
		case query.KeyAuthor:
			return slices.Contains(p.Authors, v)
		case query.KeySource:
			return p.Source == v
		}
	}
	switch key {
	case query.KeyField:
		return containsFold(p.Fields, v) || containsFold(p.Categories, v)
	case query.KeyCategory:
		return containsFold(p.Categories, v)
	case query.KeyVenue:
		return p.Venue == v || hasAll(words(p.Venue), words(v))
	case query.KeyAuthor:
		return slices.Contains(p.Authors, v) || hasAll(words(strings.Join(p.Authors, " ")), words(v))
	case query.KeySource:
		return strings.EqualFold(p.Source, v)
	case query.KeyDOI:
		norm := func(s string) string { return strings.TrimPrefix(strings.ToLower(s), "https://doi.org/") }
		return p.DOI != "" && norm(p.DOI) == norm(v)
	case query.KeyID:
		return p.ID == v
	}
	return false
}

// Facets counts the named facets over q's BM25 hits as the README says:
// the year facet lists every year, others their size most frequent values
// (ties to the alphabetically first) and Other for the rest; a facet whose
// key q filters positively is counted without those filters, its selected
// values marked.
func Facets(papers []corpus.Paper, q query.Query, size int, names []string) []search.Facet {
	var out []search.Facet
	for _, name := range names {
		cq := q
		cq.Filters = slices.DeleteFunc(slices.Clone(q.Filters), func(f query.Filter) bool { return f.Key == name && !f.Negate })
		counts := map[string]int{}
		for i := range papers {
			if matches(&papers[i], cq) {
				for _, v := range values(&papers[i], name) {
					counts[v]++
				}
			}
		}
		var vals []search.FacetValue
		for v, n := range counts {
			vals = append(vals, search.FacetValue{Value: v, Count: n, Selected: selected(q, name, v)})
		}
		f := search.Facet{Name: name}
		if name == search.FacetYear {
			slices.SortFunc(vals, func(a, b search.FacetValue) int { return cmp.Compare(a.Value, b.Value) })
			f.Values = vals
		} else {
			slices.SortFunc(vals, func(a, b search.FacetValue) int {
				return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
			})
			n := min(size, len(vals))
			f.Values = vals[:n]
			for _, v := range vals[n:] {
				if v.Selected {
					f.Values = append(f.Values, v)
				} else {
					f.Other += v.Count
				}
			}
		}
		out = append(out, f)
	}
	return out
}

func values(p *corpus.Paper, name string) []string {
	switch name {
	case search.FacetYear:
		if p.Year != 0 {
			return []string{strconv.Itoa(p.Year)}
		}
	case search.FacetField:
		return p.Fields
	case search.FacetCategory:
		return p.Categories
	case search.FacetVenue:
		if p.Venue != "" {
			return []string{p.Venue}
		}
	case search.FacetAuthor:
		return p.Authors
	case search.FacetSource:
		if p.Source != "" {
			return []string{p.Source}
		}
	}
	return nil
}

// selected: a positive filter on the facet's key takes the value (exactly
// for key:=, ignoring case otherwise, within the range for years).
func selected(q query.Query, name, v string) bool {
	if name == search.FacetYear {
		y, _ := strconv.Atoi(v)
		return slices.ContainsFunc(q.Filters, func(f query.Filter) bool {
			return f.Key == query.KeyYear && !f.Negate && (f.Min == 0 || f.Min <= y) && (f.Max == 0 || y <= f.Max)
		})
	}
	return q.Has(name, v)
}
