// Package evidence is what an answer is grounded in: the numbered sources
// sent to a model, the token budget they are packed into, the delimited
// block they travel in, and the check that citations in an answer point at
// sources that were actually sent.
//
// Retrieved text is data, never instructions. Format wraps every source in
// <source> tags and neutralises anything inside the text that looks like one
// of Quire's own delimiters, so a paper cannot close its block early and
// speak as the user.
package evidence

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/quire-research/quire/corpus"
)

// Source is one numbered passage sent to a model.
type Source struct {
	// N is the citation number, 1-based, as the model sees it: [N].
	N       int      `json:"n"`
	PaperID string   `json:"paper_id"`
	Title   string   `json:"title,omitempty"`
	Authors []string `json:"authors,omitempty"`
	Year    int      `json:"year,omitempty"`
	Venue   string   `json:"venue,omitempty"`
	// Section names where Text comes from: "abstract", a full-text heading,
	// or "" when unknown.
	Section string `json:"section,omitempty"`
	// Page and PageEnd are the 1-based pages Text comes from; 0 when
	// unknown.
	Page    int `json:"page,omitempty"`
	PageEnd int `json:"page_end,omitempty"`
	// Start and End are the byte offsets of Text in the paper's full text
	// when it is one passage of it (End > Start), so a reader can open a
	// citation where it is; 0 otherwise (an abstract, a basket paper).
	Start int `json:"start,omitempty"`
	End   int `json:"end,omitempty"`
	// Text is exactly what was sent, after neutralising delimiters.
	Text string `json:"text"`
	// Tokens is the CountTokens size of the formatted block.
	Tokens int `json:"tokens"`
	// Basket is true for papers the user put in the evidence basket.
	Basket bool `json:"basket,omitempty"`
	// Score is the retrieval score (0 for basket papers).
	Score float64 `json:"score,omitempty"`
	// Truncated is true when Text was cut to fit the budget.
	Truncated bool `json:"truncated,omitempty"`
}

// Label is a short human reference: "Title (2019)".
func (s Source) Label() string {
	t := s.Title
	if t == "" {
		t = s.PaperID
	}
	if s.Year != 0 {
		t += fmt.Sprintf(" (%d)", s.Year)
	}
	return t
}

// Pages is the page reference: "p. 4", "pp. 4–5", or "" when unknown.
func (s Source) Pages() string {
	switch {
	case s.Page <= 0:
		return ""
	case s.PageEnd > s.Page:
		return fmt.Sprintf("pp. %d–%d", s.Page, s.PageEnd)
	}
	return fmt.Sprintf("p. %d", s.Page)
}

// Where says where in the paper Text comes from: "Methods, p. 4", or "".
func (s Source) Where() string {
	var parts []string
	if s.Section != "" {
		parts = append(parts, s.Section)
	}
	if pg := s.Pages(); pg != "" {
		parts = append(parts, pg)
	}
	return strings.Join(parts, ", ")
}

// Tags Quire uses to delimit prompt parts. Text inside a source that looks
// like any of them is neutralised.
var tags = []string{"source", "sources", "question", "selection", "instructions", "tool_result"}

var tagRE = regexp.MustCompile(`(?i)<\s*/?\s*(` + strings.Join(tags, "|") + `)\b`)

// Neutralize makes delimiter look-alikes in untrusted text harmless by
// replacing their "<" with "‹", leaving everything else byte for byte.
func Neutralize(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	return tagRE.ReplaceAllStringFunc(s, func(m string) string { return "‹" + m[1:] })
}

func attr(s string) string {
	s = strings.ReplaceAll(s, `"`, "'")
	s = strings.ReplaceAll(s, "\n", " ")
	return Neutralize(strings.ReplaceAll(s, ">", "›"))
}

