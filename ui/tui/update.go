package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/corpus"
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
		return m, m.onKey(msg)
	case tea.PasteMsg:
		return m, m.onPaste(msg.Content)
	case tea.MouseClickMsg:
		return m, m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		return m, m.onWheel(msg.Mouse())
	case hitsMsg:
		return m, m.onHits(msg)
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
		m.onReader(msg)
	case streamOpenMsg:
		return m, m.onStreamOpen(msg)
	case streamEventMsg:
		return m, m.onStreamEvent(msg)
	case streamEndMsg:
		return m, m.onStreamEnd(msg)
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
	return tea.Batch(m.stopRun(&m.answer), m.stopRun(&m.draft), tea.Quit)
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.status != "" {
		m.clearStatus() // recoverable errors and notices last until the next key
	}
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	switch m.overlay {
	case overlayHelp:
		m.overlay = overlayNone
		return nil
	case overlayPalette:
		return m.paletteKey(msg)
	case overlayInput:
		return m.inputKey(msg)
	}
	if m.focus == FocusSearch {
		return m.searchKey(msg)
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch m.focus {
	case FocusResults:
		return m.resultsKey(msg)
	case FocusFacets:
		return m.facetsKey(msg)
	case FocusReader:
		return m.readerKey(msg)
	case FocusAnswer, FocusDraft:
		return m.streamKey(msg)
	}
	return nil
}

// globalKey handles the bindings that work in every pane.
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit(), true
	case key.Matches(msg, k.Help):
		m.overlay = overlayHelp
	case key.Matches(msg, k.Palette):
		m.openPalette("")
	case key.Matches(msg, k.Ask):
		m.askInput()
	case key.Matches(msg, k.FocusSearch):
		m.setFocus(FocusSearch)
	case key.Matches(msg, k.NextPane):
		return m.cycleFocus(1), true
	case key.Matches(msg, k.PrevPane):
		return m.cycleFocus(-1), true
	case key.Matches(msg, k.Theme):
		return m.nextTheme(), true
	case key.Matches(msg, k.Basket):
		return m.runCommand(cmdShowBasket, ""), true
	default:
		for _, p := range m.prompts {
			if p.Key != "" && msg.String() == p.Key {
				return m.runCommand(cmdDraft, p.Name), true
			}
		}
		return nil, false
	}
	return nil, true
}

func (m *Model) searchKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Submit):
		m.pushHistory()
		if m.results.total > 0 {
			m.setFocus(FocusResults)
		}
		return m.previewSelected()
	case key.Matches(msg, k.Complete):
		if cmd, ok := m.complete(); ok {
			return cmd
		}
		m.pushHistory()
		return m.cycleFocus(1)
	case key.Matches(msg, k.HistoryPrev):
		return m.historyMove(-1)
	case key.Matches(msg, k.HistoryNext):
		return m.historyMove(1)
	case key.Matches(msg, k.ClearLine):
		if m.bar.ed.Value() == "" {
			return nil
		}
		return m.setQuery("")
	case key.Matches(msg, k.Close):
		if m.results.total > 0 {
			m.setFocus(FocusResults)
		}
		return nil
	}
	// Command keys that type nothing work from the bar too (ctrl+p, f1…).
	if printable(msg) == "" {
		if cmd, ok := m.globalKey(msg); ok {
			return cmd
		}
	}
	handled, changed := m.bar.ed.handle(msg)
	if changed {
		m.bar.cycle = nil
		m.bar.histIdx = len(m.bar.history)
		m.refreshCompletion()
		return m.startSearch()
	}
	if handled {
		m.refreshCompletion()
	}
	return nil
}

func (m *Model) onPaste(s string) tea.Cmd {
	switch {
	case m.overlay == overlayPalette:
		m.palette.ed.Insert(s)
		m.palette.filter()
	case m.overlay == overlayInput:
		m.input.ed.Insert(s)
	case m.focus == FocusSearch:
		m.bar.ed.Insert(s)
		m.refreshCompletion()
		return m.startSearch()
	}
	return nil
}

