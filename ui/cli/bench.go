package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/ui/progress"
)

type benchFlags struct {
	papers, queries int
	corpusPath      string
	json            bool
	fullText        bool
}

func init() {
	var f benchFlags
	register(&command{
		name: "bench",
		args: "[flags]",
		summary: "Measure ingest rate, peak memory, index size and query latency on a SYNTHETIC\n" +
			"corpus (see 'quire gen'): plain BM25, BM25 with year+field facets, and BM25 with\n" +
			"filters. With --index DIR the index is kept and reused by the next run.",
		flags: func(fs *flag.FlagSet) any {
			fs.IntVar(&f.papers, "papers", 100_000, "synthetic papers to index")
			fs.IntVar(&f.queries, "queries", 500, "queries per latency measurement")
			fs.StringVar(&f.corpusPath, "corpus", "", "JSONL corpus to use instead of generating one (cached under the cache dir)")
			fs.BoolVar(&f.json, "json", false, "print the results as JSON")
			fs.BoolVar(&f.fullText, "full-text", false, "papers with bodies ('quire gen --full-text'); adds searches that return passages, and body sentences as queries")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runBench(e, fs, &f) },
	})
}

// benchResult is the JSON shape of 'quire bench'.
type benchResult struct {
	// Engine is set when it is not the embedded one alone.
	Engine       string               `json:"engine,omitempty"`
	Papers       uint64               `json:"papers"`
	IngestPerSec float64              `json:"ingest_papers_per_sec,omitempty"`
	IngestTime   time.Duration        `json:"ingest_ns,omitempty"`
	PeakRSS      int64                `json:"peak_rss_bytes"`
	IndexBytes   int64                `json:"index_bytes"`
	FacetWarmup  time.Duration        `json:"facet_warmup_ns"`
	Latency      map[string]latencies `json:"latency"`
	GOMAXPROCS   int                  `json:"gomaxprocs"`
	VectorSync   time.Duration        `json:"vector_sync_ns"`
	Vectors      uint64               `json:"vectors"`
	// PassageVectors are full-text passages' vectors, apart from Vectors.
	PassageVectors uint64 `json:"passage_vectors,omitempty"`
	VectorBytes    int64  `json:"vector_bytes"`
	Embedder       string `json:"embedder,omitempty"`
}

type latencies struct {
	P50, P90, P99, Max time.Duration
	Queries            int
	MeanHits           float64
	// First is the share of sentence queries whose own paper ranked
	// first (a known-item measure; full-text runs only).
	First float64 `json:",omitempty"`
}

func runBench(e *env, fs *flag.FlagSet, f *benchFlags) error {
	path := f.corpusPath
	if path == "" {
		name := fmt.Sprintf("synthetic-%d.jsonl", f.papers)
		if f.fullText {
			name = fmt.Sprintf("synthetic-full-%d.jsonl", f.papers)
		}
		path = filepath.Join(e.cfg.CacheDir, "bench", name)
		if err := ensureSynthetic(e, path, synth.Options{Papers: f.papers, Seed: 1, FullText: f.fullText}); err != nil {
			return err
		}
	}
	engines := e.cfg.Engines
	if len(engines) == 0 {
		engines = []string{e.cfg.Engine.Kind}
	}
	var results []benchResult
	var runs [][]benchRun // per result: the query kinds it measured
	for _, kind := range engines {
		be := *e
		be.cfg.Engine.Kind = kind
		r, rs, err := benchOne(&be, f, path)
		if err != nil {
			return err
		}
		if len(engines) > 1 || kind != config.EngineEmbedded {
			r.Engine = kind
		}
		results, runs = append(results, r), append(runs, rs)
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if len(results) == 1 {
			return enc.Encode(results[0])
		}
		return enc.Encode(results)
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printBench(e, r, runs[i])
	}
	if len(results) > 1 {
		printRatios(e, results, runs[0])
	}
	return nil
}

// benchPlace is where a bench builds its index: --index (or --collection)
// when given, kept for the next run; else a temporary directory, or on a
// cluster a collection emptied before and dropped after.
func benchPlace(e *env, path string) (at place, cleanup func(), err error) {
	at, cleanup = e.home(), func() {}
	switch {
	case e.placeFlag():
	case e.weaviate():
		sum := sha256.Sum256([]byte(path))
		at.collection = fmt.Sprintf("%sBench_%x", at.collection, sum[:3])
		drop := func() {
			if x, err := openEngineAt(e, at, false); err == nil {
				if d, ok := x.(dropper); ok {
					_ = d.Drop(context.WithoutCancel(e.ctx))
				}
				x.Close()
			}
		}
		drop()
		cleanup = drop
	default:
		tmp, err := os.MkdirTemp("", "quire-bench-")
		if err != nil {
			return at, nil, err
		}
		at.dir = filepath.Join(tmp, "index")
		cleanup = func() { os.RemoveAll(tmp) }
	}
	return at, cleanup, nil
}

