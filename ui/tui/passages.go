package tui

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// The reader's passages: a hit opened from the results carries its best
// matching passages; the reader scrolls to the first and n/N step through
// them. Rendering is glamour's, so a passage is found in the rendered
// lines by its first words rather than by byte offset.

// openHit opens a search hit in the reader at its best passage.
func (m *Model) openHit(h *search.Hit, focus bool) tea.Cmd {
	cmd := m.openReader(h.ID, &h.Paper, focus)
	rp := &m.reader
	rp.passages, rp.at = h.Passages, 0
	rp.passageTexts(&h.Paper)
	if cmd == nil { // already rendered: place the passages now
		rp.locate()
		rp.toPassage()
	}
	return cmd
}

// openCited opens source i of srcs in the reader at the passage that was
// sent for it; n/N step through the other passages of that paper among
// srcs. A source with no place in the full text (an abstract, a basket
// paper) opens the paper at its top, as before passages were cited.
func (m *Model) openCited(srcs []Source, i int) tea.Cmd {
	s := srcs[i]
	cmd := m.openReader(s.ID, nil, true)
	if s.End <= s.Start {
		return cmd
	}
	rp := &m.reader
	for _, o := range srcs {
		if o.ID != s.ID || o.End <= o.Start {
			continue
		}
		if o.N == s.N {
			rp.at = len(rp.passages)
		}
		rp.passages = append(rp.passages, search.Passage{Section: o.Section, Page: o.Page, PageEnd: o.PageEnd, Start: o.Start, End: o.End})
		rp.cites = append(rp.cites, o.N)
	}
	if cmd == nil && rp.paper != nil { // already rendered
		rp.passageTexts(rp.paper)
		rp.locate()
		rp.toPassage()
	}
	return cmd
}

// passageTexts cuts each passage's text from p's full text, and counts
// the words before it (locate); a passage whose offsets do not fit p (the
// paper was ingested again since) keeps its excerpt, at no known place.
func (rp *readerPane) passageTexts(p *corpus.Paper) {
	rp.passageText = make([]string, len(rp.passages))
	rp.passageWord = make([]int, len(rp.passages))
	for i, ps := range rp.passages {
		rp.passageText[i], rp.passageWord[i] = ps.Text.Text, -1
		if t, ok := ps.Of(p.FullText); ok {
			rp.passageText[i], rp.passageWord[i] = t, len(normWords(p.FullText[:ps.Start]))
		}
	}
}

// locate finds the rendered line each passage starts on (-1 when not found).
// Where its first words occur more than once (a table of contents repeats
// the headings a passage opens with), the occurrence nearest the
// passage's place in the full text is taken.
func (rp *readerPane) locate() {
	rp.passageLine = make([]int, len(rp.passages))
	type word struct {
		w    string
		line int
	}
	var words []word
	from := 0
	for i, l := range rp.lines {
		plain := ansi.Strip(l)
		if from == 0 && isFullTextHeading(plain) {
			from = len(words) // passages are in the full text, not the abstract
		}
		for _, w := range normWords(plain) {
			words = append(words, word{w, i})
		}
	}
	for i := range rp.passages {
		rp.passageLine[i] = -1
		want := normWords(rp.passageText[i])
		want = want[:min(6, len(want))]
		if len(want) == 0 {
			continue
		}
		best := -1
	search:
		for s := from; s+len(want) <= len(words); s++ {
			for j, w := range want {
				if words[s+j].w != w {
					continue search
				}
			}
			if best < 0 || rp.passageWord[i] >= 0 && abs(s-from-rp.passageWord[i]) < abs(best-from-rp.passageWord[i]) {
				best = s
			}
			if rp.passageWord[i] < 0 {
				break
			}
		}
		if best >= 0 {
			rp.passageLine[i] = words[best].line
		}
	}
}

// normWords splits text into lowercase alphanumeric words, so markdown
// escapes, styling and wrapping do not stop a match.
func normWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// toPassage scrolls to the current passage, one line of context above.
func (rp *readerPane) toPassage() {
	if rp.at < 0 || rp.at >= len(rp.passageLine) || rp.passageLine[rp.at] < 0 {
		return
	}
	rp.scroll = max(0, rp.passageLine[rp.at]-1)
}

