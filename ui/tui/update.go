package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// Update routes a message to the part of the app it belongs to.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		return m, m.restyle()
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		if m.theme == "auto" {
			m.applyTheme()
			return m, m.restyle()
		}
	case tea.KeyPressMsg:
		if m.first != nil {
			return m, m.firstRunKey(msg)
		}
		return m, m.onKey(msg)
	case setupProgressMsg:
		return m, m.onSetupProgress(msg)
	case setupDoneMsg:
		return m, m.onSetupDone(msg)
	case pathsMsg:
		m.onPaths(msg)
	case setupTickMsg:
		if f := m.first; f != nil && f.stage == stageRunning && msg.run == f.run {
			return m, setupTick(f.run)
		}
	case tea.PasteMsg:
		return m, m.onPaste(msg.Content)
	case tea.MouseClickMsg:
		return m, m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		return m, m.onWheel(msg.Mouse())
	case connectedMsg:
		m.onConnected(msg)
	case hitsMsg:
		return m, m.onHits(msg)
	case spellMsg:
		m.onSpelling(msg)
	case facetsMsg:
		m.onFacets(msg)
	case pageMsg:
		return m, m.onPage(msg)
	case statsMsg:
		if msg.err != nil {
			m.setError(msg.err)
		} else if msg.stats != nil {
			m.papers = msg.stats.Papers
		}
	case readerMsg:
		if m.onReader(msg) {
			// Rendered again for a new size: repaint the whole screen, as
			// the terminal may still hold cells of the frames drawn while
			// the window was changing (seen in tmux as stray "…" at the
			// right edge).
			return m, tea.ClearScreen
		}
	case indexChangesMsg:
		return m, m.onIndexChanges(msg)
	case refreshedMsg:
		return m, m.onRefreshed(msg)
	case streamOpenMsg:
		return m, m.onStreamOpen(msg)
	case streamEventMsg:
		return m, m.onStreamEvent(msg)
	case streamEndMsg:
		return m, m.onStreamEnd(msg)
	case basketTitlesMsg:
		m.onBasketTitles(msg)
	case convListMsg:
		m.onConvList(msg)
	case convOpenedMsg:
		return m, m.onConvOpened(msg)
	case convChangedMsg:
		return m, m.onConvChanged(msg)
	case ratedMsg:
		m.onRated(msg)
		return m, nil
	case openedMsg:
		if msg.err != nil {
			m.setError(msg.err)
		} else {
			m.setStatus("opened " + msg.url)
		}
	case editReadyMsg:
		return m, m.onEditReady(msg)
	case editedMsg:
		return m, m.onEdited(msg)
	case draftLoadedMsg:
		m.onDraftLoaded(msg)
	case exportedMsg:
		if msg.err != nil {
			m.setError(msg.err)
		} else {
			m.setStatus("exported to " + msg.path)
		}
	}
	return m, nil
}

// restyle re-renders what depends on width or theme.
func (m *Model) restyle() tea.Cmd {
	for _, p := range []*streamPane{&m.answer, &m.draft} {
		if p.text != "" {
			m.rerender(p, m.paneWidth())
		}
	}
	var cmds []tea.Cmd
	if m.reader.id != "" && m.layout.Detail.W > 0 && (m.reader.width != m.layout.Detail.W || m.reader.style != m.styles.P.Glamour) {
		m.reader.seq++
		m.reader.loading = true
		cmds = append(cmds, m.renderReader())
	}
	cmds = append(cmds, m.ensurePages(), m.previewSelected())
	return tea.Batch(cmds...)
}

func (m *Model) quit() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	m.cancelBuild()
	return tea.Batch(m.stopRun(&m.answer), m.stopRun(&m.draft), tea.Quit)
}

