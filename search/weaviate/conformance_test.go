package weaviate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/enginetest"
)

// server returns the Weaviate under test, from QUIRE_WEAVIATE_URL and
// QUIRE_WEAVIATE_GRPC (CI starts a 3-node cluster and sets them).
func server(t *testing.T) (url, grpc string) {
	t.Helper()
	url = os.Getenv("QUIRE_WEAVIATE_URL")
	if url == "" {
		t.Skip("QUIRE_WEAVIATE_URL is not set: no Weaviate server to test against (CI's .ci/run starts one)")
	}
	return url, os.Getenv("QUIRE_WEAVIATE_GRPC")
}

// collection is a fresh collection name for t, so tests can share a
// cluster.
func collection(t *testing.T) string {
	name := regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(t.Name(), "")
	return fmt.Sprintf("Q%s%08x", name[:min(len(name), 40)], rand.Uint32())
}

// openTest opens an engine on a fresh collection and drops it when t ends.
func openTest(t *testing.T, o Options) *Engine {
	t.Helper()
	o.URL, o.GRPC = server(t)
	if o.Collection == "" {
		o.Collection = collection(t)
	}
	e, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Drop(context.Background()); err != nil {
			t.Errorf("drop %s: %v", o.Collection, err)
		}
		e.Close()
	})
	return e
}

func TestConformance(t *testing.T) {
	server(t)
	for h, name := range map[string]string{HybridPlanner: "weaviate", HybridNative: "weaviate-native"} {
		t.Run(h, func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) search.Engine {
				return openTest(t, Options{LocalEmbedder: true, Hybrid: h})
			}, enginetest.Options{Engine: name, Sync: func(ctx context.Context, e search.Engine) error {
				return e.(*Engine).SyncVectors(ctx, nil)
			}})
		})
	}
}
