package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/prompt"
	"github.com/quire-research/quire/agent/workflow"
	"github.com/quire-research/quire/ui/termtext"
)

type runFlags struct {
	vars   varsFlag
	out    string
	limit  int
	allow  string
	noSave bool
}

func init() {
	f := runFlags{vars: varsFlag{}}
	register(&command{
		name: "run",
		args: "[flags] NAME",
		summary: "Run a saved workflow (a prompt with steps:, e.g. roadmap): each step's output feeds the next, a foreach\n" +
			"step drafts one document per item. Documents go to --out DIR with an index.md; progress on stderr.",
		flags: func(fs *flag.FlagSet) any {
			f.vars = varsFlag{}
			fs.Var(f.vars, "var", "set a workflow variable, name=value (repeatable)")
			fs.StringVar(&f.out, "out", "", "folder for the documents and index.md (default: ./NAME-out)")
			fs.IntVar(&f.limit, "limit", 0, "draft at most N items per foreach step (default: the workflow's limit)")
			fs.StringVar(&f.allow, "allow-tools", "", "comma-separated MCP tools (server.tool) to allow whose policy is ask")
			fs.BoolVar(&f.noSave, "no-save", false, "do not save the runs under llm.data_dir")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runWorkflow(e, &f, args) },
	})
}

// doc is one finished foreach item, written as soon as it finishes so a
// stopped run keeps it.
type doc struct {
	step, item, file string
	srcs             []agent.Source
}

func runWorkflow(e *env, f *runFlags, args []string) error {
	if len(args) != 1 {
		return usagef("run needs one workflow name (try: quire run roadmap --var product=Quire)")
	}
	lib := loadPrompts(e)
	p, ok := lib.Get(args[0])
	if !ok {
		if n := lib.Near(args[0]); n != "" {
			return usagef("run: no prompt %q: did you mean %s?", args[0], n)
		}
		return usagef("run: no prompt %q ('quire prompts' lists them)", args[0])
	}
	if len(p.Steps) == 0 {
		return usagef("run: prompt %s has no steps: (use 'quire draft %s' for a single prompt)", p.Name, p.Name)
	}
	if f.limit < 0 {
		return usagef("run: --limit %d: use a positive number", f.limit)
	}
	vars, err := p.Vars(f.vars)
	if err != nil {
		return usagef("%v", err)
	}
	out := f.out
	if out == "" {
		out = p.Name + "-out"
	}
	var allow []string
	if f.allow != "" {
		allow = strings.Split(f.allow, ",")
	}
	extra, closeMCP, problems := connectMCP(e, allow, false)
	defer closeMCP()
	warnMCP(e, problems)
	a, closeIndex, err := newAgent(e, f.noSave, func(o *agent.Options) { o.ExtraTools = extra })
	if err != nil {
		return err
	}
	a = narrowToPrompt(a, p)
	defer closeIndex()

	progress := func(g workflow.Progress) {
		item := ""
		if g.Total > 0 {
			item = fmt.Sprintf(" [%d/%d] %s", g.Index, g.Total, termtext.Clean(g.Item))
		}
		switch {
		case !g.Done:
			fmt.Fprintf(e.stderr, "run: %s%s …\n", g.Step, item)
		case g.Err != nil && !errors.Is(g.Err, context.Canceled):
			fmt.Fprintf(e.stderr, "run: %s%s failed: %v\n", g.Step, item, g.Err)
		case g.Err == nil:
			fmt.Fprintf(e.stderr, "run: %s%s done\n", g.Step, item)
		}
	}
	event := func(ev agent.Event) {
		switch ev.Kind {
		case agent.EventWarning:
			fmt.Fprintf(e.stderr, "quire: warning: %s\n", termtext.Clean(ev.Text))
		case agent.EventToolCall:
			fmt.Fprintf(e.stderr, "→ %s %s\n", toolDisplayName(ev.Tool.Name), termtext.Clean(string(ev.Tool.Input)))
		}
	}
	w, runErr := writeWorkflow(e.ctx, workflowRun{agent: a, prompt: p, vars: vars, out: out, limit: f.limit, progress: progress, event: event})
	if w.index == "" {
		return runErr
	}
	for _, s := range w.empty {
		fmt.Fprintf(e.stderr, "quire: warning: step %s found no list in the output of %s (a JSON array or a markdown list); nothing to draft\n", s.Name, s.Foreach)
	}
	fmt.Fprintf(e.stderr, "wrote %d documents and %s\n", len(w.docs), w.index)
	if runErr != nil && errors.Is(runErr, e.ctx.Err()) {
		return errors.New("stopped; the finished documents and their index were kept")
	}
	return runErr
}

// workflowRun is one run of a saved workflow whose drafts go to out; both
// `quire run` and the app run workflows through writeWorkflow so the files
// they leave are the same.
type workflowRun struct {
	agent    *agent.Agent
	prompt   *prompt.Prompt
	vars     map[string]string
	out      string
	limit    int
	progress func(workflow.Progress)
	// event sees every event of every step's stream (text, tool calls,
	// warnings) as it arrives; it may be called from two goroutines at once.
	event func(agent.Event)
}

