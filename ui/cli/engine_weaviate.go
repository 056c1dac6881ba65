package cli

import (
	"fmt"
	"strings"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/weaviate"
)

// openWeaviate opens the configured cluster's collection.
func openWeaviate(e *env, collection string) (search.Engine, error) {
	o, err := weaviateOptions(e, collection)
	if err != nil {
		return nil, err
	}
	eng, err := weaviate.Open(e.ctx, o)
	if err != nil {
		return nil, e.secrets.Error(err)
	}
	return eng, nil
}

// weaviateOptions builds the engine's options from the config. The API
// key is read from the variable [engine] api_key_env names; it goes to
// the client only, and Run redacts it from every message.
func weaviateOptions(e *env, collection string) (weaviate.Options, error) {
	en := e.cfg.Engine
	key := ""
	if en.APIKeyEnv != "" {
		if key = e.getenv(en.APIKeyEnv); key == "" {
			return weaviate.Options{}, fmt.Errorf("engine.api_key_env: $%s is empty: export the cluster's API key in it, or set api_key_env = \"\" for anonymous access", en.APIKeyEnv)
		}
	}
	emb, local, err := embedder(e)
	if err != nil {
		return weaviate.Options{}, err
	}
	return weaviate.Options{
		URL:           en.URL,
		GRPC:          en.GRPCAddr(),
		APIKey:        key,
		Collection:    collection,
		Replication:   en.Replication,
		Consistency:   strings.ToUpper(en.Consistency),
		Embedder:      emb,
		LocalEmbedder: local,
		Mode:          e.cfg.Search.Mode,
		Hybrid:        en.Hybrid,
		// As for the embedded engine: hybrid measures the vector half
		// against BM25 after each sync and leans on the better one.
		Adaptive: e.cfg.Search.Adaptive,
	}, nil
}
