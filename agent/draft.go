package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/extract"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/agent/prompt"
	"github.com/quire-research/quire/search/query"
)

// DraftRequest runs a saved prompt.
type DraftRequest struct {
	// Prompt is the saved prompt's name (or key).
	Prompt string
	// Vars fill the prompt's variables; defaults cover the rest.
	Vars map[string]string
	// Query is the search query, filters included; the prompt's own
	// filters are added to it.
	Query string
	// Basket lists paper IDs always sent first.
	Basket []string
	// Selection is text or a paper the user selected.
	Selection string
	// K overrides the prompt's k.
	K int
	// Regenerate names a saved draft this run replaces: the new draft is
	// saved under its ID, and its answer (with its rating) joins the
	// alternatives kept with the new one, for preference exports.
	Regenerate string
}

// OfflineLabel opens a draft written without a model.
const OfflineLabel = "_Offline draft: no language model was used. Evidence is quoted verbatim with its citation; **TODO** marks every place that needs your judgment._\n\n"

// Draft runs a saved prompt: with a model, the rendered prompt streams back
// section by section (a Section event at each "## " heading); with the
// extractive answerer, the prompt's sections are filled from the evidence
// with TODO markers where judgment is needed. An agent-mode prompt lets
// the model call tools first.
func (a *Agent) Draft(ctx context.Context, req DraftRequest) (*Stream, error) {
	p, ok := a.opts.Prompts.Get(req.Prompt)
	if !ok {
		if n := a.opts.Prompts.Near(req.Prompt); n != "" {
			return nil, fmt.Errorf("draft: no prompt %q: did you mean %s?", req.Prompt, n)
		}
		return nil, fmt.Errorf("draft: no prompt %q (have %s)", req.Prompt, strings.Join(a.opts.Prompts.Names(), ", "))
	}
	vars, err := p.Vars(req.Vars)
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(req.Query + " " + p.Filters)
	pq, err := query.Parse(q)
	if err != nil {
		return nil, err
	}
	question := vars["question"]
	if question == "" && q == "" && len(req.Basket) == 0 && req.Selection == "" {
		return nil, errors.New("draft: give a query, a basket or a selection to ground the draft in")
	}
	// What the draft is about, in words: for retrieval and extraction.
	about := strings.Join(append([]string{question, pq.Text}, pq.Phrases...), " ")
	if strings.TrimSpace(about) == "" {
		about = req.Selection
	}
	// What it is called: the named thing when there is one.
	topic := firstNonEmpty(question, vars["product"], vars["contribution"], req.Query, req.Selection)
	k := firstPositive(req.K, p.K)
	title := p.Name
	if topic != "" {
		title += ": " + oneLine(topic, 80)
	}
	rec := &Record{Kind: KindDraft, Title: title, Prompt: p.Name, Vars: vars, Created: a.opts.Now()}
	return newStream(ctx, func(ctx context.Context, emit func(Event) bool) error {
		r := a.newRun(emit, rec)
		r.turn.Question, r.turn.Query, r.turn.Basket = question, q, req.Basket
		if err := a.regenerates(rec, r.turn, req.Regenerate); err != nil {
			return err
		}
		defer r.save()
		srcs, warns, err := a.Retrieve(ctx, firstNonEmpty(question, req.Selection), q, req.Basket, k)
		if err != nil {
			return err
		}
		if !r.setSources(srcs) || !r.warnAll(warns) {
			return ctx.Err()
		}
		data := prompt.Data{Query: q, Question: question, Evidence: evidence.Format(srcs), Sources: srcs,
			Selection: req.Selection, Vars: vars}
		if IsExtractive(a.llm) {
			return r.offlineDraft(p, data, about, topic)
		}
		body, err := p.Render(data)
		if err != nil {
			return err
		}
		lreq := llm.Request{
			Model:       p.Model,
			System:      systemPrompt,
			Messages:    []llm.Message{llm.Text(llm.RoleUser, body)},
			MaxTokens:   a.opts.MaxTokens,
			Temperature: a.opts.Temperature,
		}
		if p.Temperature != nil {
			lreq.Temperature = p.Temperature
		}
		if p.Mode == prompt.ModeDraft {
			r.sections = &sectioner{}
		}
		if p.Mode == prompt.ModeAgent {
			return r.loop(ctx, lreq, req.Basket)
		}
		_, _, stop, err := r.call(ctx, lreq)
		if err != nil {
			return err
		}
		return r.finish(stop)
	}), nil
}

