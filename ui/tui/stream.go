package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/glamour/v2"
	"github.com/charmbracelet/x/ansi"
)

// streamPane is the answer or the draft pane: markdown that streams in.
type streamPane struct {
	kind   Focus
	title  string // the question, or the prompt's name
	prompt string // draft prompt name
	// req is the draft request that started the run, for regenerating it.
	req       *DraftRequest
	text      string
	sources   []Source
	warnings  []string
	tools     []string
	calls     []ToolCall // tool calls with their results, shown in head
	toolsOpen bool       // calls shown in full, not one line each
	usage     Usage
	streaming bool
	stopped   bool
	err       error

	run    int // the run events must belong to
	cancel context.CancelFunc
	stream Stream

	// Rendered markdown: stableLines cover text[:stableEnd] and never
	// change; tailLines are re-rendered on every delta.
	stableEnd   int
	stableLines []string
	tailLines   []string
	docLines    []string // a finished draft's sources section
	renderW     int
	renderStyle string

	scroll  int
	follow  bool // keep the newest line on screen while streaming
	citeSel int  // index into sources of the highlighted citation

	// A conversation: conv is its saved ID (set when a run is saved), and
	// turns are the earlier exchanges, shown above the current one.
	conv      string
	turns     []turn
	histLines []string // turns rendered
	histTurn  []int    // the turn each line of histLines belongs to (-1: the current one's heading)
	citeAt    int      // 1 + index into refs of the highlighted marker; 0: none
	refs      []citeRef
	shown     []string // histLines and lines() with their markers styled

	retry *Retry // the provider's last refusal, until it answers

	// saved is the ID the current run was saved under (conversation or
	// draft) and rating the user's verdict on it (+1, -1, 0).
	saved  string
	rating int
}

// String reads "retrying in 2s (HTTP 429, attempt 2 of 4)".
func (r Retry) String() string {
	reason := r.Reason
	if reason == "" {
		reason = "the provider refused for now"
	}
	s := fmt.Sprintf("retrying in %s (%s", r.Wait.Round(100*time.Millisecond), reason)
	if r.Attempt > 0 && r.Max > 0 {
		s += fmt.Sprintf(", attempt %d of %d", r.Attempt, r.Max)
	}
	return s + ")"
}

// turn is one earlier question and its answer, with the sources its
// citations refer to.
type turn struct {
	question string
	text     string
	sources  []Source
}

// continueFrom makes p the next turn of prev's conversation.
func (p *streamPane) continueFrom(prev *streamPane) {
	p.conv = prev.conv
	p.turns = append(slices.Clone(prev.turns), turn{question: prev.title, text: prev.text, sources: prev.sources})
}

// mdRenderer caches a glamour renderer for one width and style: building
// one costs far more than rendering a paragraph.
type mdRenderer struct {
	style string
	width int
	r     *glamour.TermRenderer
}

func (m *Model) renderer(w int) *glamour.TermRenderer {
	style := m.styles.P.Glamour
	if m.md != nil && m.md.width == w && m.md.style == style {
		return m.md.r
	}
	r, err := glamour.NewTermRenderer(glamour.WithStandardStyle(style), glamour.WithWordWrap(max(10, w-2)))
	if err != nil {
		return nil
	}
	m.md = &mdRenderer{style: style, width: w, r: r}
	return r
}

func (m *Model) renderLines(md string, w int) []string {
	if strings.TrimSpace(md) == "" {
		return nil
	}
	r := m.renderer(w)
	if r == nil {
		return wrap(md, w)
	}
	out, err := r.Render(md)
	if err != nil {
		return wrap(md, w)
	}
	return strings.Split(strings.Trim(out, "\n"), "\n")
}

