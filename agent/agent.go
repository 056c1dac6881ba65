package agent

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/extract"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/agent/prompt"
	"github.com/quire-research/quire/agent/tools"
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

//go:embed system.md
var systemPrompt string

// Options tune an Agent. Zero fields take the defaults noted.
type Options struct {
	Prompts *prompt.Library // nil: the built-ins
	Store   *Store          // nil: nothing is saved
	Ledger  *Ledger         // nil: a new one; share one to count a whole session
	Prices  Prices          // for the provider's calls

	ContextTokens int      // budget for sources in a prompt; default 6000
	MaxTokens     int      // bound on one response; default 2048
	Temperature   *float64 // nil: the provider's default
	K             int      // papers retrieved; default 8

	MaxSteps       int // agent mode: model calls per run; default 6
	MaxAgentTokens int // agent mode: tokens (in+out) per run; default 60000
	// ExtraTools, when set, adds tools to agent mode (MCP servers' tools,
	// wrapped with their policy); called once per run so per-run bounds
	// start afresh.
	ExtraTools func() []tools.Tool

	// Chunk splits full texts so only their best passages are sent.
	Chunk corpus.ChunkOptions
	// Now stamps records; default time.Now.
	Now func() time.Time
}

// OptionsFromConfig takes budgets, sampling and prices from the [llm]
// section, and saves under its data_dir.
func OptionsFromConfig(cfg config.LLM) Options {
	t := cfg.Temperature
	o := Options{
		ContextTokens: cfg.ContextTokens,
		MaxTokens:     cfg.MaxTokens,
		Temperature:   &t,
		Prices:        Prices{Input: cfg.InputPrice, Output: cfg.OutputPrice},
	}
	if cfg.DataDir != "" {
		o.Store = NewStore(cfg.DataDir)
	}
	return o
}

