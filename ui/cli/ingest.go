package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

type ingestFlags struct {
	format, fieldMap, label, endpoint, region, errorsLog string
	pathStyle, force, retrain                            bool
	batch, parallel, maxShown                            int
}

func init() {
	var f ingestFlags
	register(&command{
		name: "ingest",
		args: "[flags] SOURCE... | --retrain",
		summary: "Read papers into the index. SOURCE is a JSONL file (plain or .gz: BEIR corpus,\n" +
			"arXiv metadata snapshot, OpenAlex works, or any JSONL through --map), a BEIR\n" +
			"collection folder, a folder of JSONL files, a folder of Markdown/text papers, or\n" +
			"s3://bucket/prefix. Bad records are reported with file:line and skipped. Ctrl-C\n" +
			"stops cleanly; running the same command again resumes where it stopped.\n" +
			"--retrain learns the local embedder again from every paper in the index and\n" +
			"re-embeds them all (after the corpus has grown a lot, or to upgrade an index).",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.format, "format", "auto", "input format: auto, beir, arxiv, openalex, jsonl, folder")
			fs.StringVar(&f.fieldMap, "map", "", "field map for generic JSONL, e.g. 'abstract=summary,venue=journal.name'")
			fs.StringVar(&f.label, "source", "", "source label stored on every paper (a facet); default from the input")
			fs.StringVar(&f.endpoint, "endpoint-url", "", "S3-compatible endpoint (MinIO, Ceph, LocalStack)")
			fs.StringVar(&f.region, "region", "", "S3 region (default from the AWS config)")
			fs.BoolVar(&f.pathStyle, "path-style", false, "S3 path-style addressing")
			fs.IntVar(&f.parallel, "s3-concurrency", 0, "parallel S3 GETs (default from config)")
			fs.BoolVar(&f.force, "force", false, "re-read sources that a checkpoint says are done")
			fs.IntVar(&f.batch, "batch", 0, "papers per atomic batch (default from config)")
			fs.StringVar(&f.errorsLog, "errors", "", "write every bad record to this file as well")
			fs.IntVar(&f.maxShown, "show-errors", 20, "bad records printed per source; the rest are counted")
			fs.BoolVar(&f.retrain, "retrain", false, "after reading any SOURCE, learn the local embedder again and re-embed every paper")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runIngest(e, &f, args) },
	})
}

func runIngest(e *env, f *ingestFlags, args []string) error {
	if len(args) == 0 && !f.retrain {
		return usagef("ingest needs at least one SOURCE (try: quire ingest ../shared/data/scifact)")
	}
	fm, err := corpus.ParseFieldMap(f.fieldMap)
	if err != nil {
		return usagef("--map: %v", err)
	}
	if len(e.cfg.Ingest.FieldMap) > 0 && f.fieldMap == "" {
		fm = corpus.FieldMap(e.cfg.Ingest.FieldMap)
	}
	so := sourceOptions{
		format: f.format, fieldMap: fm, label: f.label,
		endpoint: firstNonEmpty(f.endpoint, e.cfg.S3.EndpointURL),
		region:   firstNonEmpty(f.region, e.cfg.S3.Region),
		pathSty:  f.pathStyle || e.cfg.S3.PathStyle,
		parallel: firstPositive(f.parallel, e.cfg.S3.Concurrency),
	}
	var log io.Writer
	if f.errorsLog != "" {
		lf, err := os.Create(f.errorsLog)
		if err != nil {
			return err
		}
		defer lf.Close()
		log = lf
	}
	x, err := openIndex(e, false)
	if err != nil {
		return err
	}
	defer x.Close()
	var failed error
	for _, spec := range args {
		src, err := openSource(e.ctx, spec, so)
		if err != nil {
			return err
		}
		if err := ingestOne(e, x, src, f, log); err != nil {
			if errors.Is(err, search.ErrStopped) {
				return err
			}
			failed = errors.Join(failed, err)
		}
	}
	sync := syncVectors
	if f.retrain {
		sync = retrainVectors
	}
	if err := sync(e, x); err != nil {
		return errors.Join(failed, err)
	}
	return failed
}

