package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/ui/tui"
)

// workflowBackend is the app's backend as `quire` builds it for the
// roadmap configuration: the scripted model, the usage MCP server with its
// "ask" policy answered by the app.
func workflowBackend(t *testing.T, block <-chan struct{}) (*agentBackend, string) {
	t.Helper()
	home := agentHome(t)
	url, _ := roadmapLLM(t, block)
	cfgPath, getenv := roadmapEnv(t, home, url)
	cfg, err := config.Load(cfgPath, getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: context.Background(), getenv: getenv, cfg: cfg, stderr: os.Stderr}
	extra, closeMCP, problems := connectMCP(e, nil, true)
	t.Cleanup(closeMCP)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	a, closeIndex, err := newAgent(e, true, func(o *agent.Options) { o.ExtraTools = extra })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeIndex)
	b := newAgentBackend(&tui.EngineBackend{}, a)
	b.runs = filepath.Join(home, "runs")
	return b, b.runs
}

func TestAppRunsWorkflowWithApproval(t *testing.T) {
	b, runs := workflowBackend(t, nil)
	var listed bool
	for _, p := range b.Prompts() {
		if p.Name == "roadmap" {
			listed = p.Workflow && len(p.Vars) > 0
		}
	}
	if !listed {
		t.Fatal("roadmap is not offered as a workflow with variables")
	}
	st, err := b.Draft(context.Background(), tui.DraftRequest{Prompt: "roadmap", Vars: map[string]string{"product": "Quire"}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var text strings.Builder
	var asked, called, done bool
	for st.Next() {
		ev := st.Current()
		switch ev.Kind {
		case tui.EventDelta:
			text.WriteString(ev.Text)
		case tui.EventApproval:
			asked = ev.Approval.Name == "usage.usage_table"
			ev.Approval.Answer(tui.ApproveOnce)
		case tui.EventToolResult:
			called = called || (ev.Tool != nil && ev.Tool.Name == "usage.usage_table" && !ev.Tool.IsError)
		case tui.EventDone:
			done = true
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if !asked || !called || !done {
		t.Fatalf("asked %v, tool ran %v, done %v\n%s", asked, called, done, text.String())
	}
	for _, s := range []string{"- gather done", "- rank done", "prfaq 3/3 · ", "**Wrote 3 documents**"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the pane lacks %q:\n%s", s, text.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join(runs, "roadmap-*", "prfaq-*.md"))
	index, _ := filepath.Glob(filepath.Join(runs, "roadmap-*", "index.md"))
	if len(files) != 3 || len(index) != 1 {
		t.Fatalf("%d PR/FAQ files, %d indexes under %s", len(files), len(index), runs)
	}
}

// Denying the tool reaches the run: the gather step sees a denial, and
// closing the stream halfway stops it with the index kept.
func TestAppWorkflowDenyThenStop(t *testing.T) {
	block := make(chan struct{})
	b, runs := workflowBackend(t, block)
	st, err := b.Draft(context.Background(), tui.DraftRequest{Prompt: "roadmap", Vars: map[string]string{"product": "Quire"}})
	if err != nil {
		t.Fatal(err)
	}
	var denied bool
	for st.Next() {
		ev := st.Current()
		if ev.Kind == tui.EventApproval {
			ev.Approval.Answer(tui.ApproveDeny)
		}
		if ev.Kind == tui.EventToolResult && ev.Tool != nil && ev.Tool.IsError {
			denied = true
		}
		if ev.Kind == tui.EventDelta && strings.Contains(ev.Text, "prfaq 1/3") {
			break // the drafts wait on block: stop here
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if !denied {
		t.Error("the denied tool call did not come back as an error result")
	}
	if index, _ := filepath.Glob(filepath.Join(runs, "roadmap-*", "index.md")); len(index) != 1 {
		t.Fatalf("stopped run left %d indexes", len(index))
	}
}