// benchOne measures one engine on the corpus at path.
func benchOne(e *env, f *benchFlags, path string) (benchResult, []benchRun, error) {
	var r benchResult
	at, cleanup, err := benchPlace(e, path)
	if err != nil {
		return r, nil, err
	}
	defer cleanup()
	x, err := openEngineAt(e, at, false)
	if err != nil {
		return r, nil, err
	}
	defer x.Close()
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, synth.Source)
	if err != nil {
		return r, nil, err
	}
	r.GOMAXPROCS = runtime.GOMAXPROCS(0)
	bar := progress.New(e.stderr, "bench ingest", src.Size(e.ctx), "papers")
	st, err := search.Ingest(e.ctx, x, src, search.IngestOptions{
		BatchSize: e.cfg.Ingest.BatchSize,
		Progress:  func(p search.IngestProgress) { bar.Update(p.Bytes, p.Papers) },
	})
	if err != nil {
		bar.Fail(err)
		return r, nil, err
	}
	bar.Finish()
	if !st.AlreadyDone && st.Elapsed > 0 {
		r.IngestTime = st.Elapsed
		r.IngestPerSec = float64(st.Papers) / st.Elapsed.Seconds()
	}
	// The vector half: training the local embedder, embedding and graph
	// building all count as ingest time.
	t1 := time.Now()
	if err := syncVectors(e, x); err != nil {
		return r, nil, err
	}
	r.VectorSync = time.Since(t1)
	if r.IngestTime > 0 {
		r.IngestTime += r.VectorSync
		r.IngestPerSec = float64(st.Papers) / r.IngestTime.Seconds()
	}
	if stats, err := x.Stats(e.ctx); err == nil {
		r.Vectors, r.VectorBytes, r.Embedder = stats.Vectors, stats.VectorBytes, stats.Embedder
		r.PassageVectors = stats.PassageVectors
	}
	r.Papers, _ = paperCount(e.ctx, x)
	r.IndexBytes = diskBytes(e.ctx, x)

	queries, err := benchQueries(path, f.queries)
	if err != nil {
		return r, nil, err
	}
	// The first faceted search builds the facet columns; report it apart.
	t0 := time.Now()
	if _, err := x.Search(e.ctx, search.Request{Facets: []string{search.FacetYear, search.FacetField}, Limit: 1}); err != nil {
		return r, nil, err
	}
	r.FacetWarmup = time.Since(t0)

	r.Latency = map[string]latencies{}
	runs := []benchRun{
		{name: "bm25", build: func(q string) search.Request {
			return search.Request{Query: query.Query{Text: q}, Limit: 10, Mode: search.ModeBM25}
		}},
		{name: "bm25+facets(year,field)", build: func(q string) search.Request {
			return search.Request{Query: query.Query{Text: q}, Limit: 10, Facets: []string{search.FacetYear, search.FacetField}, FacetSize: 10, Mode: search.ModeBM25}
		}},
		{name: "bm25+filters(year,field)", build: func(q string) search.Request {
			pq, _ := query.Parse(q + " year:2015..2024 field:\"Computer Science\"")
			return search.Request{Query: pq, Limit: 10, Mode: search.ModeBM25}
		}},
		{name: "bm25+all-facets+snippets", build: func(q string) search.Request {
			return search.Request{Query: query.Query{Text: q}, Limit: 10, Facets: search.AllFacets, FacetSize: 10, Snippets: true, Mode: search.ModeBM25}
		}},
	}
	if hasVectors(e.ctx, x) {
		for _, mode := range []string{search.ModeVector, search.ModeHybrid} {
			runs = append(runs, benchRun{name: mode, build: func(q string) search.Request {
				return search.Request{Query: query.Query{Text: q}, Limit: 10, Mode: mode}
			}}, benchRun{name: mode + "+filters(year,field)", build: func(q string) search.Request {
				pq, _ := query.Parse(q + " year:2015..2024 field:\"Computer Science\"")
				return search.Request{Query: pq, Limit: 10, Mode: mode}
			}}, benchRun{name: mode + "+filters+facets", build: func(q string) search.Request {
				pq, _ := query.Parse(q + " year:2015..2024 field:\"Computer Science\"")
				return search.Request{Query: pq, Limit: 10, Mode: mode, Facets: []string{search.FacetYear, search.FacetField}, FacetSize: 10}
			}})
		}
	}
	var sentences, from []string
	if f.fullText {
		runs = append(runs, passageRuns(hasVectors(e.ctx, x))...)
		if sentences, from, err = benchSentences(path, f.queries); err != nil {
			return r, nil, err
		}
	}
	for _, run := range runs {
		qs, want := queries, []string(nil)
		if run.sentences {
			qs, want = sentences, from
		}
		l, err := measure(e, x, qs, want, run.build)
		if err != nil {
			return r, nil, err
		}
		r.Latency[run.name] = l
	}
	r.PeakRSS = peakRSS()
	return r, runs, nil
}

