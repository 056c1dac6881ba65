package agent

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/agent/tools"
	"github.com/quire-research/quire/corpus"
)

// run is one Ask or Draft in progress, on its stream's goroutine.
type run struct {
	a        *Agent
	emit     func(Event) bool
	rec      *Record
	turn     *Turn
	sources  []Source
	check    *evidence.Checker
	sections *sectioner // drafts only
	steps    int
	tokens   int // this run's tokens in and out
	answer   strings.Builder
	done     bool
}

func (a *Agent) newRun(emit func(Event) bool, rec *Record) *run {
	return &run{a: a, emit: emit, rec: rec, check: &evidence.Checker{},
		turn: &Turn{At: a.opts.Now(), Provider: a.llm.Name(), Model: a.llm.Model(), Extractive: IsExtractive(a.llm)}}
}

func (r *run) setSources(srcs []Source) bool {
	r.sources = srcs
	r.check.Sources = srcs
	return r.emit(Event{Kind: EventSources, Sources: slices.Clone(srcs)})
}

func (r *run) warn(msg string, citation int) bool {
	r.turn.Warnings = append(r.turn.Warnings, msg)
	return r.emit(Event{Kind: EventWarning, Text: msg, Citation: citation})
}

func (r *run) warnAll(msgs []string) bool {
	for _, m := range msgs {
		if !r.warn(m, 0) {
			return false
		}
	}
	return true
}

func (r *run) warnCitations(bad []int) bool {
	for _, n := range bad {
		if !r.warn(fmt.Sprintf("citation [%d] matches no source sent (there were %d)", n, len(r.sources)), n) {
			return false
		}
	}
	return true
}

// delta passes text on, splitting out draft sections and checking
// citations as they complete.
func (r *run) delta(text string) bool {
	if text == "" {
		return true
	}
	pieces := []piece{{text: text}}
	if r.sections != nil {
		pieces = r.sections.feed(text)
	}
	return r.pieces(pieces)
}

func (r *run) pieces(ps []piece) bool {
	for _, p := range ps {
		if p.section != "" {
			r.turn.Sections = append(r.turn.Sections, p.section)
			if !r.emit(Event{Kind: EventSection, Text: p.section}) {
				return false
			}
		}
		if p.text == "" {
			continue
		}
		r.answer.WriteString(p.text)
		if !r.emit(Event{Kind: EventDelta, Text: p.text}) {
			return false
		}
		if !r.warnCitations(r.check.Feed(p.text)) {
			return false
		}
	}
	return true
}

// section starts a section of an offline draft.
func (r *run) section(title string) bool {
	r.turn.Sections = append(r.turn.Sections, title)
	return r.emit(Event{Kind: EventSection, Text: title}) && r.delta("## "+title+"\n\n")
}

// call runs one model request, streaming its text. It returns the text,
// the tool calls and why the model stopped.
func (r *run) call(ctx context.Context, req llm.Request) (string, []llm.ToolUse, llm.StopReason, error) {
	r.steps++
	// Retries happen inside the provider, on this goroutine: each is shown
	// before its wait, so a throttled request never looks like thinking.
	ctx = llm.NotifyRetries(ctx, func(n llm.RetryNotice) {
		r.emit(Event{Kind: EventRetry, Retry: &Retry{Attempt: n.Attempt + 1, Max: n.Max + 1, Wait: n.Wait, Reason: n.Reason}})
	})
	st, err := r.a.llm.Stream(ctx, req)
	if err != nil {
		return "", nil, "", err
	}
	defer st.Close()
	var text strings.Builder
	var uses []llm.ToolUse
	var stop llm.StopReason
	var usage llm.Usage
	for st.Next() {
		ev := st.Current()
		switch ev.Kind {
		case llm.EventText:
			text.WriteString(ev.Text)
			if !r.delta(ev.Text) {
				return text.String(), uses, stop, ctx.Err()
			}
		case llm.EventToolUse:
			if ev.ToolUse != nil {
				uses = append(uses, *ev.ToolUse)
			}
		case llm.EventUsage:
			usage = usage.Add(ev.Usage)
		case llm.EventStop:
			stop = ev.StopReason
		}
	}
	if usage != (llm.Usage{}) {
		u := r.a.opts.Ledger.Record(r.a.llm.Name(), r.a.llm.Model(), usage)
		r.tokens += usage.InputTokens + usage.OutputTokens
		r.turn.Usage = r.turn.Usage.Add(usage)
		r.turn.CostUSD += u.CostUSD
		if !r.emit(Event{Kind: EventUsage, Usage: &u}) {
			return text.String(), uses, stop, ctx.Err()
		}
	}
	if err := st.Err(); err != nil {
		return text.String(), uses, stop, err
	}
	if stop == llm.StopMaxTokens {
		if !r.warn(fmt.Sprintf("the model stopped at the response limit (%d tokens); the text is cut short", req.MaxTokens), 0) {
			return text.String(), uses, stop, ctx.Err()
		}
	}
	return text.String(), uses, stop, nil
}

