package refs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quire-research/quire/corpus"
)

type cslName struct {
	Family  string `json:"family"`
	Given   string `json:"given"`
	Literal string `json:"literal"`
}

type cslItem struct {
	ID     any       `json:"id"`
	Type   string    `json:"type"`
	Title  string    `json:"title"`
	Author []cslName `json:"author"`
	Issued struct {
		DateParts [][]any `json:"date-parts"`
	} `json:"issued"`
	DOI       string `json:"DOI"`
	URL       string `json:"URL"`
	Abstract  string `json:"abstract"`
	Keyword   string `json:"keyword"`
	Container string `json:"container-title"`
	File      string `json:"file"`
}

// ParseCSL parses a CSL-JSON array. A bad item is reported at the line it
// starts on and skipped; the ID is the DOI, else the item's id.
func ParseCSL(file string, data []byte) ([]Entry, []error) {
	lineAt := func(off int64) int64 { return 1 + int64(bytes.Count(data[:off], []byte("\n"))) }
	fail := func(off int64, err error) error {
		return &corpus.RecordError{Pos: corpus.Position{File: file, Line: lineAt(off)}, Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, []error{fail(dec.InputOffset(), fmt.Errorf("CSL-JSON must be an array of items"))}
	}
	var out []Entry
	var errs []error
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// Syntax errors leave the decoder unusable: stop here.
			return out, append(errs, fail(dec.InputOffset(), err))
		}
		start := dec.InputOffset() - int64(len(raw))
		for start < int64(len(data)) && data[start] != '{' && start < dec.InputOffset() {
			start++
		}
		var it cslItem
		if err := json.Unmarshal(raw, &it); err != nil {
			errs = append(errs, fail(start, err))
			continue
		}
		e, err := it.entry(file)
		if err != nil {
			errs = append(errs, fail(start, err))
			continue
		}
		e.Line = lineAt(start)
		out = append(out, e)
	}
	return out, errs
}

func (it *cslItem) entry(file string) (Entry, error) {
	var e Entry
	p := &e.Paper
	p.Title, p.Abstract, p.DOI, p.URL, p.Venue = it.Title, it.Abstract, it.DOI, it.URL, it.Container
	if p.Title == "" {
		return e, &corpus.FieldError{Field: "title", Err: fmt.Errorf("item has no title")}
	}
	for _, a := range it.Author {
		n := strings.TrimSpace(a.Given + " " + a.Family)
		if a.Literal != "" {
			n = a.Literal
		}
		if n != "" {
			p.Authors = append(p.Authors, n)
		}
	}
	if len(it.Issued.DateParts) > 0 && len(it.Issued.DateParts[0]) > 0 {
		var y int
		if _, err := fmt.Sscan(fmt.Sprint(it.Issued.DateParts[0][0]), &y); err != nil || y < corpus.MinYear || y > corpus.MaxYear {
			return e, &corpus.FieldError{Field: "issued", Err: fmt.Errorf("%v is not a year", it.Issued.DateParts[0][0])}
		}
		p.Year = y
	}
	p.Categories = splitList(it.Keyword, ",;")
	p.ID = p.DOI
	if p.ID == "" && it.ID != nil {
		p.ID = fmt.Sprint(it.ID)
	}
	if p.ID == "" {
		return e, &corpus.FieldError{Field: "id", Err: fmt.Errorf("item has neither DOI nor id")}
	}
	for _, f := range splitList(it.File, ";") {
		if strings.EqualFold(filepath.Ext(f), ".pdf") {
			if !filepath.IsAbs(f) {
				f = filepath.Join(filepath.Dir(file), f)
			}
			e.Files = append(e.Files, f)
		}
	}
	return e, nil
}