func (o Options) withDefaults() Options {
	if o.Prompts == nil {
		o.Prompts = prompt.Builtin()
	}
	if o.Ledger == nil {
		o.Ledger = NewLedger()
	}
	if o.ContextTokens <= 0 {
		o.ContextTokens = 6000
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = 2048
	}
	if o.K <= 0 {
		o.K = 8
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 6
	}
	if o.MaxAgentTokens <= 0 {
		o.MaxAgentTokens = 60000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Agent answers questions and writes drafts grounded in a search engine's
// papers. It is safe for concurrent use; each Ask or Draft runs on its own
// goroutine.
type Agent struct {
	eng  search.Engine
	llm  llm.Provider
	opts Options
}

// New makes an agent. A nil provider means the extractive answerer.
func New(eng search.Engine, p llm.Provider, o Options) *Agent {
	if p == nil {
		p = extract.New(extract.Options{})
	}
	o = o.withDefaults()
	o.Ledger.SetPrices(p.Name(), "", o.Prices)
	return &Agent{eng: eng, llm: p, opts: o}
}

// Narrowed is the agent offering only the outside tools (Options.ExtraTools)
// whose display names keep admits: a workflow's tools: list. It shares
// everything else with a.
func (a *Agent) Narrowed(keep func(name string) bool) *Agent {
	if a.opts.ExtraTools == nil {
		return a
	}
	b := *a
	all := a.opts.ExtraTools
	b.opts.ExtraTools = func() []tools.Tool {
		var ts []tools.Tool
		for _, t := range all() {
			if keep(t.Name) {
				ts = append(ts, t)
			}
		}
		return ts
	}
	return &b
}

// Provider is the model the agent uses.
func (a *Agent) Provider() llm.Provider { return a.llm }

// Ledger counts the session's tokens and cost.
func (a *Agent) Ledger() *Ledger { return a.opts.Ledger }

// Prompts is the prompt library.
func (a *Agent) Prompts() *prompt.Library { return a.opts.Prompts }

// Store is where records are saved (nil when they are not).
func (a *Agent) Store() *Store { return a.opts.Store }

// AskRequest is one question.
type AskRequest struct {
	Question string
	// Query is the search bar's query in Quire's query language: its
	// filters restrict retrieval and its words join the question's.
	Query string
	// Basket lists paper IDs always sent first.
	Basket []string
	// K is the number of papers retrieved (0: the agent's default).
	K int
	// Conversation continues a saved conversation by ID: its earlier turns
	// are sent as history and this turn is appended to it.
	Conversation string
	// Tools lets the model call Quire's tools first (agent mode).
	Tools bool
}

// Retrieve gathers the numbered sources for a question: basket papers
// first, then the best hits for the question's words plus the query's
// words, restricted by the query's filters, packed into the context
// budget. Warnings say what was left out.
func (a *Agent) Retrieve(ctx context.Context, question, q string, basket []string, k int) ([]Source, []string, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, nil, err
	}
	if k <= 0 {
		k = a.opts.K
	}
	budget := evidence.Budget{Max: a.opts.ContextTokens}
	var srcs []Source
	var warns []string
	full := false
	seen := map[string]bool{}
	for _, id := range basket {
		if seen[id] {
			continue
		}
		seen[id] = true
		p, err := a.eng.Get(ctx, id)
		if errors.Is(err, search.ErrNotFound) {
			warns = append(warns, fmt.Sprintf("basket paper %q is not in the index", id))
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		s := a.sourceOf(p, question+" "+pq.Text)
		s.Basket = true
		var ok bool
		if srcs, ok = budget.Add(srcs, s); !ok {
			warns = append(warns, fmt.Sprintf("the context budget (%d tokens) is full: basket paper %q and later ones were left out", a.opts.ContextTokens, id))
			full = true
			break
		}
	}
	text := strings.TrimSpace(pq.Text + " " + plainWords(question))
	if full || (text == "" && len(pq.Phrases) == 0 && len(pq.Filters) == 0) {
		return srcs, warns, nil
	}
	sq := pq
	sq.Text = text
	res, err := a.eng.Search(ctx, search.Request{Query: sq, Limit: k + len(seen), Passages: true})
	if err != nil {
		return nil, nil, err
	}
	added := 0
	for _, h := range res.Hits {
		if seen[h.ID] || added >= k {
			continue
		}
		seen[h.ID] = true
		ss := passageSources(h)
		if len(ss) == 0 {
			p := h.Paper
			ss = []Source{a.sourceOf(&p, question+" "+pq.Text)}
		}
		ok := true
		for _, s := range ss {
			s.Score = h.Score
			if srcs, ok = budget.Add(srcs, s); !ok {
				break
			}
		}
		if !ok {
			warns = append(warns, fmt.Sprintf("the context budget (%d tokens) is full: %d of %d papers sent", a.opts.ContextTokens, added, min(k, len(res.Hits))))
			break
		}
		added++
	}
	return srcs, warns, nil
}

// plainWords keeps a question from being read as query syntax: no
// exclusions, no filters, no quotes.
func plainWords(s string) string {
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.TrimLeft(w, "-")
		w = strings.ReplaceAll(w, `"`, "")
		w = strings.ReplaceAll(w, ":", " ")
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// passageSources makes one unnumbered source per retrieved passage of a
// hit, best first, each with its section and pages, so a citation points
// at the passage and not just the paper. Nil when the hit has none.
func passageSources(h search.Hit) []Source {
	var out []Source
	for _, ps := range joinOverlaps(h.Passages, h.Paper.FullText) {
		text, start, end := ps.Text.Text, 0, 0
		if whole, ok := ps.Of(h.Paper.FullText); ok {
			// The whole passage, not its highlighted excerpt.
			text, start, end = whole, ps.Start, ps.End
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		s := evidence.FromPaper(&h.Paper)
		s.Text, s.Section, s.Page, s.PageEnd = evidence.Neutralize(strings.TrimSpace(text)), ps.Section, ps.Page, ps.PageEnd
		s.Start, s.End = start, end
		out = append(out, s)
	}
	return out
}

// joinOverlaps joins passages of one section that overlap (the chunker's
// windows can share their edges) or meet with only white space between
// them, into one spanning both, in the place of the best: sent apart, the
// model would read shared words twice and the sources list would cite one
// stretch of text as several. text is the full text the offsets index;
// passages whose offsets do not fit it are kept as they are.
func joinOverlaps(ps []search.Passage, text string) []search.Passage {
	type run struct {
		p    search.Passage
		rank int // the best (first) of the passages joined
	}
	var runs, loose []run
	order := make([]int, 0, len(ps))
	for i, p := range ps {
		if _, ok := p.Of(text); ok {
			order = append(order, i)
		} else {
			loose = append(loose, run{p, i})
		}
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(ps[i].Start, ps[j].Start) })
	for _, i := range order {
		p := ps[i]
		if n := len(runs); n > 0 {
			last := &runs[n-1].p
			if last.Section == p.Section && (p.Start <= last.End || strings.TrimSpace(text[last.End:p.Start]) == "") {
				last.End = max(last.End, p.End)
				if p.Page > 0 && (last.Page == 0 || p.Page < last.Page) {
					last.Page = p.Page
				}
				last.PageEnd = max(last.Page, last.PageEnd, p.Page, p.PageEnd)
				runs[n-1].rank = min(runs[n-1].rank, i)
				continue
			}
		}
		runs = append(runs, run{p, i})
	}
	runs = append(runs, loose...)
	slices.SortFunc(runs, func(a, b run) int { return cmp.Compare(a.rank, b.rank) })
	out := make([]search.Passage, len(runs))
	for i, r := range runs {
		out[i] = r.p
	}
	return out
}

// sourceOf makes an unnumbered source of a paper: its abstract, plus its
// two full-text passages that share most words with the question. It is
// the fallback for hits the engine gave no passages for.
func (a *Agent) sourceOf(p *corpus.Paper, question string) Source {
	s := evidence.FromPaper(p)
	if p.FullText == "" {
		return s
	}
	q := map[string]bool{}
	for _, t := range extract.Terms(question) {
		q[t] = true
	}
	chunks := corpus.ChunkPaper(p, a.opts.Chunk)
	type scored struct {
		i, n int
	}
	var sc []scored
	for i, c := range chunks {
		n := 0
		for _, t := range extract.Terms(c.Text) {
			if q[t] {
				n++
			}
		}
		sc = append(sc, scored{i, n})
	}
	slices.SortStableFunc(sc, func(x, y scored) int { return y.n - x.n })
	var parts []string
	if p.Abstract != "" {
		parts = append(parts, evidence.Neutralize(p.Abstract))
	}
	for _, x := range sc[:min(2, len(sc))] {
		if x.n == 0 && len(parts) > 0 {
			break
		}
		parts = append(parts, evidence.Neutralize(chunks[x.i].Text))
	}
	s.Text = strings.Join(parts, "\n\n")
	s.Section = "abstract and full text"
	if p.Abstract == "" {
		s.Section = "full text"
	}
	return s
}

// Ask answers a question from retrieved sources. Errors in the request
// (a query syntax error, an unknown conversation) come back at once;
// everything else arrives on the stream.
func (a *Agent) Ask(ctx context.Context, req AskRequest) (*Stream, error) {
	if strings.TrimSpace(req.Question) == "" {
		return nil, errors.New("ask: the question is empty")
	}
	if _, err := query.Parse(req.Query); err != nil {
		return nil, err
	}
	rec := &Record{Kind: KindConversation, Title: req.Question, Created: a.opts.Now()}
	if req.Conversation != "" {
		if a.opts.Store == nil {
			return nil, errors.New("ask: conversations are not being saved, so there is none to continue")
		}
		var err error
		if rec, err = a.opts.Store.Load(KindConversation, req.Conversation); err != nil {
			return nil, fmt.Errorf("ask: continue conversation: %w", err)
		}
	}
	return newStream(ctx, func(ctx context.Context, emit func(Event) bool) error {
		r := a.newRun(emit, rec)
		r.turn.Question, r.turn.Query, r.turn.Basket = req.Question, req.Query, req.Basket
		defer r.save()
		srcs, warns, err := a.Retrieve(ctx, req.Question, req.Query, req.Basket, req.K)
		if err != nil {
			return err
		}
		if !r.setSources(srcs) || !r.warnAll(warns) {
			return ctx.Err()
		}
		if len(srcs) == 0 {
			if !r.delta("No papers match the question and the filters, so there is nothing to answer from. Try other words or fewer filters.\n") {
				return ctx.Err()
			}
			return r.finish("")
		}
		var history []llm.Message
		for _, t := range rec.Turns {
			history = append(history, llm.Text(llm.RoleUser, t.Question), llm.Text(llm.RoleAssistant, t.Answer))
		}
		user := evidence.Format(srcs) + "\n\n" + evidence.Tagged("question", req.Question)
		lreq := llm.Request{
			System:      systemPrompt,
			Messages:    append(history, llm.Text(llm.RoleUser, user)),
			MaxTokens:   a.opts.MaxTokens,
			Temperature: a.opts.Temperature,
		}
		r.turn.System, r.turn.Input = systemPrompt, user
		if req.Tools && !IsExtractive(a.llm) {
			return r.loop(ctx, lreq, req.Basket)
		}
		if req.Tools {
			if !r.warn("the extractive answerer cannot use tools; answering from the retrieved sources", 0) {
				return ctx.Err()
			}
		}
		_, _, stop, err := r.call(ctx, lreq)
		if err != nil {
			return err
		}
		return r.finish(stop)
	}), nil
}
