package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

var errNoBasket = errors.New("there is no basket in this session")

// Basket is the evidence basket: paper IDs in the order they were added.
// It is safe for concurrent use.
type Basket struct {
	mu  sync.Mutex
	ids []string
}

// NewBasket starts a basket with ids.
func NewBasket(ids ...string) *Basket {
	b := &Basket{}
	for _, id := range ids {
		b.Add(id)
	}
	return b
}

// Add puts id in the basket and reports whether it was new.
func (b *Basket) Add(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id == "" || slices.Contains(b.ids, id) {
		return false
	}
	b.ids = append(b.ids, id)
	return true
}

// IDs returns the basket's papers in order.
func (b *Basket) IDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ids)
}

// Env is what Quire's own tools work on.
type Env struct {
	Engine search.Engine
	Basket *Basket
	// Cite numbers a paper as a source and returns its number, so the model
	// can cite what a tool showed it; nil leaves papers unnumbered.
	Cite func(p *corpus.Paper) int
	// OnBasket is called with the IDs a call added.
	OnBasket func(added []string)
	// MaxResults caps search_papers (default 10).
	MaxResults int
}

// Names of Quire's tools.
const (
	SearchPapers = "search_papers"
	GetPaper     = "get_paper"
	FacetCounts  = "facet_counts"
	AddToBasket  = "add_to_basket"
)

