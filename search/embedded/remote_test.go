package embedded

import (
	"cmp"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/probe/probetest"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
	"github.com/quire-research/quire/search/vector"
)

// memRemote is a Remote in memory that counts what it was asked.
type memRemote struct {
	mu       sync.Mutex
	dim      int
	vecs     map[string][]float32
	puts     map[string]int // times each ID was put
	putCalls int
	// afterPut, when set, runs after a Put stored its vectors and may
	// fail it (a kill after the remote took the batch).
	afterPut func(call int) error
}

func newMemRemote(dim int) *memRemote {
	return &memRemote{dim: dim, vecs: map[string][]float32{}, puts: map[string]int{}}
}

func (m *memRemote) Name() string { return "memory test/index" }
func (m *memRemote) Dim() int     { return m.dim }
func (m *memRemote) MaxK() int    { return 100 }

func (m *memRemote) Put(ctx context.Context, papers []corpus.Paper, vecs []vector.Item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	m.putCalls++
	call := m.putCalls
	for _, v := range vecs {
		m.vecs[v.ID] = slices.Clone(v.Vec)
		m.puts[v.ID]++
	}
	m.mu.Unlock()
	if m.afterPut != nil {
		return m.afterPut(call)
	}
	return nil
}

func (m *memRemote) Delete(ctx context.Context, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.vecs, id)
	}
	return nil
}

// Query ignores the filter: a translation that expresses nothing, so the
// engine must drop what the restriction excludes.
func (m *memRemote) Query(ctx context.Context, qv []float32, k int, q query.Query) ([]fusion.Item, error) {
	m.mu.Lock()
	ids := slices.Collect(func(yield func(string) bool) {
		for id := range m.vecs {
			if !yield(id) {
				return
			}
		}
	})
	m.mu.Unlock()
	return m.Rank(ctx, qv, ids, min(k, m.MaxK()))
}

func (m *memRemote) Exact(query.Query) bool { return false }

