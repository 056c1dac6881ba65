// Package refs reads reference libraries (BibTeX/BibLaTeX) into papers. The
// library entry's metadata is authoritative; attached PDFs are returned as
// paths for the caller to extract full text from.
package refs

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/quire-research/quire/corpus"
)

// Entry is one library entry as a paper plus the PDFs attached to it.
type Entry struct {
	Paper corpus.Paper
	// Files are attached PDFs, made absolute against the library's folder.
	Files []string
	Line  int64
}

// ParseBib parses BibTeX/BibLaTeX text read from file (used for positions
// and to resolve relative attachments). Bad entries come back as
// *corpus.RecordError with their line and are skipped.
func ParseBib(file string, data []byte) ([]Entry, []error) {
	p := &bibParser{src: string(data), line: 1, file: file,
		macros: map[string]string{
			"jan": "1", "feb": "2", "mar": "3", "apr": "4", "may": "5", "jun": "6",
			"jul": "7", "aug": "8", "sep": "9", "oct": "10", "nov": "11", "dec": "12",
		}}
	var out []Entry
	var errs []error
	for {
		at := strings.IndexByte(p.src[p.pos:], '@')
		if at < 0 {
			break
		}
		p.advance(at + 1)
		start, startPos := p.line, p.pos
		e, err := p.entry()
		if err != nil {
			errs = append(errs, &corpus.RecordError{
				Pos: corpus.Position{File: file, Line: start}, Err: err})
			// Resume at the next line-leading '@' after this entry's start:
			// an unbalanced brace may have run over the entries that follow.
			p.pos, p.line = startPos, start
			p.skipToNextEntry()
			continue
		}
		if e != nil {
			e.Line = start
			out = append(out, *e)
		}
	}
	return out, errs
}

type bibParser struct {
	src    string
	pos    int
	line   int64
	file   string
	macros map[string]string
}

func (p *bibParser) advance(n int) {
	p.line += int64(strings.Count(p.src[p.pos:p.pos+n], "\n"))
	p.pos += n
}

func (p *bibParser) skipSpace() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.advance(1)
	}
}

// skipToNextEntry moves to the next '@' at the start of a line so one bad
// entry does not swallow the ones after it.
func (p *bibParser) skipToNextEntry() {
	i := strings.Index(p.src[p.pos:], "\n@")
	if i < 0 {
		p.advance(len(p.src) - p.pos)
		return
	}
	p.advance(i + 1)
}

func (p *bibParser) ident() string {
	p.skipSpace()
	s := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if unicode.IsSpace(rune(c)) || strings.IndexByte("{}(),=#\"", c) >= 0 {
			break
		}
		p.pos++
	}
	return p.src[s:p.pos]
}

func (p *bibParser) expect(c byte) error {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return fmt.Errorf("unexpected end of file, want %q", c)
	}
	if p.src[p.pos] != c {
		return fmt.Errorf("line %d: want %q, found %q", p.line, c, p.src[p.pos])
	}
	p.advance(1)
	return nil
}

func (p *bibParser) entry() (*Entry, error) {
	typ := strings.ToLower(p.ident())
	if typ == "" {
		return nil, fmt.Errorf("missing entry type after @")
	}
	p.skipSpace()
	if p.pos >= len(p.src) || (p.src[p.pos] != '{' && p.src[p.pos] != '(') {
		return nil, fmt.Errorf("@%s: want { after the entry type", typ)
	}
	p.advance(1)
	switch typ {
	case "comment":
		// Skip a balanced comment body.
		_, err := p.braced()
		return nil, err
	case "preamble":
		_, err := p.value()
		if err == nil {
			err = p.closeEntry()
		}
		return nil, err
	case "string":
		name := strings.ToLower(p.ident())
		if err := p.expect('='); err != nil {
			return nil, fmt.Errorf("@string %s: %w", name, err)
		}
		v, err := p.value()
		if err != nil {
			return nil, fmt.Errorf("@string %s: %w", name, err)
		}
		p.macros[name] = v
		return nil, p.closeEntry()
	}
	key := p.ident()
	if err := p.expect(','); err != nil {
		return nil, fmt.Errorf("@%s %s: %w", typ, key, err)
	}
	fields := map[string]string{}
	for {
		p.skipSpace()
		if p.pos < len(p.src) && (p.src[p.pos] == '}' || p.src[p.pos] == ')') {
			p.advance(1)
			break
		}
		if p.pos < len(p.src) && p.src[p.pos] == '@' && p.pos > 0 && p.src[p.pos-1] == '\n' {
			// A value's braces closed on the entry's own }, so the
			// next entry is read as this one's field.
			return nil, fmt.Errorf("@%s %s: not closed before the next entry at line %d: a value lacks its closing }", typ, key, p.line)
		}
		name := strings.ToLower(p.ident())
		if name == "" {
			return nil, fmt.Errorf("@%s %s: line %d: want a field name", typ, key, p.line)
		}
		if err := p.expect('='); err != nil {
			return nil, fmt.Errorf("@%s %s: field %s: %w", typ, key, name, err)
		}
		v, err := p.value()
		if err != nil {
			return nil, fmt.Errorf("@%s %s: field %s: %w", typ, key, name, err)
		}
		fields[name] = v
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.advance(1)
		}
	}
	return p.toEntry(key, fields)
}

