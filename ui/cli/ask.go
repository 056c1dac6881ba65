package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/prompt"
	"github.com/quire-research/quire/agent/tools"
)

type askFlags struct {
	filter       string
	k            int
	basket       string
	json         bool
	tools        bool
	allowTools   string
	conversation string
	noSave       bool
}

func init() {
	var f askFlags
	register(&command{
		name: "ask",
		args: "[flags] QUESTION...",
		summary: "Answer a question from the papers in the index, with numbered citations.\n" +
			"Basket papers are sent first, then the best hits for the question within --filter.\n" +
			"The default answerer (llm.provider = extractive) quotes sentences verbatim; no model, no network.\n" +
			"Streams markdown to stdout (warnings and usage to stderr), or JSON-lines events with --json.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.filter, "filter", "", "query-language filters and words that restrict retrieval, e.g. 'year:2018.. field:q-bio'")
			fs.StringVar(&f.filter, "f", "", "short for --filter")
			fs.IntVar(&f.k, "k", 0, "papers to retrieve (default 8)")
			fs.StringVar(&f.basket, "basket", "", "file of paper IDs, one per line (# comments), always sent first; 'app' for the basket marked in the app")
			fs.BoolVar(&f.json, "json", false, "print JSON-lines events instead of markdown")
			fs.BoolVar(&f.tools, "tools", false, "agent mode: let the model search, read and add to the basket first")
			fs.StringVar(&f.allowTools, "allow-tools", "", "with --tools: MCP tools (server.tool, comma-separated) allowed although their policy is ask; other ask tools are denied")
			fs.StringVar(&f.conversation, "continue", "", "continue the saved conversation with this ID")
			fs.BoolVar(&f.noSave, "no-save", false, "do not save the conversation under llm.data_dir")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runAsk(e, fs, &f, args) },
	})
}

func runAsk(e *env, fs *flag.FlagSet, f *askFlags, args []string) error {
	if len(args) == 0 {
		return usagef("ask needs a question (try: quire ask \"what limits CRISPR off-target effects?\" -f year:2018..)")
	}
	allow, err := splitAllow(f.allowTools)
	if err != nil {
		return err
	}
	if len(allow) > 0 && !f.tools {
		return usagef("--allow-tools needs --tools (MCP tools are offered in agent mode only)")
	}
	basket, err := basketFor(e, f.basket)
	if err != nil {
		return err
	}
	var extra func() []tools.Tool
	if f.tools {
		// No one to ask here: "ask" tools are denied unless allowed.
		var closeMCP func()
		var problems []string
		extra, closeMCP, problems = connectMCP(e, allow, false)
		defer closeMCP()
		warnMCP(e, problems)
	}
	a, closeIndex, err := newAgent(e, f.noSave, func(o *agent.Options) { o.ExtraTools = extra })
	if err != nil {
		return err
	}
	defer closeIndex()
	st, err := a.Ask(e.ctx, agent.AskRequest{Question: strings.Join(args, " "), Query: f.filter, Basket: basket,
		K: f.k, Tools: f.tools, Conversation: f.conversation})
	if err != nil {
		return err
	}
	return printStream(e, st, e.stdout, f.json)
}

// readBasket reads paper IDs, one per line; blank lines and # comments
// are skipped. "" means no basket, "-" is not supported (stdin is free).
func readBasket(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("basket: %w", err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			ids = append(ids, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("basket %s: %w", path, err)
	}
	return ids, nil
}

// loadPrompts reads the built-ins and the user's prompt folder; bad files
// are reported on stderr and left out.
func loadPrompts(e *env) *prompt.Library {
	lib, err := prompt.Load(e.cfg.LLM.PromptDir)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(e.stderr, "quire: warning: prompt %s\n", line)
		}
	}
	return lib
}

// newAgent opens the index read-only and builds the agent the
// configuration describes.
func newAgent(e *env, noSave bool, edits ...func(*agent.Options)) (*agent.Agent, func(), error) {
	p, err := agent.NewProvider(e.cfg.LLM, e.getenv)
	if err != nil {
		return nil, nil, err
	}
	x, err := openEngine(e, true)
	if err != nil {
		return nil, nil, err
	}
	o := agent.OptionsFromConfig(e.cfg.LLM)
	o.Prompts = loadPrompts(e)
	if noSave {
		o.Store = nil
	}
	for _, edit := range edits {
		edit(&o)
	}
	return agent.New(x, p, o), func() { _ = x.Close() }, nil
}

// printStream writes a run: markdown text to out as it streams, then the
// sources; warnings, tool calls, usage and where it was saved to stderr.
// With asJSON every event is one JSON line on out.
func printStream(e *env, st *agent.Stream, out io.Writer, asJSON bool) error {
	defer st.Close()
	enc := json.NewEncoder(out)
	var srcs []agent.Source
	var usage *agent.Usage
	var done *agent.Done
	endsInNewline := true
	wrote := false // any answer text: sources are listed only for an answer
	// ownLine starts a notice on its own line: on a shared terminal it
	// would otherwise land inside the answer's sentence. The newline goes
	// to stderr, so the answer on stdout stays exactly the answer.
	ownLine := func() {
		if !endsInNewline && out == e.stdout {
			fmt.Fprintln(e.stderr)
			endsInNewline = true
		}
	}
	for st.Next() {
		ev := st.Current()
		if asJSON {
			if err := enc.Encode(ev); err != nil {
				return err
			}
			continue
		}
		switch ev.Kind {
		case agent.EventSources:
			srcs = ev.Sources
		case agent.EventDelta:
			if ev.Text == "" {
				continue
			}
			if _, err := io.WriteString(out, ev.Text); err != nil {
				return err
			}
			endsInNewline = strings.HasSuffix(ev.Text, "\n")
			wrote = true
		case agent.EventWarning:
			ownLine()
			fmt.Fprintf(e.stderr, "quire: warning: %s\n", ev.Text)
		case agent.EventRetry:
			ownLine()
			if ev.Retry != nil {
				fmt.Fprintf(e.stderr, "quire: %s\n", ev.Retry)
			}
		case agent.EventToolCall:
			ownLine()
			fmt.Fprintf(e.stderr, "→ %s %s\n", toolDisplayName(ev.Tool.Name), string(ev.Tool.Input))
		case agent.EventToolResult:
			ownLine()
			status := "ok"
			if ev.Tool.IsError {
				status = "error"
			}
			fmt.Fprintf(e.stderr, "← %s %s: %s\n", toolDisplayName(ev.Tool.Name), status, firstLine(ev.Tool.Output))
		case agent.EventBasket:
			ownLine()
			fmt.Fprintf(e.stderr, "basket: %s\n", strings.Join(ev.Basket, ", "))
		case agent.EventUsage:
			usage = ev.Usage
		case agent.EventDone:
			done = ev.Done
		}
	}
	if !asJSON {
		if !endsInNewline {
			fmt.Fprintln(out)
		}
		// Sources packed for a request that failed before any answer were
		// never used: listing them would suggest an answer drew on them.
		if len(srcs) > 0 && wrote {
			list := agent.SourcesMarkdown(srcs)
			if !strings.HasSuffix(list, "\n") {
				list += "\n"
			}
			fmt.Fprintf(out, "\n%s", list)
		}
		printRunFooter(e, usage, done)
	}
	if err := st.Err(); err != nil {
		if errors.Is(err, e.ctx.Err()) {
			return errors.New("stopped; the partial answer above was kept")
		}
		return err
	}
	return nil
}
