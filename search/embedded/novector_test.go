package embedded

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/probe/probetest"
)

// zeroForUnknown embeds like base but returns the zero vector for texts
// holding "zzzz" (as the local model does for a text of unknown words),
// and counts the texts it is asked to embed.
type zeroForUnknown struct {
	embed.Embedder
	texts atomic.Int64
}

func (z *zeroForUnknown) Embed(ctx context.Context, texts []string, k embed.Kind) ([][]float32, error) {
	z.texts.Add(int64(len(texts)))
	vs, err := z.Embedder.Embed(ctx, texts, k)
	for i, t := range texts {
		if err == nil && strings.Contains(t, "zzzz") {
			vs[i] = make([]float32, z.Dim())
		}
	}
	return vs, err
}

// TestNoVectorPaperNotReembedded: a paper whose text embeds to the zero
// vector is stored without a vector, never appears in vector search, and
// the next sync (after a reopen) does not embed it again.
func TestNoVectorPaperNotReembedded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 32}}
	x, err := Open(dir, Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	papers := []corpus.Paper{
		{ID: "a", Title: "gene therapy for blindness", Abstract: "retina vector"},
		{ID: "b", Title: "dark matter halos", Abstract: "simulation of galaxies"},
		{ID: "blank", Title: "zzzz", Abstract: "qqqq"},
	}
	if err := x.Apply(ctx, &search.Batch{Upserts: papers}); err != nil {
		t.Fatal(err)
	}
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	x.Close()
	y, err := Open(dir, Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	before := emb.texts.Load()
	if err := y.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := emb.texts.Load() - before; n != 0 {
		t.Fatalf("the sync after a reopen embedded %d texts again", n)
	}
	if y.vec.idx.Empty() != 1 {
		t.Fatalf("%d papers stored without a vector, want 1", y.vec.idx.Empty())
	}
}
