package embedded

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/corpustest"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/eval"
)

// sharedData is ../shared/data, or a skip when it is absent.
func sharedData(t testing.TB) string { return corpustest.SharedData(t) }

// Quality floors: BM25 on the DEV halves must not drop below these. They
// sit a little under what this engine measured (see the README), so a
// regression in analysis, mapping or scoring fails CI.
var floors = map[string]struct{ ndcg, recall float64 }{
	"scifact":   {0.710, 0.920},
	"cranfield": {0.375, 0.760},
	"cisi":      {0.450, 0.390},
	"med":       {0.780, 0.780},
}

func TestBM25Quality(t *testing.T) {
	data := sharedData(t)
	for name, floor := range floors {
		t.Run(name, func(t *testing.T) {
			m := evalCollection(t, filepath.Join(data, name), Options{})
			t.Logf("%s: nDCG@10 %.4f  Recall@100 %.4f  MRR@10 %.4f  (%d queries)", name, m.NDCG10, m.Recall100, m.MRR10, m.Queries)
			if m.NDCG10 < floor.ndcg {
				t.Errorf("%s nDCG@10 = %.4f, below the floor %.3f", name, m.NDCG10, floor.ndcg)
			}
			if m.Recall100 < floor.recall {
				t.Errorf("%s Recall@100 = %.4f, below the floor %.3f", name, m.Recall100, floor.recall)
			}
		})
	}
}

func evalCollection(t testing.TB, dir string, o Options) eval.Metrics {
	t.Helper()
	col, err := corpus.OpenBEIR(dir)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Open(filepath.Join(t.TempDir(), "idx"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	if _, err := search.Ingest(ctx, x, col.Corpus, search.IngestOptions{BatchSize: 2000}); err != nil {
		t.Fatal(err)
	}
	qs := make([]eval.Query, len(col.Queries))
	for i, q := range col.Queries {
		qs[i] = eval.Query{ID: q.ID, Text: q.Text}
	}
	rep, err := eval.Run(ctx, qs, col.Qrels, eval.ForEngine(x), eval.Options{K: 100})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Metrics
}
