package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/ui/tui"
)

type varsFlag map[string]string

func (v varsFlag) String() string {
	var kv []string
	for k, x := range v {
		kv = append(kv, k+"="+x)
	}
	return strings.Join(kv, ",")
}

func (v varsFlag) Set(s string) error {
	k, x, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	v[strings.TrimSpace(k)] = x
	return nil
}

type draftFlags struct {
	vars      varsFlag
	basket    string
	query     string
	selection string
	out       string
	json      bool
	k         int
	noSave    bool
}

func init() {
	f := draftFlags{vars: varsFlag{}}
	register(&command{
		name: "draft",
		args: "[flags] PROMPT",
		summary: "Write a draft with a saved prompt (see 'quire prompts'), grounded in the query's hits and the basket.\n" +
			"With llm.provider = extractive the draft is offline: its sections are filled with quoted evidence\n" +
			"and TODO markers where judgment is needed. Streams markdown (or JSON-lines events with --json).",
		flags: func(fs *flag.FlagSet) any {
			f.vars = varsFlag{} // the flag set is rebuilt per run; so is the map
			fs.Var(f.vars, "var", "set a prompt variable, name=value (repeatable)")
			fs.StringVar(&f.basket, "basket", "", "file of paper IDs, one per line (# comments), always sent first; 'app' for the basket marked in the app")
			fs.StringVar(&f.query, "query", "", "search query (words and filters) that selects the evidence")
			fs.StringVar(&f.query, "q", "", "short for --query")
			fs.StringVar(&f.selection, "selection", "", "text the draft builds on (the prompt's .Selection)")
			fs.StringVar(&f.out, "out", "", "write the draft to this file instead of stdout")
			fs.BoolVar(&f.json, "json", false, "print JSON-lines events instead of markdown")
			fs.IntVar(&f.k, "k", 0, "papers to retrieve (default: the prompt's k)")
			fs.BoolVar(&f.noSave, "no-save", false, "do not save the draft under llm.data_dir")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runDraft(e, fs, &f, args) },
	})
}

func runDraft(e *env, fs *flag.FlagSet, f *draftFlags, args []string) error {
	if len(args) > 1 {
		// Flags may follow the name; a second word is most often the query.
		return usagef("draft takes one prompt name; the query goes in -q: quire draft %s -q %q", args[0], strings.Join(args[1:], " "))
	}
	if len(args) != 1 {
		return usagef("draft needs one prompt name (try: quire draft prfaq -q 'protein design' --var product=FoldKit; 'quire prompts' lists them)")
	}
	basket, err := basketFor(e, f.basket)
	if err != nil {
		return err
	}
	a, closeIndex, err := newAgent(e, f.noSave)
	if err != nil {
		return err
	}
	defer closeIndex()
	st, err := a.Draft(e.ctx, agent.DraftRequest{Prompt: args[0], Vars: f.vars, Query: f.query, Basket: basket,
		Selection: f.selection, K: f.k})
	if err != nil {
		return err
	}
	var out io.Writer = e.stdout
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			st.Close()
			return err
		}
		defer file.Close()
		out = file
	}
	print := printDraft
	if f.json {
		print = func(e *env, st *agent.Stream, out io.Writer) error { return printStream(e, st, out, true) }
	}
	if err := print(e, st, out); err != nil {
		return err
	}
	if f.out != "" {
		fmt.Fprintf(e.stderr, "wrote %s\n", f.out)
	}
	return nil
}

// printDraft writes a draft as the document the app shows and exports
// (evidence.Document): the text as it streams, then its sources. Trailing
// newlines are held back until more text follows, so what was written is
// always a prefix of the document. Warnings, tool calls, usage and where
// it was saved go to stderr, each on its own line.
func printDraft(e *env, st *agent.Stream, out io.Writer) error {
	defer st.Close()
	var text strings.Builder
	var srcs []agent.Source
	var usage *agent.Usage
	var done *agent.Done
	written := 0 // bytes of text written to out
	midLine := false
	// ownLine starts a notice on its own line: on a shared terminal it
	// would otherwise land inside the draft's sentence.
	ownLine := func() {
		if midLine && out == e.stdout {
			fmt.Fprintln(e.stderr)
			midLine = false
		}
	}
	for st.Next() {
		ev := st.Current()
		switch ev.Kind {
		case agent.EventSources:
			srcs = ev.Sources
		case agent.EventDelta:
			text.WriteString(ev.Text)
			t := text.String()
			end := len(strings.TrimRight(t, "\n"))
			if end > written {
				if _, err := io.WriteString(out, t[written:end]); err != nil {
					return err
				}
				written = end
				midLine = true
			}
		case agent.EventWarning:
			ownLine()
			fmt.Fprintf(e.stderr, "quire: warning: %s\n", ev.Text)
		case agent.EventToolCall:
			fmt.Fprintf(e.stderr, "→ %s %s\n", ev.Tool.Name, string(ev.Tool.Input))
		case agent.EventToolResult:
			fmt.Fprintf(e.stderr, "← %s: %s\n", ev.Tool.Name, firstLine(ev.Tool.Output))
		case agent.EventRetry:
			ownLine()
			fmt.Fprintf(e.stderr, "quire: %s\n", ev.Retry)
		case agent.EventUsage:
			usage = ev.Usage
		case agent.EventDone:
			done = ev.Done
		}
	}
	doc := evidence.Document(text.String(), srcs)
	if _, err := io.WriteString(out, doc[min(written, len(doc)):]); err != nil {
		return err
	}
	printRunFooter(e, usage, done)
	if err := st.Err(); err != nil {
		if errors.Is(err, e.ctx.Err()) {
			return errors.New("stopped; the partial draft above was kept")
		}
		return err
	}
	return nil
}

// basketFor reads the --basket flag: a file of paper IDs, or "app" for the
// basket marked in the app (saved in its session file).
func basketFor(e *env, spec string) ([]string, error) {
	if spec != "app" {
		return readBasket(spec)
	}
	dir := appStateDir(e)
	if dir == "" {
		return nil, errors.New("basket app: the app keeps no session (llm.data_dir is empty)")
	}
	ids, _, err := tui.SavedBasket(dir)
	if err != nil {
		return nil, fmt.Errorf("basket app: %w", err)
	}
	if len(ids) == 0 {
		return nil, errors.New("basket app: the app's basket is empty (mark papers with space in quire)")
	}
	return ids, nil
}

// printRunFooter reports a run's cost and where it was saved, on stderr so
// the answer or draft on stdout stays clean.
func printRunFooter(e *env, usage *agent.Usage, done *agent.Done) {
	if usage != nil {
		fmt.Fprintf(e.stderr, "%s · %s · %d in / %d out tokens · $%.4f (session $%.4f)\n", usage.Provider, usage.Model,
			usage.Call.InputTokens, usage.Call.OutputTokens, usage.CostUSD, usage.SessionCostUSD)
	}
	if done != nil && done.Path != "" {
		fmt.Fprintf(e.stderr, "saved %s (id %s)\n", done.Path, done.ID)
	}
}