// diskBytes is the engine's size on this machine's disk, or as its
// statistics report it.
func diskBytes(ctx context.Context, x search.Engine) int64 {
	if d, ok := x.(diskUser); ok {
		return d.DiskBytes()
	}
	if st, err := x.Stats(ctx); err == nil {
		return st.DiskBytes
	}
	return 0
}

// printBench prints one engine's measurements for people.
func printBench(e *env, r benchResult, runs []benchRun) {
	w := e.stdout
	if r.Engine != "" {
		fmt.Fprintf(w, "engine:        %s\n", r.Engine)
	}
	fmt.Fprintf(w, "papers:        %s\n", progress.HumanCount(int64(r.Papers)))
	if r.IngestPerSec > 0 {
		fmt.Fprintf(w, "ingest:        %.0f papers/s (%s)\n", r.IngestPerSec, progress.HumanDuration(r.IngestTime))
	}
	disk := progress.HumanBytes(r.IndexBytes)
	if r.Engine == config.EngineWeaviate {
		// The client's own memory, and files that are on the nodes.
		disk = "on the cluster's nodes (.ci/weaviate.sh stats measures them)"
	}
	fmt.Fprintf(w, "peak RSS:      %s\nindex on disk: %s\nfacet warm-up: %s (first faceted query after open)\nGOMAXPROCS:    %d\n",
		progress.HumanBytes(r.PeakRSS), disk, r.FacetWarmup.Round(time.Millisecond), r.GOMAXPROCS)
	fmt.Fprintf(w, "vectors:       %s (%s in memory, %s), sync %s\n\n", vectorCount(r.Vectors, r.PassageVectors),
		progress.HumanBytes(r.VectorBytes), r.Embedder, progress.HumanDuration(r.VectorSync))
	fmt.Fprintf(w, "%-28s %8s %8s %8s %8s %10s\n", "query latency", "p50", "p90", "p99", "max", "mean hits")
	for _, run := range runs {
		l := r.Latency[run.name]
		fmt.Fprintf(w, "%-28s %8s %8s %8s %8s %10.0f\n", run.name, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), l.MeanHits)
	}
	for _, run := range runs {
		if run.sentences {
			fmt.Fprintf(w, "known item, %s: its paper first for %.1f%% of %d sentences\n", run.name, 100*r.Latency[run.name].First, r.Latency[run.name].Queries)
		}
	}
}