// finish flushes held text, checks the last citations and sends Done.
func (r *run) finish(stop llm.StopReason) error {
	if r.sections != nil {
		if !r.pieces(r.sections.flush()) {
			return nil
		}
	}
	if !r.warnCitations(r.check.Flush()) {
		return nil
	}
	r.done = true
	extractive := r.turn.Extractive
	id, path := r.save()
	r.emit(Event{Kind: EventDone, Done: &Done{Stop: stop, Extractive: extractive, Steps: r.steps, ID: id, Path: path}})
	return nil
}

// save appends the turn to the record and writes it, once; a run that was
// stopped is saved too, marked stopped.
func (r *run) save() (id, path string) {
	if r.turn == nil {
		return r.rec.ID, ""
	}
	t := *r.turn
	t.Answer = r.answer.String()
	t.Sources = r.sources
	t.Stopped = !r.done
	r.rec.Turns = append(r.rec.Turns, t)
	r.rec.Updated = r.a.opts.Now()
	if r.a.opts.Store == nil || (t.Answer == "" && t.Stopped) {
		r.turn = nil
		return r.rec.ID, ""
	}
	p, err := r.a.opts.Store.Save(r.rec)
	r.turn = nil
	if err != nil {
		r.emit(Event{Kind: EventWarning, Text: "could not save: " + err.Error()})
		return r.rec.ID, ""
	}
	return r.rec.ID, p
}

// cite numbers a paper a tool showed the model, adding it to the sources.
func (r *run) cite(p *corpus.Paper) int {
	for _, s := range r.sources {
		if s.PaperID == p.ID {
			return s.N
		}
	}
	s := evidence.FromPaper(p)
	s.N = len(r.sources) + 1
	r.sources = append(r.sources, s)
	r.check.Sources = r.sources
	return s.N
}

