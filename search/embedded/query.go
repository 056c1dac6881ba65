package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// toBleve translates a parsed query. Free text is OR'ed terms scored by BM25
// over title+abstract, with title matches boosted and full text weighed
// lower; quoted phrases must match all their words; filters restrict the hit
// set without touching scores.
func (x *Index) toBleve(q query.Query) bq.Query {
	b := bleve.NewBooleanQuery()
	text, negs := splitNegated(q.Text)
	if strings.TrimSpace(text) != "" {
		main := bleve.NewMatchQuery(text)
		main.SetField(fText)
		title := bleve.NewMatchQuery(text)
		title.SetField(fTitle)
		title.SetBoost(x.opts.TitleBoost)
		body := bleve.NewMatchQuery(text)
		body.SetField(fBody)
		body.SetBoost(bodyBoost)
		b.AddShould(main, title, body)
	}
	for _, ph := range q.Phrases {
		m := bleve.NewMatchQuery(ph)
		m.SetField(fText)
		m.SetOperator(bq.MatchQueryOperatorAnd)
		b.AddMust(m)
	}
	for _, w := range negs {
		m := bleve.NewMatchQuery(w)
		m.SetField(fText)
		b.AddMustNot(m)
	}
	var filters []bq.Query
	orGroups := map[string][]bq.Query{}
	orGroupPos := map[string]int{}
	for _, f := range q.Filters {
		fq := filterQuery(f)
		switch {
		case fq == nil:
		case f.Negate:
			b.AddMustNot(fq)
		case query.MultiValued(f.Key):
			filters = append(filters, fq)
		default:
			// year:2019 year:2021 means either: a paper has one year.
			if len(orGroups[f.Key]) == 0 {
				filters = append(filters, nil) // placeholder keeps key order
				orGroupPos[f.Key] = len(filters) - 1
			}
			orGroups[f.Key] = append(orGroups[f.Key], fq)
		}
	}
	for key, alts := range orGroups {
		if len(alts) == 1 {
			filters[orGroupPos[key]] = alts[0]
		} else {
			filters[orGroupPos[key]] = bleve.NewDisjunctionQuery(alts...)
		}
	}
	switch len(filters) {
	case 0:
	case 1:
		b.AddFilter(filters[0])
	default:
		b.AddFilter(bleve.NewConjunctionQuery(filters...))
	}
	if b.Must == nil && b.Should == nil {
		// Filters or exclusions alone: everything they allow, unranked.
		b.AddMust(bleve.NewMatchAllQuery())
	}
	return b
}

// bodyBoost keeps long full texts from outranking a matching abstract.
const bodyBoost = 0.3

// splitNegated pulls "-word" exclusions out of free text.
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

// filterQuery builds the query for one filter: its values OR'ed.
func filterQuery(f query.Filter) bq.Query {
	if f.Key == query.KeyYear {
		return yearQuery(f)
	}
	var alts []bq.Query
	for _, v := range f.Values {
		alts = append(alts, valueQuery(f.Key, v)...)
	}
	switch len(alts) {
	case 0:
		return nil
	case 1:
		return alts[0]
	}
	return bleve.NewDisjunctionQuery(alts...)
}

func term(field, v string) bq.Query {
	t := bleve.NewTermQuery(v)
	t.SetField(field)
	return t
}

func allWords(field, v string) bq.Query {
	m := bleve.NewMatchQuery(v)
	m.SetField(field)
	m.SetOperator(bq.MatchQueryOperatorAnd)
	return m
}

// valueQuery matches one filter value: exactly as faceted (so clicking a
// facet value always finds its papers) or, more loosely, case-insensitively.
func valueQuery(key, v string) []bq.Query {
	lv := strings.ToLower(v)
	switch key {
	case query.KeyField:
		// "field" matches broad fields and fine categories alike, so
		// field:q-bio.GN and field:Physics both work.
		return []bq.Query{term(fField, v), term(fFieldLC, lv), term(fCategory, v), term(fCatLC, lv)}
	case query.KeyCategory:
		return []bq.Query{term(fCategory, v), term(fCatLC, lv)}
	case query.KeyVenue:
		return []bq.Query{term(fVenue, v), allWords(fVenueTxt, v)}
	case query.KeyAuthor:
		return []bq.Query{term(fAuthor, v), allWords(fAuthTxt, v)}
	case query.KeySource:
		return []bq.Query{term(fSource, v), term(fSourceLC, lv)}
	case query.KeyID:
		return []bq.Query{bleve.NewDocIDQuery([]string{v})}
	case query.KeyDOI:
		return []bq.Query{term(fDOI, strings.TrimPrefix(lv, "https://doi.org/"))}
	}
	return nil
}

// Years are 4-digit keyword terms, so a term range is a year range.
func yearQuery(f query.Filter) bq.Query {
	lo, hi := corpus.MinYear, corpus.MaxYear
	if f.Min != 0 {
		lo = f.Min
	}
	if f.Max != 0 {
		hi = f.Max
	}
	t := true
	r := bleve.NewTermRangeInclusiveQuery(strconv.Itoa(lo), strconv.Itoa(hi), &t, &t)
	r.SetField(fYear)
	return r
}

// Search runs one request.
func (x *Index) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	start := time.Now()
	sr := bleve.NewSearchRequestOptions(x.toBleve(req.Query), req.Limit, req.Offset, false)
	sr.Fields = []string{fSrc}
	var k *counter
	var ferr error
	if len(req.Facets) > 0 {
		ctx = x.facets.withFacetHandler(ctx, req.Facets, &k, &ferr)
	}
	res, err := x.idx.SearchInContext(ctx, sr)
	if err != nil {
		if ferr != nil {
			err = ferr
		}
		return nil, fmt.Errorf("search %q: %w", req.Query.String(), err)
	}
	out := &search.Result{Total: res.Total}
	var hl *highlighter
	if req.Snippets {
		hl = x.newHighlighter(req.Query)
	}
	for _, h := range res.Hits {
		hit := search.Hit{ID: h.ID, Score: h.Score}
		if s, ok := h.Fields[fSrc].(string); ok {
			if err := json.Unmarshal([]byte(s), &hit.Paper); err != nil {
				return nil, fmt.Errorf("paper %s: stored record: %w", h.ID, err)
			}
		}
		if hl != nil {
			hit.Snippet = hl.snippet(&hit.Paper)
		}
		out.Hits = append(out.Hits, hit)
	}
	if k != nil {
		out.Facets = k.result(req.FacetSize)
	}
	out.Took = time.Since(start)
	return out, nil
}
