package weaviate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/enginetest"
	"github.com/quire-research/quire/search/highlight"
	"github.com/quire-research/quire/search/query"
)

func TestTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Unavailable, "connection refused"), true},
		{fmt.Errorf("batch objects: %w", status.Error(codes.Unavailable, "x")), true},
		{status.Error(codes.InvalidArgument, "no such property"), false},
		{&fault.WeaviateClientError{StatusCode: 503, Msg: "down"}, true},
		{&fault.WeaviateClientError{StatusCode: 422, Msg: "invalid property"}, false},
		{&fault.WeaviateClientError{StatusCode: 500, Msg: "cannot achieve consistency level QUORUM"}, true},
		{errors.New("cannot achieve consistency level QUORUM: read repair"), true},
		{errors.New("vector lengths don't match: 4 vs 5"), false},
		{context.Canceled, false},
		// What a batch delete returned with a replica killed (CI): the
		// HTTP client's timeout, no status.
		{&fault.WeaviateClientError{StatusCode: -1, Msg: "check the DerivedFromError field for more information",
			DerivedFromError: &url.Error{Op: "Delete", URL: "http://127.0.0.1:28180/v1/batch/objects", Err: timeoutErr{}}}, true},
		{&fault.WeaviateClientError{StatusCode: -1, Msg: "check the DerivedFromError field for more information",
			DerivedFromError: errors.New("json: cannot unmarshal")}, false},
	} {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// timeoutErr is a net.Error that timed out, as http.Client's timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "Client.Timeout exceeded while awaiting headers" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{URL: "http://x:1", Collection: "lower"},
		{URL: "http://x:1", Collection: "Bad-Name"},
		{URL: "http://x:1", Consistency: "MOST"},
		{URL: "http://x:1", Hybrid: "both"},
		{URL: "http://x:1", Mode: "fuzzy"},
	} {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%+v accepted; want an error", o)
		}
	}
	o, err := Options{URL: "http://x:1", Consistency: "all"}.withDefaults()
	if err != nil || o.Collection != DefaultCollection || o.Consistency != "ALL" || o.Replication != 1 || o.Hybrid != DefaultHybrid {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

// TestKeyNeverInErrors: a failed connection names the URL, not the key.
func TestKeyNeverInErrors(t *testing.T) {
	const key = "sk-secret-quire-test-key"
	_, err := Open(context.Background(), Options{URL: "http://127.0.0.1:1", APIKey: key})
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error shows the API key: %v", err)
	}
	if got := redact(errors.New("bad key "+key), key).Error(); strings.Contains(got, key) {
		t.Errorf("redact left the key: %s", got)
	}
}

// TestFilterHasNoStopWordOnlyClause: Weaviate rejects a text filter made
// of stop words only (the collection keeps none, but the words are
// dropped client-side); a phrase of stop words constrains nothing.
func TestFilterHasNoStopWordOnlyClause(t *testing.T) {
	q, err := query.Parse(`"the of" -and`)
	if err != nil {
		t.Fatal(err)
	}
	if w := restriction(q); w != nil {
		t.Errorf("restriction of stop words = %s; want none", w)
	}
	q, _ = query.Parse(`author:"de la" venue:"Phys. Rev. D"`)
	w := restriction(q)
	if w == nil || !strings.Contains(w.String(), `"de"`) || !strings.Contains(w.String(), `"d"`) {
		t.Errorf("name filters must keep every word: %v", w)
	}
}

// fakeEmbedder returns vectors of dim dimensions from a hash of the text.
type fakeEmbedder struct{ dim int }

func (f fakeEmbedder) Name() string { return fmt.Sprintf("fake@%d", f.dim) }
func (f fakeEmbedder) Dim() int     { return f.dim }
func (f fakeEmbedder) Embed(_ context.Context, texts []string, _ embed.Kind) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, s := range texts {
		v := make([]float32, f.dim)
		for j := range v {
			v[j] = float32(len(s)%(j+3)) + 1
		}
		out[i] = v
	}
	return out, nil
}

