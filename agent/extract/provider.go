package extract

import (
	"context"
	"strings"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/corpus"
)

// Name is the provider name the configuration uses.
const Name = "extractive"

// Label opens every extractive answer so no one mistakes it for a model's.
const Label = "_Extractive answer: sentences quoted verbatim from the sources, chosen without a language model._\n\n"

// NoAnswer is written when no sentence shares a word with the question.
const NoAnswer = "No sentence in the sources shares a content word with the question; try other words or widen the filters."

// Provider is the extractive answerer as an llm.Provider.
type Provider struct {
	Options Options
}

// New returns the extractive provider.
func New(o Options) *Provider { return &Provider{Options: o} }

// Name is "extractive".
func (p *Provider) Name() string { return Name }

// Model names the method.
func (p *Provider) Model() string { return "bm25-mmr" }

// Stream answers from the sources in the last user message: the numbered
// <source> blocks and the <question> (or, without one, the message's text
// outside the sources). Tools are ignored: the answerer never calls one.
func (p *Provider) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var prompt strings.Builder
	prompt.WriteString(req.System)
	last := ""
	for _, m := range req.Messages {
		for _, part := range m.Parts {
			prompt.WriteString(part.Text)
			if part.ToolResult != nil {
				prompt.WriteString(part.ToolResult.Content)
			}
		}
		if m.Role == llm.RoleUser {
			var b strings.Builder
			for _, part := range m.Parts {
				b.WriteString(part.Text)
			}
			last = b.String()
		}
	}
	srcs := evidence.Parse(last)
	question, ok := evidence.Untag(last, "question")
	if !ok {
		question = outside(last)
	}
	o := p.Options
	if req.MaxTokens > 0 && (o.MaxTokens == 0 || req.MaxTokens < o.MaxTokens) {
		o.MaxTokens = req.MaxTokens
	}
	docs := make([]Doc, len(srcs))
	for i, s := range srcs {
		docs[i] = Doc{N: s.N, Title: s.Title, Text: s.Text, Prior: RankPrior(i)}
	}
	ss := Select(question, docs, o)
	deltas := []string{Label}
	if len(ss) == 0 {
		deltas = append(deltas, NoAnswer+"\n")
	}
	for _, s := range ss {
		deltas = append(deltas, Cite(s)+"\n\n")
	}
	out := strings.Join(deltas, "")
	return &stream{ctx: ctx, deltas: deltas,
		usage: llm.Usage{InputTokens: corpus.CountTokens(prompt.String()), OutputTokens: corpus.CountTokens(out)}}, nil
}

// Cite formats a quoted sentence with its citation: `text [n]`.
func Cite(s Sentence) string {
	return s.Text + " [" + itoa(s.N) + "]"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// outside drops the <sources> block from a prompt.
func outside(s string) string {
	if i := strings.Index(s, "<sources>"); i >= 0 {
		if j := strings.Index(s[i:], "</sources>"); j >= 0 {
			return s[:i] + s[i+j+len("</sources>"):]
		}
		return s[:i]
	}
	return s
}

type stream struct {
	ctx    context.Context
	deltas []string
	usage  llm.Usage
	i      int
	cur    llm.Event
	err    error
	closed bool
}

func (s *stream) Next() bool {
	if s.closed || s.err != nil {
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return false
	}
	switch {
	case s.i < len(s.deltas):
		s.cur = llm.Event{Kind: llm.EventText, Text: s.deltas[s.i]}
	case s.i == len(s.deltas):
		s.cur = llm.Event{Kind: llm.EventUsage, Usage: s.usage}
	case s.i == len(s.deltas)+1:
		s.cur = llm.Event{Kind: llm.EventStop, StopReason: llm.StopEnd}
	default:
		return false
	}
	s.i++
	return true
}

func (s *stream) Current() llm.Event { return s.cur }
func (s *stream) Err() error         { return s.err }
func (s *stream) Close() error       { s.closed = true; return nil }

// RankPrior is the prior given to the source at 0-based rank i: 1/(1+i),
// chosen over gentler slopes on the DEV halves in ../shared/data.
func RankPrior(i int) float64 { return 1 / (1 + float64(i)) }
