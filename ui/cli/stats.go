package cli

import (
	"encoding/json"
	"flag"
	"fmt"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

func init() {
	var asJSON bool
	register(&command{
		name:    "stats",
		args:    "[flags]",
		summary: "Describe the index: papers, size on disk, sources ingested and the top facet values.",
		flags: func(fs *flag.FlagSet) any {
			fs.BoolVar(&asJSON, "json", false, "print as JSON")
			return nil
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error {
			x, err := openEngine(e, true)
			if err != nil {
				return err
			}
			defer x.Close()
			st, err := x.Stats(e.ctx)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := e.stdout
			papers := progress.HumanCount(int64(st.Papers))
			if c, ok := x.(counter); ok {
				if _, cerr := c.Count(); cerr != nil {
					papers = "unknown: " + cerr.Error() // not a misleading 0
				}
			}
			fmt.Fprintf(w, "index:    %s\nengine:   %s\npapers:   %s\n",
				oneLine(st.Path), st.Engine, papers)
			// A cluster's files are on its nodes, not here.
			_, local := x.(diskUser)
			if local || st.DiskBytes > 0 {
				fmt.Fprintf(w, "on disk:  %s in %d segments\n", progress.HumanBytes(st.DiskBytes), st.Segments)
			}
			count := vectorCount(st.Vectors, st.PassageVectors)
			if st.Embedder != "" && (local || st.VectorBytes > 0) {
				fmt.Fprintf(w, "vectors:  %s by %s, %s in memory\n",
					count, oneLine(st.Embedder), progress.HumanBytes(st.VectorBytes))
			} else if st.Embedder != "" {
				fmt.Fprintf(w, "vectors:  %s by %s\n", count, oneLine(st.Embedder))
			}
			if c := st.Calibration; c != nil {
				fmt.Fprintf(w, "probe:    %s\n", probeLine(c))
			}
			for _, c := range st.Checkpoints {
				state := "complete"
				if !c.Done {
					state = fmt.Sprintf("stopped after line %d of unit %d (run ingest again to resume)", c.Cursor.Line, c.Cursor.Unit)
				}
				fmt.Fprintf(w, "source:   %s: %s, %s skipped, %s, %s\n", oneLine(c.Source), progress.HumanNoun(c.Papers, "paper", "papers"),
					progress.HumanCount(c.Errors), state, c.Updated.Format("2006-01-02 15:04"))
			}
			fmt.Fprintln(w)
			st0 := newStyle(isTerminal(w) && e.getenv("NO_COLOR") == "")
			for _, f := range st.Facets {
				printFacet(w, st0, f)
			}
			return nil
		},
	})
}

// vectorCount says how many vectors an index holds: the papers', and the
// passages' when there are any.
func vectorCount(papers, passages uint64) string {
	s := progress.HumanCount(int64(papers))
	if passages > 0 {
		s += " papers + " + progress.HumanCount(int64(passages)) + " passages"
	}
	return s
}

// probeLine says what the probe measured and how hybrid search adapted.
func probeLine(c *search.Calibration) string {
	how := "hybrid leans on BM25"
	switch {
	case c.Lean && c.Expands:
		how = "hybrid leans on vectors and expands BM25 queries"
	case c.Lean:
		how = "hybrid leans on vectors"
	}
	return fmt.Sprintf("%d held-out sentences, MRR vector %.3f vs BM25 %.3f: %s (vector weight %.2g)",
		c.Probes, c.VectorMRR, c.BM25MRR, how, c.Weight)
}
