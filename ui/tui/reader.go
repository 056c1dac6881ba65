package tui

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/glamour/v2"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// readerPane shows one paper rendered as markdown.
type readerPane struct {
	id      string
	paper   *corpus.Paper
	lines   []string
	width   int // the width lines were rendered for
	style   string
	scroll  int
	loading bool
	err     error
	seq     uint64
	// passages of the hit it was opened from (openHit), best first; at is
	// the current one, passageText its text and passageLine where it
	// starts in lines (-1: not found).
	passages    []search.Passage
	passageText []string
	passageLine []int
	// passageWord is how many words of the full text precede each
	// passage, -1 when its place is unknown (locate).
	passageWord []int
	at          int
	// cites are the citation numbers of passages opened from an answer's
	// sources (openCited), one per passage; nil for a hit's.
	cites []int
}

type readerMsg struct {
	seq   uint64
	id    string
	paper *corpus.Paper
	lines []string
	width int
	style string
	err   error
}

// openReader shows paper id (p, if known, gives the metadata at once) and
// fetches and renders it in a Cmd.
func (m *Model) openReader(id string, p *corpus.Paper, focus bool) tea.Cmd {
	if focus {
		m.pushBack()
		m.focus = FocusReader
	}
	m.detail = FocusReader
	m.relayout()
	m.reader.passages, m.reader.passageText, m.reader.passageLine, m.reader.passageWord, m.reader.at = nil, nil, nil, nil, 0
	m.reader.cites = nil
	if m.reader.id == id && !m.reader.loading && m.reader.err == nil && m.reader.width == m.layout.Detail.W && m.reader.style == m.styles.P.Glamour {
		return nil
	}
	m.reader.seq++
	m.reader.id, m.reader.paper, m.reader.loading, m.reader.err, m.reader.scroll = id, p, true, nil, 0
	return m.renderReader()
}

func (m *Model) renderReader() tea.Cmd {
	if m.reader.id == "" || m.layout.Detail.W <= 0 {
		return nil
	}
	seq, id, b, w, style := m.reader.seq, m.reader.id, m.backend, m.layout.Detail.W, m.styles.P.Glamour
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p, err := b.Get(ctx, id)
		if err != nil {
			return readerMsg{seq: seq, id: id, err: err}
		}
		lines, err := renderMarkdown(paperMarkdown(p), style, w)
		return readerMsg{seq: seq, id: id, paper: p, lines: lines, width: w, style: style, err: err}
	}
}

// onReader takes a rendered paper and reports whether it replaced the
// same paper rendered for another width (the window was resized).
func (m *Model) onReader(msg readerMsg) (resized bool) {
	if msg.seq != m.reader.seq {
		return false
	}
	m.reader.loading = false
	m.reader.err = msg.err
	if msg.err != nil {
		return false
	}
	resized = m.reader.lines != nil && m.reader.paper != nil && m.reader.paper.ID == msg.id && m.reader.width != msg.width
	m.reader.paper, m.reader.lines, m.reader.width, m.reader.style = msg.paper, msg.lines, msg.width, msg.style
	if m.reader.passageText == nil && len(m.reader.passages) > 0 { // opened from a citation
		m.reader.passageTexts(msg.paper)
	}
	m.reader.locate()
	m.reader.toPassage()
	return resized
}

// previewSelected shows the selected hit in the reader when the detail
// pane is on screen beside the results (wide layouts).
func (m *Model) previewSelected() tea.Cmd {
	if !m.layout.Wide || m.detail != FocusReader {
		return nil
	}
	h, ok := m.results.selected()
	if !ok && m.results.total == 0 && !m.searching && m.focus != FocusReader && m.reader.id != "" {
		// Nothing found: a preview of the last search's paper beside "No
		// results" would read as a hit.
		m.reader = readerPane{seq: m.reader.seq + 1}
		return nil
	}
	if !ok || h.ID == m.reader.id {
		return nil
	}
	return m.openHit(h, false)
}

func renderMarkdown(md, style string, w int) ([]string, error) {
	r, err := glamour.NewTermRenderer(glamour.WithStandardStyle(style), glamour.WithWordWrap(max(10, w-2)))
	if err != nil {
		return nil, err
	}
	out, err := r.Render(md)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(out, "\n"), "\n"), nil
}

