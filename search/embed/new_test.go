package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/config"
)

func TestNewNoneAndLocal(t *testing.T) {
	t.Parallel()
	if e, err := New(config.Embed{Provider: "none"}, nil); e != nil || err != nil {
		t.Errorf("none: %v %v", e, err)
	}
	if _, err := New(config.Embed{Provider: "local"}, nil); !errors.Is(err, ErrLocal) {
		t.Errorf("local: %v", err)
	}
	if _, err := New(config.Embed{Provider: "word2vec"}, nil); err == nil {
		t.Error("unknown provider: no error")
	}
	if _, err := New(config.Embed{Provider: "model2vec"}, nil); err == nil {
		t.Error("model2vec without a directory: no error")
	}
}

func TestNewOpenAIWiring(t *testing.T) {
	t.Parallel()
	s := &openAIServer{t: t, key: testKey, dims: 3}
	srv := httptest.NewServer(s)
	defer srv.Close()
	cfg := config.Embed{
		Provider: "openai", Model: "nomic-embed-text", BaseURL: srv.URL + "/v1",
		APIKeyEnv: "QUIRE_TEST_EMBED_KEY", Dimensions: 3, BatchSize: 2, Concurrency: 2,
		QueryPrefix: "search_query: ", PassagePrefix: "search_document: ",
	}
	getenv := func(k string) string {
		if k == "QUIRE_TEST_EMBED_KEY" {
			return testKey
		}
		return ""
	}
	e, err := New(cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(*Batcher); !ok {
		t.Errorf("New returned %T, want the Batcher outermost", e)
	}
	vecs, err := e.Embed(context.Background(), []string{"a", "b", "c", "d", "e"}, Passage)
	if err != nil || len(vecs) != 5 {
		t.Fatal(err)
	}
	if s.calls.Load() != 3 {
		t.Errorf("%d requests for 5 texts in batches of 2", s.calls.Load())
	}
	for _, r := range s.reqs {
		if _, sent := s.raw[0]["dimensions"]; sent || !strings.HasPrefix(r.Input[0], "search_document: ") {
			t.Errorf("request %+v", r)
		}
	}
	if name := e.Name(); name != `openai:nomic-embed-text@3+prefix("search_query: ","search_document: ")` || strings.Contains(name, testKey) {
		t.Errorf("Name %q", name)
	}
}

func TestNewOpenAIKeyHandling(t *testing.T) {
	t.Parallel()
	// OpenAI itself needs a key; the error names the variable, not a value.
	_, err := New(config.Embed{Provider: "openai", Model: "text-embedding-3-small", APIKeyEnv: "MY_OPENAI_KEY"},
		func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "MY_OPENAI_KEY") {
		t.Errorf("err = %v", err)
	}
	// A key is never echoed back, whatever goes wrong.
	_, err = New(config.Embed{Provider: "openai", Model: "m", BaseURL: "ftp://x", APIKeyEnv: "K"},
		func(string) string { return testKey })
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Errorf("err = %v", err)
	}
	e, err := New(config.Embed{Provider: "openai", Model: "text-embedding-3-large", Dimensions: 256, APIKeyEnv: "K"},
		func(string) string { return testKey })
	if err != nil {
		t.Fatal(err)
	}
	o := e.(*Batcher).Unwrap().(*OpenAI)
	if !o.opts.SendDimensions || strings.Contains(e.Name(), testKey) {
		t.Errorf("text-embedding-3 should be sent dimensions; Name %q", e.Name())
	}
}

