package cli

import (
	"encoding/json"
	"flag"
	"fmt"

	"github.com/quire-research/quire/search/embedded"
)

func init() {
	var asJSON, repair bool
	register(&command{
		name:    "check",
		args:    "[--repair] [--json]",
		summary: "Verify the index: papers, checkpoints, vectors and facet columns against each other; --repair fixes what it can.",
		flags: func(fs *flag.FlagSet) any {
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
			fs.BoolVar(&repair, "repair", false, "rebuild facet columns, re-sync vectors, drop checkpoints that claim missing papers")
			return nil
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usagef("check takes no arguments (got %q)", args[0])
			}
			if e.weaviate() || e.bedrockKB() {
				// The cluster keeps its own replicas consistent; what
				// check compares (bleve, the vector log, facet files) is
				// the embedded index's.
				return notSupported(e, "check")
			}
			o, err := indexOptions(e, !repair)
			if err != nil {
				return err
			}
			r, err := embedded.Check(e.ctx, e.cfg.Index, o, repair)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				printCheck(e, r)
			}
			if !r.OK() {
				return fmt.Errorf("check: %d problems in %s", len(r.Problems), r.Path)
			}
			return nil
		},
	})
}

func printCheck(e *env, r *embedded.CheckReport) {
	w := e.stdout
	where := fmt.Sprintf("sequence %d; bleve recorded %d", r.VectorSeq, r.BleveSeq)
	if r.Remote != "" {
		where = "in " + r.Remote + ", as its ledger records"
	}
	fmt.Fprintf(w, "index:       %s\npapers:      %d\nvectors:     %d of papers, %d of passages (%s)\n",
		r.Path, r.Papers, r.Vectors, r.Passages, where)
	if r.PassageDocs >= 0 {
		fmt.Fprintf(w, "passages:    %d documents for BM25, of %d in the papers' full texts\n", r.PassageDocs, r.BodyPassages)
	}
	fmt.Fprintf(w, "checkpoints: %d\nfacet files: %d\n", r.Checkpoints, r.FacetFiles)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note:     %s\n", sanitize(n))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem:  %s\n", sanitize(p))
	}
	for _, p := range r.Repaired {
		fmt.Fprintf(w, "repaired: %s\n", sanitize(p))
	}
	if r.OK() {
		fmt.Fprintln(w, "ok")
	}
}
