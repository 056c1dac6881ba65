package embedded

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/quire-research/quire/corpus"
)

// Index field names. Prose fields are analysed with English stemming; facet
// fields are exact keywords (their dictionaries feed the facet columns);
// *_lc and *_text fields exist only so filters match case-insensitively.
const (
	fTitle    = "title"
	fText     = "text" // title + abstract: one BM25 field so length norms see the whole record
	fBody     = "body" // full text, kept apart so long bodies do not swamp abstracts
	fYear     = "year"
	fField    = "field"
	fCategory = "category"
	fVenue    = "venue"
	fAuthor   = "author"
	fSource   = "source"
	fFieldLC  = "field_lc"
	fCatLC    = "category_lc"
	fSourceLC = "source_lc"
	fVenueTxt = "venue_text"
	fAuthTxt  = "author_text"
	fDOI      = "doi"
	fSrc      = "_src" // the paper as JSON, stored only
	// fChunks holds the full text's passage bounds as JSON, stored only.
	// With the body's term vectors it lets rescoring read passages from
	// the index instead of cutting and analysing each hit (rerank.go).
	fChunks = "_chunks"
)

// Analyzer names registered in the mapping.
const (
	anProse   = "quire_prose"
	anName    = "quire_name"
	anLower   = "quire_lower"
	anKeyword = keyword.Name
)

// Analysis choices, measured on the BEIR collections in ../shared/data
// (see search/embedded/quality_test.go): Porter beats Snowball slightly on
// SciFact, and the English stop list helps long claim-style queries.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	im.DefaultAnalyzer = anProse
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	if err := im.AddCustomAnalyzer(anProse, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(anName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(anLower, map[string]any{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}

	dm := mapping.NewDocumentStaticMapping()
	text := func(an string) *mapping.FieldMapping {
		fm := mapping.NewTextFieldMapping()
		fm.Analyzer = an
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = false
		return fm
	}
	for name, an := range map[string]string{
		fTitle: anProse, fText: anProse, fBody: anProse,
		fYear: anKeyword, fField: anKeyword, fCategory: anKeyword, fVenue: anKeyword,
		fAuthor: anKeyword, fSource: anKeyword,
		fFieldLC: anLower, fCatLC: anLower, fSourceLC: anLower, fDOI: anLower,
		fVenueTxt: anName, fAuthTxt: anName,
	} {
		dm.AddFieldMappingsAt(name, text(an))
	}
	im.DefaultMapping = dm
	return im, nil
}

// analyzers resolved once from the mapping, for building documents directly.
type analyzers struct {
	prose, name, lower, keyword analysis.Analyzer
	// legacy, set only by tests, writes records as older versions did, so
	// that reading them stays tested (record.go).
	legacy recordFormat
}

// recordFormat is how a record keeps its full text.
type recordFormat int

const (
	recordSplit      recordFormat = iota // body stored raw, with passage bounds
	recordBodyInSrc                      // body inside fSrc, with passage bounds
	recordNoPassages                     // body inside fSrc, no passage bounds
)

func resolveAnalyzers(im *mapping.IndexMappingImpl) analyzers {
	return analyzers{
		prose:   im.AnalyzerNamed(anProse),
		name:    im.AnalyzerNamed(anName),
		lower:   im.AnalyzerNamed(anLower),
		keyword: im.AnalyzerNamed(anKeyword),
	}
}

const indexed = index.IndexField

// buildDocument turns a paper into a bleve document without the reflection
// walk of mapping.MapDocument, and without the _all composite field, which
// would double the tokens analysed per paper.
func (a analyzers) buildDocument(p *corpus.Paper) (*document.Document, error) {
	rec, bodyOpts := withoutBody(p), indexed|index.StoreField|index.IncludeTermVectors
	if a.legacy != recordSplit {
		rec, bodyOpts = p, indexed|index.IncludeTermVectors
	}
	src, err := json.Marshal(rec) // the body is stored raw (record.go)
	if err != nil {
		return nil, err
	}
	d := document.NewDocument(p.ID)
	add := func(name, val string, an analysis.Analyzer) {
		if val != "" {
			d.AddField(document.NewTextFieldCustom(name, nil, []byte(val), indexed, an))
		}
	}
	add(fTitle, p.Title, a.prose)
	add(fText, joinNonEmpty(p.Title, p.Abstract), a.prose)
	if p.FullText != "" {
		d.AddField(document.NewTextFieldCustom(fBody, nil, []byte(p.FullText), bodyOpts, a.prose))
	}
	if p.FullText != "" && a.legacy != recordNoPassages {
		chunks, err := json.Marshal(bodyChunks(p))
		if err != nil {
			return nil, err
		}
		d.AddField(document.NewTextFieldWithIndexingOptions(fChunks, nil, chunks, index.StoreField))
	}
	if p.Year != 0 {
		add(fYear, strconv.Itoa(p.Year), a.keyword)
	}
	for _, f := range p.Fields {
		add(fField, f, a.keyword)
		add(fFieldLC, f, a.lower)
	}
	for _, c := range p.Categories {
		add(fCategory, c, a.keyword)
		add(fCatLC, c, a.lower)
	}
	if v := corpus.VenueName(p.Venue); v != "" {
		add(fVenue, v, a.keyword)
		add(fVenueTxt, p.Venue, a.name)
	}
	for _, au := range p.Authors {
		add(fAuthor, au, a.keyword)
	}
	if len(p.Authors) > 0 {
		add(fAuthTxt, strings.Join(p.Authors, " ; "), a.name)
	}
	add(fSource, p.Source, a.keyword)
	add(fSourceLC, p.Source, a.lower)
	add(fDOI, p.DOI, a.lower)
	d.AddField(document.NewTextFieldWithIndexingOptions(fSrc, nil, src, index.StoreField))
	return d, nil
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

// chunkRef is a passage's place in a full text: a corpus.Chunk without
// its text, as stored in fChunks.
type chunkRef struct {
	Index   int    `json:"i"`
	Section string `json:"s,omitempty"`
	Start   int    `json:"a"`
	End     int    `json:"b"`
	Tokens  int    `json:"t"`
	Page    int    `json:"p,omitempty"`
	PageEnd int    `json:"q,omitempty"`
}

// bodyChunks is corpus.BodyChunks without the texts, as stored.
func bodyChunks(p *corpus.Paper) []chunkRef {
	cs := corpus.BodyChunks(p)
	out := make([]chunkRef, len(cs))
	for i, c := range cs {
		out[i] = chunkRef{Index: c.Index, Section: c.Section, Start: c.Start, End: c.End,
			Tokens: c.Tokens, Page: c.Page, PageEnd: c.PageEnd}
	}
	return out
}