func (p *bibParser) closeEntry() error {
	p.skipSpace()
	if p.pos < len(p.src) && (p.src[p.pos] == '}' || p.src[p.pos] == ')') {
		p.advance(1)
		return nil
	}
	return fmt.Errorf("line %d: want } to close the entry", p.line)
}

// value reads pieces joined by #: {braced}, "quoted", numbers and macros.
func (p *bibParser) value() (string, error) {
	var b strings.Builder
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return "", fmt.Errorf("unexpected end of file in a value")
		}
		switch c := p.src[p.pos]; c {
		case '{':
			p.advance(1)
			s, err := p.braced()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case '"':
			p.advance(1)
			s, err := p.quoted()
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		default:
			id := p.ident()
			if id == "" {
				return "", fmt.Errorf("line %d: want a value, found %q", p.line, c)
			}
			if _, err := strconv.Atoi(id); err == nil {
				b.WriteString(id)
			} else if m, ok := p.macros[strings.ToLower(id)]; ok {
				b.WriteString(m)
			} else {
				return "", fmt.Errorf("undefined @string macro %q", id)
			}
		}
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '#' {
			p.advance(1)
			continue
		}
		return b.String(), nil
	}
}

// braced reads up to the matching close brace (the open one is consumed),
// keeping inner braces for the LaTeX decoder.
func (p *bibParser) braced() (string, error) {
	start, depth := p.pos, 1
	for i := p.pos; i < len(p.src); i++ {
		switch p.src[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				s := p.src[start:i]
				p.advance(i + 1 - p.pos)
				return s, nil
			}
		case '@':
			// An entry start at a line's beginning inside a value means the
			// braces were unbalanced; stop here rather than eat the next entry.
			if i > 0 && p.src[i-1] == '\n' {
				return "", fmt.Errorf("unbalanced braces (next entry starts at line %d)",
					p.line+int64(strings.Count(p.src[p.pos:i], "\n")))
			}
		}
	}
	return "", fmt.Errorf("unbalanced braces: no closing } before end of file")
}

func (p *bibParser) quoted() (string, error) {
	start, depth := p.pos, 0
	for i := p.pos; i < len(p.src); i++ {
		switch p.src[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case '"':
			if depth == 0 {
				s := p.src[start:i]
				p.advance(i + 1 - p.pos)
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("unterminated quoted value")
}

func (p *bibParser) toEntry(key string, f map[string]string) (*Entry, error) {
	e := &Entry{}
	pp := &e.Paper
	pp.Title = Latex(f["title"])
	pp.Abstract = Latex(f["abstract"])
	for _, a := range splitAuthors(f["author"]) {
		pp.Authors = append(pp.Authors, Latex(a))
	}
	pp.Venue = Latex(first(f["journal"], f["journaltitle"], f["booktitle"]))
	pp.DOI = strings.TrimSpace(f["doi"])
	pp.URL = strings.TrimSpace(f["url"])
	if y := strings.TrimSpace(first(f["year"], f["date"])); y != "" {
		if len(y) >= 4 {
			y = y[:4]
		}
		n, err := strconv.Atoi(y)
		if err != nil || n < corpus.MinYear || n > corpus.MaxYear {
			return nil, fmt.Errorf("@%s: year: %q is not a year", key, f["year"]+f["date"])
		}
		pp.Year = n
	}
	for _, k := range splitList(first(f["keywords"], f["keyword"]), ",;") {
		pp.Categories = append(pp.Categories, Latex(k))
	}
	// Zotero collections and JabRef groups are where a paper sits in the
	// library: broad areas, so Fields.
	for _, g := range splitList(first(f["groups"], f["collections"]), ",;") {
		pp.Fields = append(pp.Fields, Latex(g))
	}
	pp.ID = key
	if pp.DOI != "" {
		pp.ID = pp.DOI
	}
	if pp.Title == "" {
		return nil, &corpus.FieldError{Field: "title", Err: fmt.Errorf("@%s has no title", key)}
	}
	e.Files = p.files(f["file"])
	return e, nil
}

// files decodes file fields: "desc:path:mime" (Zotero, JabRef), several
// separated by ';', or a bare path. Only PDFs are kept.
func (p *bibParser) files(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		path := part
		if fs := strings.Split(part, ":"); len(fs) >= 3 {
			// The path may itself hold ':' (C:\...), so it is everything
			// between the first and the last colon.
			path = strings.Join(fs[1:len(fs)-1], ":")
		}
		path = strings.ReplaceAll(path, `\:`, ":")
		if !strings.EqualFold(filepath.Ext(path), ".pdf") {
			continue
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(p.file), path)
		}
		out = append(out, path)
	}
	return out
}

func first(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func splitList(v, seps string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// splitAuthors splits on " and " outside braces and turns "Last, First"
// into "First Last".
func splitAuthors(v string) []string {
	var out []string
	depth, start := 0, 0
	flush := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			return
		}
		if i := topComma(s); i >= 0 {
			s = strings.TrimSpace(s[i+1:]) + " " + strings.TrimSpace(s[:i])
		}
		out = append(out, strings.TrimSpace(s))
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '{':
			depth++
		case '}':
			depth--
		default:
			if depth == 0 && i+5 <= len(v) && strings.EqualFold(v[i:i+5], " and ") {
				flush(v[start:i])
				start = i + 5
				i += 4
			}
		}
	}
	flush(v[start:])
	return out
}

// topComma is the first comma outside braces, or -1; "{Smith, Jones and Co}"
// is one corporate name, not "Last, First".
func topComma(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
