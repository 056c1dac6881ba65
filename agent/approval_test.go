package agent

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/agent/tools"
)

// A tool added through ExtraTools asks through the run's events: the
// run waits for the answer and the tool sees it.
func TestExtraToolAsksThroughTheRun(t *testing.T) {
	t.Parallel()
	if d := Approve(context.Background(), "x.y", nil); d != Deny {
		t.Errorf("outside a run: %v, want Deny", d)
	}
	for _, c := range []struct {
		answer Decision
		want   string
	}{{AllowOnce, "ran"}, {AllowAlways, "ran"}, {Deny, "refused"}} {
		fake := &script{turns: [][]llm.Event{
			{toolUse("t1", "ext__probe", `{"n":1}`), stop(llm.StopToolUse)},
			{text("Done."), stop(llm.StopEnd)},
		}}
		probe := tools.Tool{Name: "ext__probe", Description: "test", Schema: json.RawMessage(`{"type":"object"}`),
			Call: func(ctx context.Context, in json.RawMessage) (string, error) {
				if Approve(ctx, "ext.probe", in) == Deny {
					return "refused", nil
				}
				return "ran", nil
			}}
		a := New(testIndex(t), fake, Options{K: 1, ExtraTools: func() []tools.Tool { return []tools.Tool{probe} }})
		st, err := a.Ask(context.Background(), AskRequest{Question: "dark matter", Tools: true})
		if err != nil {
			t.Fatal(err)
		}
		asked := 0
		var out string
		for st.Next() {
			switch ev := st.Current(); ev.Kind {
			case EventApproval:
				asked++
				if ev.Approval.Name != "ext.probe" || string(ev.Approval.Input) != `{"n":1}` {
					t.Errorf("approval %+v", ev.Approval)
				}
				ev.Approval.Answer(c.answer)
				ev.Approval.Answer(Deny) // ignored
			case EventToolResult:
				out = ev.Tool.Output
			}
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		st.Close()
		if asked != 1 || !strings.Contains(out, c.want) {
			t.Errorf("answer %v: asked %d, result %q, want %q", c.answer, asked, out, c.want)
		}
		if reqs := fake.requests(); len(reqs) != 2 || !strings.Contains(reqs[0].Tools[len(reqs[0].Tools)-1].Name, "ext__probe") {
			t.Errorf("the extra tool was not offered")
		}
	}
}
