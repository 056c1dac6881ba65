package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/ui/progress"
)

// View draws the whole screen. It has no side effects: everything it shows
// was computed in Update.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "Quire"
	return v
}

// Render returns the screen as text (the View's content).
func (m *Model) Render() string {
	if m.first != nil {
		return m.firstRunView()
	}
	l := m.layout
	w := l.Search.W
	rows := make([]string, 0, m.height)
	rows = append(rows, m.searchLine(w), m.chipsLine(w))
	rows = append(rows, m.bodyLines()...)
	rows = append(rows, m.statusLine(w), m.hintLine(w))
	return strings.Join(rows, "\n")
}

func (m *Model) bodyLines() []string {
	l := m.layout
	st := &m.styles
	h := l.Body.H
	var side, res, det []string
	if l.Sidebar.W > 0 {
		side = m.facets.View(m, l.Sidebar.W, h, m.focus == FocusFacets)
	}
	if l.Results.W > 0 {
		res = m.results.View(m, l.Results.W, h, m.focus == FocusResults)
	}
	if l.Detail.W > 0 {
		focused := isDetail(m.focus)
		switch m.detail {
		case FocusAnswer:
			det = m.answer.View(m, l.Detail.W, h, focused)
		case FocusDraft:
			det = m.draft.View(m, l.Detail.W, h, focused)
		case FocusBasket:
			det = m.basket.View(m, l.Detail.W, h, focused)
		default:
			det = m.reader.View(m, l.Detail.W, h, focused)
		}
	}
	sep := st.Border.Render("│")
	out := make([]string, h)
	var b strings.Builder
	for i := range h {
		b.Reset()
		n := 0
		for _, col := range [][]string{side, res, det} {
			if col == nil {
				continue
			}
			if n > 0 {
				b.WriteString(sep)
			}
			b.WriteString(col[i])
			n++
		}
		out[i] = b.String()
	}
	switch m.overlay {
	case overlayHelp:
		m.drawBox(out, m.helpBox())
	case overlayPalette:
		m.drawBox(out, m.paletteBox())
	case overlayInput:
		m.drawBox(out, m.inputBox())
	case overlayConversations:
		m.drawBox(out, m.conversationsBox())
	}
	return out
}

// drawBox replaces rows of the body with a centred box.
func (m *Model) drawBox(body []string, box []string) {
	w := m.layout.Body.W
	bw := 0
	for _, l := range box {
		bw = max(bw, ansi.StringWidth(l))
	}
	left := max(0, (w-bw)/2)
	top := 0
	if len(box) < len(body) {
		top = min(2, (len(body)-len(box))/2)
	}
	for i, l := range box {
		if top+i >= len(body) {
			break
		}
		body[top+i] = fit(strings.Repeat(" ", left)+l, w)
	}
}

// frame draws lines in a rounded border with a title, width cells wide.
func (m *Model) frame(title string, lines []string, width int) []string {
	st := &m.styles
	inner := width - 4
	out := []string{st.FocusBorder.Render("╭─ " + title + " " + strings.Repeat("─", max(0, width-5-ansi.StringWidth(title))) + "╮")}
	for _, l := range lines {
		out = append(out, st.FocusBorder.Render("│")+" "+fit(l, inner)+" "+st.FocusBorder.Render("│"))
	}
	out = append(out, st.FocusBorder.Render("╰"+strings.Repeat("─", width-2)+"╯"))
	return out
}

func (m *Model) searchLine(w int) string {
	st := &m.styles
	label := " Search › "
	if m.focus == FocusSearch && m.overlay == overlayNone {
		label = st.FocusBorder.Render("▌Search › ")
	} else {
		label = st.Muted.Render(label)
	}
	mode := m.info.Mode
	if mode == "" {
		mode = "bm25"
	}
	right := "[" + mode + "] "
	switch {
	case m.searching:
		right += "searching…"
	case m.query != "" || m.results.total > 0:
		right += fmt.Sprintf("%s · %s", progress.HumanNoun(int64(m.results.total), "hit", "hits"), fmtLatency(m.latency))
	}
	right = st.Muted.Render(right) + " "
	edW := w - 10 - ansi.StringWidth(right) - 1
	var field string
	if m.bar.selected && m.focus == FocusSearch && m.overlay == overlayNone {
		// The restored query, selected: what is typed replaces it.
		field = st.Selected.Render(fit(m.bar.ed.Value(), min(edW, ansi.StringWidth(m.bar.ed.Value())))) +
			strings.Repeat(" ", max(0, edW-ansi.StringWidth(m.bar.ed.Value())))
	} else {
		field = m.bar.ed.view(edW, m.focus == FocusSearch && m.overlay == overlayNone, st.Cursor.Render,
			"type words and filters, e.g. crispr year:2018.. venue:Nature")
	}
	return label + field + " " + right
}