// TestCheckpointOnlyAfterPapers: a batch whose papers Weaviate refuses
// fails naming the paper, and its checkpoint is not written, so a resumed
// ingest never skips papers that are not there.
func TestCheckpointOnlyAfterPapers(t *testing.T) {
	ctx := context.Background()
	a := openTest(t, Options{Embedder: fakeEmbedder{4}})
	papers := enginetest.Papers(t)
	ck := search.Checkpoint{Source: "s", Cursor: corpus.Cursor{Line: 5}, Papers: 5}
	if err := a.Apply(ctx, &search.Batch{Upserts: papers[:5], Checkpoints: []search.Checkpoint{ck}}); err != nil {
		t.Fatal(err)
	}
	// Same collection, vectors of another length: Weaviate refuses them.
	b := &Engine{o: a.o, client: a.client, meta: a.meta, passages: a.passages, emb: fakeEmbedder{5}}
	ck2 := search.Checkpoint{Source: "s", Cursor: corpus.Cursor{Line: 10}, Papers: 10}
	err := b.Apply(ctx, &search.Batch{Upserts: papers[5:10], Checkpoints: []search.Checkpoint{ck2}})
	// Which of the batch Weaviate refuses varies (it has accepted some
	// vectors of the new length while refusing others); the error must
	// name those it refused, and the checkpoint must not move.
	if err == nil || !slices.ContainsFunc(papers[5:10], func(p corpus.Paper) bool { return strings.Contains(err.Error(), p.ID) }) {
		t.Fatalf("Apply with refused papers: %v; want an error naming the batch's papers", err)
	}
	got, ok, err := a.Checkpoint(ctx, "s")
	if err != nil || !ok || got.Cursor != ck.Cursor {
		t.Errorf("checkpoint after a failed batch = %+v, %v, %v; want the earlier %+v", got, ok, err, ck.Cursor)
	}
}

