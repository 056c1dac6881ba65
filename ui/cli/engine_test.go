package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/enginetest"
	"github.com/quire-research/quire/ui/tui"
)

// memCluster stands in for a Weaviate cluster: in-memory collections that
// outlive the engines opened on them, as a server's do.
type memCluster struct {
	mu    sync.Mutex
	colls map[string]*memEngine
	opens []string // collections opened, in order
}

func newMemCluster() *memCluster { return &memCluster{colls: map[string]*memEngine{}} }

func (c *memCluster) open(e *env, collection string) (search.Engine, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opens = append(c.opens, collection)
	m := c.colls[collection]
	if m == nil {
		m = &memEngine{papers: map[string]corpus.Paper{}, origins: map[string]search.Origin{}, cks: map[string]search.Checkpoint{}}
		c.colls[collection] = m
	}
	return m, nil
}

// memEngine is an in-memory search.Engine with a vector half to sync and
// a paper listing, but none of the embedded engine's extras (retrain,
// check, disk statistics).
type memEngine struct {
	mu      sync.Mutex
	papers  map[string]corpus.Paper
	order   []string // ids in first-write order, for the listing
	origins map[string]search.Origin
	cks     map[string]search.Checkpoint
	vectors int
	syncs   int
	writes  int // upserts received, duplicates included
	// beforeApply, when set, runs before each write batch; an error
	// fails the batch.
	beforeApply func(n int) error
	applies     int
}

func (m *memEngine) Apply(ctx context.Context, b *search.Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applies++
	if m.beforeApply != nil {
		if err := m.beforeApply(m.applies); err != nil {
			return err
		}
	}
	for i, p := range b.Upserts {
		if _, ok := m.papers[p.ID]; !ok {
			m.order = append(m.order, p.ID)
		}
		m.papers[p.ID] = p
		m.writes++
		if i < len(b.Origins) {
			m.origins[p.ID] = b.Origins[i]
		}
	}
	for _, id := range b.Deletes {
		delete(m.papers, id)
		m.order = slices.DeleteFunc(m.order, func(s string) bool { return s == id })
	}
	for _, c := range b.Checkpoints {
		m.cks[c.Source] = c
	}
	return nil
}

func (m *memEngine) all() []corpus.Paper {
	var ps []corpus.Paper
	for _, id := range m.order {
		ps = append(ps, m.papers[id])
	}
	return ps
}

func (m *memEngine) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.Mode == search.ModeVector && m.vectors == 0 {
		return nil, search.ErrNoVectors
	}
	ps := m.all()
	ids := enginetest.Match(ps, req.Query)
	res := &search.Result{Total: uint64(len(ids)), Mode: search.ModeBM25, Facets: enginetest.Facets(ps, req.Query, req.FacetSize, req.Facets)}
	for i, id := range ids {
		if i >= req.Offset && len(res.Hits) < req.Limit {
			res.Hits = append(res.Hits, search.Hit{ID: id, Score: 1, Paper: m.papers[id]})
		}
	}
	return res, nil
}

func (m *memEngine) Get(ctx context.Context, id string) (*corpus.Paper, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.papers[id]
	if !ok {
		return nil, search.ErrNotFound
	}
	return &p, nil
}

func (m *memEngine) Checkpoint(ctx context.Context, source string) (search.Checkpoint, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cks[source]
	return c, ok, nil
}

func (m *memEngine) Stats(ctx context.Context) (*search.Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := &search.Stats{Engine: "memory", Path: "mem", Papers: uint64(len(m.papers)), Vectors: uint64(m.vectors)}
	if m.vectors > 0 {
		st.Embedder = "fake"
	}
	for _, c := range m.cks {
		st.Checkpoints = append(st.Checkpoints, c)
	}
	sort.Slice(st.Checkpoints, func(i, j int) bool { return st.Checkpoints[i].Source < st.Checkpoints[j].Source })
	return st, nil
}

func (m *memEngine) Origins(ctx context.Context, ids []string) (map[string]search.Origin, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]search.Origin{}
	for _, id := range ids {
		if o, ok := m.origins[id]; ok {
			out[id] = o
		}
	}
	return out, nil
}

func (m *memEngine) SyncVectors(ctx context.Context, progress func(phase string, done, total int)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncs++
	n := len(m.papers)
	progress("embed", m.vectors, n)
	m.vectors = n
	progress("embed", n, n)
	return nil
}