func TestNewModel2Vec(t *testing.T) {
	t.Parallel()
	dir := writeModelDir(t, wordPieceJSON(wpVocab, 100), map[string]rawTensor{"embeddings": matrix("F32", wpVectors())}, "")
	if _, err := New(config.Embed{Provider: "model2vec", Model: dir, Dimensions: 256}, nil); err == nil || !strings.Contains(err.Error(), "set it to 4") {
		t.Errorf("dimension mismatch: %v", err)
	}
	e, err := New(config.Embed{Provider: "model2vec", Model: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := e.Embed(context.Background(), []string{"hello world"}, Query)
	if err != nil || !equalVec(vecs[0], []float32{.5, .5, .5, .5}, 1e-7) {
		t.Errorf("%v %v", vecs, err)
	}
}

func TestNewBedrockBatchesByModel(t *testing.T) {
	isolateAWS(t)
	for model, want := range map[string]int{"amazon.titan-embed-text-v2:0": 1, "cohere.embed-english-v3": 96} {
		dims := 256
		if want == 96 {
			dims = 1024
		}
		e, err := New(config.Embed{Provider: "bedrock", Model: model, Region: "us-west-2", Dimensions: dims, BatchSize: 128}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.(*Batcher).opts.BatchSize; got != want {
			t.Errorf("%s: batch size %d, want %d", model, got, want)
		}
	}
}

// An embedder for the example: one-hot on the text's length.
type lengthEmbedder struct{}

func (lengthEmbedder) Name() string { return "length" }
func (lengthEmbedder) Dim() int     { return 4 }
func (lengthEmbedder) Embed(_ context.Context, texts []string, _ Kind) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = make([]float32, 4)
		out[i][len(t)%4] = 1
	}
	return out, nil
}

func ExampleNewCache() {
	dir, _ := os.MkdirTemp("", "quire-embed-example")
	defer os.RemoveAll(dir)
	e := NewBatcher(Prefixed(lengthEmbedder{}, "q: ", ""), BatchOptions{BatchSize: 2, Concurrency: 2})
	c, err := NewCache(e, dir+"/vectors.cache")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	c.Embed(ctx, []string{"a", "bb", "ccc"}, Passage)
	vecs, _ := c.Embed(ctx, []string{"a", "bb", "ccc", "dddd"}, Passage)
	fmt.Println(c.Name(), vecs[1])
	fmt.Printf("%+v\n", c.Stats())
	// Output:
	// length+prefix("q: ","") [0 0 1 0]
	// {Entries:4 Hits:3 Misses:4 DroppedBytes:0}
}

// TestNewRemoteCacheSkipsUnchangedText: a remote embedder built by New
// keeps a content-hash cache, so a second run (a re-ingest, another index)
// over unchanged text makes no embedding requests at all.
func TestNewRemoteCacheSkipsUnchangedText(t *testing.T) {
	t.Parallel()
	s := &openAIServer{t: t, dims: 3}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := config.Default()
	c.CacheDir = t.TempDir()
	c.Embed = config.Embed{Provider: "openai", Model: "nomic-embed-text", BaseURL: srv.URL + "/v1",
		Dimensions: 3, BatchSize: 2, Concurrency: 1, PassagePrefix: "doc: "}
	cfg := c.EmbedSettings()
	if cfg.Cache != filepath.Join(c.CacheDir, "embeddings") {
		t.Fatalf("cache dir %q, want under cache_dir", cfg.Cache)
	}
	texts := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	run := func() [][]float32 {
		e, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.(io.Closer).Close()
		vecs, err := e.Embed(context.Background(), texts, Passage)
		if err != nil {
			t.Fatal(err)
		}
		return vecs
	}
	first := run()
	if n := s.calls.Load(); n != 3 {
		t.Fatalf("first run: %d requests, want 3", n)
	}
	second := run()
	if n := s.calls.Load(); n != 3 {
		t.Errorf("second run over unchanged text: %d more requests, want 0", n-3)
	}
	for i := range first {
		if fmt.Sprint(first[i]) != fmt.Sprint(second[i]) {
			t.Errorf("text %d: cached vector differs", i)
		}
	}
	texts[2] = "gamma, revised"
	run()
	if n := s.calls.Load(); n != 4 {
		t.Errorf("one changed text: %d more requests, want 1", n-3)
	}
	// "off" keeps none.
	cfg.Cache = "off"
	e, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(*Cache); ok {
		t.Error(`embed.cache = "off" still caches`)
	}
}

// TestNewUnwritableCacheStillEmbeds: a cache directory that cannot be made
// costs re-embedding, never a failed search or ingest.
func TestNewUnwritableCacheStillEmbeds(t *testing.T) {
	t.Parallel()
	s := &openAIServer{t: t, dims: 3}
	srv := httptest.NewServer(s)
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	cfg := config.Embed{Provider: "openai", Model: "m", BaseURL: srv.URL + "/v1", Dimensions: 3, BatchSize: 8, Concurrency: 1,
		Cache: filepath.Join(file, "embeddings")}
	e, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vecs, err := e.Embed(context.Background(), []string{"a", "b"}, Query); err != nil || len(vecs) != 2 {
		t.Fatalf("vecs %d, err %v", len(vecs), err)
	}
	if err := e.(io.Closer).Close(); err == nil || !strings.Contains(err.Error(), "embedding cache") {
		t.Errorf("Close = %v, want the write failure reported", err)
	}
}
