package embedded

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/eval"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
)

// s3Index opens an index in dir whose vectors live in an S3 Vectors index
// on srv (created with the local embedder's dimension, 256 unless dim).
func s3Index(t testing.TB, srv *s3vtest.Server, dir string, dim int, o Options) *Index {
	t.Helper()
	st, err := s3vectors.Create(context.Background(), s3vectors.Config{Bucket: "papers", Index: "quire", Dimension: dim}, srv.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	o.LocalEmbedder, o.Remote = true, S3Remote(st, "papers", "quire", func(w string) { t.Log(w) })
	x, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// Hybrid search over the S3 Vectors half (the loopback server: exact
// float32 search, depth 300 through shard fan-out) against the embedded
// engine (int8 HNSW, its default depth 300) on the shared collections, no
// filter: within 0.005 nDCG@10, as issue 19 asks.
func TestS3VectorsHybridQuality(t *testing.T) {
	data := sharedData(t)
	if testing.Short() {
		t.Skip("ingests four collections twice")
	}
	if raceDetector {
		t.Skip("ranks only, 11 min under -race: .ci/run runs it without -race (go test ./search/embedded -run TestS3VectorsHybridQuality)")
	}
	for _, name := range []string{"scifact", "cranfield", "cisi", "med"} {
		t.Run(name, func(t *testing.T) {
			col, err := corpus.OpenBEIR(filepath.Join(data, name))
			if err != nil {
				t.Fatal(err)
			}
			qs := make([]eval.Query, len(col.Queries))
			for i, q := range col.Queries {
				qs[i] = eval.Query{ID: q.ID, Text: q.Text}
			}
			ctx := context.Background()
			run := func(x *Index) eval.Metrics {
				ingestAll(t, x, col.Corpus, 2000)
				rep, err := eval.Run(ctx, qs, col.Qrels, eval.ForEngineMode(x, search.ModeHybrid), eval.Options{K: 100})
				if err != nil {
					t.Fatal(err)
				}
				return rep.Metrics
			}
			x, err := Open(filepath.Join(t.TempDir(), "local"), Options{LocalEmbedder: true, Adaptive: true})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			em := run(x)
			s3 := s3Index(t, s3vtest.New(t), filepath.Join(t.TempDir(), "s3"), 256, Options{Adaptive: true})
			sm := run(s3)
			t.Logf("%s hybrid nDCG@10: s3vectors %.4f; embedded %.4f (Δ %+.4f); Recall@100 %.4f vs %.4f",
				name, sm.NDCG10, em.NDCG10, sm.NDCG10-em.NDCG10, sm.Recall100, em.Recall100)
			if d := math.Abs(sm.NDCG10 - em.NDCG10); d > 0.005 {
				t.Errorf("%s: s3vectors hybrid nDCG@10 %.4f differs from the embedded engine's, %.4f, by %.4f (> 0.005)", name, sm.NDCG10, em.NDCG10, d)
			}
		})
	}
}

// What a filtered search on S3 Vectors loses when the filter is one the
// service cannot apply (a -word exclusion, a phrase) and the query runs
// through QueryVectors: its top 100 come back and the papers outside the
// restriction are dropped here, so the page may come up short or miss
// nearer allowed papers. Measured on SciFact, vector mode, page of 10, 50
// queries, against the exact top 10 among the allowed papers (every
// allowed vector fetched and scored: the Get-and-score branch forced).
// Logged, not asserted.
func TestS3VectorsFilteredShortfall(t *testing.T) {
	data := sharedData(t)
	if os.Getenv("QUIRE_MEASURE") == "" {
		t.Skip("a measurement, logged not asserted: set QUIRE_MEASURE=1 to run it")
	}
	col, err := corpus.OpenBEIR(filepath.Join(data, "scifact"))
	if err != nil {
		t.Fatal(err)
	}
	x := s3Index(t, s3vtest.New(t), filepath.Join(t.TempDir(), "s3"), 256, Options{})
	ingestAll(t, x, col.Corpus, 2000)
	ctx := context.Background()
	n := len(allowedSet(t, x, query.Query{}))
	queries := col.Queries[:min(50, len(col.Queries))]
	for _, restrict := range []string{"-patients", "-cells", "-protein", `"cancer"`, `"mice"`, `"brain"`, `"insulin"`} {
		rq, err := query.Parse(restrict)
		if err != nil {
			t.Fatal(err)
		}
		allowed := len(allowedSet(t, x, rq))
		var missed, short int
		for _, q := range queries {
			req := search.Request{Query: rq, Limit: 10, Mode: search.ModeVector}
			req.Query.Text = q.Text + " " + rq.Text
			page := func(getBelow int) []string {
				x.vec.getBelow = getBelow
				res, err := x.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				return ids(res)
			}
			got, exact := page(0), page(math.MaxInt32)
			for _, id := range exact {
				if !slices.Contains(got, id) {
					missed++
				}
			}
			if len(got) < min(10, allowed) {
				short++
			}
		}
		t.Logf("%s: %d of %d papers allowed (%.0f%%); %d queries: %.2f of the exact top 10 missed on average, %d pages short",
			restrict, allowed, n, 100*float64(allowed)/float64(n), len(queries), float64(missed)/float64(len(queries)), short)
	}
}
