package tui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// citeRef is one [n] marker in a pane's rendered text.
type citeRef struct {
	line       int // index into content()
	start, end int // byte span of the marker in that line
	n          int
	turn       int // the turn whose sources it cites; -1: the current one
}

// citeMarkRE finds [n] in the visible text of rendered lines.
var citeMarkRE = regexp.MustCompile(`\[(\d{1,4})\]`)

// citeRefs lists the markers in the pane's text, top to bottom (kept in
// refs by rerender, so frames do not scan the text again). The
// renderer styles "[", "1" and "]" apart, so markers are found in the
// visible text and their spans mapped back to the styled line.
func (p *streamPane) citeRefs() []citeRef {
	var out []citeRef
	for i, l := range p.content() {
		if !strings.Contains(l, "]") {
			continue
		}
		turn := -1
		if i < len(p.histTurn) {
			turn = p.histTurn[i]
		}
		vis, raw := visible(l)
		for _, loc := range citeMarkRE.FindAllStringSubmatchIndex(vis, -1) {
			n, _ := strconv.Atoi(vis[loc[2]:loc[3]])
			out = append(out, citeRef{line: i, start: raw[loc[0]], end: raw[loc[1]-1] + 1, n: n, turn: turn})
		}
	}
	return out
}

// visible returns the text of s without escape sequences, and for each of
// its bytes the offset of that byte in s.
func visible(s string) (string, []int) {
	var b strings.Builder
	var at []int
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) {
			i = skipEscape(s, i)
			continue
		}
		b.WriteByte(s[i])
		at = append(at, i)
		i++
	}
	return b.String(), at
}

// skipEscape returns the offset just past the escape sequence at s[i]:
// CSI (ESC [ … final byte) or OSC (ESC ] … BEL or ESC \).
func skipEscape(s string, i int) int {
	switch s[i+1] {
	case '[':
		j := i + 2
		for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
			j++
		}
		return min(j+1, len(s))
	case ']':
		for j := i + 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return len(s)
	}
	return i + 2
}

// sourcesOf are the sources a turn's citations refer to.
func (p *streamPane) sourcesOf(turn int) []Source {
	if turn >= 0 && turn < len(p.turns) {
		return p.turns[turn].sources
	}
	return p.sources
}

// source is the source a marker cites, or false when none was sent.
func (p *streamPane) source(r citeRef) (Source, bool) {
	for _, s := range p.sourcesOf(r.turn) {
		if s.N == r.n {
			return s, true
		}
	}
	return Source{}, false
}

// markCites finds the markers in the pane's rendered text and styles
// them, once per change rather than once per frame.
func (m *Model) markCites(p *streamPane) {
	p.refs = p.citeRefs()
	m.styleShown(p)
}

// styleShown builds the lines the pane shows from its rendered text, its
// markers styled.
func (m *Model) styleShown(p *streamPane) {
	p.shown = p.shown[:0]
	refs := p.refs
	next := 0 // the first marker not yet styled; refs run top to bottom
	line := 0
	for _, part := range [][]string{p.histLines, p.lines()} {
		for _, l := range part {
			end := next
			for end < len(refs) && refs[end].line == line {
				end++
			}
			if end > next {
				l = m.styleCites(p, l, refs, next, end)
				next = end
			}
			p.shown = append(p.shown, l)
			line++
		}
	}
}

// styleCites styles the markers refs[from:to] of one line: a
// cited source in the key colour, the highlighted one selected, and a
// number that matches no source sent struck through in the error colour,
// right where it stands.
func (m *Model) styleCites(p *streamPane, line string, refs []citeRef, from, to int) string {
	st := &m.styles
	var b strings.Builder
	at := 0
	for k := from; k < to; k++ {
		r := refs[k]
		b.WriteString(line[at:r.start])
		mark, _ := visible(line[r.start:r.end])
		_, ok := p.source(r)
		switch {
		case k+1 == p.citeAt:
			b.WriteString(st.Selected.Render(mark))
		case !ok:
			b.WriteString(st.Error.Strikethrough(true).Render(mark))
		default:
			b.WriteString(st.Key.Render(mark))
		}
		at = r.end
	}
	b.WriteString(line[at:])
	return b.String()
}

// moveCite highlights the next (d = 1) or previous (d = -1) marker and
// scrolls it into view. With none highlighted it starts from the top of
// what is on screen.
func (m *Model) moveCite(p *streamPane, d int) {
	refs := p.refs
	if len(refs) == 0 {
		m.setError(fmt.Errorf("no citations here"))
		return
	}
	head := len(p.head(m))
	room := max(1, m.layout.Detail.H-1)
	i := p.citeAt - 1
	switch {
	case i < 0 || i >= len(refs):
		// The first marker on screen, or the nearest one below or above.
		i = 0
		if d < 0 {
			i = len(refs) - 1
		}
		for j, r := range refs {
			if head+r.line >= p.scroll {
				i = j
				if d < 0 && j > 0 && head+r.line >= p.scroll+room {
					i = j - 1
				}
				break
			}
		}
	default:
		i = (i + d + len(refs)) % len(refs)
	}
	p.citeAt = i + 1
	m.styleShown(p)
	p.follow = false
	if line := head + refs[i].line; line < p.scroll || line >= p.scroll+room {
		p.scroll = max(0, line-room/3)
	}
	r := refs[i]
	if s, ok := p.source(r); ok {
		m.setStatus(fmt.Sprintf("[%d] %s · enter reads it", r.n, s.Title))
	} else {
		m.setError(fmt.Errorf("[%d] matches no source sent (there were %d)", r.n, len(p.sourcesOf(r.turn))))
	}
}

// openCite reads the highlighted marker's source.
func (m *Model) openCite(p *streamPane) tea.Cmd {
	refs := p.refs
	i := p.citeAt - 1
	if i < 0 || i >= len(refs) {
		m.setError(fmt.Errorf("no citation selected: %s and %s move between them", m.keyHelp(actCiteNext), m.keyHelp(actCitePrev)))
		return nil
	}
	r := refs[i]
	srcs := p.sourcesOf(r.turn)
	for i, s := range srcs {
		if s.N == r.n {
			return m.openCited(srcs, i)
		}
	}
	m.setError(fmt.Errorf("[%d] matches no source sent (there were %d)", r.n, len(srcs)))
	return nil
}
