package embedded

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/eval"
)

func TestTune(t *testing.T) {
	if os.Getenv("QUIRE_TUNE") == "" {
		t.Skip("set QUIRE_TUNE=1 to sweep BM25 parameters")
	}
	data := sharedData(t)
	for _, name := range []string{"scifact", "cranfield", "cisi", "med"} {
		col, err := corpus.OpenBEIR(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		x, err := Open(filepath.Join(t.TempDir(), "idx"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := search.Ingest(ctx, x, col.Corpus, search.IngestOptions{BatchSize: 2000}); err != nil {
			t.Fatal(err)
		}
		qs := make([]eval.Query, len(col.Queries))
		for i, q := range col.Queries {
			qs[i] = eval.Query{ID: q.ID, Text: q.Text}
		}
		for _, k1 := range []float64{0.9, 1.2, 1.5} {
			for _, b := range []float64{0.5, 0.65, 0.8} {
				for _, tb := range []float64{0.1, 0.3, 0.6} {
					x.opts.K1, x.opts.B = k1, b
					x.opts.TitleBoost = tb
					rep, err := eval.Run(ctx, qs, col.Qrels, eval.ForEngine(x), eval.Options{K: 100, Workers: 1})
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("%-9s k1=%.1f b=%.2f title=%.2f  ndcg=%.4f r100=%.4f", name, k1, b, tb, rep.NDCG10, rep.Recall100)
				}
			}
		}
		x.Close()
	}
}
