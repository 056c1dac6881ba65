package embedded

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// BenchmarkIngestArxiv measures end-to-end ingest (gunzip, JSON decoding,
// analysis, indexing) of the real arXiv OAI sample; papers/s is reported.
//
//	go test ./search/embedded -run '^$' -bench IngestArxiv -benchtime 1x
func BenchmarkIngestArxiv(b *testing.B) {
	data := sharedData(b)
	path := filepath.Join(data, "arxiv-oai-1990-2017", "papers.jsonl.gz")
	for b.Loop() {
		src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, "arxiv")
		if err != nil {
			b.Fatal(err)
		}
		x, err := Open(filepath.Join(b.TempDir(), "idx"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		st, err := search.Ingest(context.Background(), x, src, search.IngestOptions{BatchSize: 1000})
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Papers)/st.Elapsed.Seconds(), "papers/s")
	}
}

// benchIndex builds (once per process) an index of synthetic papers.
var benchIdx struct {
	once sync.Once
	x    *Index
	qs   []string
}

func syntheticIndex(b *testing.B, n int) (*Index, []string) {
	benchIdx.once.Do(func() {
		dir, err := os.MkdirTemp("", "quire-bench-")
		if err != nil {
			b.Fatal(err)
		}
		x, err := Open(filepath.Join(dir, "idx"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		var batch search.Batch
		rng := rand.New(rand.NewPCG(3, 4))
		err = synth.Generate(synth.Options{Papers: n, Seed: 1}, func(p corpus.Paper) error {
			batch.Upserts = append(batch.Upserts, p)
			if rng.IntN(10) == 0 {
				words := strings.Fields(p.Title)
				k := 1 + rng.IntN(min(3, len(words)))
				benchIdx.qs = append(benchIdx.qs, strings.Join(words[:k], " "))
			}
			if len(batch.Upserts) == 2000 {
				if err := x.Apply(context.Background(), &batch); err != nil {
					return err
				}
				batch.Upserts = batch.Upserts[:0]
			}
			return nil
		})
		if err == nil {
			err = x.Apply(context.Background(), &batch)
		}
		if err != nil {
			b.Fatal(err)
		}
		benchIdx.x = x
	})
	return benchIdx.x, benchIdx.qs
}

// BenchmarkSearch measures query latency on 50,000 synthetic papers.
//
//	go test ./search/embedded -run '^$' -bench Search -benchtime 2000x
func BenchmarkSearch(b *testing.B) {
	x, qs := syntheticIndex(b, 50_000)
	for _, c := range []struct {
		name string
		req  func(q string) search.Request
	}{
		{"bm25", func(q string) search.Request { return search.Request{Query: query.Query{Text: q}, Limit: 10} }},
		{"facets", func(q string) search.Request {
			return search.Request{Query: query.Query{Text: q}, Limit: 10, Facets: []string{search.FacetYear, search.FacetField}, FacetSize: 10}
		}},
		{"all", func(q string) search.Request {
			return search.Request{Query: query.Query{Text: q}, Limit: 10, Facets: search.AllFacets, FacetSize: 10, Snippets: true}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := x.Search(context.Background(), c.req(qs[i%len(qs)])); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkSavedIndex runs one kind of query against an index built by
// 'quire bench --index DIR' (for profiling at scale):
//
//	QUIRE_BENCH_INDEX=DIR QUIRE_BENCH_QUERY='hybrid+filters+facets' \
//	  go test ./search/embedded -run '^$' -bench SavedIndex -cpuprofile cpu.out
//
// QUIRE_BENCH_SENTENCES=FILE.jsonl queries with sentences from its bodies,
// and QUIRE_BENCH_QUERY='hybrid+passages' asks for passages.
//
// QUIRE_BENCH_VECTOR_CANDIDATES overrides the vector half's depth.
func BenchmarkSavedIndex(b *testing.B) {
	dir := os.Getenv("QUIRE_BENCH_INDEX")
	if dir == "" {
		b.Skip("set QUIRE_BENCH_INDEX to an index built by 'quire bench --index DIR'")
	}
	vc, _ := strconv.Atoi(os.Getenv("QUIRE_BENCH_VECTOR_CANDIDATES"))
	x, err := Open(dir, Options{ReadOnly: true, LocalEmbedder: true, VectorCandidates: vc})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	words := strings.Fields("neural network protein structure quantum graph learning gene expression dark matter climate model")
	r := rand.New(rand.NewPCG(1, 2))
	kind := os.Getenv("QUIRE_BENCH_QUERY")
	ctx := context.Background()
	sentences := benchSentences(b, os.Getenv("QUIRE_BENCH_SENTENCES"))
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		text := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
		if len(sentences) > 0 {
			text = sentences[i%len(sentences)]
		}
		req := search.Request{Query: query.Query{Text: text}, Limit: 10, Passages: strings.Contains(kind, "passages")}
		if strings.Contains(kind, "filters") {
			pq, _ := query.Parse(text + ` year:2015..2024 field:"Computer Science"`)
			req.Query = pq
		}
		if strings.Contains(kind, "facets") {
			req.Facets, req.FacetSize = []string{search.FacetYear, search.FacetField}, 10
		}
		req.Mode, _, _ = strings.Cut(kind, "+")
		if _, err := x.Search(ctx, req); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	// The first query builds the slot columns a filtered vector search
	// reads, as the first one after every write does.
	b.ReportMetric(float64(took[0].Microseconds())/1000, "first-ms")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// benchSentences reads up to 300 sentences of 12–40 words, one a paper,
// from the bodies in a JSONL corpus ('quire gen --full-text'), for
// profiling the known-item kind of query; none when path is empty.
func benchSentences(b *testing.B, path string) []string {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	var out []string
	for sc.Scan() && len(out) < 300 {
		var p corpus.Paper
		if json.Unmarshal(sc.Bytes(), &p) != nil {
			continue
		}
		for _, s := range strings.SplitAfter(p.FullText, ". ") {
			if w := len(strings.Fields(s)); w >= 12 && w <= 40 && !strings.Contains(s, "\n") {
				out = append(out, strings.TrimSpace(s))
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	return out
}

// hybridBench builds (once per process) an index of synthetic papers with
// vectors and the local embedder.
var hybridBench struct {
	once sync.Once
	x    *Index
	qs   []string
}

// BenchmarkHybridModes measures query latency per mode on 20,000 synthetic
// papers with vectors (the planner's stages over both halves).
//
//	go test ./search/embedded -run '^$' -bench HybridModes -benchtime 300x
func BenchmarkHybridModes(b *testing.B) {
	hybridBench.once.Do(func() {
		dir, err := os.MkdirTemp("", "quire-bench-hybrid-")
		if err != nil {
			b.Fatal(err)
		}
		x, err := Open(filepath.Join(dir, "idx"), Options{LocalEmbedder: true, Adaptive: true})
		if err != nil {
			b.Fatal(err)
		}
		var batch search.Batch
		rng := rand.New(rand.NewPCG(5, 6))
		err = synth.Generate(synth.Options{Papers: 20_000, Seed: 2}, func(p corpus.Paper) error {
			batch.Upserts = append(batch.Upserts, p)
			if rng.IntN(20) == 0 {
				words := strings.Fields(p.Title)
				hybridBench.qs = append(hybridBench.qs, strings.Join(words[:min(2, len(words))], " "))
			}
			if len(batch.Upserts) == 2000 {
				if err := x.Apply(context.Background(), &batch); err != nil {
					return err
				}
				batch.Upserts = batch.Upserts[:0]
			}
			return nil
		})
		if err == nil {
			err = x.Apply(context.Background(), &batch)
		}
		if err == nil {
			err = x.SyncVectors(context.Background(), nil)
		}
		if err != nil {
			b.Fatal(err)
		}
		hybridBench.x = x
	})
	x, qs := hybridBench.x, hybridBench.qs
	filters := ` year:2012..2020 field:"Computer Science"`
	for _, c := range []struct{ name, mode, suffix string }{
		{"bm25", search.ModeBM25, ""},
		{"vector", search.ModeVector, ""},
		{"hybrid", search.ModeHybrid, ""},
		{"hybrid+filters+facets", search.ModeHybrid, filters},
		{"vector+filters-notext", search.ModeVector, "-"},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				text := qs[i%len(qs)] + c.suffix
				if c.suffix == "-" {
					text = filters
				}
				pq, err := query.Parse(text)
				if err != nil {
					b.Fatal(err)
				}
				req := search.Request{Query: pq, Limit: 10, Mode: c.mode}
				if c.suffix != "" {
					req.Facets, req.FacetSize = []string{search.FacetYear, search.FacetField}, 10
				}
				if _, err := x.Search(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
