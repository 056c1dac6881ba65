package bedrockkb

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/aws/smithy-go/document"

	"github.com/quire-research/quire/corpus"
)

// SourceURIKey is the metadata key Bedrock fills with each passage's
// document address; PageKey the page of a PDF a passage starts on.
const (
	SourceURIKey = "x-amz-bedrock-kb-source-uri"
	PageKey      = "x-amz-bedrock-kb-document-page-number"
)

// retrieved is one passage as Retrieve returned it.
type retrieved struct {
	text  string
	score float64
	page  int // 1-based; 0 when unknown
}

// paper reads a passage's paper from its metadata: fields by their mapped
// keys, the document's address as URL (and as ID when no ID is mapped or
// present, so the passages of one document still group).
func (e *Engine) paper(r types.KnowledgeBaseRetrievalResult) (corpus.Paper, retrieved) {
	md := map[string]any{}
	for k, d := range r.Metadata {
		var v any
		if d != nil && d.UnmarshalSmithyDocument(&v) == nil {
			md[k] = v
		}
	}
	get := func(field string) any {
		if k, ok := e.o.Keys[field]; ok {
			return md[k]
		}
		return nil
	}
	p := corpus.Paper{
		ID:         str(get("id")),
		Title:      str(get("title")),
		Authors:    list(get("authors")),
		Year:       year(get("year")),
		Venue:      str(get("venue")),
		Fields:     list(get("fields")),
		Categories: list(get("categories")),
		DOI:        str(get("doi")),
		URL:        str(get("url")),
		Source:     str(get("source")),
	}
	uri := location(r.Location)
	if uri == "" {
		uri = str(md[SourceURIKey])
	}
	if p.URL == "" {
		p.URL = uri
	}
	if p.ID == "" {
		p.ID = uri
	}
	if p.Title == "" {
		p.Title = titleFromURI(uri)
	}
	var c retrieved
	if r.Content != nil && r.Content.Text != nil {
		c.text = *r.Content.Text
	}
	if r.Score != nil {
		c.score = *r.Score
	}
	c.page = page(md[PageKey])
	return p, c
}

// page reads a page number: a whole number from 1, else 0.
func page(v any) int {
	f, ok := number(v)
	if !ok || f < 1 || f != math.Trunc(f) || f > 1e6 {
		return 0
	}
	return int(f)
}

// location is the passage's document address, whatever the data source.
func location(l *types.RetrievalResultLocation) string {
	if l == nil {
		return ""
	}
	switch {
	case l.S3Location != nil && l.S3Location.Uri != nil:
		return *l.S3Location.Uri
	case l.WebLocation != nil && l.WebLocation.Url != nil:
		return *l.WebLocation.Url
	case l.ConfluenceLocation != nil && l.ConfluenceLocation.Url != nil:
		return *l.ConfluenceLocation.Url
	case l.SharePointLocation != nil && l.SharePointLocation.Url != nil:
		return *l.SharePointLocation.Url
	case l.SalesforceLocation != nil && l.SalesforceLocation.Url != nil:
		return *l.SalesforceLocation.Url
	case l.CustomDocumentLocation != nil && l.CustomDocumentLocation.Id != nil:
		return *l.CustomDocumentLocation.Id
	case l.KendraDocumentLocation != nil && l.KendraDocumentLocation.Uri != nil:
		return *l.KendraDocumentLocation.Uri
	}
	return ""
}

func titleFromURI(uri string) string {
	name := uri[strings.LastIndexByte(uri, '/')+1:]
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name
}

// str reads a metadata value as text: numbers as written.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case document.Number:
		return x.String()
	case []any:
		return strings.Join(list(x), ", ")
	}
	return fmt.Sprint(v)
}

// list reads a list of strings; a lone string is a list of one.
func list(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			if s := str(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if s := str(v); s != "" {
		return []string{s}
	}
	return nil
}

// year reads a number or a numeric string in corpus's year range.
func year(v any) int {
	f, ok := number(v)
	if s, isText := v.(string); isText {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		f, ok = float64(n), err == nil
	}
	if !ok || f != math.Trunc(f) || f < corpus.MinYear || f > corpus.MaxYear {
		return 0
	}
	return int(f)
}

// number reads a metadata number as the SDK decodes it.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case document.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}
