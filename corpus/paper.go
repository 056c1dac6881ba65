// Package corpus holds Quire's paper model, the chunker that splits full text
// into passages, and the sources that stream papers in from dumps, folders and
// object stores. Sources never print: they yield records, positions and
// per-record errors as values, and callers decide how to report them.
package corpus

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Paper is one scholarly work as Quire stores and indexes it.
type Paper struct {
	// ID is stable across re-ingests: the source's own identifier (arXiv id,
	// OpenAlex id, BEIR _id, file path relative to its folder).
	ID       string   `json:"id"`
	Title    string   `json:"title,omitempty"`
	Abstract string   `json:"abstract,omitempty"`
	Authors  []string `json:"authors,omitempty"`
	Year     int      `json:"year,omitempty"`
	Venue    string   `json:"venue,omitempty"`
	// Fields are broad areas ("Computer Science", "Physics").
	Fields []string `json:"fields,omitempty"`
	// Categories are fine-grained subject codes or topics ("cs.CL", "q-bio.GN").
	Categories []string `json:"categories,omitempty"`
	DOI        string   `json:"doi,omitempty"`
	URL        string   `json:"url,omitempty"`
	// Source names the collection the paper came from ("arxiv", "openalex",
	// "scifact", "synthetic", ...); it is a facet like any other.
	Source   string `json:"source,omitempty"`
	FullText string `json:"full_text,omitempty"`
	// Pages are the byte offsets in FullText where each page starts
	// (Pages[0] is page 1), for text extracted from a paged document such
	// as a PDF; empty when the text has no pages.
	Pages []int `json:"pages,omitempty"`
	// References is the reference list split off the full text: kept for
	// the reader and exports, never ranked as body text.
	References string `json:"references,omitempty"`
}

// PageAt is the 1-based page holding byte off of FullText, or 0 when the
// paper has no page offsets.
func (p *Paper) PageAt(off int) int {
	if len(p.Pages) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(p.Pages, off+1)
	return max(i, 1)
}

// Years outside this range are treated as data errors.
const (
	MinYear = 1600
	MaxYear = 2100
)

// FieldError says which field of a record is wrong. Decoders return it so the
// reader can report "file:line: field: reason".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Normalize trims and collapses white space in every text field, drops empty
// list entries and duplicates, and lower-cases nothing: case matters in
// titles and category codes.
func (p *Paper) Normalize() {
	p.ID = strings.TrimSpace(p.ID)
	p.Title = CollapseSpace(p.Title)
	p.Abstract = CollapseSpace(p.Abstract)
	p.Venue = CollapseSpace(p.Venue)
	p.DOI = strings.TrimSpace(p.DOI)
	p.URL = strings.TrimSpace(p.URL)
	p.Source = strings.TrimSpace(p.Source)
	p.Authors = cleanList(p.Authors)
	p.Fields = cleanList(p.Fields)
	p.Categories = cleanList(p.Categories)
	p.FullText = strings.TrimSpace(p.FullText)
}

// Validate reports the first field that makes the paper unusable. An empty
// abstract is not an error (many real records have none); see Warnings.
func (p *Paper) Validate() error {
	switch {
	case p.ID == "":
		return fieldErr("id", "missing")
	case !utf8.ValidString(p.ID):
		return fieldErr("id", "not valid UTF-8")
	case p.Title == "" && p.Abstract == "" && p.FullText == "":
		return fieldErr("title", "no title, abstract or text")
	case p.Year != 0 && (p.Year < MinYear || p.Year > MaxYear):
		return fieldErr("year", "%d is out of range %d..%d", p.Year, MinYear, MaxYear)
	}
	return nil
}

// Warnings lists problems worth reporting that do not stop the paper from
// being indexed.
func (p *Paper) Warnings() []string {
	var w []string
	if p.Abstract == "" && p.FullText == "" {
		w = append(w, "abstract: empty")
	}
	if p.Title == "" {
		w = append(w, "title: empty")
	}
	return w
}

// Text is the paper's searchable prose: title, abstract and full text.
func (p *Paper) Text() string {
	var b strings.Builder
	for _, s := range []string{p.Title, p.Abstract, p.FullText} {
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s)
	}
	return b.String()
}

// CollapseSpace trims s and folds every run of white space into one space.
// Most input is already clean, so it first checks, byte by byte, and only
// rebuilds the string when it must.
func CollapseSpace(s string) string {
	if s == "" || isCollapsed(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isCollapsed reports whether s has no leading, trailing, doubled or
// non-space white space.
func isCollapsed(s string) bool {
	prevSpace := true // so a leading space fails
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Rare: let the slow path judge non-ASCII text, which may hold
			// Unicode spaces.
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return false
			}
			i += size - 1
			prevSpace = false
			continue
		}
		switch c {
		case ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case '\t', '\n', '\v', '\f', '\r':
			return false
		default:
			prevSpace = false
		}
	}
	return !prevSpace
}

func cleanList(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := in[:0]
	seen := make(map[string]struct{}, len(in))
	for _, s := range in {
		s = CollapseSpace(s)
		if s == "" {
			continue
		}
		if _, dup := seen[s]; dup {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// VenueName reduces a citation-style venue ("Phys. Rev. A 77, 013804 (2008)")
// to the name people facet on ("Phys. Rev. A") by cutting at the first token
// that starts with a digit or a volume marker. A venue that is all numbers
// is kept whole.
func VenueName(v string) string {
	v = CollapseSpace(v)
	words := strings.Fields(v)
	for i, w := range words {
		lw := strings.ToLower(strings.TrimLeft(w, "(["))
		if i > 0 && (lw != "" && lw[0] >= '0' && lw[0] <= '9' || lw == "vol." || lw == "vol" || lw == "volume" || lw == "no." || lw == "pp.") {
			return strings.TrimRight(strings.Join(words[:i], " "), " ,;:")
		}
	}
	return v
}