// rerender brings the rendered lines up to date with text: blocks that can
// no longer change (before the last blank line outside a code fence) are
// rendered once; only the tail after them is rendered again.
func (m *Model) rerender(p *streamPane, w int) {
	style := m.styles.P.Glamour
	if p.renderW != w || p.renderStyle != style {
		p.stableEnd, p.stableLines, p.renderW, p.renderStyle = 0, nil, w, style
		p.histLines = nil
	}
	if len(p.turns) > 0 && p.histLines == nil {
		p.histLines, p.histTurn = nil, nil
		// Each turn apart, so its citations resolve against its own sources.
		for i, t := range p.turns {
			ls := m.renderLines(fmt.Sprintf("### %d. %s\n\n%s\n", i+1, t.question, strings.TrimSpace(t.text)), w)
			ls = append(ls, "")
			p.histLines = append(p.histLines, ls...)
			for range ls {
				p.histTurn = append(p.histTurn, i)
			}
		}
		ls := m.renderLines(fmt.Sprintf("### %d. %s\n", len(p.turns)+1, p.title), w)
		p.histLines = append(p.histLines, ls...)
		for range ls {
			p.histTurn = append(p.histTurn, -1)
		}
	}
	if cut := stableBoundary(p.text, p.stableEnd); cut > p.stableEnd {
		lines := m.renderLines(p.text[p.stableEnd:cut], w)
		if len(p.stableLines) > 0 && len(lines) > 0 {
			p.stableLines = append(p.stableLines, "")
		}
		p.stableLines = append(p.stableLines, lines...)
		p.stableEnd = cut
	}
	p.tailLines = m.renderLines(p.text[p.stableEnd:], w)
	defer m.markCites(p)
	p.docLines = nil
	if p.kind == FocusDraft && !p.streaming {
		// A finished draft shows the rest of its document (the sources
		// section), so the pane, the export and `quire draft` agree.
		doc := p.document()
		p.docLines = m.renderLines(doc[min(len(doc), len(strings.TrimRight(p.text, "\n"))):], w)
	}
}

// stableBoundary returns the end of the last complete block of s at or
// after from: just past the last blank line that is not inside a fenced
// code block. It returns from when there is none.
func stableBoundary(s string, from int) int {
	cut := from
	inFence := strings.Count(s[:from], "```")%2 == 1
	i := from
	for {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			break
		}
		line := s[i : i+j]
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
		}
		i += j + 1
		if !inFence && strings.TrimSpace(line) == "" && i-1 > from {
			cut = i
		}
	}
	return cut
}

func (p *streamPane) lines() []string {
	if len(p.stableLines) == 0 {
		return p.tailLines
	}
	if len(p.tailLines) == 0 {
		return p.stableLines
	}
	out := make([]string, 0, len(p.stableLines)+1+len(p.tailLines))
	out = append(out, p.stableLines...)
	out = append(out, "")
	return append(out, p.tailLines...)
}

// Messages of a streamed run.
type streamOpenMsg struct {
	pane   Focus
	run    int
	stream Stream
	err    error
}

type streamEventMsg struct {
	pane Focus
	run  int
	ev   Event
}

type streamEndMsg struct {
	pane Focus
	run  int
	err  error
}

// pull is the re-armed Cmd that reads the next event of a stream. It runs
// on its own goroutine, so Update never waits for the model.
func pull(pane Focus, run int, s Stream) tea.Cmd {
	return func() tea.Msg {
		if s.Next() {
			return streamEventMsg{pane, run, s.Current()}
		}
		return streamEndMsg{pane, run, s.Err()}
	}
}

func (m *Model) pane(f Focus) *streamPane {
	if f == FocusDraft {
		return &m.draft
	}
	return &m.answer
}

// startRun cancels whatever the pane was streaming and starts open(ctx).
func (m *Model) startRun(f Focus, title string, open func(ctx context.Context) (Stream, error)) tea.Cmd {
	p := m.pane(f)
	stop := m.stopRun(p)
	m.runs++
	ctx, cancel := context.WithCancel(context.Background())
	prompt := p.prompt
	*p = streamPane{kind: f, title: title, prompt: prompt, run: m.runs, cancel: cancel, streaming: true, follow: true}
	m.pushBack()
	m.focus, m.detail = f, f
	m.relayout()
	run := p.run
	return tea.Batch(stop, func() tea.Msg {
		s, err := open(ctx)
		return streamOpenMsg{pane: f, run: run, stream: s, err: err}
	})
}

