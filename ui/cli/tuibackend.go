package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/tui"
)

// agentBackend gives the app the agent's answers and drafts on top of the
// engine's search.
type agentBackend struct {
	*tui.EngineBackend
	a *agent.Agent
	// runs is the folder workflow runs write into, one subfolder each.
	runs string
}

func newAgentBackend(eb *tui.EngineBackend, a *agent.Agent) *agentBackend {
	b := &agentBackend{EngineBackend: eb, a: a}
	for _, p := range a.Prompts().List() {
		var vars []string
		var infos []tui.VarInfo
		for _, v := range p.Variables {
			vars = append(vars, v.Name)
			infos = append(infos, tui.VarInfo{Name: v.Name, Description: v.Description, Default: v.Default, Required: v.Required})
		}
		eb.PromptList = append(eb.PromptList, tui.PromptInfo{Name: p.Name, Description: p.Description, Key: p.Key, Builtin: p.Builtin,
			Mode: string(p.Mode), Vars: vars, Variables: infos, Workflow: len(p.Steps) > 0})
	}
	return b
}

func (b *agentBackend) Prompts() []tui.PromptInfo { return b.PromptList }

func (b *agentBackend) Ask(ctx context.Context, r tui.AskRequest) (tui.Stream, error) {
	st, err := b.a.Ask(ctx, agent.AskRequest{Question: r.Question, Query: r.Query, Basket: r.Basket, Conversation: r.Conversation})
	if err != nil {
		return nil, err
	}
	return &agentStream{st: st}, nil
}

func (b *agentBackend) Draft(ctx context.Context, r tui.DraftRequest) (tui.Stream, error) {
	if p, ok := b.a.Prompts().Get(r.Prompt); ok && len(p.Steps) > 0 {
		return b.runWorkflow(ctx, p, r.Vars)
	}
	st, err := b.a.Draft(ctx, agent.DraftRequest{Prompt: r.Prompt, Vars: r.Vars, Query: r.Query, Basket: r.Basket, Regenerate: r.Regenerate})
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
		if out, ok := tuiEvent(s.st.Current()); ok {
			s.cur = out
			return true
		}
	}
	return false
}

// tuiEvent converts one agent event; false for kinds the app does not show.
func tuiEvent(ev agent.Event) (tui.Event, bool) {
	var out tui.Event
	switch ev.Kind {
	case agent.EventSources:
		out = tui.Event{Kind: tui.EventSources, Sources: tuiSources(ev.Sources)}
	case agent.EventDelta:
		out = tui.Event{Kind: tui.EventDelta, Text: ev.Text}
	case agent.EventSection:
		out = tui.Event{Kind: tui.EventSection, Section: ev.Text}
	case agent.EventToolCall, agent.EventToolResult:
		out.Kind = tui.EventToolCall
		if ev.Kind == agent.EventToolResult {
			out.Kind = tui.EventToolResult
		}
		if ev.Tool != nil {
			name := toolDisplayName(ev.Tool.Name)
			out.Text = name + " " + string(ev.Tool.Input)
			if ev.Kind == agent.EventToolResult {
				out.Text = name + ": " + ev.Tool.Output
			}
			out.Tool = &tui.ToolCall{Name: name, Input: string(ev.Tool.Input), Output: ev.Tool.Output,
				IsError: ev.Tool.IsError, Done: ev.Kind == agent.EventToolResult}
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
		if ev.Done != nil {
			out.ID = ev.Done.ID
		}
	case agent.EventBasket:
		out = tui.Event{Kind: tui.EventBasket, Basket: ev.Basket}
	case agent.EventRetry:
		out = tui.Event{Kind: tui.EventRetry, Retry: tuiRetry(ev.Retry)}
	case agent.EventApproval:
		ap := ev.Approval
		if ap == nil {
			return tui.Event{}, false
		}
		out = tui.Event{Kind: tui.EventApproval, Approval: &tui.Approval{Name: ap.Name, Input: string(ap.Input),
			Answer: func(d tui.Decision) { ap.Answer(agentDecision(d)) }}}
	default:
		return tui.Event{}, false
	}
	return out, true
}

func (s *agentStream) Current() tui.Event { return s.cur }
func (s *agentStream) Err() error         { return s.st.Err() }
func (s *agentStream) Close() error       { return s.st.Close() }

// tuiSources converts the agent's sources to the app's.
func tuiSources(srcs []agent.Source) []tui.Source {
	out := make([]tui.Source, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, tui.Source{N: s.N, ID: s.PaperID, Title: s.Title, Year: s.Year, Basket: s.Basket,
			Section: s.Section, Page: s.Page, PageEnd: s.PageEnd, Start: s.Start, End: s.End})
	}
	return out
}