// TestModelInCluster: the local model trained by one client is found by
// another with nothing on disk, and embeds queries identically; a damaged
// model is refused, naming the fix.
func TestModelInCluster(t *testing.T) {
	ctx := context.Background()
	a := openTest(t, Options{LocalEmbedder: true, Adaptive: true})
	if err := a.Apply(ctx, &search.Batch{Upserts: enginetest.Papers(t)}); err != nil {
		t.Fatal(err)
	}
	var phases []string
	if err := a.SyncVectors(ctx, func(phase string, done, total int) {
		if !slices.Contains(phases, phase) {
			phases = append(phases, phase)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(phases, "train") || !slices.Contains(phases, "embed") {
		t.Errorf("progress phases %v; want train and embed", phases)
	}
	st, err := a.Stats(ctx)
	if err != nil || st.Vectors != st.Papers || st.Papers != 40 || st.Calibration == nil || st.Calibration.Lean {
		// One-sentence abstracts leave the probe nothing to hold out: a
		// verdict is stored, and it does not lean.
		t.Fatalf("stats after sync: %+v, %v", st, err)
	}
	b, err := Open(ctx, Options{URL: a.o.URL, GRPC: a.o.GRPC, Collection: a.o.Collection, LocalEmbedder: true})
	if err != nil {
		t.Fatal(err)
	}
	ea, eb := a.embedder(), b.embedder()
	if eb == nil || eb.Name() != ea.Name() {
		t.Fatalf("second client's embedder %v; want %s", eb, ea.Name())
	}
	q := []string{"crispr gene editing in yeast"}
	va, _ := ea.Embed(ctx, q, embed.Query)
	vb, _ := eb.Embed(ctx, q, embed.Query)
	if !slices.Equal(va[0], vb[0]) {
		t.Error("the two clients embed the same query differently")
	}
	pq, _ := query.Parse("crispr gene editing")
	ra, err := a.Search(ctx, search.Request{Query: pq, Limit: 10, Mode: search.ModeHybrid})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.Search(ctx, search.Request{Query: pq, Limit: 10, Mode: search.ModeHybrid})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(ra), ids(rb)) {
		t.Errorf("two clients, one query: %v vs %v", ids(ra), ids(rb))
	}
	if stb, err := b.Stats(ctx); err != nil || stb.Calibration == nil || *stb.Calibration != *st.Calibration {
		t.Errorf("second client's calibration %+v, %v; want the first's %+v", stb, err, st.Calibration)
	}
	// A second sync finds nothing to do.
	var embedTotal = -1
	if err := b.SyncVectors(ctx, func(phase string, done, total int) {
		if phase == "embed" {
			embedTotal = total
		}
	}); err != nil || embedTotal != 0 {
		t.Errorf("second sync: embed total %d, %v; want 0", embedTotal, err)
	}
	// Damage the first chunk: the model is refused.
	if err := a.writeMeta(ctx, []*metaObject{{kind: kindModel, key: ea.Name() + "/0", blob: []byte("garbage")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.loadModel(ctx); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged model loaded: %v", err)
	}
}

func ids(r *search.Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

// TestCollectionNotBlockMaxWAND: the cluster must run with
// USE_INVERTED_SEARCHABLE=false (see schema.go): Weaviate 1.35's BlockMax
// WAND returned a wrong BM25 top k for long queries.
func TestCollectionNotBlockMaxWAND(t *testing.T) {
	e := openTest(t, Options{})
	wand, err := e.usesBlockMaxWAND(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if wand {
		t.Errorf("collection %s uses BlockMax WAND: start every Weaviate node with USE_INVERTED_SEARCHABLE=false", e.o.Collection)
	}
}

func TestSnippetMarksStems(t *testing.T) {
	q, _ := query.Parse(`edit "off-target cuts"`)
	text := "We apply crispr gene editing to yeast cells and measure off-target cuts in the genome."
	hl := highlight.New(prose, q)
	s := hl.Snippet(&corpus.Paper{Abstract: text})
	var got []string
	for _, m := range s.Marks {
		got = append(got, s.Text[m[0]:m[1]])
	}
	// "off" is an English stop word: BM25 never matched it.
	if want := []string{"editing", "target", "cuts"}; !slices.Equal(got, want) {
		t.Errorf("marks %q, want %q", got, want)
	}
	if hl.Snippet(&corpus.Paper{}).Text != "" {
		t.Error("a snippet of no text")
	}
}

func TestFacetResult(t *testing.T) {
	q, _ := query.Parse(`author:="Zed" year:2019`)
	c := &counts{q: q, facets: []*facetCounts{
		{name: search.FacetAuthor, values: map[string]int{"Ann": 5, "Bob": 5, "Cy": 2, "Zed": 1}, all: 20},
		{name: search.FacetYear, values: map[string]int{"2020": 2, "2019": 3}, all: 5},
	}}
	c.add([]*corpus.Paper{{Authors: []string{"Cy"}, Year: 2021}})
	f := c.result(2)
	a := f[0]
	if len(a.Values) != 3 || a.Values[0].Value != "Ann" || a.Values[1].Value != "Bob" || a.Values[2].Value != "Zed" || !a.Values[2].Selected {
		t.Errorf("author facet %+v; want Ann, Bob, then the selected Zed", a.Values)
	}
	if a.Other != 21-11 {
		t.Errorf("Other = %d, want %d", a.Other, 21-11)
	}
	y := f[1]
	if len(y.Values) != 3 || y.Values[0].Value != "2019" || !y.Values[0].Selected || y.Values[2].Value != "2021" || y.Other != 0 {
		t.Errorf("year facet %+v; want every year in order, 2019 selected", y)
	}
}

func TestSearchTimeout(t *testing.T) {
	e := openTest(t, Options{})
	if err := e.Apply(context.Background(), &search.Batch{Upserts: enginetest.Papers(t)}); err != nil {
		t.Fatal(err)
	}
	q, _ := query.Parse("crispr")
	_, err := e.Search(context.Background(), search.Request{Query: q, Limit: 10, Timeout: time.Nanosecond})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("search with 1ns: %v; want a timeout error", err)
	}
}

func TestNextBatch(t *testing.T) {
	e := &Engine{o: Options{Collection: "Q"}}
	obj := func(body string) *models.Object {
		o, err := e.object(&corpus.Paper{ID: "x", Title: "t", FullText: body}, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	small := make([]*models.Object, 300)
	for i := range small {
		small[i] = obj("short")
	}
	if n := nextBatch(small); n != batchSize {
		t.Errorf("300 small papers: first batch %d, want %d", n, batchSize)
	}
	big := obj(strings.Repeat("long text ", 300_000)) // 3 MB, and its stems
	if n := nextBatch([]*models.Object{big, big, big}); n != 1 {
		t.Errorf("3 MB papers: batch of %d, want 1", n)
	}
	if n := nextBatch([]*models.Object{obj("short"), obj("short"), big}); n != 2 {
		t.Errorf("two small then a big one: batch of %d, want 2", n)
	}
}

// TestLongFullTexts: papers with megabytes of full text are written and
// read whole; a hit carries at most 1 MiB of it.
func TestLongFullTexts(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, Options{})
	body := strings.Repeat("lattice gauge theory amplitudes ", 50_000) // 1.6 MB
	var ps []corpus.Paper
	for i := range 3 {
		ps = append(ps, corpus.Paper{ID: fmt.Sprintf("long-%d", i), Title: "Long paper", FullText: body})
	}
	if err := e.Apply(ctx, &search.Batch{Upserts: ps}); err != nil {
		t.Fatal(err)
	}
	p, err := e.Get(ctx, "long-2")
	if err != nil || p.FullText != body {
		t.Fatalf("Get: %v (full text %d bytes, want %d)", err, len(p.FullText), len(body))
	}
	q, _ := query.Parse("gauge")
	res, err := e.Search(ctx, search.Request{Query: q, Limit: 4, Mode: search.ModeBM25})
	if err != nil || res.Total != 3 {
		t.Fatalf("search: %+v, %v", res, err)
	}
	for _, h := range res.Hits {
		if n := len(h.Paper.FullText); n > search.MaxHitFullText || n < search.MaxHitFullText/2 {
			t.Errorf("hit %s carries %d bytes of full text; want at most %d", h.ID, n, search.MaxHitFullText)
		}
	}
}

// TestAPIKey runs against a server that requires an API key, named by
// QUIRE_WEAVIATE_APIKEY: the key opens it (REST and gRPC alike), a wrong
// one is refused with an error that shows neither key.
func TestAPIKey(t *testing.T) {
	key := os.Getenv("QUIRE_WEAVIATE_APIKEY")
	if key == "" {
		t.Skip("QUIRE_WEAVIATE_APIKEY is not set: no key-protected server to test against")
	}
	e := openTest(t, Options{APIKey: key})
	if err := e.Apply(context.Background(), &search.Batch{Upserts: enginetest.Papers(t)[:3]}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(context.Background(), enginetest.Papers(t)[0].ID); err != nil {
		t.Fatal(err)
	}
	const wrong = "not-the-key-1234"
	_, err := Open(context.Background(), Options{URL: e.o.URL, GRPC: e.o.GRPC, APIKey: wrong, Collection: e.o.Collection})
	if err == nil {
		t.Fatal("a wrong key opened the server")
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), key) {
		t.Errorf("error shows a key: %v", err)
	}
}

// TestMustExist: a reader opening a collection that is not there gets a
// MissingError listing the cluster's paper collections, and nothing is
// created; a writer's open creates it.
func TestMustExist(t *testing.T) {
	ctx := context.Background()
	have := openTest(t, Options{})
	url, grpc := server(t)
	name := have.o.Collection + "X"
	_, err := Open(ctx, Options{URL: url, GRPC: grpc, Collection: name, MustExist: true})
	var missing *MissingError
	if !errors.As(err, &missing) || missing.Collection != name || !slices.Contains(missing.Existing, have.o.Collection) {
		t.Fatalf("reader's open of %s: %v; want a MissingError listing %s", name, err, have.o.Collection)
	}
	if slices.Contains(missing.Existing, have.meta) {
		t.Errorf("existing collections %v list the meta collection %s", missing.Existing, have.meta)
	}
	ok, err := have.client.Schema().ClassExistenceChecker().WithClassName(name).Do(ctx)
	if err != nil || ok {
		t.Fatalf("after the reader's open, %s exists = %v (%v); want not created", name, ok, err)
	}
	openTest(t, Options{Collection: name}) // a writer makes it (and the cleanup drops it)
	if _, err := Open(ctx, Options{URL: url, GRPC: grpc, Collection: name, MustExist: true}); err != nil {
		t.Errorf("reader's open after a writer made %s: %v", name, err)
	}
}

// TestNotAnswering: a URL where nothing listens fails with the cause and
// writes nothing through the standard logger (the client's own wait logs
// a line a second, across the app's screen).
func TestNotAnswering(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	_, err = Open(context.Background(), Options{URL: "http://" + addr, GRPC: addr})
	if err == nil || !strings.Contains(err.Error(), "not answering") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Open on a closed port: %v; want not answering ... connection refused", err)
	}
	if logged.Len() > 0 {
		t.Errorf("Open logged %q", logged.String())
	}
}