// stopRun cancels a pane's run at once, keeping what arrived. The stream
// is closed in a Cmd so a slow Close cannot block a frame.
func (m *Model) stopRun(p *streamPane) tea.Cmd {
	if !p.streaming {
		return nil
	}
	p.streaming, p.stopped = false, true
	p.run = -1 // anything still in flight is stale now
	if p.cancel != nil {
		p.cancel()
	}
	s := p.stream
	p.stream = nil
	if s == nil {
		return nil
	}
	return func() tea.Msg { _ = s.Close(); return nil }
}

func (m *Model) onStreamOpen(msg streamOpenMsg) tea.Cmd {
	p := m.pane(msg.pane)
	if msg.run != p.run {
		if msg.stream != nil {
			s := msg.stream
			return func() tea.Msg { _ = s.Close(); return nil }
		}
		return nil
	}
	if msg.err != nil {
		p.streaming, p.err = false, msg.err
		m.setError(msg.err)
		return nil
	}
	p.stream = msg.stream
	return pull(msg.pane, msg.run, msg.stream)
}

func (m *Model) onStreamEvent(msg streamEventMsg) tea.Cmd {
	p := m.pane(msg.pane)
	if msg.run != p.run || !p.streaming {
		return nil
	}
	ev := msg.ev
	var cmd tea.Cmd
	switch ev.Kind {
	case EventSources:
		p.sources = ev.Sources
	case EventDelta:
		p.text += ev.Text
	case EventSection:
		// The heading itself arrives as text: writing it here too printed
		// every heading twice.
	case EventToolCall, EventToolResult:
		p.tools = append(p.tools, ev.Text)
		p.onToolEvent(ev)
	case EventApproval:
		m.onApproval(ev.Approval)
	case EventUsage:
		p.usage = ev.Usage
	case EventWarning:
		p.warnings = append(p.warnings, ev.Text)
	case EventDone:
		p.saved = ev.ID
		if ev.ID != "" && p.kind == FocusAnswer {
			p.conv = ev.ID
		}
	case EventBasket:
		cmd = m.onAgentBasket(ev.Basket)
	case EventRetry:
		if ev.Retry != nil {
			r := *ev.Retry
			p.retry = &r
			m.setStatus(r.String())
		}
	}
	if ev.Kind == EventDelta || ev.Kind == EventToolCall {
		p.retry = nil // the provider answered
	}
	if ev.Kind == EventDelta || ev.Kind == EventSection {
		m.rerender(p, m.paneWidth())
	}
	return tea.Batch(cmd, pull(msg.pane, msg.run, p.stream))
}

func (m *Model) onStreamEnd(msg streamEndMsg) tea.Cmd {
	p := m.pane(msg.pane)
	if msg.run != p.run {
		return nil
	}
	p.streaming, p.stream = false, nil
	if p.cancel != nil {
		p.cancel()
	}
	m.dropApproval()
	m.usage.In += p.usage.In
	m.usage.Out += p.usage.Out
	m.usage.CostUSD += p.usage.CostUSD
	if msg.err != nil && !errors.Is(msg.err, context.Canceled) {
		p.err = msg.err
		m.setError(msg.err)
	}
	m.rerender(p, m.paneWidth())
	if p.follow && len(p.histLines) > 0 {
		// A follow-up ends with its own question at the top of the pane,
		// not back at the first turn.
		p.scroll, p.follow = len(p.head(m))+len(p.histLines), false
	}
	if msg.pane == FocusDraft && p.text != "" {
		m.saveDraft(p)
	}
	return nil
}

