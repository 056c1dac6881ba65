package cli

import (
	"flag"
	"fmt"
	"path/filepath"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

const demoPapers = 20_000

func init() {
	register(&command{
		name: "demo",
		args: "[flags]",
		summary: "Generate a SYNTHETIC library of 20,000 papers (once, cached), index it and search it.\n" +
			"Works offline with no keys. The index lands under the cache dir unless --index is given.",
		run: runDemo,
	})
}

func runDemo(e *env, fs *flag.FlagSet, args []string) error {
	base := filepath.Join(e.cfg.CacheDir, "demo")
	path := filepath.Join(base, fmt.Sprintf("synthetic-%d.jsonl.gz", demoPapers))
	if err := ensureSynthetic(e, path, demoPapers, 1); err != nil {
		return err
	}
	dir := filepath.Join(base, "index")
	if e.indexFlag {
		dir = e.cfg.Index
	}
	x, err := openIndexAt(e, dir, false)
	if err != nil {
		return err
	}
	defer x.Close()
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, synth.Source)
	if err != nil {
		return err
	}
	if err := ingestOne(e, x, src, &ingestFlags{maxShown: 5}, nil); err != nil {
		return err
	}
	if err := syncVectors(e, x); err != nil {
		return err
	}
	color := isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	for _, q := range []string{"graph neural networks", "dark matter halo year:2015..2024"} {
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
		fmt.Fprintf(e.stdout, "\n$ quire search %q\n", q)
		printResult(e.stdout, res, 0, color)
	}
	n, _ := x.Count()
	fmt.Fprintf(e.stdout, "\nThe demo index holds %s synthetic papers at %s. Search it yourself:\n  quire --index %s search \"protein structure\" year:2010.. field:Biology\n  quire --index %s ask \"what limits graph neural networks?\"\n  quire --index %s          (the terminal app)\n",
		progress.HumanCount(int64(n)), dir, dir, dir, dir)
	return nil
}
