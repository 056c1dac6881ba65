package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/glamour/v2"
)

// streamPane is the answer or the draft pane: markdown that streams in.
type streamPane struct {
	kind      Focus
	title     string // the question, or the prompt's name
	prompt    string // draft prompt name
	text      string
	sources   []Source
	warnings  []string
	tools     []string
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
	renderW     int
	renderStyle string

	scroll  int
	follow  bool // keep the newest line on screen while streaming
	citeSel int  // index into sources of the highlighted citation
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
	switch ev.Kind {
	case EventSources:
		p.sources = ev.Sources
	case EventDelta:
		p.text += ev.Text
	case EventSection:
		title := ev.Section
		if title == "" {
			title = ev.Text
		}
		if p.text != "" && !strings.HasSuffix(p.text, "\n\n") {
			p.text = strings.TrimRight(p.text, "\n") + "\n\n"
		}
		p.text += "## " + title + "\n\n"
	case EventToolCall, EventToolResult:
		p.tools = append(p.tools, ev.Text)
	case EventUsage:
		p.usage = ev.Usage
	case EventWarning:
		p.warnings = append(p.warnings, ev.Text)
	case EventDone:
	}
	if ev.Kind == EventDelta || ev.Kind == EventSection {
		m.rerender(p, m.paneWidth())
	}
	return pull(msg.pane, msg.run, p.stream)
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
	m.usage.In += p.usage.In
	m.usage.Out += p.usage.Out
	m.usage.CostUSD += p.usage.CostUSD
	if msg.err != nil && !errors.Is(msg.err, context.Canceled) {
		p.err = msg.err
		m.setError(msg.err)
	}
	m.rerender(p, m.paneWidth())
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

	var body []string
	if p.err != nil {
		body = append(body, "", st.Error.Render(" ✗ "+humanError(p.err)))
	}
	for _, wr := range p.warnings {
		body = append(body, st.Accent.Render(" ⚠ "+wr))
	}
	if p.text == "" && p.err == nil && p.streaming {
		body = append(body, st.Muted.Render(" Thinking…"))
	}
	if p.text == "" && p.err == nil && !p.streaming && !p.stopped {
		if p.kind == FocusDraft {
			body = append(body, st.Muted.Render(" No draft yet: press ctrl+p and pick a prompt."))
		} else {
			body = append(body, st.Muted.Render(" Press a to ask a question about the results or your basket."))
		}
	}
	body = append(body, p.lines()...)
	if len(p.sources) > 0 {
		body = append(body, "", st.Heading.Render(" Sources")+st.Muted.Render(" (press 1-9 to read)"))
		for i, s := range p.sources {
			mark := "  "
			if i == p.citeSel {
				mark = "› "
			}
			body = append(body, fmt.Sprintf("%s%s %s", mark, st.Key.Render(fmt.Sprintf("[%d]", s.N)), s.Title))
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

func humanTokens(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