// Block formats one source for a prompt.
func Block(s Source) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<source id="%d" paper="%s"`, s.N, attr(s.PaperID))
	if s.Title != "" {
		fmt.Fprintf(&b, ` title="%s"`, attr(s.Title))
	}
	if s.Year != 0 {
		fmt.Fprintf(&b, ` year="%d"`, s.Year)
	}
	if len(s.Authors) > 0 {
		a := s.Authors
		more := ""
		if len(a) > 3 {
			a, more = a[:3], " et al."
		}
		fmt.Fprintf(&b, ` authors="%s"`, attr(strings.Join(a, ", ")+more))
	}
	if s.Section != "" {
		fmt.Fprintf(&b, ` section="%s"`, attr(s.Section))
	}
	if s.Page > 0 {
		fmt.Fprintf(&b, ` pages="%d`, s.Page)
		if s.PageEnd > s.Page {
			fmt.Fprintf(&b, `-%d`, s.PageEnd)
		}
		b.WriteString(`"`)
	}
	b.WriteString(">\n")
	b.WriteString(s.Text)
	b.WriteString("\n</source>")
	return b.String()
}

// Format wraps sources in one <sources> block, in order.
func Format(srcs []Source) string {
	var b strings.Builder
	b.WriteString("<sources>\n")
	for _, s := range srcs {
		b.WriteString(Block(s))
		b.WriteString("\n")
	}
	b.WriteString("</sources>")
	return b.String()
}

var blockRE = regexp.MustCompile(`(?s)<source id="(\d+)"([^>]*)>\n(.*?)\n</source>`)
var attrRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// Parse reads back the sources Format wrote, for answerers that work from
// the prompt alone (the extractive one). Unknown text around blocks is
// ignored.
func Parse(prompt string) []Source {
	var out []Source
	for _, m := range blockRE.FindAllStringSubmatch(prompt, -1) {
		n, _ := strconv.Atoi(m[1])
		s := Source{N: n, Text: m[3]}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			switch a[1] {
			case "paper":
				s.PaperID = a[2]
			case "title":
				s.Title = a[2]
			case "year":
				s.Year, _ = strconv.Atoi(a[2])
			case "section":
				s.Section = a[2]
			case "pages":
				lo, hi, _ := strings.Cut(a[2], "-")
				s.Page, _ = strconv.Atoi(lo)
				s.PageEnd, _ = strconv.Atoi(hi)
			}
		}
		out = append(out, s)
	}
	return out
}

// Tagged wraps text in a named delimiter after neutralising it.
func Tagged(tag, text string) string {
	return "<" + tag + ">\n" + Neutralize(text) + "\n</" + tag + ">"
}

// Untag returns the text inside the first <tag> block of s.
func Untag(s, tag string) (string, bool) {
	open, end := "<"+tag+">\n", "\n</"+tag+">"
	i := strings.Index(s, open)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(open):]
	j := strings.Index(rest, end)
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

// FromPaper makes an unnumbered source of a paper's title and abstract (or
// the start of its full text when it has no abstract).
func FromPaper(p *corpus.Paper) Source {
	text, section := p.Abstract, "abstract"
	if text == "" {
		text, section = p.FullText, ""
	}
	return Source{PaperID: p.ID, Title: p.Title, Authors: p.Authors, Year: p.Year, Venue: p.Venue,
		Section: section, Text: Neutralize(text)}
}

// Budget packs sources into a token budget, numbering them as they fit.
type Budget struct {
	Max  int
	Used int
	// MinTail is the smallest truncated source worth sending (default 48).
	MinTail int
}

// Add numbers s and adds it when it fits. A source too big for what is
// left is cut at a sentence or word boundary when at least MinTail tokens
// remain; otherwise Add returns false and the caller stops.
func (b *Budget) Add(list []Source, s Source) ([]Source, bool) {
	s.N = len(list) + 1
	s.Tokens = corpus.CountTokens(Block(s))
	if b.Used+s.Tokens <= b.Max {
		b.Used += s.Tokens
		return append(list, s), true
	}
	minTail := b.MinTail
	if minTail <= 0 {
		minTail = 48
	}
	overhead := s.Tokens - corpus.CountTokens(s.Text)
	room := b.Max - b.Used - overhead
	if room < minTail {
		return list, false
	}
	s.Text = cut(s.Text, room)
	s.Truncated = true
	s.Tokens = corpus.CountTokens(Block(s))
	b.Used += s.Tokens
	return append(list, s), true
}