// paneWidth is the width the answer and draft panes render at.
func (m *Model) paneWidth() int {
	if m.layout.Detail.W > 0 {
		return m.layout.Detail.W
	}
	return m.layout.Results.W + m.layout.Detail.W + max(0, m.layout.Sidebar.W)
}

func (p *streamPane) View(m *Model, w, h int, focused bool) []string {
	st := &m.styles
	name := "Answer"
	if p.kind == FocusDraft {
		name = "Draft"
	}
	state := ""
	switch {
	case p.streaming:
		state = " · streaming… (esc stops)"
	case p.stopped:
		state = " · stopped"
	}
	title := name + state
	if p.title != "" {
		title = name + ": " + p.title + state
	}
	lines := make([]string, 0, h)
	lines = append(lines, paneHeader(st, title, w, focused))

	body := p.head(m)
	body = append(body, p.shown...)
	if len(p.docLines) > 0 {
		body = append(body, "")
		body = append(body, p.docLines...)
	} else if len(p.sources) > 0 {
		body = append(body, "", st.Heading.Render(" Sources")+st.Muted.Render(" (press 1-9 to read)"))
		for i, s := range p.sources {
			mark := "  "
			if i == p.citeSel {
				mark = "› "
			}
			head := fmt.Sprintf("%s%s ", mark, st.Key.Render(fmt.Sprintf("[%d]", s.N)))
			var tail string
			if where := sourceWhere(s); where != "" {
				tail += " · " + where
			}
			if s.Basket {
				tail += " · from your basket"
			}
			// The title gives way first: three passages of one paper
			// differ only in their section and page.
			title := s.Title
			if room := w - ansi.StringWidth(head) - ansi.StringWidth(tail); ansi.StringWidth(title) > room {
				title = ansi.Truncate(title, max(room, minSourceTitle), "…")
			}
			if tail != "" {
				title += st.Muted.Render(tail)
			}
			body = append(body, head+title)
		}
	}
	if p.usage.In+p.usage.Out > 0 {
		body = append(body, st.Muted.Render(fmt.Sprintf(" %s tokens in, %s out · $%.4f", humanTokens(p.usage.In), humanTokens(p.usage.Out), p.usage.CostUSD)))
	}
	room := h - 1
	scroll := p.scroll
	if p.follow && p.streaming {
		scroll = len(body) - room
	}
	scroll = max(0, min(scroll, len(body)-room))
	for i := scroll; i < len(body) && len(lines) < h; i++ {
		lines = append(lines, fit(body[i], w))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// minSourceTitle is how much of a source's title the sources list keeps
// when its section and page leave little room.
const minSourceTitle = 16

func humanTokens(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// head is what the pane shows above its text: the error, warnings, and
// while nothing has arrived, what it is waiting for.
func (p *streamPane) head(m *Model) []string {
	st := &m.styles
	var body []string
	if p.err != nil {
		body = append(body, "", st.Error.Render(" ✗ "+humanError(p.err)))
	}
	for _, wr := range p.warnings {
		body = append(body, st.Accent.Render(" ⚠ "+wr))
	}
	body = append(body, p.toolLines(m)...)
	if p.streaming && p.retry != nil {
		body = append(body, st.Accent.Render(" ⟳ "+p.retry.String()))
	} else if p.text == "" && p.err == nil && p.streaming {
		body = append(body, st.Muted.Render(" Thinking…"))
	}
	if p.text == "" && p.err == nil && !p.streaming && !p.stopped && len(p.turns) == 0 {
		if p.kind == FocusDraft {
			body = append(body, st.Muted.Render(" No draft yet: press ctrl+p and pick a prompt."))
		} else {
			body = append(body, st.Muted.Render(fmt.Sprintf(" Press %s to ask about the results, %s to ask about your basket.",
				m.keyHelp(actAsk), m.keyHelp(actAskBasket))))
		}
	}
	return body
}

// content is the pane's rendered text: the earlier turns, then this one.
func (p *streamPane) content() []string {
	return append(slices.Clone(p.histLines), p.lines()...)
}
