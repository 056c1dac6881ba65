package cli

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/eval"
	"github.com/quire-research/quire/ui/progress"
)

type evalFlags struct {
	json     bool
	perQuery bool
	mode     string
	split    string
}

func init() {
	var f evalFlags
	register(&command{
		name: "eval",
		args: "[flags] BEIR_DIR...",
		summary: "Measure retrieval quality on BEIR-layout collections (corpus.jsonl, queries.jsonl,\n" +
			"qrels.tsv or qrels/test.tsv): nDCG@10, Recall@100 and MRR@10 over the judged\n" +
			"queries. Each corpus is indexed into a temporary index unless --index names one.\n" +
			"With all three modes, hybrid's gain over each single mode is printed with a 95%\n" +
			"paired-bootstrap interval: on a few dozen queries, a gap inside it is noise.",
		flags: func(fs *flag.FlagSet) any {
			fs.BoolVar(&f.json, "json", false, "print the results as JSON")
			fs.BoolVar(&f.perQuery, "per-query", false, "with --json, include every query's scores")
			fs.StringVar(&f.mode, "mode", "all", "bm25, vector, hybrid, or all three side by side")
			fs.StringVar(&f.split, "split", "", "judge another split's queries, e.g. train: SPLIT-queries.jsonl and\nSPLIT-qrels.tsv, or queries.jsonl and qrels/SPLIT.tsv")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runEval(e, fs, &f, args) },
	})
}

// evalResult is one collection's outcome, the JSON shape of 'quire eval'.
type evalResult struct {
	Collection string `json:"collection"`
	// Engine is set when it is not the embedded one alone.
	Engine string       `json:"engine,omitempty"`
	Mode   string       `json:"mode"`
	Papers uint64       `json:"papers"`
	Report *eval.Report `json:"report"`
	// Versus holds hybrid against each single mode, on hybrid's result.
	Versus []eval.Comparison `json:"versus,omitempty"`
	// VersusEngine holds this engine against the first one named, in the
	// same mode, when --engine names several.
	VersusEngine *eval.Comparison `json:"versus_engine,omitempty"`
}

// name labels a result in the tables.
func (r evalResult) name() string {
	if r.Engine != "" {
		return r.Collection + " (" + r.Mode + ", " + r.Engine + ")"
	}
	return r.Collection + " (" + r.Mode + ")"
}

func runEval(e *env, fs *flag.FlagSet, f *evalFlags, args []string) error {
	if len(args) == 0 {
		return usagef("eval needs a BEIR collection folder (try: quire eval ../shared/data/scifact)")
	}
	explicitIndex := e.placeFlag()
	if explicitIndex && len(args) > 1 {
		return usagef("--index names one index, so give one collection at a time")
	}
	modes := []string{search.ModeBM25, search.ModeVector, search.ModeHybrid}
	switch f.mode {
	case "all", "":
	case search.ModeBM25, search.ModeVector, search.ModeHybrid:
		modes = []string{f.mode}
	default:
		return usagef("--mode %q: use bm25, vector, hybrid or all", f.mode)
	}
	engines := e.cfg.Engines
	if len(engines) == 0 {
		engines = []string{e.cfg.Engine.Kind}
	}
	var results []evalResult
	for _, dir := range args {
		var first []evalResult
		for i, kind := range engines {
			be := *e
			be.cfg.Engine.Kind = kind
			rs, err := evalOne(&be, dir, f.split, be.placeFlag(), modes)
			if err != nil {
				return err
			}
			if len(engines) > 1 || kind != config.EngineEmbedded {
				for j := range rs {
					rs[j].Engine = kind
				}
			}
			if err := compareModes(rs); err != nil {
				return err
			}
			if i == 0 {
				first = rs
			} else if err := compareEngines(rs, first); err != nil {
				return err
			}
			results = append(results, rs...)
		}
	}
	if !f.perQuery {
		for _, r := range results {
			r.Report.PerQuery = nil
		}
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	var rows []eval.Row
	for _, r := range results {
		rows = append(rows, eval.Row{Name: r.name(), Metrics: r.Report.Metrics})
	}
	fmt.Fprint(e.stdout, eval.Compare(rows))
	fmt.Fprint(e.stdout, versusTable(results))
	fmt.Fprint(e.stdout, enginesTable(results))
	return nil
}

// compareEngines sets, on each of rs, how it fares against the result of
// the same mode in base (the first engine, on the same collection).
func compareEngines(rs, base []evalResult) error {
	for i := range rs {
		for _, b := range base {
			if b.Mode != rs[i].Mode {
				continue
			}
			c, err := eval.Paired(rs[i].Engine, *rs[i].Report, b.Engine, *b.Report)
			if err != nil {
				return fmt.Errorf("%s: %w", rs[i].Collection, err)
			}
			rs[i].VersusEngine = &c
		}
	}
	return nil
}

// enginesTable prints each engine against the first, or nothing.
func enginesTable(results []evalResult) string {
	var names []string
	var cs []eval.Comparison
	for _, r := range results {
		if c := r.VersusEngine; c != nil {
			names = append(names, r.Collection+" "+r.Mode+": "+c.A+" − "+c.B)
			cs = append(cs, *c)
		}
	}
	if len(cs) == 0 {
		return ""
	}
	return "\neach engine against the first, mode by mode: mean per-query difference, 95% paired-bootstrap interval:\n" +
		eval.DiffTable(names, cs)
}

// compareModes sets, on a collection's hybrid result, how hybrid fares
// against each single mode measured beside it.
func compareModes(rs []evalResult) error {
	var hybrid *evalResult
	for i := range rs {
		if rs[i].Mode == search.ModeHybrid {
			hybrid = &rs[i]
		}
	}
	if hybrid == nil {
		return nil
	}
	for _, r := range rs {
		if r.Mode == search.ModeHybrid {
			continue
		}
		c, err := eval.Paired(hybrid.Mode, *hybrid.Report, r.Mode, *r.Report)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Collection, err)
		}
		hybrid.Versus = append(hybrid.Versus, c)
	}
	return nil
}