func (m *Model) resultsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	r := &m.results
	moved := true
	switch {
	case key.Matches(msg, k.Up):
		r.move(-1)
	case key.Matches(msg, k.Down):
		r.move(1)
	case key.Matches(msg, k.PageUp):
		r.move(-r.visibleHits())
	case key.Matches(msg, k.PageDown):
		r.move(r.visibleHits())
	case key.Matches(msg, k.Top):
		r.setCursor(0)
	case key.Matches(msg, k.Bottom):
		r.setCursor(r.total - 1)
	default:
		moved = false
	}
	if moved {
		return tea.Batch(m.ensurePages(), m.previewSelected())
	}
	h, ok := r.selected()
	switch {
	case key.Matches(msg, k.Open):
		if ok {
			return m.openReader(h.ID, &h.Paper, true)
		}
	case key.Matches(msg, k.Mark):
		if ok {
			m.toggleBasket(h.ID, h.Paper.Title)
			r.move(1)
			return tea.Batch(m.ensurePages(), m.previewSelected())
		}
	case key.Matches(msg, k.RemoveChip):
		return m.removeLastFilter()
	case key.Matches(msg, k.Close):
		m.setFocus(FocusSearch)
	default:
		if ok {
			return m.paperKey(msg, &h.Paper)
		}
	}
	return nil
}

// paperKey handles the keys that act on one paper (results and reader).
func (m *Model) paperKey(msg tea.KeyPressMsg, p *corpus.Paper) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.MoreLike):
		terms := titleTerms(p.Title)
		if terms == "" {
			return nil
		}
		m.pushHistory()
		m.setFocus(FocusResults)
		return m.setQuery(terms + " -id:" + quoteID(p.ID))
	case key.Matches(msg, k.OpenURL):
		link := paperLink(p)
		if link == "" {
			m.setError(fmt.Errorf("this paper has no DOI or URL"))
			return nil
		}
		m.setStatus("opening " + link)
		return openURLCmd(m.opts.OpenURL, link)
	case key.Matches(msg, k.CopyBibTeX):
		m.setStatus("copied BibTeX to the clipboard")
		return tea.SetClipboard(bibtex(p))
	case key.Matches(msg, k.CopyCitation):
		m.setStatus("copied the citation to the clipboard")
		return tea.SetClipboard(plainCitation(p))
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

func (m *Model) facetsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	f := &m.facets
	h := max(1, m.layout.Sidebar.H-1)
	switch {
	case key.Matches(msg, k.Up):
		f.move(-1)
	case key.Matches(msg, k.Down):
		f.move(1)
	case key.Matches(msg, k.PageUp):
		f.move(-h)
	case key.Matches(msg, k.PageDown):
		f.move(h)
	case key.Matches(msg, k.Top):
		f.cursor = 0
		f.move(1)
		f.move(-1)
	case key.Matches(msg, k.Bottom):
		f.move(len(f.items))
	case key.Matches(msg, k.Toggle):
		if it, ok := f.selected(); ok {
			return m.toggleFilter(facetKey(it.facet), it.value)
		}
	case key.Matches(msg, k.RemoveChip):
		return m.removeLastFilter()
	case key.Matches(msg, k.Close):
		m.setFocus(FocusResults)
	}
	f.clamp(h)
	return nil
}

func (m *Model) readerKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	rp := &m.reader
	h := max(1, m.layout.Detail.H-1)
	maxScroll := max(0, len(rp.lines)-h)
	switch {
	case key.Matches(msg, k.Up):
		rp.scroll--
	case key.Matches(msg, k.Down):
		rp.scroll++
	case key.Matches(msg, k.PageUp):
		rp.scroll -= h
	case key.Matches(msg, k.PageDown):
		rp.scroll += h
	case key.Matches(msg, k.Top):
		rp.scroll = 0
	case key.Matches(msg, k.Bottom):
		rp.scroll = maxScroll
	case key.Matches(msg, k.Close):
		m.popBack()
	case key.Matches(msg, k.Mark):
		if rp.paper != nil {
			m.toggleBasket(rp.id, rp.paper.Title)
		}
	default:
		if rp.paper != nil {
			return m.paperKey(msg, rp.paper)
		}
	}
	rp.scroll = max(0, min(rp.scroll, maxScroll))
	return nil
}

