package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/quire-research/quire/config/suggest"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/weaviate"
)

// openWeaviate opens the configured cluster's collection. Readers open
// only one that exists: a mistyped name must not make an empty one.
func openWeaviate(e *env, collection string, readOnly bool) (search.Engine, error) {
	o, err := weaviateOptions(e, collection)
	if err != nil {
		return nil, err
	}
	o.MustExist = readOnly
	eng, err := weaviate.Open(e.ctx, o)
	var missing *weaviate.MissingError
	if errors.As(err, &missing) {
		return nil, &missingCollection{missing}
	}
	if err != nil {
		return nil, e.secrets.Error(err)
	}
	return eng, nil
}

// missingCollection is a reader's collection that is not on the cluster:
// the app opens its first-run screen on it, as on an empty one, and the
// commands say which collections there are.
type missingCollection struct{ *weaviate.MissingError }

func (m *missingCollection) Is(target error) bool { return target == errNoIndex }

func (m *missingCollection) Error() string {
	msg := m.MissingError.Error()
	for _, c := range m.Existing {
		if suggest.Distance(strings.ToLower(c), strings.ToLower(m.Collection)) <= 2 {
			return fmt.Sprintf("%s: did you mean --collection %s?", msg, c)
		}
	}
	return msg + "; 'quire ingest' or 'quire push --to weaviate' makes a new one"
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
