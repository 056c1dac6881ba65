package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// inputLine is a one-line prompt: a question, or a prompt's variables one
// after another.
type inputLine struct {
	label  string
	ed     editor
	kind   action // actAsk or actRunPrompt
	prompt PromptInfo
	vars   map[string]string
	varIdx int
	// basket says whether the run sends the basket's papers first. It is
	// off unless the user asked (A, the basket pane, or tab here).
	basket bool
	// target is the conversation a rename applies to.
	target string
}

// variables are a prompt's variables, described when the backend knows
// more than their names.
func (p PromptInfo) variables() []VarInfo {
	if len(p.Variables) > 0 {
		return p.Variables
	}
	out := make([]VarInfo, len(p.Vars))
	for i, n := range p.Vars {
		out[i] = VarInfo{Name: n}
	}
	return out
}

// askInput opens the question line; useBasket starts it with the basket
// switched on (when there is one).
func (m *Model) askInput(useBasket bool) {
	m.input = inputLine{label: "Ask", kind: actAsk, basket: useBasket && m.basket.Len() > 0}
	if m.answer.conv != "" && !m.answer.streaming {
		m.input.label = fmt.Sprintf("Follow-up (turn %d)", len(m.answer.turns)+2)
	}
	m.overlay = overlayInput
}

// draftInput starts a draft, asking for the prompt's variables first. It
// reports whether it opened the input line; when not, the draft can start
// at once. A draft started from the basket pane uses the basket.
func (m *Model) draftInput(p PromptInfo) bool {
	m.input = inputLine{kind: actRunPrompt, prompt: p, vars: map[string]string{},
		basket: m.focus == FocusBasket && m.basket.Len() > 0}
	if len(p.variables()) == 0 {
		return false
	}
	m.setVarLabel()
	m.overlay = overlayInput
	return true
}

func (m *Model) setVarLabel() {
	in := &m.input
	vs := in.prompt.variables()
	in.label = in.prompt.Name + " · " + vs[in.varIdx].Name
	if len(vs) > 1 {
		in.label += fmt.Sprintf(" (%d of %d)", in.varIdx+1, len(vs))
	}
}

func (m *Model) toggleInputBasket() {
	if m.basket.Len() == 0 {
		m.setError(fmt.Errorf("the basket is empty: mark papers with %s first", m.keyHelp(actMark)))
		return
	}
	m.input.basket = !m.input.basket
}

// acceptInput takes the line: asks the question, or keeps the variable and
// moves to the next one, starting the draft after the last.
func (m *Model) acceptInput() tea.Cmd {
	in := &m.input
	v := strings.TrimSpace(in.ed.Value())
	if in.kind == actConvRename {
		if v == "" {
			m.setError(fmt.Errorf("type a title (esc cancels)"))
			return nil
		}
		return m.renameConversation(in.target, v)
	}
	if in.kind == actAsk {
		if v == "" {
			m.setError(fmt.Errorf("type a question first (esc cancels)"))
			return nil
		}
		m.overlay = overlayNone
		return m.ask(v, in.basket)
	}
	vs := in.prompt.variables()
	cur := vs[in.varIdx]
	if v == "" && cur.Required && cur.Default == "" {
		m.setError(fmt.Errorf("%s needs a value: %s", cur.Name, cur.Description))
		return nil
	}
	// Empty input is sent as "": the backend fills in the default, the
	// same way for the app and `quire draft --var name=`.
	in.vars[cur.Name] = v
	in.varIdx++
	if in.varIdx < len(vs) {
		m.setVarLabel()
		in.ed.SetValue("")
		return nil
	}
	m.overlay = overlayNone
	return m.startDraft(in.prompt, in.vars, in.basket)
}

// inputLines are the input box's lines: the field, what the value is for,
// and what enter will do.
func (m *Model) inputLines(inner int) []string {
	st := &m.styles
	in := &m.input
	placeholder := "type your question"
	var lines []string
	var hint string
	if in.kind == actRunPrompt {
		cur := in.prompt.variables()[in.varIdx]
		placeholder = "type a value"
		if cur.Default != "" {
			placeholder = "default: " + cur.Default
		}
		lines = append(lines, in.ed.view(inner, true, st.Cursor.Render, placeholder))
		if cur.Description != "" {
			lines = append(lines, st.Muted.Render(cur.Description))
		}
		switch {
		case cur.Default != "":
			hint = "enter on an empty line keeps the default “" + cur.Default + "”"
		case cur.Required:
			hint = "required"
		default:
			hint = "optional: enter on an empty line leaves it out"
		}
	} else {
		lines = append(lines, in.ed.view(inner, true, st.Cursor.Render, placeholder))
		about := "the results for “" + m.query + "”"
		if strings.TrimSpace(m.query) == "" {
			about = "the whole index"
		}
		if in.basket {
			about = fmt.Sprintf("the %d basket papers, then %s", m.basket.Len(), about)
		}
		hint = "enter asks about " + about
		if in.label != "Ask" {
			hint += ", as a follow-up (" + m.keyHelp(actNewConversation) + " in the answer: new)"
		}
	}
	if n := m.basket.Len(); n > 0 {
		state := "off"
		if in.basket {
			state = "on"
		}
		lines = append(lines, st.Muted.Render(fmt.Sprintf("basket %s (%d %s; %s switches)", state, n, plural(n, "paper", "papers"), m.keyHelp(actInputBasket))))
	}
	lines = append(lines, st.Muted.Render(hint+" · esc cancels"))
	return lines
}

func (m *Model) ask(question string, useBasket bool) tea.Cmd {
	req := AskRequest{Question: question, Query: m.query}
	if useBasket {
		req.Basket = m.basket.IDs()
	}
	prev := m.answer
	if prev.conv != "" && !prev.streaming {
		req.Conversation = prev.conv
	}
	b := m.backend
	cmd := m.startRun(FocusAnswer, question, func(ctx context.Context) (Stream, error) { return b.Ask(ctx, req) })
	if req.Conversation != "" {
		// The pane keeps the earlier turns above and opens at the new
		// question, which streams in below it.
		a := &m.answer
		a.continueFrom(&prev)
		m.rerender(a, m.paneWidth())
		a.follow, a.scroll = false, max(0, len(a.histLines)-1)
	}
	return cmd
}

func (m *Model) startDraft(p PromptInfo, vars map[string]string, useBasket bool) tea.Cmd {
	req := DraftRequest{Prompt: p.Name, Vars: vars, Query: m.query}
	if useBasket {
		req.Basket = m.basket.IDs()
	}
	return m.runDraft(req)
}

func (m *Model) runDraft(req DraftRequest) tea.Cmd {
	b := m.backend
	m.draft.prompt = req.Prompt
	cmd := m.startRun(FocusDraft, req.Prompt, func(ctx context.Context) (Stream, error) { return b.Draft(ctx, req) })
	m.draft.req = &req
	return cmd
}

// regenerate runs the draft on screen again with the same prompt,
// variables, query and basket. A saved draft is replaced, and the backend
// keeps its text as an alternative (for preference exports).
func (m *Model) regenerate() tea.Cmd {
	p := &m.draft
	switch {
	case p.streaming:
		m.setError(errors.New("wait for the draft to finish (or esc to stop it) before regenerating"))
		return nil
	case p.req == nil:
		m.setError(errors.New("nothing to regenerate: this draft was not started in this session"))
		return nil
	}
	req := *p.req
	req.Regenerate = p.saved
	cmd := m.runDraft(req)
	if req.Regenerate != "" {
		m.setStatus("regenerating; the previous version is kept as an alternative")
	}
	return cmd
}