func ingestOne(e *env, eng search.Engine, src corpus.Source, f *ingestFlags, log io.Writer) error {
	bar := progress.New(e.stderr, "ingest "+shortName(src.Name()), src.Size(e.ctx), "papers",
		progress.WithResumeHint("run the same command again to resume"))
	rep := &errReport{w: e.stderr, log: log, max: f.maxShown, bar: bar}
	st, err := search.Ingest(e.ctx, eng, src, search.IngestOptions{
		BatchSize: firstPositive(f.batch, e.cfg.Ingest.BatchSize),
		Force:     f.force,
		Progress: func(p search.IngestProgress) {
			bar.Update(p.Bytes, p.Papers)
			if p.Errors > 0 {
				bar.SetNote(fmt.Sprintf("%s skipped", progress.HumanCount(p.Errors)))
			}
		},
		OnError:   rep.record,
		OnWarning: rep.warning,
	})
	switch {
	case st.AlreadyDone:
		bar.Discard()
		fmt.Fprintf(e.stdout, "%s: already ingested (%s papers); use --force to read it again\n", src.Name(), progress.HumanCount(st.Papers))
		return nil
	case errors.Is(err, search.ErrStopped):
		bar.Abort()
	case err != nil:
		bar.Fail(err)
	default:
		bar.Finish()
	}
	rep.summary(e.stdout, src.Name(), st)
	return err
}

// errReport prints the first bad records of a source in full and counts
// the rest by field, so a dump with a million broken lines stays readable.
type errReport struct {
	mu       sync.Mutex
	w, log   io.Writer
	max      int
	shown    int
	byReason map[string]int64
	warnings map[string]int64
	bar      *progress.Reporter
}

func (r *errReport) record(re *corpus.RecordError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byReason == nil {
		r.byReason = map[string]int64{}
	}
	r.byReason[reasonKey(re.Err)]++
	if r.log != nil {
		fmt.Fprintf(r.log, "skip %s\n", re)
	}
	if r.shown < r.max {
		r.shown++
		r.bar.Println(fmt.Sprintf("skip %s", re))
	}
}

func (r *errReport) warning(pos corpus.Position, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.warnings == nil {
		r.warnings = map[string]int64{}
	}
	r.warnings[msg]++
	if r.log != nil {
		fmt.Fprintf(r.log, "warn %s: %s\n", pos, msg)
	}
}

// reasonKey groups errors by field ("id", "year", "json") for the summary.
func reasonKey(err error) string {
	var fe *corpus.FieldError
	if errors.As(err, &fe) && fe.Field != "" {
		return fe.Field
	}
	s := err.Error()
	if i := strings.IndexAny(s, ":("); i > 0 && i < 40 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func (r *errReport) summary(w io.Writer, name string, st search.IngestStats) {
	from := ""
	if st.ResumedFrom != (corpus.Cursor{}) {
		from = fmt.Sprintf(" (resumed after line %d of unit %d)", st.ResumedFrom.Line, st.ResumedFrom.Unit)
	}
	fmt.Fprintf(w, "%s: %s papers written, %s skipped, %s warnings in %s%s\n", name,
		progress.HumanCount(st.Papers), progress.HumanCount(st.Errors), progress.HumanCount(st.Warnings),
		progress.HumanDuration(st.Elapsed), from)
	printCounts(w, "  skipped", r.byReason)
	printCounts(w, "  kept with warning", r.warnings)
}

func printCounts(w io.Writer, label string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, progress.HumanCount(m[k])))
	}
	fmt.Fprintf(w, "%s: %s\n", label, strings.Join(parts, ", "))
}

func shortName(s string) string {
	if len(s) <= 40 {
		return s
	}
	return "…" + s[len(s)-39:]
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

func firstPositive(a ...int) int {
	for _, n := range a {
		if n > 0 {
			return n
		}
	}
	return 0
}
