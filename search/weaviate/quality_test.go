package weaviate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/corpustest"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/eval"
	"github.com/quire-research/quire/search/query"
)

// TestHybridQuality measures each search mode, and both hybrid
// implementations, on the BEIR collections in ../shared/data. It is a
// measurement (minutes on a 3-node cluster), run when
// QUIRE_WEAVIATE_QUALITY names the collections ("scifact,med", or "all"):
//
//	QUIRE_WEAVIATE_QUALITY=all QUIRE_WEAVIATE_URL=... go test ./search/weaviate -run TestHybridQuality -v
//
// It fails if hybrid (planner) ranks below BM25 alone on a collection.
func TestHybridQuality(t *testing.T) {
	which := os.Getenv("QUIRE_WEAVIATE_QUALITY")
	if which == "" {
		t.Skip("QUIRE_WEAVIATE_QUALITY is not set: this measurement runs on request")
	}
	data := corpustest.SharedData(t)
	names := []string{"scifact", "cranfield", "cisi", "med"}
	if which != "all" {
		names = filepath.SplitList(which)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			col, err := corpus.OpenBEIR(filepath.Join(data, name))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			e := openTest(t, Options{LocalEmbedder: true, Adaptive: true})
			start := time.Now()
			if _, err := search.Ingest(ctx, e, col.Corpus, search.IngestOptions{BatchSize: 500}); err != nil {
				t.Fatal(err)
			}
			ingest := time.Since(start)
			if err := e.SyncVectors(ctx, nil); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: ingest %s, vectors %s", name, ingest.Round(time.Millisecond), (time.Since(start) - ingest).Round(time.Millisecond))
			qs := make([]eval.Query, len(col.Queries))
			for i, q := range col.Queries {
				qs[i] = eval.Query{ID: q.ID, Text: q.Text}
			}
			got := map[string]eval.Metrics{}
			for _, run := range []struct{ label, mode, hybrid string }{
				{"bm25", search.ModeBM25, HybridPlanner},
				{"vector", search.ModeVector, HybridPlanner},
				{"hybrid-planner", search.ModeHybrid, HybridPlanner},
				{"hybrid-native", search.ModeHybrid, HybridNative},
			} {
				e.o.Hybrid = run.hybrid
				start := time.Now()
				rep, err := eval.Run(ctx, qs, col.Qrels, eval.ForEngineMode(e, run.mode), eval.Options{K: 100})
				if err != nil {
					t.Fatal(err)
				}
				m := rep.Metrics
				got[run.label] = m
				p50, p99 := latency(t, e, run.mode, qs)
				t.Logf("%-8s %-15s nDCG@10 %.4f  Recall@100 %.4f  MRR@10 %.4f  (%d queries, %s; one at a time, limit 10 with facets: p50 %s p99 %s)",
					name, run.label, m.NDCG10, m.Recall100, m.MRR10, m.Queries, time.Since(start).Round(time.Millisecond),
					p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond))
			}
			if got["hybrid-planner"].NDCG10 < got["bm25"].NDCG10-0.005 {
				t.Errorf("%s: hybrid (planner) nDCG@10 %.4f below BM25's %.4f", name, got["hybrid-planner"].NDCG10, got["bm25"].NDCG10)
			}
		})
	}
}

// latency times up to 100 of the queries one at a time, as a person
// searches: a page of 10 with every facet.
func latency(t *testing.T, e *Engine, mode string, qs []eval.Query) (p50, p99 time.Duration) {
	var ds []time.Duration
	for _, q := range qs[:min(100, len(qs))] {
		req := search.Request{Query: query.Query{Text: q.Text}, Limit: 10, Mode: mode}.WithFacets(10, search.AllFacets...)
		start := time.Now()
		if _, err := e.Search(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}