// Quire returns the tools that call Quire itself.
func Quire(env Env) []Tool {
	if env.MaxResults <= 0 {
		env.MaxResults = 10
	}
	return []Tool{
		{
			Name: SearchPapers,
			Description: "Search the paper library with Quire's query language: free words, \"phrases\", -exclusions and " +
				"filters year:2018..2022, field:, category:, author:, venue:, source:. Returns numbered papers you can cite as [n].",
			Schema: json.RawMessage(`{"type":"object","properties":{` +
				`"query":{"type":"string","description":"query text with optional filters"},` +
				`"limit":{"type":"integer","minimum":1,"maximum":50,"description":"number of papers (default 10)"},` +
				`"mode":{"type":"string","enum":["hybrid","bm25","vector"],"description":"ranking: hybrid (default) fuses BM25 and vectors; bm25 for exact terms; vector for meaning"},` +
				`"facets":{"type":"array","items":{"type":"string","enum":["year","field","category","venue","author","source"]},` +
				`"description":"also count the matching papers by these facets"}},` +
				`"required":["query"]}`),
			Call: env.searchPapers,
		},
		{
			Name:        GetPaper,
			Description: "Get one paper's metadata and abstract by its id.",
			Schema:      json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`),
			Call:        env.getPaper,
		},
		{
			Name:        FacetCounts,
			Description: "Count the papers matching a query by year, field, category, venue, author or source.",
			Schema: json.RawMessage(`{"type":"object","properties":{` +
				`"query":{"type":"string"},` +
				`"facets":{"type":"array","items":{"type":"string","enum":["year","field","category","venue","author","source"]}},` +
				`"size":{"type":"integer","minimum":1,"maximum":50}},"required":["query"]}`),
			Call: env.facetCounts,
		},
		{
			Name:        AddToBasket,
			Description: "Add papers, by id, to the user's evidence basket (the papers drafts and answers are grounded in).",
			Schema: json.RawMessage(`{"type":"object","properties":{"ids":{"type":"array","items":{"type":"string"},"minItems":1}},` +
				`"required":["ids"]}`),
			Call: env.addToBasket,
		},
	}
}

func (env Env) searchPapers(ctx context.Context, in json.RawMessage) (string, error) {
	var a struct {
		Query  string   `json:"query"`
		Limit  int      `json:"limit"`
		Mode   string   `json:"mode"`
		Facets []string `json:"facets"`
	}
	if err := Decode(in, &a); err != nil {
		return "", err
	}
	limit := a.Limit
	if limit <= 0 || limit > env.MaxResults {
		limit = env.MaxResults
	}
	req, err := search.NewRequest(a.Query, limit)
	if err != nil {
		return "", err
	}
	req.Spelling = true
	switch a.Mode {
	case "", search.ModeHybrid, search.ModeBM25, search.ModeVector:
		req.Mode = a.Mode
	default:
		return "", fmt.Errorf("unknown mode %q (use hybrid, bm25 or vector)", a.Mode)
	}
	if err := checkFacets(a.Facets); err != nil {
		return "", err
	}
	if len(a.Facets) > 0 {
		req = req.WithFacets(10, a.Facets...)
	}
	res, err := env.Engine.Search(ctx, req)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d papers match; showing %d.\n", res.Total, len(res.Hits))
	// Why nothing matched, and a spelling to retry with, so an agent
	// need not guess.
	if res.NoHits != nil {
		b.WriteString(res.NoHits.Message + "\n")
	} else if res.Spelling != nil {
		b.WriteString(res.Spelling.Line() + "\n")
	}
	for _, h := range res.Hits {
		p := h.Paper
		b.WriteString(env.line(&p))
		if abs := firstWords(p.Abstract, 40); abs != "" {
			fmt.Fprintf(&b, "    %s\n", abs)
		}
	}
	writeFacets(&b, res.Facets)
	return b.String(), nil
}

func (env Env) line(p *corpus.Paper) string {
	num := ""
	if env.Cite != nil {
		num = fmt.Sprintf("[%d] ", env.Cite(p))
	}
	meta := []string{"id: " + p.ID}
	if p.Year != 0 {
		meta = append(meta, fmt.Sprint(p.Year))
	}
	if p.Venue != "" {
		meta = append(meta, p.Venue)
	}
	if len(p.Authors) > 0 {
		a := p.Authors[0]
		if len(p.Authors) > 1 {
			a += " et al."
		}
		meta = append(meta, a)
	}
	return fmt.Sprintf("%s%s (%s)\n", num, p.Title, strings.Join(meta, "; "))
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) <= n {
		return strings.Join(w, " ")
	}
	return strings.Join(w[:n], " ") + " …"
}

func (env Env) getPaper(ctx context.Context, in json.RawMessage) (string, error) {
	var a struct {
		ID string `json:"id"`
	}
	if err := Decode(in, &a); err != nil {
		return "", err
	}
	p, err := env.Engine.Get(ctx, a.ID)
	if errors.Is(err, search.ErrNotFound) {
		return "", fmt.Errorf("no paper with id %q", a.ID)
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(env.line(p))
	if p.DOI != "" {
		fmt.Fprintf(&b, "doi: %s\n", p.DOI)
	}
	if len(p.Authors) > 1 {
		fmt.Fprintf(&b, "authors: %s\n", strings.Join(p.Authors, ", "))
	}
	if len(p.Fields)+len(p.Categories) > 0 {
		fmt.Fprintf(&b, "fields: %s\n", strings.Join(append(slices.Clone(p.Fields), p.Categories...), ", "))
	}
	fmt.Fprintf(&b, "abstract: %s\n", firstWords(p.Abstract, 400))
	return b.String(), nil
}

func (env Env) facetCounts(ctx context.Context, in json.RawMessage) (string, error) {
	var a struct {
		Query  string   `json:"query"`
		Facets []string `json:"facets"`
		Size   int      `json:"size"`
	}
	if err := Decode(in, &a); err != nil {
		return "", err
	}
	if len(a.Facets) == 0 {
		a.Facets = search.AllFacets
	}
	if err := checkFacets(a.Facets); err != nil {
		return "", err
	}
	if a.Size <= 0 || a.Size > 50 {
		a.Size = 10
	}
	q, err := query.Parse(a.Query)
	if err != nil {
		return "", err
	}
	res, err := env.Engine.Search(ctx, search.Request{Query: q}.WithFacets(a.Size, a.Facets...))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d papers match.\n", res.Total)
	writeFacets(&b, res.Facets)
	return b.String(), nil
}

func checkFacets(names []string) error {
	for _, f := range names {
		if !slices.Contains(search.AllFacets, f) {
			return fmt.Errorf("unknown facet %q (use %s)", f, strings.Join(search.AllFacets, ", "))
		}
	}
	return nil
}

// writeFacets lists facet values with their counts, one facet a line.
func writeFacets(b *strings.Builder, facets []search.Facet) {
	for _, f := range facets {
		var parts []string
		for _, v := range f.Values {
			parts = append(parts, fmt.Sprintf("%s (%d)", v.Value, v.Count))
		}
		fmt.Fprintf(b, "%s: %s\n", f.Name, strings.Join(parts, ", "))
	}
}

func (env Env) addToBasket(ctx context.Context, in json.RawMessage) (string, error) {
	var a struct {
		IDs []string `json:"ids"`
	}
	if err := Decode(in, &a); err != nil {
		return "", err
	}
	if env.Basket == nil {
		return "", errNoBasket
	}
	var added, missing []string
	for _, id := range a.IDs {
		if _, err := env.Engine.Get(ctx, id); err != nil {
			missing = append(missing, id)
			continue
		}
		if env.Basket.Add(id) {
			added = append(added, id)
		}
	}
	if len(added) > 0 && env.OnBasket != nil {
		env.OnBasket(added)
	}
	msg := fmt.Sprintf("added %d; the basket holds %d papers", len(added), len(env.Basket.IDs()))
	if len(missing) > 0 {
		msg += "; not found: " + strings.Join(missing, ", ")
	}
	return msg, nil
}
