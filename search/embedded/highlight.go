package embedded

import (
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// Snippets are cut from the stored abstract by re-analysing it with the
// prose analyzer, so stemmed matches ("editing" for "edit") are marked
// exactly as BM25 matched them, without paying for term vectors at index
// time.

// snippetBytes is about two lines of a wide terminal.
const snippetBytes = 240

type highlighter struct {
	an    analysis.Analyzer
	terms map[string]bool
}

func (x *Index) newHighlighter(q query.Query) *highlighter {
	h := &highlighter{an: x.an.prose, terms: map[string]bool{}}
	text, _ := hybrid.SplitNegated(q.Text)
	for _, s := range append([]string{text}, q.Phrases...) {
		for _, t := range h.an.Analyze([]byte(s)) {
			h.terms[string(t.Term)] = true
		}
	}
	return h
}

func (h *highlighter) snippet(p *corpus.Paper) search.Snippet {
	text := p.Abstract
	if text == "" {
		text = p.FullText
	}
	if text == "" {
		return search.Snippet{}
	}
	// Only the start of a huge text is analysed: a 50 MB abstract cost
	// seconds per hit, and a snippet is two lines.
	if len(text) > snippetScanBytes {
		text = search.TruncateUTF8(text, snippetScanBytes)
	}
	toks := h.an.Analyze([]byte(text))
	var hits []*analysis.Token
	for _, t := range toks {
		if h.terms[string(t.Term)] {
			hits = append(hits, t)
		}
	}
	start := 0
	if len(hits) > 0 {
		start = bestWindow(hits)
	}
	return cut(text, start, hits)
}

// bestWindow picks the start byte of the window holding the most distinct
// query terms.
func bestWindow(hits []*analysis.Token) int {
	best, bestScore := 0, -1
	for i, a := range hits {
		seen := map[string]bool{}
		n := 0
		for _, b := range hits[i:] {
			if b.End-a.Start > snippetBytes {
				break
			}
			if !seen[string(b.Term)] {
				seen[string(b.Term)] = true
				n += 2
			} else {
				n++
			}
		}
		if n > bestScore {
			best, bestScore = a.Start, n
		}
	}
	// Lead in with a little context before the first match.
	return max(0, best-snippetBytes/6)
}

// cut returns text[start:start+snippetBytes], snapped to word boundaries,
// with ellipses and the byte spans of matches inside it.
func cut(text string, start int, hits []*analysis.Token) search.Snippet {
	for start > 0 && start < len(text) && !isSpace(text[start-1]) {
		start++
	}
	if start >= len(text) {
		start = 0
	}
	end := min(len(text), start+snippetBytes)
	for end < len(text) && end > start && !isSpace(text[end]) {
		end--
	}
	if end <= start {
		end = min(len(text), start+snippetBytes)
	}
	prefix, suffix := "", ""
	if start > 0 {
		prefix = "… "
	}
	if end < len(text) {
		suffix = " …"
	}
	// A snippet is plain text: a Markdown heading's "## " is dropped, and
	// a line that opens with an escaped '#' (R output such as "\## [1]",
	// escaped at extraction so it is not a heading) loses the backslash.
	// Marks after them move back by the bytes dropped.
	var b strings.Builder
	var dropped []int // offsets in text of the bytes dropped
	b.WriteString(prefix)
	for i := start; i < end; i++ {
		if i == 0 || text[i-1] == '\n' {
			if level, _, ok := corpus.ATXHeading(text[i:end]); ok && level < end-i {
				// Drop the #s and the space after them.
				for j := range level + 1 {
					dropped = append(dropped, i+j)
				}
				i += level
				continue
			}
			if text[i] == '\\' && i+1 < end && text[i+1] == '#' {
				dropped = append(dropped, i)
				continue
			}
		}
		b.WriteByte(text[i])
	}
	b.WriteString(suffix)
	at := func(off int) int {
		n, _ := slices.BinarySearch(dropped, off)
		return off - start + len(prefix) - n
	}
	s := search.Snippet{Text: b.String()}
	for _, t := range hits {
		if t.Start >= start && t.End <= end {
			s.Marks = append(s.Marks, [2]int{at(t.Start), at(t.End)})
		}
	}
	return s
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' }