func (m *memRemote) Get(ctx context.Context, ids []string) (map[string][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]float32{}
	for _, id := range ids {
		if v, ok := m.vecs[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

func (m *memRemote) Rank(ctx context.Context, qv []float32, ids []string, k int) ([]fusion.Item, error) {
	got, _ := m.Get(ctx, ids)
	var items []fusion.Item
	for id, v := range got {
		items = append(items, fusion.Item{ID: id, Score: cosine(qv, v)})
	}
	slices.SortFunc(items, func(a, b fusion.Item) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) })
	if k > 0 && len(items) > k {
		items = items[:k]
	}
	return items, nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func synthPapers(t *testing.T, n int) []corpus.Paper {
	t.Helper()
	return generated(t, synth.Options{Papers: n, Seed: 11})
}

// generated is the synthetic corpus o describes.
func generated(t *testing.T, o synth.Options) []corpus.Paper {
	t.Helper()
	var ps []corpus.Paper
	if err := synth.Generate(o, func(p corpus.Paper) error {
		ps = append(ps, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ps
}

func applyAll(t *testing.T, x *Index, ps []corpus.Paper) {
	t.Helper()
	for chunk := range slices.Chunk(ps, 1000) {
		apply(t, x, &search.Batch{Upserts: chunk})
	}
}

func openRemote(t *testing.T, dir string, r Remote) *Index {
	t.Helper()
	x, err := Open(dir, Options{LocalEmbedder: true, Remote: r})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// embedded is what the index's embedder makes of a paper.
func embedded(t *testing.T, x *Index, p *corpus.Paper) []float32 {
	t.Helper()
	vs, err := x.vec.emb.Embed(context.Background(), []string{hybrid.EmbedText(p)}, embed.Passage)
	if err != nil {
		t.Fatal(err)
	}
	return vs[0]
}

// A sync stopped after the remote took a batch but before the ledger
// recorded it (as kill -9 would) resumes in a new process: every paper
// ends with its vector, only that batch is pushed twice, and a sync with
// nothing to do pushes nothing.
func TestRemoteSyncResumes(t *testing.T) {
	papers := synthPapers(t, 3000)
	dir := filepath.Join(t.TempDir(), "idx")
	mem := newMemRemote(256)
	x := openRemote(t, dir, mem)
	applyAll(t, x, papers)
	if x.HasVectors() {
		t.Fatal("vectors before any sync")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("killed")
	mem.afterPut = func(call int) error {
		if call == 3 {
			cancel(stop)
			return stop
		}
		return nil
	}
	var last [2]int
	err := x.SyncVectors(ctx, func(phase string, done, total int) {
		if phase == "push" {
			last = [2]int{done, total}
		}
	})
	if !errors.Is(err, stop) {
		t.Fatalf("interrupted sync: %v, want the kill", err)
	}
	if len(mem.vecs) != 3*remoteBatch || last != [2]int{2 * remoteBatch, len(papers)} {
		t.Fatalf("remote holds %d vectors, progress %v; want %d and [%d %d]", len(mem.vecs), last, 3*remoteBatch, 2*remoteBatch, len(papers))
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	mem.afterPut = nil
	x = openRemote(t, dir, mem)
	defer x.Close()
	if err := x.SyncVectors(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	twice := 0
	for _, p := range papers {
		switch n := mem.puts[p.ID]; {
		case n == 0:
			t.Fatalf("%s never pushed", p.ID)
		case n == 2:
			twice++
		case n > 2:
			t.Fatalf("%s pushed %d times", p.ID, n)
		}
	}
	if twice != remoteBatch || len(mem.vecs) != len(papers) {
		t.Fatalf("%d papers pushed twice (want the one unrecorded batch, %d); remote holds %d of %d", twice, remoteBatch, len(mem.vecs), len(papers))
	}
	if c := cosine(mem.vecs[papers[42].ID], embedded(t, x, &papers[42])); c < 0.9999 {
		t.Fatalf("remote vector of %s is not the embedder's (cosine %.4f)", papers[42].ID, c)
	}
	calls := mem.putCalls
	if err := x.SyncVectors(context.Background(), nil); err != nil || mem.putCalls != calls {
		t.Fatalf("an idle sync: %v, %d more puts", err, mem.putCalls-calls)
	}
	if !x.HasVectors() || x.Mode() != search.ModeHybrid {
		t.Fatalf("HasVectors %v, mode %s after sync", x.HasVectors(), x.Mode())
	}
	st, err := x.Stats(context.Background())
	if err != nil || st.Vectors != uint64(len(papers)) || !strings.Contains(st.Engine, "memory test/index") {
		t.Fatalf("stats: %v %+v", err, st)
	}
}

// Deleted papers' vectors leave the remote at the next sync, including
// deletions made while the process was down; a changed paper is pushed
// again with its new text's vector.
func TestRemoteSyncDeletesAndChanges(t *testing.T) {
	papers := synthPapers(t, 1200)
	dir := filepath.Join(t.TempDir(), "idx")
	mem := newMemRemote(256)
	x := openRemote(t, dir, mem)
	applyAll(t, x, papers)
	if err := x.SyncVectors(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var dels []string
	for _, p := range papers[100:130] {
		dels = append(dels, p.ID)
	}
	changed := papers[500]
	changed.Abstract = "Dark matter halos in cosmological simulations of galaxy clusters."
	apply(t, x, &search.Batch{Deletes: dels[:10], Upserts: []corpus.Paper{changed}})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x = openRemote(t, dir, mem)
	defer x.Close()
	apply(t, x, &search.Batch{Deletes: dels[10:]})
	if err := x.SyncVectors(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range dels {
		if _, ok := mem.vecs[id]; ok {
			t.Fatalf("deleted paper %s still has a remote vector", id)
		}
	}
	if len(mem.vecs) != len(papers)-len(dels) {
		t.Fatalf("remote holds %d vectors, want %d", len(mem.vecs), len(papers)-len(dels))
	}
	if mem.puts[changed.ID] != 2 {
		t.Fatalf("changed paper pushed %d times, want 2", mem.puts[changed.ID])
	}
	if c := cosine(mem.vecs[changed.ID], embedded(t, x, &changed)); c < 0.9999 {
		t.Fatalf("changed paper's remote vector is the old text's (cosine to the new %.4f)", c)
	}
}

// allowedSet lists the papers a restriction allows, from BM25 alone.
func allowedSet(t *testing.T, x *Index, r query.Query) map[string]bool {
	t.Helper()
	res, err := x.Search(context.Background(), search.Request{Query: r, Limit: 10000, Mode: search.ModeBM25})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, h := range res.Hits {
		out[h.ID] = true
	}
	if uint64(len(out)) != res.Total {
		t.Fatalf("restriction allows %d papers, listed %d", res.Total, len(out))
	}
	return out
}

// Filtered searches on S3 Vectors return only allowed papers in both
// branches: a small allowed set is fetched (GetVectors) and scored here,
// exactly; a large one is a filtered QueryVectors whose results the
// restriction then checks (here with a -word exclusion the service's
// filter cannot express).
func TestS3VectorsFilteredSearch(t *testing.T) {
	papers := synthPapers(t, 3000)
	srv := s3vtest.New(t)
	x := s3Index(t, srv, filepath.Join(t.TempDir(), "idx"), 256, Options{})
	applyAll(t, x, papers)
	ctx := context.Background()
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.Len("papers", "quire"); n != len(papers) {
		t.Fatalf("the server holds %d vectors, want %d", n, len(papers))
	}
	all, err := x.Search(ctx, search.Request{Facets: []string{search.FacetYear}, FacetSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	// The smallest year with at least 20 papers: Get-and-score.
	var year string
	best := math.MaxInt
	for _, v := range all.Facets[0].Values {
		if v.Count >= 20 && v.Count < best {
			year, best = v.Value, v.Count
		}
	}
	text := "neural model data"
	run := func(q string, getBelow int) (*search.Result, map[string]bool) {
		t.Helper()
		req, err := search.NewRequest(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		req.Mode = search.ModeVector
		x.vec.getBelow = getBelow
		srv.ResetCalls()
		res, err := x.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := hybrid.Restrict(req.Query)
		allowed := allowedSet(t, x, r)
		for _, h := range res.Hits {
			if !allowed[h.ID] {
				t.Fatalf("%q: hit %s is not allowed by the filter", q, h.ID)
			}
		}
		if len(res.Hits) == 0 {
			t.Fatalf("%q: no hits", q)
		}
		return res, allowed
	}

	qv, err := x.vec.emb.Embed(ctx, []string{text}, embed.Query)
	if err != nil {
		t.Fatal(err)
	}
	nearest := func(allowed map[string]bool) []string {
		t.Helper()
		want, err := x.vec.remote.Rank(ctx, qv[0], slices.Collect(mapsKeys(allowed)), 10)
		if err != nil {
			t.Fatal(err)
		}
		return itemIDs(want)
	}
	calls := func() (int, int) { return len(srv.Operations("QueryVectors")), len(srv.Operations("GetVectors")) }

	// A year filter the service applies whole: one QueryVectors, exact.
	q := text + " year:" + year
	res, allowed := run(q, DefaultRemoteGetBelow)
	if nq, ng := calls(); nq != 1 || ng != 0 {
		t.Fatalf("%q: %d QueryVectors and %d GetVectors calls, want one query", q, nq, ng)
	}
	if got, want := ids(res), nearest(allowed); !slices.Equal(got, want) {
		t.Fatalf("%q: hits %v, want the nearest allowed %v", q, got, want)
	}

	// A -word exclusion the service cannot express. The word: of the best
	// unfiltered hit's title, the one excluding fewest papers.
	top, err := x.Search(ctx, search.Request{Query: query.Query{Text: text}, Limit: 1, Mode: search.ModeVector})
	if err != nil || len(top.Hits) == 0 {
		t.Fatal(err)
	}
	var word string
	most := 0
	for _, w := range strings.Fields(strings.ToLower(top.Hits[0].Paper.Title)) {
		w = strings.Trim(w, ".,:;()")
		if len(w) < 4 {
			continue
		}
		if n := len(allowedSet(t, x, query.Query{Text: "-" + w})); n > most && n < len(papers) {
			word, most = w, n
		}
	}
	if word == "" {
		t.Fatal("no word to exclude")
	}

	// With the year, few papers are allowed: fetched and scored here,
	// exactly.
	q2 := q + " -" + word
	res2, allowed2 := run(q2, DefaultRemoteGetBelow)
	if nq, ng := calls(); nq != 0 || ng == 0 {
		t.Fatalf("%q: %d QueryVectors and %d GetVectors calls, want Get-and-score", q2, nq, ng)
	}
	if got, want := ids(res2), nearest(allowed2); !slices.Equal(got, want) {
		t.Fatalf("%q: Get-and-score hits %v, want the nearest allowed %v", q2, got, want)
	}
	// The same through QueryVectors (getBelow 0): post-filtered, a
	// subset of the nearest allowed, in their order. A filter the
	// service cannot apply asks three times as deep, so the remote fans
	// out over several shard parts (one call each).
	res3, _ := run(q2, 0)
	if nq, ng := calls(); nq < 2 || ng != 0 {
		t.Fatalf("%q with getBelow 0: %d QueryVectors, %d GetVectors", q2, nq, ng)
	}
	if got := ids(res3); !slices.Equal(got, ids(res2)[:len(got)]) {
		t.Fatalf("%q: the post-filtered query found %v, Get-and-score %v", q2, got, ids(res2))
	}

	// Alone, the exclusion allows too many to fetch: post-filtered query.
	res4, allowed4 := run(text+" -"+word, DefaultRemoteGetBelow)
	if nq, _ := calls(); len(allowed4) <= DefaultRemoteGetBelow || nq < 2 {
		t.Fatalf("-%s allows %d papers; %d QueryVectors calls", word, len(allowed4), nq)
	}
	for _, h := range append(res4.Hits, res2.Hits...) {
		if strings.Contains(strings.ToLower(h.Paper.Title+" "+h.Paper.Abstract), word) {
			t.Fatalf("hit %s holds the excluded word %q", h.ID, word)
		}
	}
	t.Logf("-%s: %d of %d papers allowed, %d hits; with year:%s %d allowed", word, len(allowed4), len(papers), len(res4.Hits), year, len(allowed2))

	// Hybrid with a filter: list, total and facets describe allowed
	// papers only.
	hreq, _ := search.NewRequest(q, 10)
	hreq.Mode = search.ModeHybrid
	hres, err := x.Search(ctx, hreq)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hres.Hits {
		if !allowed[h.ID] {
			t.Fatalf("hybrid hit %s is not allowed", h.ID)
		}
	}
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func itemIDs(items []fusion.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// Errors of the service reach the user naming the bucket and index.
func TestS3VectorsErrors(t *testing.T) {
	papers := synthPapers(t, 300)
	srv := s3vtest.New(t)
	x := s3Index(t, srv, filepath.Join(t.TempDir(), "idx"), 256, Options{})
	applyAll(t, x, papers)
	ctx := context.Background()
	srv.FailNext("PutVectors", 1, 404, "NotFoundException")
	err := x.SyncVectors(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "papers/quire") || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("sync into a missing index: %v", err)
	}
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatalf("sync after the fault: %v", err)
	}
	srv.FailNext("QueryVectors", 1, 403, "AccessDeniedException")
	_, err = x.Search(ctx, search.Request{Query: query.Query{Text: "neural model"}, Limit: 10, Mode: search.ModeVector})
	if err == nil || !strings.Contains(err.Error(), "papers/quire") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("search denied: %v", err)
	}
	if _, err := x.Search(ctx, search.Request{Query: query.Query{Text: "neural model"}, Limit: 10, Mode: search.ModeVector}); err != nil {
		t.Fatalf("search after the fault: %v", err)
	}
	// An embedder whose dimension is not the index's.
	y := s3Index(t, s3vtest.New(t), filepath.Join(t.TempDir(), "idx2"), 64, Options{})
	applyAll(t, y, papers)
	if err := y.SyncVectors(ctx, nil); err == nil || !strings.Contains(err.Error(), "s3vectors papers/quire holds 64-dimensional") {
		t.Fatalf("dimension mismatch: %v", err)
	}
}

// remotePassages counts the passage vectors mem holds of paper.
func remotePassages(mem *memRemote, paper string) int {
	mem.mu.Lock()
	defer mem.mu.Unlock()
	n := 0
	for id := range mem.vecs {
		if p, ok := paperOf(id); ok && p == paper {
			n++
		}
	}
	return n
}

// TestRemotePassageVectors: a remote vector half holds passage vectors
// too, and finds a paper for what only its body says, under filters in
// both of its branches (the allowed papers' vectors fetched and scored
// here, and a filtered query). A shorter text, passage vectors turned
// off and on, and a deletion each leave the remote holding what the
// index says, pushing only the papers that changed.
func TestRemotePassageVectors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mem := newMemRemote(64)
	opts := Options{Embedder: probetest.Concepts{Dimensions: 64}, Remote: mem}
	x := openIndex(t, dir, opts)
	defer func() { x.Close() }()
	sync := func() {
		t.Helper()
		if err := x.SyncVectors(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	papers := passagePapers(passageBody(2))
	apply(t, x, &search.Batch{Upserts: papers})
	sync()
	want := len(bodyChunks(&papers[0]))
	if n := remotePassages(mem, "deep"); n != want || len(mem.vecs) != 20+want {
		t.Fatalf("the remote holds %d of deep's %d passage vectors, %d vectors in all", n, want, len(mem.vecs))
	}
	if st, err := x.Stats(ctx); err != nil || st.Vectors != 20 || st.PassageVectors != uint64(want) {
		t.Fatalf("stats: %v, %d paper and %d passage vectors", err, st.Vectors, st.PassageVectors)
	}
	for _, getBelow := range []int{DefaultRemoteGetBelow, 1} {
		x.vec.getBelow = getBelow
		for _, q := range []string{"c9s7", "c9s7 year:2000"} {
			hits := vectorTop(t, x, q)
			if !bodyLifts(hits) {
				t.Fatalf("getBelow %d, %q: hits %v, want deep first", getBelow, q, hitScores(hits))
			}
			if ps := hits[0].Passages; len(ps) == 0 || ps[0].Section != "2 Method" {
				t.Fatalf("getBelow %d, %q: deep carries passages %+v, want the method's first", getBelow, q, ps)
			}
			if got := ids(&search.Result{Hits: hits}); len(got) != len(uniq(got)) {
				t.Fatalf("getBelow %d, %q: a paper came back twice: %v", getBelow, q, got)
			}
		}
		for _, h := range vectorTop(t, x, "c9s7 year:2001") {
			if h.ID == "deep" {
				t.Fatalf("getBelow %d: year:2001 let deep (2000) through", getBelow)
			}
		}
	}

	short := passagePapers(passageBody(1))[0]
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{short}})
	sync()
	if n, w := remotePassages(mem, "deep"), len(bodyChunks(&short)); n != w || w >= want {
		t.Fatalf("after the text got shorter the remote holds %d passage vectors of deep, want %d", n, w)
	}
	if hits := vectorTop(t, x, "c9s7"); bodyLifts(hits) {
		t.Fatalf("a dropped section still lifts deep: %v", hitScores(hits))
	}
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{papers[0]}})
	sync()

	// Off: deep is pushed again without its passages, which are deleted;
	// papers without a body hold none, so they are not pushed.
	x.Close()
	off := opts
	off.NoPassageVectors = true
	x = openIndex(t, dir, off)
	pushes := mem.puts["p01"]
	sync()
	if n := remotePassages(mem, "deep"); n != 0 || mem.puts["p01"] != pushes {
		t.Fatalf("passages off: %d passage vectors left; p01 pushed %d more times", n, mem.puts["p01"]-pushes)
	}
	x.Close()
	x = openIndex(t, dir, opts)
	sync()
	if n := remotePassages(mem, "deep"); n != want || mem.puts["p01"] != pushes {
		t.Fatalf("passages back on: %d of %d passage vectors; p01 pushed %d more times", n, want, mem.puts["p01"]-pushes)
	}
	calls := mem.putCalls
	if sync(); mem.putCalls != calls {
		t.Fatalf("an idle sync pushed %d times", mem.putCalls-calls)
	}
	apply(t, x, &search.Batch{Deletes: []string{"deep"}})
	sync()
	if n := remotePassages(mem, "deep"); n != 0 || len(mem.vecs) != 19 {
		t.Fatalf("after deep's deletion the remote holds %d of its passages, %d vectors", n, len(mem.vecs))
	}

	// The check counts what the ledger records, and notes what the next
	// sync would push and delete.
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{papers[0]}, Deletes: []string{"p01"}})
	x.Close()
	r := mustCheck(t, dir, opts)
	if r.Vectors != 19 || r.Passages != 0 || len(r.Notes) != 2 || !strings.Contains(r.Notes[0], "1 papers' vectors are not in memory test/index") ||
		!strings.Contains(r.Notes[1], "1 papers the index no longer has") {
		t.Fatalf("check before the sync: %d paper and %d passage vectors, notes %q", r.Vectors, r.Passages, r.Notes)
	}
	x = openIndex(t, dir, opts)
	sync()
	x.Close()
	if r := mustCheck(t, dir, opts); r.Vectors != 19 || r.Passages != want || len(r.Notes) != 0 {
		t.Fatalf("check after the sync: %d paper and %d passage vectors, notes %q", r.Vectors, r.Passages, r.Notes)
	}
}

// TestS3VectorsPassageVectors: over the service's wire protocol, passage
// vectors are stored under s3vectors.PassageID with their paper's
// filterable metadata (no title), found by a filtered query the service
// applies, and deleted with their paper.
func TestS3VectorsPassageVectors(t *testing.T) {
	ctx := context.Background()
	srv := s3vtest.New(t)
	x := s3Index(t, srv, t.TempDir(), 64, Options{Embedder: &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 64}}})
	papers := passagePapers(passageBody(2))
	// Zero vectors, as the local embedder gives a text of words it does
	// not know; the service refuses those under cosine.
	blank := corpus.Paper{ID: "blank", Title: "zzzz", FullText: "## 1 Code\n\n" + strings.Repeat("int main return zero. ", 40)}
	apply(t, x, &search.Batch{Upserts: append(papers, blank)})
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	puts := len(srv.Operations("PutVectors"))
	if err := x.SyncVectors(ctx, nil); err != nil || len(srv.Operations("PutVectors")) != puts {
		t.Fatalf("a second sync: %v, %d more PutVectors (the zero vectors' paper pushed again?)", err, len(srv.Operations("PutVectors"))-puts)
	}
	want := len(bodyChunks(&papers[0]))
	var passages []string
	for _, k := range srv.Keys("papers", "quire") {
		if p, _, ok := s3vectors.ParsePassage(k); ok {
			if p != "deep" {
				t.Fatalf("passage key %q of a paper without a body", k)
			}
			passages = append(passages, k)
		}
	}
	if len(passages) != want || srv.Len("papers", "quire") != 20+want {
		t.Fatalf("the server holds %d passage vectors (%v), want %d, and %d in all", len(passages), passages, want, srv.Len("papers", "quire"))
	}
	meta := srv.Metadata("papers", "quire", s3vectors.PassageID("deep", 1))
	if meta == nil || meta["year"] != float64(2000) || meta["title"] != nil {
		t.Fatalf("passage metadata %v, want deep's year and no title", meta)
	}
	srv.ResetCalls()
	hits := vectorTop(t, x, "c9s7 year:2000")
	if !bodyLifts(hits) || hits[0].Passages[0].Section != "2 Method" {
		t.Fatalf("hits %v, want deep first at its method", hitScores(hits))
	}
	if len(srv.Operations("QueryVectors")) == 0 || len(srv.Operations("GetVectors")) != 0 {
		t.Fatal("year:2000 was not a filtered query, which the service applies whole")
	}
	// A zero query finds nothing near it, as in the local index, and is
	// never sent.
	srv.ResetCalls()
	if hits := vectorTop(t, x, "zzzz"); len(hits) != 0 || len(srv.Operations("QueryVectors")) != 0 {
		t.Fatalf("a zero query: hits %v, %d QueryVectors", hitScores(hits), len(srv.Operations("QueryVectors")))
	}
	apply(t, x, &search.Batch{Deletes: []string{"deep"}})
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.Len("papers", "quire"); n != 19 {
		t.Fatalf("after deep's deletion the server holds %d vectors, want 19", n)
	}
}

// The ledger reads lines written before passage vectors (no count: not
// known) beside counted ones, keeps counts across a stale mark and a
// rewrite, and names a malformed line.
func TestLedgerPassageCounts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ledgerFile)
	lines := "R \"memory test/index\"\nE \"m\"\n+ \"old\"\n+ \"a b\" 3\n+ \"none\" 0\n~ \"a b\"\n"
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := openLedger(dir, "memory test/index")
	if err != nil {
		t.Fatal(err)
	}
	check := func(l *ledger) {
		t.Helper()
		got := []int{l.passages("old"), l.passages("a b"), l.passages("none"), l.passages("absent")}
		if !slices.Equal(got, []int{-1, 3, 0, -1}) || l.current("a b") || !l.current("none") || l.passageTotal() != 3 {
			t.Fatalf("passages %v, current %v %v, total %d", got, l.current("a b"), l.current("none"), l.passageTotal())
		}
	}
	check(l)
	if err := l.rewrite(); err != nil {
		t.Fatal(err)
	}
	if l, err = openLedger(dir, "memory test/index"); err != nil {
		t.Fatal(err)
	}
	check(l)
	for _, bad := range []string{`+ "x" -2`, `+ "x" two`, `- "x" 3`, `+ "x"3`} {
		if err := os.WriteFile(path, []byte(lines+bad+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := openLedger(dir, "memory test/index"); err == nil || !strings.Contains(err.Error(), "line 7") {
			t.Fatalf("%s: %v, want an error naming line 7", bad, err)
		}
	}
}

// A copy of the index's own vectors (quire push) takes the passages'
// too and records them, so the index then opened with that remote pushes
// nothing again; a copy from an index without passage vectors records
// them unknown for papers with a body, which that remote's first sync
// pushes again with their passages, and no other paper.
func TestPushCopiesPassageVectors(t *testing.T) {
	ctx := context.Background()
	for _, off := range []bool{false, true} {
		dir := t.TempDir()
		opts := Options{Embedder: probetest.Concepts{Dimensions: 64}, NoPassageVectors: off}
		x := openIndex(t, dir, opts)
		papers := passagePapers(passageBody(2))
		apply(t, x, &search.Batch{Upserts: papers})
		mem := newMemRemote(64)
		rec, err := OpenRemoteRecord(dir, mem.Name(), x.Embedder(), x.HasPassageVectors())
		if err != nil {
			t.Fatal(err)
		}
		var ps []corpus.Paper
		var vecs []vector.Item
		if err := x.EachVector(ctx, func(p *corpus.Paper, pv []vector.Item) error {
			if pv[0].ID != p.ID {
				t.Fatalf("EachVector gave %s first for %s", showVectorID(pv[0].ID), p.ID)
			}
			ps, vecs = append(ps, *p), append(vecs, pv...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := rec.Push(ctx, mem, ps, vecs); err != nil {
			t.Fatal(err)
		}
		x.Close()
		want := len(bodyChunks(&papers[0]))
		if n := remotePassages(mem, "deep"); off && n != 0 || !off && n != want {
			t.Fatalf("passages off %v: the copy holds %d passage vectors", off, n)
		}
		pushes := mem.putCalls
		opts.Remote, opts.NoPassageVectors = mem, false
		x = openIndex(t, dir, opts)
		if err := x.SyncVectors(ctx, nil); err != nil {
			t.Fatal(err)
		}
		x.Close()
		if n := remotePassages(mem, "deep"); n != want || !off && mem.putCalls != pushes || off && (mem.puts["deep"] != 2 || mem.puts["p01"] != 1) {
			t.Fatalf("passages off %v: after the first sync the remote holds %d of %d passage vectors; %d more puts, deep put %d times, p01 %d",
				off, n, want, mem.putCalls-pushes, mem.puts["deep"], mem.puts["p01"])
		}
	}
}

// TestRemoteHybridReadsPassageVectors: with an embedder over the network,
// hybrid search scores a BM25 hit's best passage with the vector the
// remote holds for it, fetched, not embedded: deep's method passage gives
// it a vector score of about 1 though the vector half ranked papers by
// their own vectors alone.
func TestRemoteHybridReadsPassageVectors(t *testing.T) {
	ctx := context.Background()
	emb := &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 64}} // not in process
	mem := newMemRemote(64)
	x := openIndex(t, t.TempDir(), Options{Embedder: emb, Remote: mem})
	defer x.Close()
	apply(t, x, &search.Batch{Upserts: passagePapers(passageBody(2))})
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// year:2000 allows 10 papers; with deep's passages they pass this, so
	// the vector half scores the papers' own vectors only.
	x.vec.getBelow = 10
	deepScoredByPassage(t, x, emb)
}

// TestPushCopiesPassagesWithoutOwnVector: a paper whose title and
// abstract embed to nothing (the zero vector, which no index keeps) has
// a body whose passages do embed; a copy takes them, and records the
// paper, so the next sync does not push it again.
func TestPushCopiesPassagesWithoutOwnVector(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 64}}
	x := openIndex(t, dir, Options{Embedder: emb})
	papers := passagePapers(passageBody(2))
	papers[0].Abstract = "zzzz" // "deep": its own text embeds to zero, its passages do not
	apply(t, x, &search.Batch{Upserts: papers})
	rec, err := OpenRemoteRecord(dir, "mem", x.Embedder(), x.HasPassageVectors())
	if err != nil {
		t.Fatal(err)
	}
	var ps []corpus.Paper
	var vecs []vector.Item
	var deep []vector.Item
	if err := x.EachVector(ctx, func(p *corpus.Paper, pv []vector.Item) error {
		if p.ID == "deep" {
			deep = pv
		}
		ps, vecs = append(ps, *p), append(vecs, pv...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := len(bodyChunks(&papers[0]))
	if len(deep) != 1+want || deep[0].Vec != nil {
		t.Fatalf("EachVector gave deep %d items (%+v); want no own vector and %d passages'", len(deep), deep, want)
	}
	mem := newMemRemote(64)
	if err := rec.Push(ctx, mem, ps, vecs); err != nil {
		t.Fatal(err)
	}
	if n := remotePassages(mem, "deep"); n != want {
		t.Fatalf("the copy holds %d of deep's %d passage vectors", n, want)
	}
	if !rec.Has("deep") {
		t.Error("deep is not recorded as copied")
	}
}