func (m *memEngine) EachPaper(ctx context.Context, fn func(*corpus.Paper) error) error {
	m.mu.Lock()
	ps := m.all()
	m.mu.Unlock()
	for i := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&ps[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memEngine) Drop(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.papers, m.order, m.origins, m.cks, m.vectors = map[string]corpus.Paper{}, nil, map[string]search.Origin{}, map[string]search.Checkpoint{}, 0
	return nil
}

func (m *memEngine) Close() error { return nil }

// clusterRun runs the CLI in-process like quire, with the weaviate engine
// opening collections of c.
func clusterRun(t *testing.T, ctx context.Context, home string, c *memCluster, args ...string) runResult {
	t.Helper()
	envs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME":   filepath.Join(home, "data"),
		"XDG_CACHE_HOME":  filepath.Join(home, "cache"),
		"NO_COLOR":        "1",
	}
	var out, errb bytes.Buffer
	code := runWith(ctx, args, &out, &errb, func(k string) string { return envs[k] }, c.open)
	return runResult{code, out.String(), errb.String()}
}

func TestWeaviateEngineRunsTheCommands(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	ctx := context.Background()
	r := clusterRun(t, ctx, home, c, "--engine", "weaviate", "--collection", "HelperCTest", "ingest", repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl"))
	if r.code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	m := c.colls["HelperCTest"]
	if m == nil || len(m.papers) != 5 || m.syncs != 1 || m.vectors != 5 {
		t.Fatalf("ingest into the cluster: collections %v, engine %+v", c.opens, m)
	}
	if !strings.Contains(r.stdout, "5 papers written") || !strings.Contains(r.stderr, "embed papers") {
		t.Errorf("ingest output lacks the summary or the vector phase:\n%s\n%s", r.stdout, r.stderr)
	}
	// Resume through the cluster's checkpoints: a second run reads nothing.
	r = clusterRun(t, ctx, home, c, "--engine", "weaviate", "--collection", "HelperCTest", "ingest", repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl"))
	if r.code != 0 || !strings.Contains(r.stdout, "already ingested (5 papers)") || m.writes != 5 {
		t.Fatalf("second ingest: exit %d, %d writes\n%s%s", r.code, m.writes, r.stdout, r.stderr)
	}
	r = clusterRun(t, ctx, home, c, "--engine", "weaviate", "--collection", "HelperCTest", "search", "diphoton")
	if r.code != 0 || !strings.Contains(r.stdout, "1 hit in") || !strings.Contains(r.stdout, "0704.0001") {
		t.Fatalf("search: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = clusterRun(t, ctx, home, c, "--engine", "weaviate", "--collection", "HelperCTest", "stats")
	if r.code != 0 || !strings.Contains(r.stdout, "papers:   5") || strings.Contains(r.stdout, "on disk") || !strings.Contains(r.stdout, "vectors:  5 by fake\n") {
		t.Fatalf("stats: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = clusterRun(t, ctx, home, c, "--engine", "weaviate", "--collection", "HelperCTest", "ask", "--no-save", "diphoton production")
	if r.code != 0 || !strings.Contains(r.stdout, "[1]") {
		t.Fatalf("ask: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(home, "prfaq.md")
	r = clusterRun(t, ctx, home, c, "--engine", "weaviate", "--collection", "HelperCTest", "draft", "prfaq", "--var", "product=Diphoton", "-q", "diphoton", "--out", out)
	if r.code != 0 || !isFile(out) {
		t.Fatalf("draft: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The embedded index was never created.
	if isFile(filepath.Join(home, "data", "quire", "index", "index_meta.json")) {
		t.Error("the weaviate engine wrote an embedded index")
	}
}

func TestWeaviateEngineRefusesEmbeddedOnlyCommands(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	ctx := context.Background()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--engine", "weaviate", "check"}, "check is not supported by the weaviate engine"},
		{[]string{"--engine", "weaviate", "ingest", "--retrain"}, "ingest --retrain is not supported by the weaviate engine"},
		{[]string{"--engine", "weavaite", "search", "x"}, `"weavaite" is not an engine: did you mean weaviate?`},
		{[]string{"--engine", "embedded,weaviate", "search", "x"}, "search works on one engine; eval and bench compare several"},
		{[]string{"push", "--to", "weavaite"}, "did you mean weaviate?"},
		{[]string{"push"}, "push needs --to weaviate"},
	} {
		r := clusterRun(t, ctx, home, c, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("quire %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
	if len(c.colls["QuirePaper"].papers) != 0 {
		t.Error("a refused command wrote papers")
	}
}

func TestWeaviateKeyNeverPrinted(t *testing.T) {
	home := t.TempDir()
	// A message holding the key (a server echoing it) is redacted.
	failing := func(e *env, collection string) (search.Engine, error) {
		return nil, errors.New("401: bad key wv-Secret-Key-0123456789 for " + collection)
	}
	envs := map[string]string{"HOME": home, "QUIRE_ENGINE_API_KEY_ENV": "WV_KEY", "WV_KEY": "wv-Secret-Key-0123456789"}
	var out, errb bytes.Buffer
	code := runWith(context.Background(), []string{"--engine", "weaviate", "search", "x"}, &out, &errb, func(k string) string { return envs[k] }, failing)
	if code != exitFailed || strings.Contains(errb.String(), "Secret-Key") || !strings.Contains(errb.String(), "[redacted]") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	// A named variable that is empty says which, and nothing else.
	envs["WV_KEY"] = ""
	errb.Reset()
	code = runWith(context.Background(), []string{"--engine", "weaviate", "search", "x"}, &out, &errb, func(k string) string { return envs[k] }, nil)
	if code != exitFailed || !strings.Contains(errb.String(), "$WV_KEY is empty") {
		t.Fatalf("empty key variable: exit %d, stderr %q", code, errb.String())
	}
}

// runWith is Run with the cluster opener substituted.
func runWith(ctx context.Context, args []string, stdout, stderr *bytes.Buffer, getenv func(string) string, open func(*env, string) (search.Engine, error)) int {
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: getenv, openCluster: open}
	code, msg := exitCode(run(e, args))
	if msg != "" {
		fmt.Fprintf(stderr, "quire: %s\n", e.secrets.String(msg))
	}
	return code
}

func TestAppOnTheClusterNamesTheCollection(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	cfg := config.Default()
	cfg.Index, cfg.CacheDir = filepath.Join(home, "index"), filepath.Join(home, "cache")
	cfg.Engine.Kind, cfg.Engine.Collection, cfg.Engine.URL = config.EngineWeaviate, "HelperCApp", "http://10.1.2.3:8080"
	e := &env{ctx: context.Background(), getenv: func(string) string { return "" }, cfg: cfg, openCluster: c.open, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	s := newAppSetup(e)
	defer s.Close()
	if got := s.IndexDir(); got != "weaviate collection HelperCApp at http://10.1.2.3:8080" {
		t.Errorf("first-run screen target %q", got)
	}
	b, err := s.Ingest(context.Background(), repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl"), func(tui.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	info := b.Info()
	if info.Engine != "weaviate HelperCApp" || info.Mode != config.ModeHybrid {
		t.Errorf("status line info %+v", info)
	}
	if n := len(c.colls["HelperCApp"].papers); n != 5 {
		t.Errorf("the app's first ingest wrote %d papers to the collection", n)
	}
}

func TestPushResumesAfterCtrlC(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	src := &memEngine{papers: map[string]corpus.Paper{}, origins: map[string]search.Origin{}, cks: map[string]search.Checkpoint{}}
	papers := enginetest.Papers(t)
	if len(papers) < 30 {
		t.Fatalf("fixture has %d papers; the test wants batches to stop between", len(papers))
	}
	src.Apply(context.Background(), &search.Batch{Upserts: papers, Checkpoints: []search.Checkpoint{{Source: "/data/papers.jsonl", Done: true, Papers: int64(len(papers))}}})
	dstAny, _ := c.open(nil, "HelperCPush")
	dst := dstAny.(*memEngine)

	cfg := config.Default()
	cfg.Index, cfg.CacheDir, cfg.Engine.Kind = filepath.Join(home, "index"), filepath.Join(home, "cache"), config.EngineWeaviate
	ctx, stop := context.WithCancel(context.Background())
	dst.beforeApply = func(n int) error {
		if n == 3 {
			stop() // Ctrl-C while the third batch is written
			return context.Canceled
		}
		return nil
	}
	var out, errb bytes.Buffer
	e := &env{ctx: ctx, getenv: func(string) string { return "" }, cfg: cfg, stdout: &out, stderr: &errb}
	f := &pushFlags{batch: 10}
	_, err := push(e, src, "push:/idx", dst, f)
	if code, _ := exitCode(err); code != exitStopped {
		t.Fatalf("stopped push: exit %d (%v)\n%s", code, err, errb.String())
	}
	ck, ok, _ := dst.Checkpoint(context.Background(), "push:/idx")
	if !ok || ck.Done || ck.Papers != 20 || ck.Cursor.Line != 20 {
		t.Fatalf("checkpoint after the stop: %+v %v", ck, ok)
	}
	if _, copied := dst.cks["/data/papers.jsonl"]; copied || dst.syncs != 0 {
		t.Fatal("a stopped push copied the checkpoints or synced vectors")
	}

	// Run again: it resumes after the 20 papers written, writes each of
	// the rest once, then the sources' checkpoints and the vectors.
	dst.beforeApply = nil
	out.Reset()
	e.ctx = context.Background()
	n, err := push(e, src, "push:/idx", dst, f)
	if err != nil || n != uint64(len(papers)) {
		t.Fatalf("resumed push: %d papers, %v\n%s", n, err, errb.String())
	}
	if dst.writes != len(papers) {
		t.Errorf("%d upserts for %d papers: the resumed push wrote some twice", dst.writes, len(papers))
	}
	if !strings.Contains(out.String(), "resumed after line 20") {
		t.Errorf("the summary does not say where it resumed:\n%s", out.String())
	}
	for _, p := range papers {
		got, err := dst.Get(context.Background(), p.ID)
		if err != nil || got.Title != p.Title {
			t.Fatalf("paper %s after the push: %v", p.ID, err)
		}
	}
	if ck := dst.cks["/data/papers.jsonl"]; !ck.Done || dst.vectors != len(papers) {
		t.Errorf("after the push: source checkpoint %+v, %d vectors", ck, dst.vectors)
	}
	// A third run finds the push done and copies nothing again.
	out.Reset()
	if _, err := push(e, src, "push:/idx", dst, f); err != nil || dst.writes != len(papers) || !strings.Contains(out.String(), "already ingested") {
		t.Errorf("a finished push ran again: %v, %d writes\n%s", err, dst.writes, out.String())
	}
}

func TestPushNeedsAnIndexThatListsPapers(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	r := clusterRun(t, context.Background(), home, c, "push", "--to", "weaviate")
	if r.code != exitFailed || !strings.Contains(r.stderr, "no index at") {
		t.Fatalf("push without an index: exit %d %q", r.code, r.stderr)
	}
	if r := quire(t, home, "ingest", repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl")); r.code != 0 {
		t.Fatalf("ingest: %d %s", r.code, r.stderr)
	}
	r = clusterRun(t, context.Background(), home, c, "push", "--to", "weaviate", "--collection", "HelperCFromIndex")
	if r.code != 0 || len(c.colls["HelperCFromIndex"].papers) != 5 {
		t.Fatalf("push of a real index: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestEvalSideBySideReusesTheCollection(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	beir := repoFile(t, "testdata/corpus/beir")
	args := []string{"--engine", "embedded,weaviate", "eval", "--mode", "bm25", beir}
	r := clusterRun(t, context.Background(), home, c, args...)
	if r.code != 0 {
		t.Fatalf("eval: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"beir (bm25, embedded)", "beir (bm25, weaviate)", "each engine against the first", "beir bm25: weaviate − embedded"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eval output lacks %q:\n%s", want, r.stdout)
		}
	}
	if len(c.opens) != 1 || !strings.HasPrefix(c.opens[0], "QuirePaperEval_beir_") {
		t.Fatalf("collections opened: %v", c.opens)
	}
	m := c.colls[c.opens[0]]
	writes := m.writes
	if writes == 0 {
		t.Fatal("eval wrote nothing to the cluster")
	}
	// The next run finds the collection ingested and only searches.
	r = clusterRun(t, context.Background(), home, c, args...)
	if r.code != 0 || m.writes != writes || !strings.Contains(r.stderr, "already ingested") {
		t.Fatalf("second eval: exit %d, %d writes (first run %d)\n%s", r.code, m.writes, writes, r.stderr)
	}
}

func TestBenchBothEnginesPrintsRatios(t *testing.T) {
	home, c := t.TempDir(), newMemCluster()
	// No embedder: learning one would take most of the test's time.
	cfg := filepath.Join(home, "config", "quire", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[embed]\nprovider = \"none\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := clusterRun(t, context.Background(), home, c, "--engine", "embedded,weaviate", "bench", "--papers", "200", "--queries", "5")
	if r.code != 0 {
		t.Fatalf("bench: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"engine:        embedded", "engine:        weaviate", "weaviate against embedded", "ingest papers/s", "bm25+facets(year,field)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The throwaway collection is dropped after.
	for name, m := range c.colls {
		if len(m.papers) != 0 {
			t.Errorf("bench left %d papers in %s", len(m.papers), name)
		}
	}
}

// TestWeaviateOptionsFollowConfig: the cluster engine gets the settings
// the embedded one does, adaptive hybrid included (without it the
// cluster's hybrid never calibrated and fused at the fixed weight).
func TestWeaviateOptionsFollowConfig(t *testing.T) {
	for _, adaptive := range []bool{true, false} {
		cfg := config.Default()
		cfg.CacheDir = t.TempDir()
		cfg.Search.Adaptive = adaptive
		cfg.Engine.Consistency, cfg.Engine.Replication, cfg.Engine.Hybrid = "all", 3, "native"
		e := &env{ctx: context.Background(), getenv: func(string) string { return "" }, cfg: cfg}
		o, err := weaviateOptions(e, "Team")
		if err != nil {
			t.Fatal(err)
		}
		if o.Adaptive != adaptive || o.Consistency != "ALL" || o.Replication != 3 || o.Hybrid != "native" || o.Collection != "Team" || !o.LocalEmbedder {
			t.Errorf("adaptive=%v: options %+v", adaptive, o)
		}
	}
}