// versusTable prints the comparisons, or nothing when there are none.
func versusTable(results []evalResult) string {
	var names []string
	var cs []eval.Comparison
	for _, r := range results {
		for _, c := range r.Versus {
			names = append(names, strings.TrimSpace(r.Collection+" "+r.Engine)+" "+c.A+" − "+c.B)
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return ""
	}
	return "\nhybrid against each single mode: mean per-query difference, 95% paired-bootstrap interval\n" +
		"(an interval holding 0 is a gap these queries cannot tell from chance):\n" + eval.DiffTable(names, cs)
}

func evalOne(e *env, dir, split string, explicitIndex bool, modes []string) ([]evalResult, error) {
	col, err := corpus.OpenBEIRSplit(dir, split)
	if err != nil {
		return nil, err
	}
	at := e.home()
	switch {
	case explicitIndex:
	case e.weaviate():
		// A collection per corpus, kept: the next run finds it ingested
		// and embedded, and only searches.
		at.collection = evalCollection(e, dir)
	default:
		tmp, err := os.MkdirTemp("", "quire-eval-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		at.dir = filepath.Join(tmp, "index")
	}
	if e.s3vectorsOn() && !explicitIndex {
		// An S3 Vectors index per collection (engine_s3vectors.go).
		ev := *e
		ev.cfg.Vectors.Index = evalVectorIndex(e.cfg.Vectors.Index, dir)
		e = &ev
	}
	x, err := openEngineAt(e, at, false)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	if err := ingestQuiet(e, x, col.Corpus); err != nil {
		return nil, err
	}
	if err := syncVectors(e, x); err != nil {
		return nil, err
	}
	n, _ := paperCount(e.ctx, x)
	queries := make([]eval.Query, len(col.Queries))
	for i, q := range col.Queries {
		queries[i] = eval.Query{ID: q.ID, Text: q.Text}
	}
	if !hasVectors(e.ctx, x) && len(modes) > 1 {
		fmt.Fprintf(e.stderr, "%s: no vectors (embedder %q, %d papers), so only BM25 is measured\n", col.Name, e.cfg.Embed.Provider, n)
		modes = []string{search.ModeBM25}
	}
	var out []evalResult
	for _, mode := range modes {
		bar := progress.New(e.stderr, "eval "+col.Name+" "+mode, int64(len(queries)), "queries")
		rep, err := eval.Run(e.ctx, queries, col.Qrels, eval.ForEngineMode(x, mode), eval.Options{
			K:        100,
			Progress: func(done, total int) { bar.Update(int64(done), int64(done)) },
		})
		if err != nil {
			bar.Fail(err)
			return nil, err
		}
		bar.Discard()
		out = append(out, evalResult{Collection: col.Name, Mode: mode, Papers: n, Report: &rep})
	}
	return out, nil
}

// ingestQuiet ingests with a progress bar but prints bad records only as a
// count: evaluation collections are known data.
func ingestQuiet(e *env, eng search.Engine, src corpus.Source) error {
	f := &ingestFlags{maxShown: 5}
	_, err := ingestOne(&env{ctx: e.ctx, stdout: e.stderr, stderr: e.stderr, getenv: e.getenv, cfg: e.cfg, start: e.start}, eng, src, f, nil)
	return err
}

// evalCollection names the cluster collection that holds the corpus in
// dir: the configured collection's name, the folder's, and a hash of its
// absolute path, so two folders of one name never share a collection.
func evalCollection(e *env, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, filepath.Base(abs))
	return fmt.Sprintf("%sEval_%s_%x", e.cfg.Engine.Collection, name, sum[:3])
}