func (m *Model) onPaste(s string) tea.Cmd {
	switch {
	case m.first != nil:
		if m.first.stage == stagePath {
			m.first.path.Insert(strings.TrimSpace(s))
		}
	case m.overlay == overlayPalette:
		m.palette.ed.Insert(s)
		m.palette.filter()
	case m.overlay == overlayInput:
		m.input.ed.Insert(s)
	case m.focus == FocusSearch:
		if m.bar.selected {
			m.bar.selected = false
			m.bar.ed.SetValue("") // a paste replaces a restored query, as typing does
		}
		m.bar.ed.Insert(s)
		m.refreshCompletion()
		return m.startSearch()
	}
	return nil
}

func quoteID(id string) string {
	if strings.ContainsAny(id, " \t\",") {
		return `"` + strings.ReplaceAll(id, `"`, `\"`) + `"`
	}
	return id
}

func (m *Model) toggleBasket(id, title string) {
	if m.basket.Toggle(id, title) {
		m.setStatus(fmt.Sprintf("marked for the basket (%d papers)", m.basket.Len()))
	} else {
		m.setStatus(fmt.Sprintf("unmarked (%d papers in the basket)", m.basket.Len()))
	}
}

func (m *Model) removeLastFilter() tea.Cmd {
	q := m.parsedQuery()
	if len(q.Filters) == 0 {
		return nil
	}
	return m.removeFilter(q.Filters[len(q.Filters)-1])
}

// openSource shows citation [n] of a pane in the reader.
func (m *Model) openSource(p *streamPane, n int) tea.Cmd {
	for i, s := range p.sources {
		if s.N == n {
			p.citeSel = i
			return m.openCited(p.sources, i)
		}
	}
	m.setError(fmt.Errorf("there is no source [%d]", n))
	return nil
}

func (m *Model) paletteKey(msg tea.KeyPressMsg) tea.Cmd {
	p := &m.palette
	a, _, ok := m.keys.match(menuActions, msg)
	if !ok {
		if _, changed := p.ed.handle(msg); changed {
			p.filter()
		}
		return nil
	}
	switch a {
	case actCancel:
		m.overlay = overlayNone
	case actMenuUp:
		p.cursor = max(0, p.cursor-1)
	case actMenuDown:
		p.cursor = max(0, min(len(p.matches)-1, p.cursor+1))
	case actAccept:
		m.overlay = overlayNone
		if p.cursor < len(p.matches) {
			it := p.matches[p.cursor]
			return m.do(it.act, it.arg)
		}
	}
	return nil
}

func (m *Model) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	in := &m.input
	a, _, ok := m.keys.match(menuActions, msg)
	if !ok || a == actMenuUp || a == actMenuDown {
		in.ed.handle(msg)
		return nil
	}
	switch a {
	case actCancel:
		m.overlay = overlayNone
		return nil
	case actInputBasket:
		m.toggleInputBasket()
		return nil
	}
	return m.acceptInput()
}

func (m *Model) nextTheme() tea.Cmd {
	order := []string{"dark", "light", "high-contrast"}
	cur := m.styles.P.Name
	next := order[0]
	for i, t := range order {
		if t == cur {
			next = order[(i+1)%len(order)]
		}
	}
	m.theme = next
	m.applyTheme()
	if m.opts.NoColor {
		m.setStatus("NO_COLOR is set: the theme stays plain")
	} else {
		m.setStatus("theme: " + next)
	}
	return m.restyle()
}

func (m *Model) setFocus(f Focus) {
	m.focus = f
	if isDetail(f) {
		m.detail = f
	}
	m.relayout()
}

func (m *Model) pushBack() {
	if len(m.back) > 0 && m.back[len(m.back)-1] == m.focus {
		return
	}
	m.back = append(m.back, m.focus)
	if len(m.back) > 16 {
		m.back = m.back[1:]
	}
}

// popBack returns to the pane that was focused before the current one.
func (m *Model) popBack() {
	f := FocusResults
	for len(m.back) > 0 {
		f = m.back[len(m.back)-1]
		m.back = m.back[:len(m.back)-1]
		if f != m.focus {
			break
		}
	}
	if f == m.focus {
		f = FocusResults
	}
	m.setFocus(f)
}