// appSetup builds the first index from the app's first-run screen: an
// ingest of a path the user types, or the demo. It is the only place the
// first-run screen's work touches files.
type appSetup struct {
	e  *env
	at place

	mu    sync.Mutex
	x     search.Engine // the engine the app searches, once built
	stop  []context.CancelFunc
	works sync.WaitGroup
}

func newAppSetup(e *env) *appSetup { return &appSetup{e: e, at: e.home()} }

// IndexDir names where the papers go: the index directory, or the
// cluster's collection.
func (s *appSetup) IndexDir() string { return s.e.describe(s.at) }

// work runs one build with a context that also ends with the command's.
func (s *appSetup) work(ctx context.Context, build func(ctx context.Context) error) (tui.Backend, error) {
	s.works.Add(1)
	defer s.works.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.e.ctx, cancel)
	defer stop()
	s.mu.Lock()
	s.stop = append(s.stop, cancel)
	s.mu.Unlock()
	if err := build(ctx); err != nil {
		if errors.Is(err, search.ErrStopped) || ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %v", context.Canceled, err)
		}
		return nil, err
	}
	x, err := openEngineAt(s.e, s.at, true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.x != nil {
		s.x.Close()
	}
	s.x = x
	s.mu.Unlock()
	return appBackend(s.e, x, s.at), nil
}

func (s *appSetup) Demo(ctx context.Context, report func(tui.Progress)) (tui.Backend, error) {
	return s.work(ctx, func(ctx context.Context) error { return buildDemo(ctx, s.e, s.at, stepsTo(report)) })
}

func (s *appSetup) Ingest(ctx context.Context, path string, report func(tui.Progress)) (tui.Backend, error) {
	return s.work(ctx, func(ctx context.Context) error { return ingestPath(ctx, s.e, s.at, path, stepsTo(report)) })
}

// Close stops the builds still running, waits for them, and closes the
// index the app searched.
func (s *appSetup) Close() error {
	s.mu.Lock()
	for _, c := range s.stop {
		c()
	}
	s.mu.Unlock()
	s.works.Wait()
	if s.x != nil {
		return s.x.Close()
	}
	return nil
}

func stepsTo(report func(tui.Progress)) func(step) {
	return func(st step) {
		report(tui.Progress{Phase: st.Phase, Unit: st.Unit, Done: st.Done, Total: st.Total, Count: st.Count, Note: st.Note, End: st.End})
	}
}

// ingestPath ingests one source into the engine at the place at, as 'quire ingest
// PATH' does with the configuration's defaults, reporting steps instead of
// printing. Reading no paper at all is an error that says why.
func ingestPath(ctx context.Context, e *env, at place, spec string, report func(step)) error {
	be := *e
	be.ctx, be.steps = ctx, report
	var out bytes.Buffer
	be.stdout, be.stderr = &out, io.Discard
	spec = expandHome(spec, e.getenv("HOME"))
	so := sourceOptionsFor(e, &ingestFlags{})
	pdfs := &lazyPDF{}
	defer pdfs.Close()
	so.pdf = pdfs.read
	src, err := openSource(ctx, spec, so)
	if err != nil {
		return err
	}
	x, err := openEngineAt(&be, at, false)
	if err != nil {
		return err
	}
	st, err := ingestOne(&be, x, src, &ingestFlags{maxShown: 3}, nil)
	if err == nil && st.Papers == 0 && !st.AlreadyDone {
		n, _ := paperCount(ctx, x)
		if n == 0 {
			err = fmt.Errorf("no papers read from %s: %s", spec, strings.Join(strings.Fields(out.String()), " "))
		}
	}
	if err == nil {
		err = syncVectors(&be, x)
	}
	if cerr := x.Close(); err == nil {
		err = cerr
	}
	return err
}