func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// chipSpan is where a chip sits on the chips line, for mouse clicks.
type chipSpan struct {
	x0, x1 int
	f      query.Filter
}

const chipsPrefix = " Filters: "

func chipSpans(q query.Query) []chipSpan {
	x := len(chipsPrefix)
	var out []chipSpan
	for _, f := range q.Filters {
		s := f.String()
		if s == "" {
			continue
		}
		wdt := ansi.StringWidth("[" + s + " ×]")
		out = append(out, chipSpan{x, x + wdt, f})
		x += wdt + 1
	}
	return out
}

func (m *Model) chipsLine(w int) string {
	st := &m.styles
	b := &m.bar
	// Candidates first: "venue:" does not parse yet, but it is what Tab
	// completes.
	if b.parseErr != "" && (m.focus != FocusSearch || !b.compOK || len(b.candidates) == 0) {
		return fit(st.Error.Render(" ⚠ "+b.parseErr), w)
	}
	if m.focus == FocusSearch && b.compOK && len(b.candidates) > 0 {
		var parts []string
		for i, c := range b.candidates {
			if i == 12 {
				break
			}
			label := c.Label
			if c.Count > 0 {
				label += " " + st.Muted.Render(progress.HumanCount(int64(c.Count)))
			}
			if i == 0 {
				label = st.Selected.Render("›"+c.Label) + func() string {
					if c.Count > 0 {
						return " " + st.Muted.Render(progress.HumanCount(int64(c.Count)))
					}
					return ""
				}()
			}
			parts = append(parts, label)
		}
		what := "key"
		if b.comp.Kind == query.CompleteValue {
			what = b.comp.Key
		}
		return fit(st.Muted.Render(" tab "+what+": ")+strings.Join(parts, st.Muted.Render(" · ")), w)
	}
	spans := chipSpans(m.parsedQuery())
	if len(spans) == 0 {
		return fit(st.Muted.Render(" Filters: none · try year:2018.. author:name venue:name field:cs.CL (tab completes)"), w)
	}
	var sb strings.Builder
	sb.WriteString(st.Muted.Render(chipsPrefix))
	for i, c := range spans {
		if i > 0 {
			sb.WriteString(" ")
		}
		sb.WriteString(st.Chip.Render("[" + c.f.String() + " ×]"))
	}
	return fit(sb.String(), w)
}

func (m *Model) statusLine(w int) string {
	st := &m.styles
	if m.status != "" {
		if m.statusErr {
			return fit(st.Error.Render(" ✗ "+m.status), w)
		}
		return fit(st.Accent.Render(" ✓ "+m.status), w)
	}
	i := m.info
	parts := []string{progress.HumanCount(int64(m.papers)) + " papers"}
	if note := m.changesNote(); note != "" {
		parts = append([]string{st.Accent.Render(note)}, parts...)
	}
	if i.Engine != "" {
		parts = append(parts, i.Engine)
	}
	if i.Embedder != "" {
		parts = append(parts, "embed "+i.Embedder)
	}
	llm := i.Provider
	if i.Model != "" {
		llm += "/" + i.Model
	}
	if llm != "" {
		parts = append(parts, "llm "+llm)
	}
	parts = append(parts, m.basketStatus())
	parts = append(parts, fmt.Sprintf("%s tok $%.4f", humanTokens(m.usage.In+m.usage.Out), m.usage.CostUSD))
	return fit(st.Status.Render(" "+strings.Join(parts, " · ")), w)
}

func (m *Model) hintLine(w int) string {
	v := m.keys.helpFor(m.focus, nil)
	short := v.short
	switch m.overlay {
	case overlayHelp:
		short = []key.Binding{m.keys.Cancel}
	case overlayPalette, overlayInput:
		short = []key.Binding{m.keys.Accept, m.keys.MenuUp, m.keys.MenuDown, m.keys.Cancel}
	case overlayConversations:
		short = []key.Binding{m.keys.Accept, m.keys.ConvRename, m.keys.ConvDelete, m.keys.Cancel}
	}
	if m.focus == FocusSearch && m.overlay == overlayNone {
		short = append(short[:len(short)-1], key.NewBinding(key.WithKeys("f1"), key.WithHelp("f1", "help")))
	}
	return fit(" "+m.help.ShortHelpView(short), w)
}