// cycleFocus moves to the next pane on screen (or that has something).
func (m *Model) cycleFocus(d int) tea.Cmd {
	order := []Focus{FocusSearch, FocusResults, FocusFacets}
	if m.hasDetail(m.detail) {
		order = append(order, m.detail)
	}
	i := 0
	for j, f := range order {
		if f == m.focus {
			i = j
		}
	}
	i = (i + d + len(order)) % len(order)
	m.setFocus(order[i])
	return m.previewSelected()
}

func (m *Model) hasDetail(f Focus) bool {
	switch f {
	case FocusReader:
		return m.reader.id != "" || m.layout.Wide
	case FocusAnswer:
		return m.answer.title != "" || m.answer.text != ""
	case FocusDraft:
		return m.draft.text != ""
	case FocusBasket:
		return true
	}
	return false
}

func (m *Model) onClick(ms tea.Mouse) tea.Cmd {
	if ms.Button != tea.MouseLeft || m.first != nil {
		return nil
	}
	if m.overlay == overlayPalette {
		// A click on a command runs it, as enter on it does.
		if i, ok := m.paletteItemAt(ms.X, ms.Y); ok {
			it := m.palette.matches[i]
			m.overlay = overlayNone
			return m.do(it.act, it.arg)
		}
	}
	if m.overlay != overlayNone {
		m.overlay = overlayNone
		return nil
	}
	l := m.layout
	switch {
	case l.Search.contains(ms.X, ms.Y):
		m.setFocus(FocusSearch)
	case l.Chips.contains(ms.X, ms.Y):
		for _, c := range chipSpans(m.parsedQuery()) {
			if ms.X >= c.x0 && ms.X < c.x1 {
				return m.removeFilter(c.f)
			}
		}
	case l.Sidebar.contains(ms.X, ms.Y):
		m.setFocus(FocusFacets)
		i := m.facets.top + ms.Y - l.Sidebar.Y - 1
		if i >= 0 && i < len(m.facets.items) && !m.facets.items[i].header {
			m.facets.cursor = i
			return m.do(actToggle, actArg{})
		}
	case l.Results.contains(ms.X, ms.Y):
		row := ms.Y - l.Results.Y - 1
		if row < 0 {
			m.setFocus(FocusResults)
			return nil
		}
		i := m.results.top + row/rowsPerHit
		if i >= m.results.total {
			return nil
		}
		if i == m.results.cursor && m.focus == FocusResults {
			return m.do(actOpen, actArg{})
		}
		m.setFocus(FocusResults)
		m.results.setCursor(i)
		return tea.Batch(m.ensurePages(), m.previewSelected())
	case l.Detail.contains(ms.X, ms.Y):
		m.setFocus(m.detail)
	}
	return nil
}

func (m *Model) onWheel(ms tea.Mouse) tea.Cmd {
	if m.first != nil {
		return nil
	}
	d := 0
	switch ms.Button {
	case tea.MouseWheelUp:
		d = -1
	case tea.MouseWheelDown:
		d = 1
	default:
		return nil
	}
	l := m.layout
	switch {
	case l.Sidebar.contains(ms.X, ms.Y):
		m.facets.move(d * 3)
		m.facets.clamp(max(1, l.Sidebar.H-1))
	case l.Results.contains(ms.X, ms.Y):
		m.results.scroll(d)
		return tea.Batch(m.ensurePages(), m.previewSelected())
	case l.Detail.contains(ms.X, ms.Y):
		switch m.detail {
		case FocusReader:
			m.reader.scroll = max(0, min(m.reader.scroll+3*d, len(m.reader.lines)-(l.Detail.H-1)))
		case FocusBasket:
			m.basket.cursor += d
			m.basket.clamp()
		default:
			p := m.pane(m.detail)
			p.follow = false
			p.scroll = max(0, p.scroll+3*d)
		}
	}
	return nil
}