func (m *Model) streamKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	p := m.pane(m.focus)
	h := max(1, m.layout.Detail.H-1)
	switch {
	case key.Matches(msg, k.Close):
		if p.streaming {
			return m.stopRun(p)
		}
		m.popBack()
	case key.Matches(msg, k.Up):
		p.follow = false
		p.scroll = max(0, p.scroll-1)
	case key.Matches(msg, k.Down):
		p.scroll++
	case key.Matches(msg, k.PageUp):
		p.follow = false
		p.scroll = max(0, p.scroll-h)
	case key.Matches(msg, k.PageDown):
		p.scroll += h
	case key.Matches(msg, k.Top):
		p.follow = false
		p.scroll = 0
	case key.Matches(msg, k.Bottom):
		p.follow = true
		p.scroll = 1 << 30
	case key.Matches(msg, k.Cite):
		n := int(msg.String()[0] - '0')
		return m.openSource(p, n)
	case key.Matches(msg, k.NextCite):
		if len(p.sources) > 0 {
			p.citeSel = (p.citeSel + 1) % len(p.sources)
			return m.openSource(p, p.sources[p.citeSel].N)
		}
	case key.Matches(msg, k.Edit):
		return m.editDraft(p)
	case key.Matches(msg, k.Export):
		return m.exportDraft(p)
	case key.Matches(msg, k.Mark):
		// nothing: the basket is built from results and the reader
	}
	return nil
}

// openSource shows citation [n] of a pane in the reader.
func (m *Model) openSource(p *streamPane, n int) tea.Cmd {
	for i, s := range p.sources {
		if s.N == n {
			p.citeSel = i
			return m.openReader(s.ID, nil, true)
		}
	}
	m.setError(fmt.Errorf("there is no source [%d]", n))
	return nil
}

func (m *Model) paletteKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	p := &m.palette
	switch {
	case key.Matches(msg, k.Cancel):
		m.overlay = overlayNone
	case key.Matches(msg, k.MenuUp):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, k.MenuDown):
		p.cursor = min(len(p.matches)-1, p.cursor+1)
	case key.Matches(msg, k.Accept):
		m.overlay = overlayNone
		if p.cursor < len(p.matches) {
			it := p.matches[p.cursor]
			return m.runCommand(it.cmd, it.arg)
		}
	default:
		if _, changed := p.ed.handle(msg); changed {
			p.filter()
		}
	}
	return nil
}

func (m *Model) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	in := &m.input
	switch {
	case key.Matches(msg, k.Cancel):
		m.overlay = overlayNone
	case key.Matches(msg, k.Accept):
		v := strings.TrimSpace(in.ed.Value())
		if in.kind == cmdAsk {
			if v == "" {
				return nil
			}
			m.overlay = overlayNone
			return m.ask(v)
		}
		in.vars[in.prompt.Vars[in.varIdx]] = v
		in.varIdx++
		if in.varIdx < len(in.prompt.Vars) {
			in.label = in.prompt.Name + " · " + in.prompt.Vars[in.varIdx]
			in.ed.SetValue("")
			return nil
		}
		m.overlay = overlayNone
		return m.startDraft(in.prompt, in.vars)
	default:
		in.ed.handle(msg)
	}
	return nil
}

func (m *Model) ask(question string) tea.Cmd {
	req := AskRequest{Question: question, Query: m.query, Basket: m.basket.IDs()}
	b := m.backend
	return m.startRun(FocusAnswer, question, func(ctx context.Context) (Stream, error) { return b.Ask(ctx, req) })
}