// written is what writeWorkflow left on disk.
type written struct {
	index string // path of index.md; empty when nothing could be written
	docs  []doc
	empty []prompt.Step // foreach steps whose list was empty
}

// writeWorkflow runs w, writing each draft as soon as it finishes and then
// index.md, which is written even when the run stops or fails.
func writeWorkflow(ctx context.Context, w workflowRun) (written, error) {
	if err := os.MkdirAll(w.out, 0o755); err != nil {
		return written{}, err
	}
	a, out, p := w.agent, w.out, w.prompt
	event := w.event
	if event == nil {
		event = func(agent.Event) {}
	}
	var mu sync.Mutex
	var docs []doc
	// Papers earlier body steps were sent go first to later steps and to
	// every draft, so ranking and drafting stay grounded in what was
	// gathered (a pain point's few words rarely find papers alone).
	var carried []string
	exec := func(ctx context.Context, s prompt.Step, text string, v map[string]string) (string, error) {
		if s.Prompt == "" {
			mu.Lock()
			basket := slices.Clone(carried)
			mu.Unlock()
			st, err := a.Ask(ctx, agent.AskRequest{Question: text, Basket: basket, Tools: true})
			if err != nil {
				return "", err
			}
			body, srcs, err := collect(st, event)
			mu.Lock()
			for _, src := range srcs {
				if !slices.Contains(carried, src.PaperID) && len(carried) < 12 {
					carried = append(carried, src.PaperID)
				}
			}
			mu.Unlock()
			return body, err
		}
		target, ok := a.Prompts().Get(s.Prompt)
		if !ok {
			return "", fmt.Errorf("no prompt %q", s.Prompt)
		}
		tv := map[string]string{}
		for _, x := range target.Variables {
			tv[x.Name] = v[x.Name]
		}
		mu.Lock()
		basket := slices.Clone(carried)
		mu.Unlock()
		st, err := a.Draft(ctx, agent.DraftRequest{Prompt: s.Prompt, Vars: tv, Selection: v["item"], Basket: basket})
		if err != nil {
			return "", err
		}
		body, srcs, err := collect(st, event)
		if err != nil {
			return "", err
		}
		text = evidence.Document(body, srcs)
		mu.Lock()
		defer mu.Unlock()
		name := fmt.Sprintf("%s-%02d-%s.md", s.Name, len(docs)+1, slug(v["item"]))
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
			return "", err
		}
		docs = append(docs, doc{step: s.Name, item: v["item"], file: name, srcs: srcs})
		return text, nil
	}
	res, runErr := workflow.Run(ctx, p, w.vars, exec, workflow.Options{Limit: w.limit, Progress: w.progress})
	var empty []prompt.Step
	for _, s := range p.Steps {
		if _, ran := res.Items[s.Name]; ran && len(res.Items[s.Name]) == 0 {
			empty = append(empty, s)
		}
	}
	index := filepath.Join(out, "index.md")
	if err := os.WriteFile(index, []byte(indexDoc(p, w.vars, res, docs)), 0o644); err != nil {
		return written{}, err
	}
	return written{index: index, docs: docs, empty: empty}, runErr
}

// narrowToPrompt offers a workflow only the outside tools its tools: list
// names.
func narrowToPrompt(a *agent.Agent, p *prompt.Prompt) *agent.Agent {
	return a.Narrowed(func(name string) bool { return p.AllowsTool(toolDisplayName(name)) })
}

// collect reads a run to its end: the text and the sources it cited from.
func collect(st *agent.Stream, event func(agent.Event)) (string, []agent.Source, error) {
	defer st.Close()
	var b strings.Builder
	var srcs []agent.Source
	for st.Next() {
		ev := st.Current()
		event(ev)
		switch ev.Kind {
		case agent.EventSources:
			srcs = ev.Sources
		case agent.EventDelta:
			b.WriteString(ev.Text)
		}
	}
	return b.String(), srcs, st.Err()
}

// indexDoc links each document with its item and sources, in list order.
func indexDoc(p *prompt.Prompt, vars map[string]string, res workflow.Result, docs []doc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s", p.Name)
	if vars["product"] != "" {
		fmt.Fprintf(&b, ": %s", vars["product"])
	}
	b.WriteString("\n\n")
	for _, s := range p.Steps {
		if s.Foreach == "" {
			continue
		}
		for i, it := range res.Items[s.Name] {
			fmt.Fprintf(&b, "%d. ", i+1)
			d := findDoc(docs, s.Name, it.Value)
			switch {
			case d != nil:
				fmt.Fprintf(&b, "[%s](%s)\n", it.Value, d.file)
				for _, src := range d.srcs {
					fmt.Fprintf(&b, "   - [%d] %s — `%s`\n", src.N, src.Title, src.PaperID)
				}
			case it.Err != nil:
				fmt.Fprintf(&b, "%s — failed: %v\n", it.Value, it.Err)
			default:
				fmt.Fprintf(&b, "%s — not drafted (stopped)\n", it.Value)
			}
		}
	}
	return b.String()
}

func findDoc(docs []doc, step, item string) *doc {
	for i := range docs {
		if docs[i].step == step && docs[i].item == item {
			return &docs[i]
		}
	}
	return nil
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(slugRE.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "item"
	}
	return s
}