// stepPassage moves to the next (dir 1) or previous (dir -1) passage,
// wrapping at the ends and saying so.
func (m *Model) stepPassage(dir int) {
	rp := &m.reader
	n := len(rp.passages)
	if n == 0 {
		m.setStatus("no matching passages in this paper: " + m.keyHelp(actFullText) + " shows the full text")
		return
	}
	at := rp.at + dir
	wrapped := at < 0 || at >= n
	rp.at = (at + n) % n
	rp.toPassage()
	s := fmt.Sprintf("passage %d of %d", rp.at+1, n)
	if wrapped && n > 1 {
		s += " (wrapped)"
	}
	if rp.at < len(rp.passageLine) && rp.passageLine[rp.at] < 0 {
		s += ": not found in the text shown"
	}
	m.setStatus(s)
}

// fullText scrolls to the start of the paper's full text.
func (m *Model) fullText() {
	rp := &m.reader
	for i, l := range rp.lines {
		if isFullTextHeading(ansi.Strip(l)) {
			rp.scroll = i
			return
		}
	}
	if rp.paper != nil && rp.paper.FullText == "" {
		m.setStatus("this paper has no full text; the abstract is all there is")
	}
}

// isFullTextHeading reports whether a rendered line is paperMarkdown's
// "## Full text" heading (styles may keep the hashes).
func isFullTextHeading(plain string) bool { return strings.Trim(plain, " #") == "Full text" }

// passageLabel is the header's "passage 1/3 · Results, pp. 4–5".
func (rp *readerPane) passageLabel() string {
	if rp.at < 0 || rp.at >= len(rp.passages) {
		return ""
	}
	ps := rp.passages[rp.at]
	s := fmt.Sprintf("passage %d/%d", rp.at+1, len(rp.passages))
	if rp.at < len(rp.cites) {
		s = fmt.Sprintf("[%d] · cited passage %d/%d", rp.cites[rp.at], rp.at+1, len(rp.passages))
	}
	if w := sourceWhere(Source{Section: ps.Section, Page: ps.Page, PageEnd: ps.PageEnd}); w != "" {
		s += " · " + w
	}
	return s
}

// readerPages is the BibTeX pages of the reader's current passage when
// paper id is the one shown, else "".
func (m *Model) readerPages(id string) string {
	rp := &m.reader
	if rp.id != id || rp.at < 0 || rp.at >= len(rp.passages) {
		return ""
	}
	ps := rp.passages[rp.at]
	return bibRange(ps.Page, max(ps.Page, ps.PageEnd))
}

func bibRange(lo, hi int) string {
	switch {
	case lo <= 0:
		return ""
	case hi > lo:
		return fmt.Sprintf("%d--%d", lo, hi)
	}
	return fmt.Sprint(lo)
}

// sourcesBibTeX is one BibTeX entry per cited paper, in source order, its
// pages spanning the passages of it that were sent. It runs in a Cmd.
func sourcesBibTeX(b Backend, srcs []Source) (string, error) {
	type span struct{ lo, hi int }
	pages := map[string]span{}
	var ids []string
	for _, s := range srcs {
		sp, seen := pages[s.ID]
		if !seen {
			ids = append(ids, s.ID)
		}
		if s.Page > 0 {
			hi := max(s.Page, s.PageEnd)
			if sp.lo == 0 || s.Page < sp.lo {
				sp.lo = s.Page
			}
			sp.hi = max(sp.hi, hi)
		}
		pages[s.ID] = sp
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	for i, id := range ids {
		p, err := b.Get(ctx, id)
		if err != nil {
			return "", fmt.Errorf("export BibTeX: source %s: %w", id, err)
		}
		if i > 0 {
			out.WriteString("\n")
		}
		out.WriteString(bibtexPages(p, bibRange(pages[id].lo, pages[id].hi)))
	}
	return out.String(), nil
}
