package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quire-research/quire/agent"
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
			fs.StringVar(&f.basket, "basket", "", "file of paper IDs, one per line (# comments), always sent first")
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
	if len(args) != 1 {
		return usagef("draft needs one prompt name (try: quire draft prfaq -q 'protein design' --var product=FoldKit; 'quire prompts' lists them)")
	}
	basket, err := readBasket(f.basket)
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
	if err := printStream(e, st, out, f.json); err != nil {
		return err
	}
	if f.out != "" {
		fmt.Fprintf(e.stderr, "wrote %s\n", f.out)
	}
	return nil
}
