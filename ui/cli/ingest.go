package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

type ingestFlags struct {
	format, fieldMap, label, endpoint, region, errorsLog string
	pathStyle, force, retrain                            bool
	batch, parallel, maxShown                            int
	watch                                                bool // --watch: keep the index in step with a folder
}

func init() {
	var f ingestFlags
	register(&command{
		name: "ingest",
		args: "[flags] SOURCE... | --retrain",
		summary: "Read papers into the index. SOURCE is a JSONL file (plain or .gz: BEIR corpus,\n" +
			"arXiv metadata snapshot, OpenAlex works, or any JSONL through --map), a BEIR\n" +
			"collection folder, a folder of JSONL files, a folder of Markdown/text/PDF papers\n" +
			"or one such paper, a reference library (.bib, .ris, CSL-JSON), or\n" +
			"s3://bucket/prefix, or sqs://QUEUE_URL to index S3 event notifications as objects\n" +
			"land (runs until Ctrl-C; see docs/sqs.md). Bad records are reported with\n" +
			"file:line and skipped. Ctrl-C stops cleanly; running the same command again\n" +
			"resumes where it stopped.\n" +
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
			fs.IntVar(&f.maxShown, "show-errors", 20, "bad records (and warnings) printed per source; the rest are counted")
			fs.BoolVar(&f.retrain, "retrain", false, "after reading any SOURCE, learn the local embedder again and re-embed every paper")
			fs.BoolVar(&f.watch, "watch", false, "after ingesting a folder of .md/.txt/.pdf papers, keep watching it: new, changed and\nremoved files are indexed as their writes settle, until Ctrl-C (docs/watch.md)")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runIngest(e, &f, args) },
	})
}

