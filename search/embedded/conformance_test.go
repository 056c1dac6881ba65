package embedded

import (
	"context"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/enginetest"
)

// TestConformance runs the engine conformance suite on a temporary index
// with the corpus-taught local embedder.
func TestConformance(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) search.Engine {
		x, err := Open(t.TempDir(), Options{LocalEmbedder: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	}, enginetest.Options{Engine: "embedded", Sync: func(ctx context.Context, e search.Engine) error {
		return e.(*Index).SyncVectors(ctx, nil)
	}})
}
