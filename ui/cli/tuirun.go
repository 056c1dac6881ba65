package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/prompt"
	"github.com/quire-research/quire/agent/workflow"
	"github.com/quire-research/quire/ui/tui"
)

// runWorkflow runs a saved workflow for the app as `quire run` does
// (writeWorkflow), into a new folder under b.runs. The app shows it as a
// draft whose text is the run's progress and, at the end, the files it
// wrote; tool calls and approvals arrive as in an answer. The drafts
// themselves are in the files: two foreach items are drafted at once, and
// their text interleaved on one pane would be unreadable.
func (b *agentBackend) runWorkflow(ctx context.Context, p *prompt.Prompt, given map[string]string) (tui.Stream, error) {
	vars, err := p.Vars(given)
	if err != nil {
		return nil, err
	}
	runs := b.runs
	if runs == "" {
		runs = "."
	}
	out := filepath.Join(runs, p.Name+"-"+time.Now().Format("20060102-150405"))
	ctx, cancel := context.WithCancel(ctx)
	s := &runStream{events: make(chan tui.Event, 16), cancel: cancel}
	send := func(ev tui.Event) {
		select {
		case s.events <- ev:
		case <-ctx.Done():
		}
	}
	delta := func(format string, args ...any) {
		send(tui.Event{Kind: tui.EventDelta, Text: fmt.Sprintf(format, args...)})
	}
	progress := func(g workflow.Progress) {
		what := g.Step
		if g.Total > 0 {
			what = fmt.Sprintf("%s %d/%d · %s", g.Step, g.Index, g.Total, oneLine(g.Item))
		}
		switch {
		case !g.Done:
			delta("- %s …\n", what)
		case g.Err != nil && !errors.Is(g.Err, context.Canceled):
			delta("- %s failed: %v\n", what, g.Err)
		case g.Err == nil:
			delta("- %s done\n", what)
		}
	}
	event := func(ev agent.Event) {
		switch ev.Kind {
		case agent.EventToolCall, agent.EventToolResult, agent.EventApproval,
			agent.EventWarning, agent.EventRetry, agent.EventUsage:
			if out, ok := tuiEvent(ev); ok {
				send(out)
			}
		}
	}
	a := narrowToPrompt(b.a, p)
	go func() {
		defer close(s.events)
		delta("## Workflow %s\n\nWriting to `%s`.\n\n", p.Name, out)
		w, err := writeWorkflow(ctx, workflowRun{agent: a, prompt: p, vars: vars, out: out, progress: progress, event: event})
		for _, st := range w.empty {
			send(tui.Event{Kind: tui.EventWarning, Text: fmt.Sprintf("step %s found no list in the output of %s; nothing to draft", st.Name, st.Foreach)})
		}
		if w.index != "" {
			docs := "documents"
			if len(w.docs) == 1 {
				docs = "document"
			}
			delta("\n**Wrote %d %s** and their index `%s`:\n\n", len(w.docs), docs, w.index)
			for _, d := range w.docs {
				delta("- `%s`\n", filepath.Join(out, d.file))
			}
		}
		if err != nil {
			if ctx.Err() != nil && w.index != "" {
				err = errors.New("stopped; the finished documents and their index were kept")
			}
			s.setErr(err)
			return
		}
		send(tui.Event{Kind: tui.EventDone})
	}()
	return s, nil
}

// runStream is a workflow run as the app's Stream.
type runStream struct {
	events chan tui.Event
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
	cur    tui.Event
}

func (s *runStream) Next() bool {
	ev, ok := <-s.events
	if ok {
		s.cur = ev
	}
	return ok
}

func (s *runStream) Current() tui.Event { return s.cur }

func (s *runStream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *runStream) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Close stops the run and waits until it has written what it finished:
// the run closes events last.
func (s *runStream) Close() error {
	s.cancel()
	for range s.events {
	}
	return nil
}