func runIngest(e *env, f *ingestFlags, args []string) error {
	if e.bedrockKB() {
		return readOnlyKB()
	}
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
	so := sourceOptionsFor(e, f)
	so.fieldMap = fm
	if f.watch {
		return runWatch(e, f, args, so)
	}
	if spec, ok, err := sqsSource(args, f.retrain, fm); ok || err != nil {
		if err != nil {
			return err
		}
		return runSQS(e, f, spec, so)
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
	x, l, err := openIngestEngine(e, args)
	if err != nil {
		return err
	}
	if _, ok := x.(retrainer); f.retrain && !ok {
		x.Close()
		l.close()
		return notSupported(e, "ingest --retrain")
	}
	var tot ingestTotals
	err = ingestAll(e, x, f, args, so, log, &tot)
	// Closing waits for the last batches to reach the disk: part of the
	// run, so before the closing line and its time.
	if cerr := slowStep(e, "write the index to disk", x.Close); cerr != nil && err == nil {
		err = cerr
	}
	l.committed(int(tot.papers), 0, 0, time.Now().UTC())
	l.close()
	printDurable(e, x)
	var sk skippedError
	if err != nil && tot.err == nil && !errors.As(err, &sk) {
		tot.err = err
	}
	tot.print(e)
	return err
}

// printDurable says, after a write failure, what the disk holds, read
// once bleve stopped retrying: the next run resumes exactly there.
func printDurable(e *env, x search.Engine) {
	dr, ok := x.(durableReporter)
	if !ok {
		return
	}
	d := dr.Durable()
	if d == nil {
		return
	}
	fmt.Fprintf(e.stderr, "on disk: %s papers", progress.HumanCount(int64(d.Papers)))
	for _, c := range d.Checkpoints {
		fmt.Fprintf(e.stderr, "; checkpoint of %s: %s papers (line %d)", sanitize(c.Source), progress.HumanCount(c.Papers), c.Cursor.Line)
	}
	fmt.Fprintln(e.stderr)
}

// ingestAll reads every source into x, then brings the vectors up to date.
func ingestAll(e *env, x search.Engine, f *ingestFlags, args []string, so sourceOptions, log io.Writer, tot *ingestTotals) error {
	if so.pdf == nil {
		l := &lazyPDF{}
		defer l.Close()
		so.pdf = l.read
	}
	var failed error
	for _, spec := range args {
		src, err := openSource(e.ctx, spec, so)
		if err != nil {
			return err
		}
		st, err := ingestOne(e, x, src, f, log)
		tot.add(st)
		if err != nil {
			tot.err = err
			if errors.Is(err, search.ErrStopped) {
				return err
			}
			failed = errors.Join(failed, err)
		}
	}
	tot.read = e.since()
	if fx, ok := x.(faulter); ok && fx.Fault() != nil {
		// A write failed and the index stopped taking writes; the error
		// is in failed already, and the vectors wait for the next run.
		return failed
	}
	sync := syncVectors
	if f.retrain {
		sync = retrainVectors
	}
	if err := sync(e, x); err != nil {
		tot.err = err
		return errors.Join(failed, err)
	}
	switch {
	case failed != nil:
		return failed
	case tot.errors > 0 && tot.papers == 0:
		tot.err = errors.New("nothing written")
		return fmt.Errorf("no papers written: %s bad (listed above)%s", allBad(tot.errors, "records read were", "the one record read was"), folderHint(args, so.format))
	case tot.errors > 0:
		return skippedError{skipped: tot.errors, written: tot.papers}
	}
	return nil
}

// allBad is "all 15 records read were" or, for one, "the one record read
// was": the words before "bad".
func allBad(n int64, many, one string) string {
	if n == 1 {
		return one
	}
	return "all " + progress.HumanCount(n) + " " + many
}

// folderHint is for a folder read as a JSONL dump because of the JSONL at
// its top (a dataset's ground truth beside its PDFs, say), when that JSONL
// held no paper: --format folder reads its papers' files instead.
func folderHint(args []string, format string) string {
	if format != "" && format != "auto" {
		return ""
	}
	for _, spec := range args {
		if isDir(spec) && len(jsonlFiles(spec)) > 0 {
			return fmt.Sprintf("; %s was read as JSONL for the .jsonl at its top: --format folder reads its PDF, Markdown and text files instead", spec)
		}
		if isFile(spec) && !jsonlName(spec) {
			// A .docx or .html is read as JSONL, the default for a file.
			return fmt.Sprintf("; %s was read as JSONL, the default for a file: Quire reads JSONL dumps (.jsonl, .jsonl.gz), papers (.pdf, .md, .txt) and libraries (.bib, .ris, CSL-JSON)", spec)
		}
	}
	return ""
}

// jsonlName reports whether a file's name says it holds JSON lines.
func jsonlName(p string) bool {
	n := strings.ToLower(strings.TrimSuffix(p, ".gz"))
	return strings.HasSuffix(n, ".jsonl") || strings.HasSuffix(n, ".ndjson") || strings.HasSuffix(n, ".json")
}

// ingestTotals sum a whole ingest run for its closing line, which gives
// the time of the whole command: reading the sources is often the short
// part, next to learning the embedder and embedding the papers.
type ingestTotals struct {
	papers, errors, sources int64
	read                    time.Duration // until the vector half began
	err                     error
}

func (t *ingestTotals) add(st search.IngestStats) {
	t.papers += st.Papers
	t.errors += st.Errors
	t.sources++
}

func (t *ingestTotals) print(e *env) {
	verb := "finished"
	switch {
	case errors.Is(t.err, search.ErrStopped) || errors.Is(t.err, context.Canceled):
		verb = "stopped"
	case t.err != nil:
		verb = "failed"
	}
	total := e.since()
	line := fmt.Sprintf("ingest %s in %s: %s written, %s skipped", verb, progress.HumanDuration(total),
		progress.HumanNoun(t.papers, "paper", "papers"), progress.HumanCount(t.errors))
	if t.read > 0 && total-t.read >= time.Second {
		line += fmt.Sprintf(" (reading %s, vectors %s)", progress.HumanDuration(t.read), progress.HumanDuration(total-t.read))
	}
	fmt.Fprintln(e.stdout, line)
}

func ingestOne(e *env, eng search.Engine, src corpus.Source, f *ingestFlags, log io.Writer) (search.IngestStats, error) {
	bar := e.newBar("ingest "+shortName(src.Name()), src.Size(e.ctx), "papers",
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
		if st.Errors > 0 && st.Papers == 0 {
			// Not "already ingested": a rerun of a dump whose every
			// record was bad must fail as the first run did.
			return search.IngestStats{AlreadyDone: true}, fmt.Errorf("%s: already read, and %s bad; a changed file is read anew, or use --force%s",
				oneLine(src.Name()), allBad(st.Errors, "of its records were", "its one record was"), folderHint([]string{src.Name()}, f.format))
		}
		fmt.Fprintf(e.stdout, "%s: already ingested (%s); use --force to read it again\n", oneLine(src.Name()), progress.HumanNoun(st.Papers, "paper", "papers"))
		return search.IngestStats{AlreadyDone: true}, nil
	case errors.Is(err, search.ErrStopped):
		bar.Abort()
	case err != nil:
		if errors.Is(err, corpus.ErrDamaged) {
			bar.FailFinal(err)
		} else {
			bar.Fail(err)
		}
	default:
		bar.Finish()
	}
	rep.summary(e.stdout, src.Name(), st)
	return st, err
}

// errReport prints the first bad records of a source in full and counts
// the rest by field, so a dump with a million broken lines stays readable.
type errReport struct {
	mu       sync.Mutex
	w, log   io.Writer
	max      int
	shown    int
	warned   int // warnings printed, up to max
	byReason map[string]int64
	warnings map[string]int64
	bar      bar
}

func (r *errReport) record(re *corpus.RecordError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byReason == nil {
		r.byReason = map[string]int64{}
	}
	r.byReason[corpus.ErrorKind(re.Err)]++
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
	// Shown like bad records, so a library entry whose PDF is missing is
	// named with its line, not only counted in the summary.
	if r.warned < r.max {
		r.warned++
		r.bar.Println(fmt.Sprintf("warn %s: %s", pos, msg))
	}
}

func (r *errReport) summary(w io.Writer, name string, st search.IngestStats) {
	from := ""
	if st.ResumedFrom != (corpus.Cursor{}) {
		from = fmt.Sprintf(" (resumed after line %d of unit %d)", st.ResumedFrom.Line, st.ResumedFrom.Unit)
	}
	fmt.Fprintf(w, "%s: %s written, %s skipped, %s warnings, read in %s%s\n", oneLine(name),
		progress.HumanNoun(st.Papers, "paper", "papers"), progress.HumanCount(st.Errors), progress.HumanCount(st.Warnings),
		progress.HumanDuration(st.Elapsed), from)
	printCounts(w, "  skipped", r.byReason)
	printCounts(w, "  kept with warning", r.warnings)
}

// maxKinds is how many kinds of bad record or warning a summary line
// names; a library whose entries each miss their own PDF would otherwise
// give one kind per entry.
const maxKinds = 5

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
	for _, k := range keys[:min(len(keys), maxKinds)] {
		parts = append(parts, fmt.Sprintf("%s %s", oneLine(k), progress.HumanCount(m[k])))
	}
	if rest := len(keys) - maxKinds; rest > 0 {
		n := int64(0)
		for _, k := range keys[maxKinds:] {
			n += m[k]
		}
		parts = append(parts, fmt.Sprintf("and %s of %s", progress.HumanCount(n), progress.HumanNoun(int64(rest), "other kind", "other kinds")))
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
