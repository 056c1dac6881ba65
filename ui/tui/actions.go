package tui

import (
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/corpus"
)

// actArg is what an action acts on beyond the focused pane: a citation
// number or a prompt's name.
type actArg struct {
	n      int
	prompt string
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.status != "" {
		m.clearStatus() // recoverable errors and notices last until the next key
	}
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.approval != nil {
		return m.approvalKey(msg)
	}
	switch m.overlay {
	case overlayHelp:
		m.overlay = overlayNone
		return nil
	case overlayPalette:
		return m.paletteKey(msg)
	case overlayInput:
		return m.inputKey(msg)
	case overlayConversations:
		return m.conversationsKey(msg)
	}
	if m.prefixPending {
		return m.promptChord(msg)
	}
	// One rule in every pane: its own actions first, then text editing (in
	// the search bar), then the app's actions, then prompt shortcuts.
	k := &m.keys
	if a, i, ok := k.match(paneActions(m.focus), msg); ok {
		m.bar.selected = false
		return m.do(a, actArg{n: i + 1})
	}
	if m.focus == FocusSearch {
		if cmd, ok := m.editSearch(msg); ok {
			return cmd
		}
	}
	if a, _, ok := k.match(appActionsIn(m.focus), msg); ok {
		return m.do(a, actArg{})
	}
	if m.focus != FocusSearch {
		if a, _, ok := k.match([]action{actDraftPrefix}, msg); ok {
			return m.do(a, actArg{})
		}
	}
	if name, ok := m.promptKeys.direct[msg.String()]; ok {
		return m.do(actRunPrompt, actArg{prompt: name})
	}
	return nil
}

// editSearch applies an editing key to the search bar.
func (m *Model) editSearch(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	b := &m.bar
	if b.selected {
		// A restored query is selected: typing replaces it, deleting
		// clears it, a cursor key keeps it; other keys leave it selected.
		switch msg.String() {
		case "backspace", "delete", "ctrl+h", "ctrl+d", "ctrl+w":
			return m.setQuery(""), true
		}
		if printable(msg) != "" {
			b.ed.SetValue("")
		}
	}
	handled, changed := b.ed.handle(msg)
	if handled {
		b.selected = false
	}
	if changed {
		b.cycle = nil
		b.histIdx = len(b.history)
		m.refreshCompletion()
		return m.startSearch(), true
	}
	if handled {
		m.refreshCompletion()
	}
	return nil, handled
}

// promptChord reads the key after the prompt prefix.
func (m *Model) promptChord(msg tea.KeyPressMsg) tea.Cmd {
	m.prefixPending = false
	s := msg.String()
	if s == "esc" {
		return nil
	}
	if name, ok := m.promptKeys.chord[s]; ok {
		return m.do(actRunPrompt, actArg{prompt: name})
	}
	m.setError(fmt.Errorf("no prompt on %s %s (ctrl+p lists the prompts)", m.prefixLabel(), s))
	return nil
}

func (m *Model) prefixLabel() string {
	if ks := m.keys.DraftPrefix.Keys(); len(ks) > 0 {
		return ks[0]
	}
	return ""
}

// chordHint lists the prompts reachable after the prefix, for the status
// line while it waits for the second key: names when they fit, else just
// the keys.
func (m *Model) chordHint() string {
	keys := slices.Sorted(mapKeys(m.promptKeys.chord))
	if len(keys) == 0 {
		return "no prompt has a key: ctrl+p lists them"
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+m.promptKeys.chord[k])
	}
	full := m.prefixLabel() + "… " + strings.Join(parts, " · ") + " · esc cancels"
	if len(full)+4 <= m.width {
		return full
	}
	return m.prefixLabel() + "… then " + strings.Join(keys, " ") + " (ctrl+p names the prompts) · esc cancels"
}

// selectedPaper is the paper paper-actions act on: the reader's when it
// has focus, else the selected hit.
func (m *Model) selectedPaper() (string, *corpus.Paper) {
	if m.focus == FocusReader && m.reader.paper != nil {
		return m.reader.id, m.reader.paper
	}
	if h, ok := m.results.selected(); ok {
		return h.ID, &h.Paper
	}
	return "", nil
}