// offlineDraft fills a prompt's sections without a model.
// about is what to quote evidence on; topic names the draft.
func (r *run) offlineDraft(p *prompt.Prompt, d prompt.Data, about, topic string) error {
	docs := make([]extract.Doc, len(d.Sources))
	for i, s := range d.Sources {
		prior := extract.RankPrior(i)
		if s.Basket {
			prior = 1
		}
		docs[i] = extract.Doc{N: s.N, Title: s.Title, Text: s.Text, Prior: prior}
	}
	used := map[string]bool{}
	skip := func(n int, text string) bool { return used[text] }
	quote := func(question, hint string, max int) []extract.Sentence {
		ss := extract.Select(question, docs, extract.Options{MaxSentences: max, Skip: skip, Hint: hint})
		for _, s := range ss {
			used[s.Text] = true
		}
		return ss
	}
	heading := "# " + p.Name
	if topic != "" {
		heading += ": " + oneLine(topic, 100)
	}
	if !r.delta(heading + "\n\n" + OfflineLabel) {
		return nil
	}
	if p.Mode == prompt.ModeAgent && !r.warn("agent mode needs a model that can call tools; this draft quotes the retrieved sources instead", 0) {
		return nil
	}
	sections := p.Sections
	if len(sections) == 0 {
		sections = []prompt.Section{{Title: "Evidence", Fill: prompt.FillEvidence}, {Title: "Sources", Fill: prompt.FillSources}}
	}
	for _, sec := range sections {
		if !r.section(sec.Title) {
			return nil
		}
		hint := p.Hint(sec, d)
		var b strings.Builder
		switch sec.Fill {
		case prompt.FillTODO:
			fmt.Fprintf(&b, "> **TODO:** %s\n", strings.TrimSpace(hint))
			if topic != "" && sec.Title == "Headline" {
				fmt.Fprintf(&b, ">\n> Working title: %s\n", oneLine(topic, 100))
			}
			b.WriteString("\n")
		case prompt.FillEvidence:
			ss := quote(about, hint, 3)
			if len(ss) == 0 {
				fmt.Fprintf(&b, "> **TODO:** the evidence says nothing on this; write it or widen the search.\n\n")
			}
			for _, s := range ss {
				fmt.Fprintf(&b, "- %s\n", extract.Cite(s))
			}
			if len(ss) > 0 {
				b.WriteString("\n> **TODO:** turn the quotes above into prose and check they support this section.\n\n")
			}
		case prompt.FillFAQ:
			for _, q := range sec.Questions {
				fmt.Fprintf(&b, "**Q: %s**\n\n", q)
				ss := quote(about, q+" "+hint, 2)
				if len(ss) == 0 {
					b.WriteString("> **TODO:** the evidence does not answer this; it needs your judgment.\n\n")
					continue
				}
				var cited []string
				for _, s := range ss {
					cited = append(cited, extract.Cite(s))
				}
				fmt.Fprintf(&b, "A: %s\n\n> **TODO:** check the quoted evidence answers the question.\n\n", strings.Join(cited, " "))
			}
		case prompt.FillSources:
			if len(d.Sources) == 0 {
				b.WriteString("> **TODO:** no sources were retrieved.\n\n")
			} else {
				b.WriteString(evidence.SourceList(d.Sources))
				b.WriteString("\n")
			}
		}
		if !r.delta(b.String()) {
			return nil
		}
	}
	return r.finish(llm.StopEnd)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func firstPositive(ns ...int) int {
	for _, n := range ns {
		if n > 0 {
			return n
		}
	}
	return 0
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// regenerates makes rec replace the saved draft id, carrying its answers
// into turn's alternatives so no generation is lost.
func (a *Agent) regenerates(rec *Record, turn *Turn, id string) error {
	if id == "" || a.opts.Store == nil {
		return nil
	}
	old, err := a.opts.Store.Load(KindDraft, id)
	if err != nil {
		return fmt.Errorf("regenerate: %w", err)
	}
	if len(old.Turns) == 0 {
		return nil
	}
	prev := old.Turns[len(old.Turns)-1]
	rec.ID, rec.Created = old.ID, old.Created
	turn.Alternatives = append(slices.Clone(prev.Alternatives),
		Alternative{At: old.Updated, Answer: prev.Answer, Rating: prev.Rating, Edited: prev.Edited})
	return nil
}