// cut returns the longest prefix of text within max tokens, ending at a
// sentence end when one is in the second half, else at a word end.
func cut(text string, max int) string {
	words := strings.Fields(text)
	lo, n, end := 0, 0, 0
	for _, w := range words {
		i := strings.Index(text[end:], w) + end
		t := corpus.CountTokens(w)
		if n+t > max {
			break
		}
		n += t
		end = i + len(w)
		if strings.HasSuffix(w, ".") || strings.HasSuffix(w, "?") || strings.HasSuffix(w, "!") {
			lo = end
		}
	}
	if lo > end/2 {
		return text[:lo]
	}
	return text[:end]
}

// Citation is one source number cited in an answer, with the byte span of
// its marker.
type Citation struct {
	N          int
	Start, End int
}

var citeRE = regexp.MustCompile(`\[(\d{1,4}(?:\s*[-–]\s*\d{1,4})?(?:\s*[,;]\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?)*)\]`)

// Citations finds [n], [n, m], [n; m] and [n-m] markers in text.
func Citations(text string) []Citation {
	var out []Citation
	for _, loc := range citeRE.FindAllStringSubmatchIndex(text, -1) {
		inner := text[loc[2]:loc[3]]
		for part := range strings.FieldsFuncSeq(inner, func(r rune) bool { return r == ',' || r == ';' }) {
			part = strings.TrimSpace(part)
			lo, hi := part, part
			if i := strings.IndexAny(part, "-–"); i >= 0 {
				lo = strings.TrimSpace(part[:i])
				hi = strings.TrimSpace(strings.TrimLeft(part[i:], "-–"))
			}
			a, err1 := strconv.Atoi(lo)
			z, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || z < a || z-a > 50 {
				continue
			}
			for n := a; n <= z; n++ {
				out = append(out, Citation{N: n, Start: loc[0], End: loc[1]})
			}
		}
	}
	return out
}

// Unknown returns the distinct cited numbers that match no source, in the
// order they first appear.
func Unknown(cites []Citation, srcs []Source) []int {
	var bad []int
	for _, c := range cites {
		if !slices.ContainsFunc(srcs, func(s Source) bool { return s.N == c.N }) && !slices.Contains(bad, c.N) {
			bad = append(bad, c.N)
		}
	}
	return bad
}

// Checker flags unknown citations as text streams in, each number once.
type Checker struct {
	Sources []Source
	text    strings.Builder
	scanned int
	flagged map[int]bool
}

// Feed adds streamed text and returns the unknown numbers whose markers
// completed in it.
func (c *Checker) Feed(delta string) []int {
	c.text.WriteString(delta)
	s := c.text.String()
	limit := len(s)
	// Hold back an open bracket that may still become a marker.
	if i := strings.LastIndexByte(s, '['); i >= c.scanned && !strings.Contains(s[i:], "]") && len(s)-i < 40 {
		limit = i
	}
	return c.scan(s, limit)
}

// Flush checks whatever is left at the end of the text.
func (c *Checker) Flush() []int {
	s := c.text.String()
	return c.scan(s, len(s))
}

func (c *Checker) scan(s string, limit int) []int {
	if limit <= c.scanned {
		return nil
	}
	if c.flagged == nil {
		c.flagged = map[int]bool{}
	}
	var out []int
	for _, n := range Unknown(Citations(s[c.scanned:limit]), c.Sources) {
		if !c.flagged[n] {
			c.flagged[n] = true
			out = append(out, n)
		}
	}
	c.scanned = limit
	return out
}
