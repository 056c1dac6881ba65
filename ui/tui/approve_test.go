package tui

import (
	"context"
	"strings"
	"testing"
	"time"
)

// approvalBackend streams a run that asks about one tool call and, like
// the agent, waits for the answer before the call's result.
type approvalBackend struct {
	*fakeBackend
	waiting chan struct{} // closed when the run waits for the answer
	answer  chan Decision
}

func (b *approvalBackend) Ask(ctx context.Context, _ AskRequest) (Stream, error) {
	return &approvalStream{ctx: ctx, b: b}, nil
}

type approvalStream struct {
	ctx context.Context
	b   *approvalBackend
	i   int
	cur Event
}

func (s *approvalStream) Next() bool {
	call := &ToolCall{Name: "usage.usage_table", Input: `{"year":2024}`}
	switch s.i {
	case 0:
		s.cur = Event{Kind: EventToolCall, Tool: call}
	case 1:
		s.cur = Event{Kind: EventApproval, Approval: &Approval{Name: call.Name, Input: call.Input,
			Answer: func(d Decision) { s.b.answer <- d }}}
	case 2:
		close(s.b.waiting)
		var d Decision
		select {
		case d = <-s.b.answer:
		case <-time.After(10 * time.Second):
			return false
		}
		res := *call
		res.Done = true
		if d == ApproveDeny {
			res.Output, res.IsError = "usage.usage_table: denied by policy", true
		} else {
			res.Output = "paper\tdownloads_total\np1\t2024"
		}
		s.cur = Event{Kind: EventToolResult, Tool: &res}
	case 3:
		s.cur = Event{Kind: EventDelta, Text: "Done."}
	case 4:
		s.cur = Event{Kind: EventDone}
	default:
		return false
	}
	s.i++
	return true
}

func (s *approvalStream) Current() Event { return s.cur }
func (s *approvalStream) Err() error     { return nil }
func (s *approvalStream) Close() error   { return nil }

func TestApprovalPrompt(t *testing.T) {
	for _, c := range []struct {
		key  string
		want Decision
		line string // the tool line once answered
	}{
		{"y", ApproveOnce, "⚙ usage.usage_table({\"year\":2024}) → 29 chars"},
		{"a", ApproveAlways, "⚙ usage.usage_table({\"year\":2024}) → 29 chars"},
		{"n", ApproveDeny, "✗ usage.usage_table: denied by policy"},
		{"esc", ApproveDeny, "✗ usage.usage_table: denied by policy"},
	} {
		t.Run(c.key, func(t *testing.T) {
			ab := &approvalBackend{waiting: make(chan struct{}), answer: make(chan Decision, 1)}
			m, _ := newTestModel(t, 110, 30, func(o *Options) {
				ab.fakeBackend = o.Backend.(*fakeBackend)
				o.Backend = ab
			})
			press(t, m, "enter")
			m.askInput(false)
			typeText(t, m, "downloads?")
			// The run blocks in Next until answered, so it is drained
			// on its own goroutine; channels order it with this one.
			done := make(chan struct{})
			go func() { defer close(done); press(t, m, "enter") }()
			select {
			case <-ab.waiting:
			case <-time.After(10 * time.Second):
				t.Fatal("the run never asked")
			}
			s := screen(m)
			if !strings.Contains(s, `? Allow usage.usage_table({"year":2024})?`) || !strings.Contains(s, "y once") ||
				!strings.Contains(s, "n/esc deny") {
				t.Fatalf("no approval question:\n%s", s)
			}
			// A key meant for elsewhere does not answer.
			press(t, m, "j")
			if m.approval == nil {
				t.Fatal("j answered the question")
			}
			press(t, m, c.key)
			<-done
			if m.approval != nil {
				t.Error("question still pending")
			}
			s = screen(m)
			if !strings.Contains(s, c.line) || !strings.Contains(s, "Done.") {
				t.Errorf("after %s, no %q:\n%s", c.key, c.line, s)
			}
			if strings.Contains(s, "? Allow") {
				t.Errorf("question still shown:\n%s", s)
			}
			if c.want != ApproveDeny {
				// Collapsed: the output is not shown; t opens it.
				if strings.Contains(s, "downloads_total") {
					t.Errorf("output shown while collapsed:\n%s", s)
				}
				m.focus = FocusAnswer
				press(t, m, "t")
				if s := screen(m); !strings.Contains(s, "downloads_total") {
					t.Errorf("t did not open the call:\n%s", s)
				}
			}
		})
	}
}