// do runs one action on the focused pane.
func (m *Model) do(a action, arg actArg) tea.Cmd {
	switch a {
	case actQuit:
		return m.quit()
	case actHelp:
		m.overlay = overlayHelp
	case actPalette:
		m.openPalette("")
	case actAsk:
		// From the basket pane a question is about the basket.
		m.askInput(m.focus == FocusBasket)
	case actAskBasket:
		m.askInput(true)
	case actNewConversation:
		m.newConversation()
	case actCiteNext, actCitePrev:
		d := 1
		if a == actCitePrev {
			d = -1
		}
		m.moveCite(m.citePane(), d)
	case actCiteOpen:
		return m.openCite(m.citePane())
	case actConversations:
		return m.openConversations()
	case actFocusSearch:
		m.setFocus(FocusSearch)
	case actNextPane:
		return m.cycleFocus(1)
	case actPrevPane:
		return m.cycleFocus(-1)
	case actTheme:
		return m.nextTheme()
	case actRefresh:
		return m.refreshIndex()
	case actShowBasket:
		return m.showBasket()
	case actDraftPrefix:
		m.prefixPending = true
		m.setStatus(m.chordHint())
	case actRunPrompt:
		p, ok := m.promptByName(arg.prompt)
		if !ok {
			m.setError(fmt.Errorf("no prompt named %q", arg.prompt))
			return nil
		}
		if m.draftInput(p) {
			return nil
		}
		return m.startDraft(p, nil, m.input.basket)
	case actSubmit:
		m.pushHistory()
		if s, ok := m.suggestion(); ok {
			return m.setQuery(s)
		}
		return tea.Batch(m.checkSpelling(), m.toResults())
	case actComplete:
		if cmd, ok := m.complete(); ok {
			return cmd
		}
		m.pushHistory()
		return m.cycleFocus(1)
	case actHistoryPrev:
		return m.historyMove(-1)
	case actHistoryNext:
		return m.historyMove(1)
	case actClearLine:
		m.bar.selected = false
		if m.bar.ed.Value() == "" {
			return nil
		}
		return m.setQuery("")
	case actUp, actDown, actPageUp, actPageDown, actTop, actBottom:
		return m.navigate(a)
	case actOpen:
		if m.focus == FocusBasket {
			if it, ok := m.basketSelected(); ok {
				return m.openReader(it.ID, nil, true)
			}
			return nil
		}
		if h, ok := m.results.selected(); ok {
			return m.openHit(h, true)
		}
	case actPassageNext, actPassagePrev:
		m.stepPassage(map[action]int{actPassageNext: 1, actPassagePrev: -1}[a])
	case actFullText:
		m.fullText()
	case actMark:
		return m.mark()
	case actRemoveChip:
		return m.removeLastFilter()
	case actToggle:
		if it, ok := m.facets.selected(); ok {
			return m.toggleFacet(it)
		}
	case actMoreLike, actOpenURL, actCopyBibTeX, actCopyCitation:
		_, p := m.selectedPaper()
		if p == nil {
			m.setError(fmt.Errorf("select a paper first"))
			return nil
		}
		return m.paperAction(a, p)
	case actClose:
		return m.closePane()
	case actCite:
		return m.openSource(m.citePane(), arg.n)
	case actNextCite:
		p := m.citePane()
		if len(p.sources) > 0 {
			p.citeSel = (p.citeSel + 1) % len(p.sources)
			return m.openSource(p, p.sources[p.citeSel].N)
		}
	case actEdit:
		return m.editDraft(m.editPane())
	case actExport:
		return m.exportDraft(m.editPane())
	case actRateUp, actRateDown:
		return m.rate(m.editPane(), a == actRateUp)
	case actRegenerate:
		return m.regenerate()
	case actToggleTools:
		p := m.editPane()
		p.toolsOpen = !p.toolsOpen
	case actClearBasket:
		m.clearBasket()
	case actClearFilters:
		q := m.parsedQuery()
		q.Filters = nil
		return m.setQuery(q.String())
	case actShowAnswer:
		m.pushBack()
		m.focus, m.detail = FocusAnswer, FocusAnswer
		m.relayout()
	case actShowDraft:
		m.pushBack()
		m.focus, m.detail = FocusDraft, FocusDraft
		m.relayout()
		m.rerender(&m.draft, m.paneWidth())
	}
	return nil
}

// citePane is the answer or draft pane whose citations the cite actions
// open: the focused one, else the one on screen.
func (m *Model) citePane() *streamPane {
	switch {
	case m.focus == FocusAnswer || m.focus == FocusDraft:
		return m.pane(m.focus)
	case m.detail == FocusDraft:
		return &m.draft
	}
	return &m.answer
}

// editPane is the pane edit and export act on: the focused answer or
// draft, else the draft.
func (m *Model) editPane() *streamPane {
	if m.focus == FocusAnswer {
		return &m.answer
	}
	return &m.draft
}