// printRatios sets each engine against the first: ingest rate and latency
// per query kind, as ratios (above 1: slower, or for ingest faster).
func printRatios(e *env, rs []benchResult, runs []benchRun) {
	w, base := e.stdout, rs[0]
	for _, r := range rs[1:] {
		fmt.Fprintf(w, "\n%s against %s\n", r.Engine, base.Engine)
		if r.IngestPerSec > 0 && base.IngestPerSec > 0 {
			fmt.Fprintf(w, "%-28s %8.2fx\n", "ingest papers/s", r.IngestPerSec/base.IngestPerSec)
		}
		fmt.Fprintf(w, "%-28s %9s %9s\n", "query latency", "p50", "p99")
		for _, run := range runs {
			a, b := r.Latency[run.name], base.Latency[run.name]
			if a.Queries == 0 || b.Queries == 0 {
				continue
			}
			fmt.Fprintf(w, "%-28s %8.2fx %8.2fx\n", run.name, ratio(a.P50, b.P50), ratio(a.P99, b.P99))
		}
	}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// benchRun is one kind of query the bench times.
type benchRun struct {
	name  string
	build func(q string) search.Request
	// sentences runs it on sentences from the bodies, not title words.
	sentences bool
}

// passageRuns are the searches a full-text corpus adds: hits with their
// best passages, for title-word queries and for sentences taken from the
// bodies (the known-item kind of query, long and specific).
func passageRuns(vectors bool) []benchRun {
	modes := []string{search.ModeBM25}
	if vectors {
		modes = append(modes, search.ModeHybrid)
	}
	var out []benchRun
	for _, sentences := range []bool{false, true} {
		for _, mode := range modes {
			name := mode + "+passages"
			if sentences {
				name += " (sentence)"
			}
			out = append(out, benchRun{name: name, sentences: sentences, build: func(q string) search.Request {
				return search.Request{Query: query.Query{Text: q}, Limit: 10, Mode: mode, Passages: true}
			}})
		}
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// measure runs every query once to warm caches, then again timed. With
// want (each query's own paper) it also counts how often that ranked first.
func measure(e *env, x search.Engine, queries, want []string, build func(string) search.Request) (latencies, error) {
	for _, q := range queries[:min(len(queries), 50)] {
		if _, err := x.Search(e.ctx, build(q)); err != nil {
			return latencies{}, err
		}
	}
	d := make([]time.Duration, 0, len(queries))
	var hits, first float64
	for i, q := range queries {
		t := time.Now()
		res, err := x.Search(e.ctx, build(q))
		if err != nil {
			return latencies{}, err
		}
		d = append(d, time.Since(t))
		hits += float64(res.Total)
		if want != nil && len(res.Hits) > 0 && res.Hits[0].ID == want[i] {
			first++
		}
	}
	slices.Sort(d)
	pct := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return latencies{P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: d[len(d)-1], Queries: len(d),
		MeanHits: hits / float64(len(d)), First: first / float64(len(d))}, nil
}

// benchQueries draws 1–4 word queries from paper titles, the way people
// type them: words of the same title, skipping short glue words.
func benchQueries(path string, n int) ([]string, error) {
	rng := rand.New(rand.NewPCG(7, 11))
	var out []string
	// Lines passed over, for a corpus too small to give n at one in 20.
	var spare [][]byte
	take := func(line []byte) {
		var p struct{ Title string }
		if json.Unmarshal(line, &p) != nil {
			return
		}
		var words []string
		for _, w := range strings.Fields(p.Title) {
			w = strings.Trim(w, ".,:;()")
			if len(w) > 3 {
				words = append(words, w)
			}
		}
		if len(words) == 0 {
			return
		}
		k := 1 + rng.IntN(min(4, len(words)))
		start := rng.IntN(len(words) - k + 1)
		out = append(out, strings.Join(words[start:start+k], " "))
	}
	err := eachLine(path, func(line []byte) bool {
		if rng.IntN(20) != 0 {
			if len(spare) < n {
				spare = append(spare, slices.Clone(line))
			}
		} else {
			take(line)
		}
		return len(out) < n
	})
	if err != nil {
		return nil, err
	}
	for _, line := range spare {
		if len(out) >= n {
			break
		}
		take(line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no titles to draw queries from", path)
	}
	return out, nil
}

// eachLine passes the corpus file's lines (gzip or plain) to fn until fn
// returns false.
func eachLine(path string, fn func(line []byte) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	in, err := corpus.Decompress(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() && fn(sc.Bytes()) {
	}
	return sc.Err()
}

// benchSentences draws n sentences of 12–40 words from the bodies of
// papers spread over the corpus, one a paper, with the papers' IDs.
func benchSentences(path string, n int) (sentences, ids []string, err error) {
	rng := rand.New(rand.NewPCG(13, 17))
	err = eachLine(path, func(line []byte) bool {
		if rng.IntN(5) != 0 {
			return true
		}
		var p struct {
			ID       string `json:"id"`
			FullText string `json:"full_text"`
		}
		if json.Unmarshal(line, &p) != nil {
			return true
		}
		var cands []string
		for _, s := range strings.SplitAfter(p.FullText, ". ") {
			if w := len(strings.Fields(s)); w >= 12 && w <= 40 && !strings.Contains(s, "\n") {
				cands = append(cands, strings.TrimSpace(s))
			}
		}
		if len(cands) > 0 {
			sentences, ids = append(sentences, cands[rng.IntN(len(cands))]), append(ids, p.ID)
		}
		return len(sentences) < n
	})
	if err != nil {
		return nil, nil, err
	}
	if len(sentences) == 0 {
		return nil, nil, fmt.Errorf("%s: no full text to draw sentences from (generate it with 'quire gen --full-text')", path)
	}
	return sentences, ids, nil
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
