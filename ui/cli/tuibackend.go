package cli

import (
	"context"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/ui/tui"
)

// agentBackend gives the app the agent's answers and drafts on top of the
// engine's search.
type agentBackend struct {
	*tui.EngineBackend
	a *agent.Agent
}

func newAgentBackend(eb *tui.EngineBackend, a *agent.Agent) *agentBackend {
	b := &agentBackend{EngineBackend: eb, a: a}
	for _, p := range a.Prompts().List() {
		var vars []string
		for _, v := range p.Variables {
			vars = append(vars, v.Name)
		}
		eb.PromptList = append(eb.PromptList, tui.PromptInfo{Name: p.Name, Description: p.Description, Key: p.Key, Mode: string(p.Mode), Vars: vars})
	}
	return b
}

func (b *agentBackend) Prompts() []tui.PromptInfo { return b.PromptList }

func (b *agentBackend) Ask(ctx context.Context, r tui.AskRequest) (tui.Stream, error) {
	st, err := b.a.Ask(ctx, agent.AskRequest{Question: r.Question, Query: r.Query, Basket: r.Basket})
	if err != nil {
		return nil, err
	}
	return &agentStream{st: st}, nil
}

func (b *agentBackend) Draft(ctx context.Context, r tui.DraftRequest) (tui.Stream, error) {
	st, err := b.a.Draft(ctx, agent.DraftRequest{Prompt: r.Prompt, Vars: r.Vars, Query: r.Query, Basket: r.Basket})
	if err != nil {
		return nil, err
	}
	return &agentStream{st: st}, nil
}

// agentStream converts agent events to the app's.
type agentStream struct {
	st  *agent.Stream
	cur tui.Event
}

func (s *agentStream) Next() bool {
	for s.st.Next() {
		ev := s.st.Current()
		var out tui.Event
		switch ev.Kind {
		case agent.EventSources:
			out.Kind = tui.EventSources
			for _, src := range ev.Sources {
				out.Sources = append(out.Sources, tui.Source{N: src.N, ID: src.PaperID, Title: src.Title})
			}
		case agent.EventDelta:
			out = tui.Event{Kind: tui.EventDelta, Text: ev.Text}
		case agent.EventSection:
			out = tui.Event{Kind: tui.EventSection, Section: ev.Text, Text: ev.Text}
		case agent.EventToolCall, agent.EventToolResult:
			out.Kind = tui.EventToolCall
			if ev.Kind == agent.EventToolResult {
				out.Kind = tui.EventToolResult
			}
			if ev.Tool != nil {
				out.Text = ev.Tool.Name + " " + string(ev.Tool.Input)
				if ev.Kind == agent.EventToolResult {
					out.Text = ev.Tool.Name + ": " + ev.Tool.Output
				}
			}
		case agent.EventUsage:
			out.Kind = tui.EventUsage
			if u := ev.Usage; u != nil {
				out.Usage = tui.Usage{In: u.Session.InputTokens, Out: u.Session.OutputTokens, CostUSD: u.SessionCostUSD}
			}
		case agent.EventWarning:
			out = tui.Event{Kind: tui.EventWarning, Text: ev.Text}
		case agent.EventDone:
			out.Kind = tui.EventDone
		default:
			continue // the basket event has no pane yet
		}
		s.cur = out
		return true
	}
	return false
}

func (s *agentStream) Current() tui.Event { return s.cur }
func (s *agentStream) Err() error         { return s.st.Err() }
func (s *agentStream) Close() error       { return s.st.Close() }