// paperMarkdown is the reader's document: metadata, abstract and the full
// text's passages under their section headings.
func paperMarkdown(p *corpus.Paper) string {
	var b strings.Builder
	title := p.Title
	if title == "" {
		title = p.ID
	}
	fmt.Fprintf(&b, "# %s\n\n", mdEscape(title))
	if len(p.Authors) > 0 {
		fmt.Fprintf(&b, "- **Authors:** %s\n", mdEscape(authorsShort(p.Authors, 12)))
	}
	var meta []string
	if p.Year != 0 {
		meta = append(meta, fmt.Sprintf("**Year:** %d", p.Year))
	}
	if p.Venue != "" {
		meta = append(meta, "**Venue:** "+mdEscape(p.Venue))
	}
	if p.Source != "" {
		meta = append(meta, "**Source:** "+mdEscape(p.Source))
	}
	if len(meta) > 0 {
		b.WriteString("- " + strings.Join(meta, " · ") + "\n")
	}
	if len(p.Fields)+len(p.Categories) > 0 {
		fmt.Fprintf(&b, "- **Fields:** %s\n", mdEscape(strings.Join(append(append([]string(nil), p.Fields...), p.Categories...), ", ")))
	}
	if p.DOI != "" {
		fmt.Fprintf(&b, "- **DOI:** %s\n", p.DOI)
	}
	if p.URL != "" {
		fmt.Fprintf(&b, "- **URL:** %s\n", p.URL)
	}
	fmt.Fprintf(&b, "- **ID:** %s\n\n", mdEscape(p.ID))
	if p.Abstract != "" {
		fmt.Fprintf(&b, "## Abstract\n\n%s\n\n", mdEscape(p.Abstract))
	}
	if p.FullText != "" {
		b.WriteString("## Full text\n\n")
		for i, c := range corpus.ChunkPaper(p, corpus.ChunkOptions{}) {
			if i >= 200 {
				b.WriteString("*…the rest is not shown.*\n")
				break
			}
			fmt.Fprintf(&b, "%s\n\n", mdEscape(strings.TrimSpace(c.Text)))
		}
	}
	return b.String()
}

// mdEscape keeps paper text from being read as markdown syntax.
func mdEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "#", "\\#", "[", "\\[", "]", "\\]", "<", "\\<", ">", "\\>")
	return r.Replace(s)
}

func (rp *readerPane) View(m *Model, w, h int, focused bool) []string {
	st := &m.styles
	lines := make([]string, 0, h)
	title := "Reader"
	if rp.paper != nil && rp.paper.Title != "" {
		title = "Reader · " + rp.paper.Title
	}
	if l := rp.passageLabel(); l != "" {
		title = "Reader · " + l + strings.TrimPrefix(title, "Reader")
	}
	lines = append(lines, paneHeader(st, title, w, focused))
	switch {
	case rp.id == "":
		lines = append(lines, fit(st.Muted.Render(" Select a paper and press enter to read it."), w))
	case rp.err != nil:
		lines = append(lines, fit(st.Error.Render(" ✗ "+humanError(rp.err)), w))
	case rp.loading && rp.lines == nil:
		lines = append(lines, fit(st.Muted.Render(" Loading…"), w))
	}
	body := h - 1
	scroll := max(0, min(rp.scroll, len(rp.lines)-body))
	for i := scroll; i < len(rp.lines) && len(lines) < h; i++ {
		lines = append(lines, fit(rp.lines[i], w))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// titleTerms picks the content words of a title for "more like this".
func titleTerms(title string) string {
	stop := map[string]bool{"a": true, "an": true, "the": true, "of": true, "and": true, "or": true, "in": true,
		"on": true, "for": true, "to": true, "with": true, "by": true, "from": true, "at": true, "as": true,
		"is": true, "are": true, "via": true, "its": true, "using": true, "towards": true, "toward": true, "into": true}
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	}) {
		w = strings.Trim(w, "-")
		if len(w) < 3 || stop[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == 8 {
			break
		}
	}
	return strings.Join(out, " ")
}

// paperLink is the best link to a paper.
func paperLink(p *corpus.Paper) string {
	switch {
	case p.DOI != "":
		return "https://doi.org/" + p.DOI
	case p.URL != "":
		return p.URL
	}
	return ""
}

type openedMsg struct {
	url string
	err error
}

func openURLCmd(open func(string) error, url string) tea.Cmd {
	if open == nil {
		open = systemOpen
	}
	return func() tea.Msg { return openedMsg{url, open(url)} }
}

func systemOpen(url string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, url)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, url, err)
	}
	return nil
}

// bibtex formats a paper as a BibTeX entry.
func bibtex(p *corpus.Paper) string { return p.BibTeX("") }

// bibtexPages is bibtex with a pages field ("4--5") when pages is known:
// the pages of the passages cited.
func bibtexPages(p *corpus.Paper, pages string) string { return p.BibTeX(pages) }

// plainCitation is "Authors (Year). Title. Venue. link".
func plainCitation(p *corpus.Paper) string {
	var b strings.Builder
	if len(p.Authors) > 0 {
		b.WriteString(authorsShort(p.Authors, 6))
		b.WriteString(" ")
	}
	if p.Year != 0 {
		fmt.Fprintf(&b, "(%d). ", p.Year)
	}
	b.WriteString(strings.TrimSuffix(p.Title, "."))
	b.WriteString(".")
	if p.Venue != "" {
		b.WriteString(" " + p.Venue + ".")
	}
	if l := paperLink(p); l != "" {
		b.WriteString(" " + l)
	}
	return b.String()
}