func (m *Model) startDraft(p PromptInfo, vars map[string]string) tea.Cmd {
	req := DraftRequest{Prompt: p.Name, Vars: vars, Query: m.query, Basket: m.basket.IDs()}
	b := m.backend
	m.draft.prompt = p.Name
	return m.startRun(FocusDraft, p.Name, func(ctx context.Context) (Stream, error) { return b.Draft(ctx, req) })
}

// runCommand runs a palette command.
func (m *Model) runCommand(c command, arg string) tea.Cmd {
	var sel *corpus.Paper
	if isDetail(m.focus) && m.reader.paper != nil && m.focus == FocusReader {
		sel = m.reader.paper
	} else if h, ok := m.results.selected(); ok {
		sel = &h.Paper
	}
	paperCmd := func(b key.Binding) tea.Cmd {
		if sel == nil {
			m.setError(fmt.Errorf("select a paper first"))
			return nil
		}
		ks := b.Keys()
		if len(ks) == 0 {
			return nil
		}
		return m.paperKey(keyPress(ks[0]), sel)
	}
	switch c {
	case cmdAsk:
		m.askInput()
	case cmdDraft:
		p, ok := m.promptByName(arg)
		if !ok {
			m.setError(fmt.Errorf("no prompt named %q", arg))
			return nil
		}
		if m.draftInput(p) {
			return nil
		}
		return m.startDraft(p, nil)
	case cmdSearch:
		m.setFocus(FocusSearch)
	case cmdShowBasket:
		if m.basket.Len() == 0 {
			m.setError(fmt.Errorf("the basket is empty: mark papers with space"))
			return nil
		}
		ids := make([]string, 0, m.basket.Len())
		for _, id := range m.basket.IDs() {
			ids = append(ids, quoteID(id))
		}
		m.pushHistory()
		m.setFocus(FocusResults)
		return m.setQuery("id:" + strings.Join(ids, ","))
	case cmdClearBasket:
		m.basket.items = nil
		m.setStatus("basket cleared")
	case cmdClearFilters:
		q := m.parsedQuery()
		q.Filters = nil
		return m.setQuery(q.String())
	case cmdMoreLike:
		return paperCmd(m.keys.MoreLike)
	case cmdCopyBibTeX:
		return paperCmd(m.keys.CopyBibTeX)
	case cmdCopyCitation:
		return paperCmd(m.keys.CopyCitation)
	case cmdOpenURL:
		return paperCmd(m.keys.OpenURL)
	case cmdShowAnswer:
		m.pushBack()
		m.focus, m.detail = FocusAnswer, FocusAnswer
		m.relayout()
	case cmdShowDraft:
		m.pushBack()
		m.focus, m.detail = FocusDraft, FocusDraft
		m.relayout()
		m.rerender(&m.draft, m.paneWidth())
	case cmdEditDraft:
		return m.editDraft(&m.draft)
	case cmdExportDraft:
		return m.exportDraft(&m.draft)
	case cmdTheme:
		return m.nextTheme()
	case cmdHelp:
		m.overlay = overlayHelp
	case cmdQuit:
		return m.quit()
	}
	return nil
}

// keyPress builds the key message a binding's first key stands for, so a
// palette command and its key share one code path.
func keyPress(s string) tea.KeyPressMsg {
	if len([]rune(s)) == 1 {
		r := []rune(s)[0]
		return tea.KeyPressMsg{Code: r, Text: s}
	}
	return tea.KeyPressMsg{Text: s}
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
	}
	return false
}

func (m *Model) onClick(ms tea.Mouse) tea.Cmd {
	if ms.Button != tea.MouseLeft {
		return nil
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
			it := m.facets.items[i]
			return m.toggleFilter(facetKey(it.facet), it.value)
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
			if h, ok := m.results.selected(); ok {
				return m.openReader(h.ID, &h.Paper, true)
			}
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
		default:
			p := m.pane(m.detail)
			p.follow = false
			p.scroll = max(0, p.scroll+3*d)
		}
	}
	return nil
}
