package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

// demoPapers is the demo library's size; tests build a smaller one.
var demoPapers = 20_000

// demoShown are the searches the demo runs and prints; demoSuggested are
// the commands it then suggests. TestDemoSuggestionsFindHits runs every
// one of them against a demo index, so none can lead to "0 hits".
var (
	demoShown     = []string{"graph neural networks", "dark matter halo year:2015..2024"}
	demoSuggested = [][]string{
		{"search", `protein folding year:2010.. field:"Quantitative Biology"`},
		{"search", `"dark matter" -simulation venue:"Journal of Cosmology"`},
		{"ask", "what limits graph neural networks?"},
	}
)

func init() {
	register(&command{
		name: "demo",
		args: "[flags]",
		summary: "Generate a SYNTHETIC library of 20,000 papers (once, cached), index it and search it.\n" +
			"Works offline with no keys. With no index at the default location the demo becomes the\n" +
			"default index, so 'quire search …' and 'quire' use it; when the default index holds your\n" +
			"own papers, the demo is built under the cache dir and the commands it prints name it.\n" +
			"--index DIR builds it in DIR.",
		run: runDemo,
	})
}

func runDemo(e *env, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usagef("demo takes no arguments (got %q)", strings.Join(args, " "))
	}
	at, isDefault := demoDir(e)
	if err := buildDemo(e.ctx, e, at, nil); err != nil {
		return err
	}
	x, err := openEngineAt(e, at, true)
	if err != nil {
		return err
	}
	defer x.Close()
	color := isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	for _, q := range demoShown {
		req, err := search.NewRequest(q, 3)
		if err != nil {
			return err
		}
		req.Snippets = true
		req = req.WithFacets(5, search.FacetYear, search.FacetField, search.FacetVenue)
		res, err := x.Search(e.ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\n$ quire search %s\n", shellQuote(q))
		printResult(e.stdout, res, 0, color)
	}
	n, _ := paperCount(e.ctx, x)
	printDemoNext(e, at, isDefault, n)
	fmt.Fprintf(e.stdout, "(demo ready in %s)\n", progress.HumanDuration(e.since()))
	return nil
}

// demoDir picks where the demo goes: --index (or --collection) when given;
// the default index when it holds nothing but the demo (or nothing at
// all), so plain 'quire search' works afterwards; otherwise a directory
// under the cache (a collection named after the default one, on a
// cluster), leaving the user's own papers alone. isDefault says whether
// plain commands (without --index) reach it.
func demoDir(e *env) (at place, isDefault bool) {
	home := e.home()
	if e.placeFlag() {
		return home, false
	}
	if indexFreeForDemo(e, home) {
		return home, true
	}
	return place{dir: filepath.Join(e.cfg.CacheDir, "demo", "index"), collection: home.collection + "Demo"}, false
}

// indexFreeForDemo reports whether at has no index, an empty one, or one
// holding only the demo's papers.
func indexFreeForDemo(e *env, at place) bool {
	if !e.weaviate() && !isFile(filepath.Join(at.dir, "index_meta.json")) {
		return true
	}
	x, err := openEngineAt(e, at, true)
	if err != nil {
		return false // unreadable: not ours to overwrite
	}
	defer x.Close()
	st, err := x.Stats(e.ctx)
	if err != nil {
		return false
	}
	if st.Papers == 0 {
		return true
	}
	// By file name, so a demo built with another --cache-dir counts too.
	for _, c := range st.Checkpoints {
		if filepath.Base(c.Source) != filepath.Base(demoCorpus(e)) {
			return false
		}
	}
	return len(st.Checkpoints) > 0
}

// demoCorpus is where the generated demo papers are cached.
func demoCorpus(e *env) string {
	return filepath.Join(e.cfg.CacheDir, "demo", fmt.Sprintf("synthetic-%d.jsonl.gz", demoPapers))
}

// buildDemo generates the demo papers (once; cached) and builds the demo
// index at the place at, vectors included. With report nil, progress goes to
// stderr as bars; otherwise every phase is reported as steps and nothing
// is printed (the app's first-run screen calls it this way). Running it
// again on a finished index does no work.
func buildDemo(ctx context.Context, e *env, at place, report func(step)) error {
	be := *e
	be.ctx = ctx
	if report != nil {
		be.steps = report
		be.stdout, be.stderr = io.Discard, io.Discard
	}
	path := demoCorpus(&be)
	if err := ensureSynthetic(&be, path, synth.Options{Papers: demoPapers, Seed: 1}); err != nil {
		return err
	}
	x, err := openEngineAt(&be, at, false)
	if err != nil {
		return err
	}
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, synth.Source)
	if err != nil {
		x.Close()
		return err
	}
	_, err = ingestOne(&be, x, src, &ingestFlags{maxShown: 5}, nil)
	if err == nil {
		err = syncVectors(&be, x)
	}
	if cerr := x.Close(); err == nil {
		err = cerr
	}
	return err
}

// printDemoNext says how to reach the demo index: plain commands when it
// is the default index, --index DIR (or --collection NAME) ones otherwise.
func printDemoNext(e *env, at place, isDefault bool, papers uint64) {
	w, where := e.stdout, e.describe(at)
	prefix := "quire"
	if e.weaviate() && len(e.cfg.Engines) > 0 {
		prefix += " --engine weaviate" // chosen on the command line, so not the default
	}
	if isDefault {
		fmt.Fprintf(w, "\nThe demo's %s synthetic papers are now your default index (%s).\nTry:\n",
			progress.HumanCount(int64(papers)), where)
	} else {
		if e.weaviate() {
			prefix += " --collection " + at.collection
		} else {
			prefix += " --index " + shellQuote(at.dir)
		}
		fmt.Fprintf(w, "\nThe demo index holds %s synthetic papers at %s (your default index is untouched).\nTry:\n",
			progress.HumanCount(int64(papers)), where)
	}
	for _, c := range demoSuggested {
		fmt.Fprintf(w, "  %s %s %s\n", prefix, c[0], shellQuote(c[1]))
	}
	fmt.Fprintf(w, "  %-*s (the terminal app)\n", len(prefix)+len(" search "), prefix)
	if isDefault && !e.weaviate() {
		fmt.Fprintf(w, "To use your own papers instead, remove it (rm -r %s) and run: quire ingest PATH\n", shellQuote(at.dir))
	}
}

// shellQuote quotes s for a POSIX shell when it needs it, so a printed
// command can be pasted as is.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
