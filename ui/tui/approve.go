package tui

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// ToolCall is one tool call of an agent run, and once it ran its result
// (EventToolCall, EventToolResult).
type ToolCall struct {
	Name    string // server.tool for MCP tools
	Input   string // JSON
	Output  string
	IsError bool
	Done    bool // the result arrived
}

// Approval is a tool call waiting for the user (EventApproval). The run
// waits until Answer is called; the app always calls it exactly once.
type Approval struct {
	Name  string
	Input string
	// Answer gets ApproveOnce, ApproveAlways or ApproveDeny.
	Answer func(Decision)
}

// Decision answers an Approval.
type Decision int

const (
	ApproveDeny Decision = iota
	ApproveOnce
	ApproveAlways
)

// approvalKey answers the pending approval: y once, a always, n or esc
// deny. These keys are fixed, not remappable: the question names them.
// Other keys are ignored until it is answered, so a keystroke meant for
// elsewhere never approves anything.
func (m *Model) approvalKey(msg tea.KeyPressMsg) tea.Cmd {
	var d Decision
	switch msg.String() {
	case "y":
		d = ApproveOnce
	case "a":
		d = ApproveAlways
	case "n", "esc":
		d = ApproveDeny
	default:
		m.setStatus("answer the tool question first: y once · a always · n deny")
		return nil
	}
	ap := m.approval
	m.approval = nil
	word := map[Decision]string{ApproveOnce: "allowed once", ApproveAlways: "allowed for this session", ApproveDeny: "denied"}[d]
	m.setStatus(ap.Name + ": " + word)
	// Answering never blocks: the run's side is buffered.
	ap.Answer(d)
	return nil
}

// onApproval shows the question; a second one while the first is
// pending cannot happen (a run asks one at a time), but would be denied.
func (m *Model) onApproval(ap *Approval) {
	if ap == nil {
		return
	}
	if m.approval != nil {
		ap.Answer(ApproveDeny)
		return
	}
	m.approval = ap
}

// dropApproval denies a pending question when its run ends or is stopped.
func (m *Model) dropApproval() {
	if m.approval != nil {
		m.approval.Answer(ApproveDeny)
		m.approval = nil
	}
}

// onToolEvent records a call, or fills in the result of the last call of
// that name still waiting.
func (p *streamPane) onToolEvent(ev Event) {
	if ev.Tool == nil {
		return
	}
	if ev.Kind == EventToolCall {
		p.calls = append(p.calls, *ev.Tool)
		return
	}
	for i := len(p.calls) - 1; i >= 0; i-- {
		if c := &p.calls[i]; c.Name == ev.Tool.Name && !c.Done {
			c.Output, c.IsError, c.Done = ev.Tool.Output, ev.Tool.IsError, true
			return
		}
	}
	t := *ev.Tool
	t.Done = true
	p.calls = append(p.calls, t)
}

// toolLines shows the run's tool calls: one line each when collapsed,
// "⚙ server.tool(args…) → 123 chars"; input and output in full when open.
func (p *streamPane) toolLines(m *Model) []string {
	st := &m.styles
	var out []string
	for _, c := range p.calls {
		args := oneLine(c.Input)
		if !p.toolsOpen {
			args = clip(args, 40)
		}
		line := fmt.Sprintf(" ⚙ %s(%s)", c.Name, args)
		switch {
		case !c.Done:
			line += " …"
		case c.IsError:
			line += " ✗ " + clip(oneLine(c.Output), 60)
		default:
			line += fmt.Sprintf(" → %d chars", len(c.Output))
		}
		out = append(out, st.Muted.Render(line))
		if p.toolsOpen && c.Done && !c.IsError {
			for _, l := range strings.Split(strings.TrimRight(c.Output, "\n"), "\n") {
				out = append(out, st.Muted.Render("     "+strings.ReplaceAll(l, "\t", "    ")))
			}
		}
	}
	if len(out) > 0 {
		out = append(out, st.Muted.Render(fmt.Sprintf("   (%s: show or hide tool calls)", m.keyHelp(actToggleTools))))
	}
	if ap := m.approval; ap != nil && p.streaming {
		out = append(out, st.Accent.Render(fmt.Sprintf(" ? Allow %s(%s)?", ap.Name, clip(oneLine(ap.Input), 60)))+
			st.Key.Render("  y")+" once  "+st.Key.Render("a")+" always  "+st.Key.Render("n/esc")+" deny")
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// connectedMsg carries what Options.Connect reported.
type connectedMsg struct{ problems []string }

func connectCmd(connect func() []string) tea.Cmd {
	return func() tea.Msg { return connectedMsg{problems: connect()} }
}

func (m *Model) onConnected(msg connectedMsg) {
	if len(msg.problems) == 0 {
		return
	}
	s := msg.problems[0]
	if len(msg.problems) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(msg.problems)-1)
	}
	m.setError(errors.New(s))
}
