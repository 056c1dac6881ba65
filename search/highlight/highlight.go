// Package highlight marks a query's words in what a hit shows: a snippet
// of its abstract and the best passages of its full text. Text is
// re-analysed with the engine's own prose analyser, so stemmed matches
// ("editing" for "edit") are marked exactly as BM25 matched them, without
// paying for term vectors at index time. Every engine shows hits this
// way, so a hit reads the same whichever engine found it.
package highlight

import (
	"slices"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

const (
	// SnippetBytes is about two lines of a wide terminal.
	SnippetBytes = 240
	// ScanBytes bounds the text a snippet analyses: a 50 MB abstract
	// cost seconds per hit, and a snippet is two lines.
	ScanBytes = 64 << 10
	// MaxPassages is how many passages a hit carries (search.Hit.Passages).
	MaxPassages = 3
)

// English is the embedded engine's analyser for English prose (Unicode
// words, possessives dropped, lower case, the English stop list, Porter
// stems), for engines that analyse text themselves and mark what they
// return.
var English = func() analysis.Analyzer {
	stops := analysis.NewTokenMap()
	if err := stops.LoadBytes(en.EnglishStopWords); err != nil {
		panic(err) // a constant list that bleve itself loads
	}
	return &analysis.DefaultAnalyzer{
		Tokenizer: unicode.NewUnicodeTokenizer(),
		TokenFilters: []analysis.TokenFilter{
			en.NewPossessiveFilter(), lowercase.NewLowerCaseFilter(), stop.NewStopTokensFilter(stops), porter.NewPorterStemmer(),
		},
	}
}()

// Highlighter marks one query's terms.
type Highlighter struct {
	an    analysis.Analyzer
	terms map[string]bool
}

// New analyses q's free text (not its exclusions) and phrases with an.
func New(an analysis.Analyzer, q query.Query) *Highlighter {
	h := &Highlighter{an: an, terms: map[string]bool{}}
	text, _ := hybrid.SplitNegated(q.Text)
	for _, s := range append([]string{text}, q.Phrases...) {
		for _, t := range an.Analyze([]byte(s)) {
			h.terms[string(t.Term)] = true
		}
	}
	return h
}

// Snippet is about two lines of p's abstract (its full text when it has
// none) around the most query terms, with them marked.
func (h *Highlighter) Snippet(p *corpus.Paper) search.Snippet {
	text := p.Abstract
	if text == "" {
		text = p.FullText
	}
	if text == "" {
		return search.Snippet{}
	}
	text = search.TruncateUTF8(text, ScanBytes)
	var hits []*analysis.Token
	for _, t := range h.an.Analyze([]byte(text)) {
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

// Passages gives a hit's best passages with the query's words marked.
// ranked, when not empty, are passages the engine scored already (the
// engine's BM25 over passages), so what is shown is what found the
// paper, and only they are analysed (those whose offsets do not fit
// p.FullText are left out). Otherwise p's full text is cut into passages
// (corpus.BodyChunks) and each is scored by the query terms it holds
// (each distinct term counts more than a repeat, as in snippets). near,
// when not -1, is the number of the passage whose vector found the paper:
// shown when no passage holds the query's words. (Put first always, it
// held a body sentence searched for less often than the passage with
// most of its words: 74 against 85 of 110, docs/passages.md.)
func (h *Highlighter) Passages(p *corpus.Paper, ranked []search.Passage, near int) []search.Passage {
	if p.FullText == "" || len(h.terms) == 0 && near < 0 {
		return nil
	}
	var out []search.Passage
	for _, r := range ranked {
		// An engine that stores offsets apart from the text (Weaviate)
		// may have read them before the paper was written again.
		if text, ok := r.Of(p.FullText); ok {
			hits, _ := h.matches(text)
			out = append(out, passage(r, text, hits))
		}
	}
	if len(out) > 0 {
		return out
	}
	cs := corpus.BodyChunks(p)
	for _, c := range cs {
		hits, score := h.matches(c.Text)
		if score > 0 {
			ps := placeOf(c)
			ps.Score = score
			out = append(out, passage(ps, c.Text, hits))
		}
	}
	if len(out) == 0 && near >= 0 && near < len(cs) {
		return []search.Passage{passage(placeOf(cs[near]), cs[near].Text, nil)}
	}
	// Stable, so equal scores keep the passages in reading order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out[:min(len(out), MaxPassages)]
}

// placeOf is a chunk as a hit's passage, unscored and unmarked.
func placeOf(c corpus.Chunk) search.Passage {
	return search.Passage{Index: c.Index, Section: c.Section, Page: c.Page, PageEnd: c.PageEnd, Start: c.Start, End: c.End}
}

// matches finds the query's terms in text, and counts each distinct one
// twice and each repeat once.
func (h *Highlighter) matches(text string) ([]*analysis.Token, float64) {
	var hits []*analysis.Token
	seen := map[string]bool{}
	score := 0.0
	for _, t := range h.an.Analyze([]byte(text)) {
		if !h.terms[string(t.Term)] {
			continue
		}
		hits = append(hits, t)
		if !seen[string(t.Term)] {
			seen[string(t.Term)] = true
			score += 2
		} else {
			score++
		}
	}
	return hits, score
}

// passage is p with its text, text, cut around the hits and marked.
func passage(p search.Passage, text string, hits []*analysis.Token) search.Passage {
	start := 0
	if len(hits) > 0 {
		start = bestWindow(hits)
	}
	p.Text = cut(text, start, hits)
	return p
}

// bestWindow picks the start byte of the window holding the most distinct
// query terms.
func bestWindow(hits []*analysis.Token) int {
	best, bestScore := 0, -1
	for i, a := range hits {
		seen := map[string]bool{}
		n := 0
		for _, b := range hits[i:] {
			if b.End-a.Start > SnippetBytes {
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
	return max(0, best-SnippetBytes/6)
}

// cut returns text[start:start+SnippetBytes], snapped to word boundaries,
// with ellipses and the byte spans of matches inside it.
func cut(text string, start int, hits []*analysis.Token) search.Snippet {
	for start > 0 && start < len(text) && !isSpace(text[start-1]) {
		start++
	}
	if start >= len(text) {
		start = 0
	}
	end := min(len(text), start+SnippetBytes)
	for end < len(text) && end > start && !isSpace(text[end]) {
		end--
	}
	if end <= start {
		end = min(len(text), start+SnippetBytes)
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