func (m *Model) showBasket() tea.Cmd {
	m.openBasket()
	return nil
}

// mark toggles the selected paper in the basket; in the results the
// cursor moves on, so space space marks two.
func (m *Model) mark() tea.Cmd {
	switch m.focus {
	case FocusBasket:
		if it, ok := m.basketSelected(); ok {
			m.toggleBasket(it.ID, it.Title)
		}
	case FocusReader:
		if m.reader.paper != nil {
			m.toggleBasket(m.reader.id, m.reader.paper.Title)
		}
	case FocusResults:
		if h, ok := m.results.selected(); ok {
			m.toggleBasket(h.ID, h.Paper.Title)
			m.results.move(1)
			return tea.Batch(m.ensurePages(), m.previewSelected())
		}
	}
	return nil
}

func (m *Model) closePane() tea.Cmd {
	switch m.focus {
	case FocusSearch, FocusFacets:
		if m.focus == FocusFacets || m.results.total > 0 {
			m.setFocus(FocusResults)
		}
	case FocusResults:
		m.setFocus(FocusSearch)
	case FocusReader, FocusBasket:
		m.popBack()
	case FocusAnswer, FocusDraft:
		p := m.pane(m.focus)
		if p.streaming {
			return m.stopRun(p)
		}
		m.popBack()
	}
	return nil
}

// navigate moves the focused pane's cursor or scroll.
func (m *Model) navigate(a action) tea.Cmd {
	switch m.focus {
	case FocusResults:
		r := &m.results
		switch a {
		case actUp:
			r.move(-1)
		case actDown:
			r.move(1)
		case actPageUp:
			r.move(-r.visibleHits())
		case actPageDown:
			r.move(r.visibleHits())
		case actTop:
			r.setCursor(0)
		case actBottom:
			r.setCursor(r.total - 1)
		}
		return tea.Batch(m.ensurePages(), m.previewSelected())
	case FocusFacets:
		f := &m.facets
		h := max(1, m.layout.Sidebar.H-1)
		switch a {
		case actUp:
			f.move(-1)
		case actDown:
			f.move(1)
		case actPageUp:
			f.move(-h)
		case actPageDown:
			f.move(h)
		case actTop:
			f.cursor = 0
			f.move(1)
			f.move(-1)
		case actBottom:
			f.move(len(f.items))
		}
		f.clamp(h)
	case FocusReader:
		rp := &m.reader
		h := max(1, m.layout.Detail.H-1)
		maxScroll := max(0, len(rp.lines)-h)
		switch a {
		case actUp:
			rp.scroll--
		case actDown:
			rp.scroll++
		case actPageUp:
			rp.scroll -= h
		case actPageDown:
			rp.scroll += h
		case actTop:
			rp.scroll = 0
		case actBottom:
			rp.scroll = maxScroll
		}
		rp.scroll = max(0, min(rp.scroll, maxScroll))
	case FocusBasket:
		m.basketNavigate(a)
	case FocusAnswer, FocusDraft:
		p := m.pane(m.focus)
		h := max(1, m.layout.Detail.H-1)
		switch a {
		case actUp:
			p.follow = false
			p.scroll = max(0, p.scroll-1)
		case actDown:
			p.scroll++
		case actPageUp:
			p.follow = false
			p.scroll = max(0, p.scroll-h)
		case actPageDown:
			p.scroll += h
		case actTop:
			p.follow = false
			p.scroll = 0
		case actBottom:
			p.follow = true
			p.scroll = 1 << 30
		}
	}
	return nil
}

// paperAction runs an action on one paper (results, reader, palette).
func (m *Model) paperAction(a action, p *corpus.Paper) tea.Cmd {
	switch a {
	case actMoreLike:
		terms := titleTerms(p.Title)
		if terms == "" {
			return nil
		}
		m.pushHistory()
		m.setFocus(FocusResults)
		return m.setQuery(terms + " -id:" + quoteID(p.ID))
	case actOpenURL:
		link := paperLink(p)
		if link == "" {
			m.setError(fmt.Errorf("this paper has no DOI or URL"))
			return nil
		}
		m.setStatus("opening " + link)
		return openURLCmd(m.opts.OpenURL, link)
	case actCopyBibTeX:
		m.setStatus("copied BibTeX to the clipboard")
		return tea.SetClipboard(bibtexPages(p, m.readerPages(p.ID)))
	case actCopyCitation:
		m.setStatus("copied the citation to the clipboard")
		return tea.SetClipboard(plainCitation(p))
	}
	return nil
}