// expandHome turns a leading ~/ into the home directory, as a shell would.
func expandHome(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(home, p[1:])
	}
	return p
}

// CompletePath lists the files and folders that complete prefix, folders
// with a trailing slash, hidden ones only when asked for.
func (s *appSetup) CompletePath(prefix string) []string {
	home := s.e.getenv("HOME")
	expanded := expandHome(prefix, home)
	if strings.HasSuffix(prefix, "/") && !strings.HasSuffix(expanded, "/") {
		expanded += "/"
	}
	dir, base := filepath.Split(expanded)
	list := dir
	if list == "" {
		list = "."
	}
	entries, err := os.ReadDir(list)
	if err != nil {
		return nil
	}
	var out []string
	for _, en := range entries {
		name := en.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		// Keep what the user typed before the name (~/ stays ~/).
		c := prefix[:len(prefix)-len(base)] + name
		if en.IsDir() || en.Type()&os.ModeSymlink != 0 && isDir(filepath.Join(list, name)) {
			c += "/"
		}
		out = append(out, c)
		if len(out) == 200 {
			break
		}
	}
	sort.Strings(out)
	return out
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Docs is what the first-run screen shows under "Read the docs".
func (s *appSetup) Docs() string {
	var b bytes.Buffer
	b.WriteString(appDocs)
	b.WriteString("\nCommands\n\n")
	gfs := flag.NewFlagSet("quire", flag.ContinueOnError)
	s.e.cfg.BindFlags(gfs)
	printHelp(&b, gfs)
	return b.String()
}

const appDocs = `Quire searches, reads and answers questions over large collections of papers, offline by default.

Getting started
  quire ingest PATH — index your papers: a folder of .pdf/.md/.txt papers (or one), a .bib/.ris/CSL-JSON library, a JSONL(.gz) dump (arXiv, OpenAlex, BEIR), or s3://bucket/prefix.
  quire demo — a 20,000-paper SYNTHETIC library, to try everything without data.
  quire — this app: type to search, enter reads, space marks papers, a asks, ctrl+p runs commands and prompts, ? lists the keys of the pane you are in.

Query language
  Words are ranked by BM25 and by meaning (hybrid search); filters restrict the hits.
  year:2019, year:2018..2022, year:2018.. — publication years.
  author:Doudna — every word in one paper's author list; author:="Jennifer A. Doudna" — exactly that author (a facet click writes this).
  venue:Nature, field:cs.CL, category:cs.CL, source:arxiv, id:…, doi:… — the other filters.
  -word and -key:value exclude, "quoted words" must all appear, field:a,b means either.

Answers and drafts
  Answers quote the retrieved papers with numbered citations [1]; with an LLM configured ([llm] provider openai or bedrock) the model writes them. Saved prompts (quire prompts) draft documents such as a PR/FAQ from the papers you marked; in the app d then a prompt's key runs it.

Configuration
  One TOML file at $XDG_CONFIG_HOME/quire/config.toml (quire --config FILE). The index lives at $XDG_DATA_HOME/quire/index unless --index DIR. The README in the source tree describes every part.
`

// toolDisplayName shows an MCP tool's wire name server__tool as
// server.tool (mcpclient.WireName); Quire's own tools have no "__".
func toolDisplayName(wire string) string {
	return strings.Replace(wire, "__", ".", 1)
}

func agentDecision(d tui.Decision) agent.Decision {
	switch d {
	case tui.ApproveOnce:
		return agent.AllowOnce
	case tui.ApproveAlways:
		return agent.AllowAlways
	}
	return agent.Deny
}