// loop is agent mode: the model may call Quire's tools, within the step
// and token bounds; the last allowed call offers no tools so it answers.
func (r *run) loop(ctx context.Context, req llm.Request, basket []string) error {
	b := tools.NewBasket(basket...)
	var added []string
	reg, err := tools.NewRegistry(tools.Quire(tools.Env{
		Engine:   r.a.eng,
		Basket:   b,
		Cite:     r.cite,
		OnBasket: func(ids []string) { added = append(added, ids...) },
	})...)
	if err != nil {
		return err
	}
	// Tools that need the user's approval ask through this run's events.
	ctx = context.WithValue(ctx, approverKey{}, r.emit)
	if r.a.opts.ExtraTools != nil {
		for _, t := range r.a.opts.ExtraTools() {
			if err := reg.Register(t); err != nil {
				return err
			}
		}
	}
	var stop llm.StopReason
	for step := 1; ; step++ {
		last := step >= r.a.opts.MaxSteps
		if last {
			req.Tools = nil
			req.Messages = append(req.Messages, llm.Text(llm.RoleUser,
				"The tool budget for this request is spent. Answer now from what you have, citing sources by number."))
			if !r.warn(fmt.Sprintf("agent mode reached its bound of %d model calls; asking for a final answer", r.a.opts.MaxSteps), 0) {
				return ctx.Err()
			}
		} else {
			req.Tools = reg.LLM()
		}
		text, uses, st, err := r.call(ctx, req)
		stop = st
		if err != nil {
			return err
		}
		var parts []llm.Part
		if text != "" {
			parts = append(parts, llm.Part{Text: text})
		}
		for i := range uses {
			parts = append(parts, llm.Part{ToolUse: &uses[i]})
		}
		if len(parts) > 0 {
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Parts: parts})
		}
		if len(uses) == 0 || last {
			break
		}
		nsrc := len(r.sources)
		var results []llm.Part
		for _, u := range uses {
			te := ToolEvent{ID: u.ID, Name: u.Name, Input: u.Input}
			r.turn.Tools = append(r.turn.Tools, te)
			if !r.emit(Event{Kind: EventToolCall, Tool: &te}) {
				return ctx.Err()
			}
			out, err := reg.Call(ctx, u.Name, u.Input)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res := te
			res.Output = out
			if err != nil {
				res.Output, res.IsError = err.Error(), true
			}
			r.turn.Tools[len(r.turn.Tools)-1] = res
			if !r.emit(Event{Kind: EventToolResult, Tool: &res}) {
				return ctx.Err()
			}
			results = append(results, llm.Part{ToolResult: &llm.ToolResult{ToolUseID: u.ID,
				Content: evidence.Tagged("tool_result", res.Output), IsError: res.IsError}})
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Parts: results})
		if len(r.sources) > nsrc && !r.setSources(r.sources) {
			return ctx.Err()
		}
		if len(added) > 0 {
			added = nil
			if !r.emit(Event{Kind: EventBasket, Basket: b.IDs()}) {
				return ctx.Err()
			}
		}
		if r.tokens >= r.a.opts.MaxAgentTokens {
			if !r.warn(fmt.Sprintf("agent mode used %d tokens, over its bound of %d; stopping", r.tokens, r.a.opts.MaxAgentTokens), 0) {
				return ctx.Err()
			}
			break
		}
	}
	return r.finish(stop)
}

// piece is streamed text, preceded by the start of a section when section
// is set.
type piece struct {
	section string
	text    string
}

// sectioner finds "## Title" lines in streamed markdown, holding back only
// the start of a line until it knows whether it is a heading.
type sectioner struct {
	pending strings.Builder // start of the current line, undecided or a heading
	mid     bool            // inside a line known not to be a heading
}

func (s *sectioner) feed(text string) []piece {
	var out []piece
	var plain strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if s.mid {
			plain.WriteByte(c)
			if c == '\n' {
				s.mid = false
			}
			continue
		}
		s.pending.WriteByte(c)
		p := s.pending.String()
		switch {
		case strings.HasPrefix(p, "## "):
			if c == '\n' {
				if plain.Len() > 0 {
					out = append(out, piece{text: plain.String()})
					plain.Reset()
				}
				out = append(out, piece{section: strings.TrimSpace(strings.Trim(strings.TrimSpace(p[3:]), "#")), text: p})
				s.pending.Reset()
			}
		case strings.HasPrefix("## ", p):
			// still undecided
		default:
			plain.WriteString(p)
			s.pending.Reset()
			s.mid = c != '\n'
		}
	}
	if plain.Len() > 0 {
		out = append(out, piece{text: plain.String()})
	}
	return out
}

func (s *sectioner) flush() []piece {
	p := s.pending.String()
	s.pending.Reset()
	if p == "" {
		return nil
	}
	if strings.HasPrefix(p, "## ") {
		return []piece{{section: strings.TrimSpace(p[3:]), text: p}}
	}
	return []piece{{text: p}}
}