func (m *Model) helpBox() []string {
	st := &m.styles
	width := min(m.layout.Body.W-2, 120)
	inner := width - 4
	v := m.keys.helpFor(m.focus, m.promptBindings())
	// Flow the groups into as many columns as fit, column by column.
	var entries []string
	for i, g := range v.full {
		if len(g) == 0 {
			continue
		}
		entries = append(entries, st.Heading.Render(v.names[i]))
		for _, b := range g {
			h := b.Help()
			entries = append(entries, st.Key.Render(fit(h.Key, 9))+" "+h.Desc)
		}
	}
	cols := max(1, inner/24)
	colW := inner / cols
	rows := (len(entries) + cols - 1) / cols
	intro := []string{
		"Type to search; results update as you type. Filters: year:2018..2022",
		"author:name venue:name field:cs.CL source:arxiv; -word excludes. Tab completes.",
		"space marks papers for the basket; a asks; d then a prompt's key drafts (ctrl+p lists all).",
		"",
	}
	room := m.layout.Body.H - 2
	if rows+len(intro)+2 > room {
		intro = nil
	}
	lines := append([]string(nil), intro...)
	for r := range rows {
		var b strings.Builder
		for c := range cols {
			if i := c*rows + r; i < len(entries) {
				b.WriteString(fit(entries[i], colW-1) + " ")
			}
		}
		lines = append(lines, b.String())
	}
	for _, c := range m.keyClashes {
		lines = append(lines, st.Error.Render("clash: "+c.String()))
	}
	if len(lines)+2 < room {
		lines = append(lines, "", st.Muted.Render("Keys for this pane and the app. Remap any in the config's [keys] table, e.g. \"results.mark\" = \"space,x\"."))
	}
	return m.frame("Keys: "+paneTitle(m.focus)+" (any key closes)", lines, width)
}

func (m *Model) promptBindings() []key.Binding {
	var out []key.Binding
	for _, p := range m.prompts {
		if k := m.promptKeys.label[p.Name]; k != "" {
			out = append(out, key.NewBinding(key.WithKeys(k), key.WithHelp(k, p.Name)))
		}
	}
	return out
}

// paletteItemAt is the palette entry drawn at screen cell x, y, found the
// way drawBox and paletteBox place it.
func (m *Model) paletteItemAt(x, y int) (int, bool) {
	box := m.paletteBox()
	body := m.layout.Body
	bw := 0
	for _, l := range box {
		bw = max(bw, ansi.StringWidth(l))
	}
	left, top := max(0, (body.W-bw)/2), 0
	if len(box) < body.H {
		top = min(2, (body.H-len(box))/2)
	}
	room := max(1, body.H-5)
	start := max(0, m.palette.cursor-room+1)
	k := y - body.Y - top - 3 // below the border, the filter line and a blank
	i := start + k
	if x < left || x >= left+bw || k < 0 || k >= room || i >= len(m.palette.matches) || 3+k >= len(box)-1 {
		return 0, false
	}
	return i, true
}

func (m *Model) paletteBox() []string {
	st := &m.styles
	width := min(m.layout.Body.W-2, 76)
	inner := width - 4
	lines := []string{"› " + m.palette.ed.view(inner-2, true, st.Cursor.Render, "type to filter commands and prompts"), ""}
	room := max(1, m.layout.Body.H-5)
	start := max(0, m.palette.cursor-room+1)
	if len(m.palette.matches) == 0 {
		lines = append(lines, st.Muted.Render("nothing matches"))
	}
	for i := start; i < len(m.palette.matches) && len(lines) < room+2; i++ {
		it := m.palette.matches[i]
		keyW := ansi.StringWidth(it.key)
		text := it.title
		if it.desc != "" {
			text += st.Muted.Render(" — " + it.desc)
		}
		row := fit(text, inner-2-keyW-1) + " " + st.Key.Render(it.key)
		if i == m.palette.cursor {
			row = st.Selected.Render("› " + fit(ansi.Strip(text), inner-2-keyW-1) + " " + it.key)
		} else {
			row = "  " + row
		}
		lines = append(lines, row)
	}
	return m.frame("Commands & prompts", lines, width)
}

func (m *Model) inputBox() []string {
	width := min(m.layout.Body.W-2, 90)
	inner := width - 4
	return m.frame(m.input.label, m.inputLines(inner), width)
}
