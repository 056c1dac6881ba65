package embed

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/quire-research/quire/config"
)

// New builds the configured embedder wrapped in Prefixed and a Batcher,
// and for the remote ones (openai, bedrock) in a Cache in the directory
// cfg.Cache (none when it is empty or "off"; config.EmbedSettings fills
// the default). Provider "none" returns nil, nil; "local" returns
// ErrLocal, for the caller to build that one itself. The API key is read
// with getenv(cfg.APIKeyEnv) and appears in no error and no Name.
func New(cfg config.Embed, getenv func(string) string) (Embedder, error) {
	var (
		inner  Embedder
		err    error
		remote bool
	)
	switch strings.ToLower(strings.TrimSpace(cfg.Provider)) {
	case "none", "":
		return nil, nil
	case "local":
		return nil, ErrLocal
	case "openai":
		remote = true
		inner, err = newOpenAIFromConfig(cfg, getenv)
	case "bedrock":
		remote = true
		inner, err = NewBedrock(context.Background(), BedrockOptions{
			Model:      cfg.Model,
			Region:     cfg.Region,
			Dimensions: cfg.Dimensions,
		})
	case "model2vec":
		if cfg.Model == "" {
			return nil, fmt.Errorf("embed provider model2vec needs embed.model set to the model's directory")
		}
		var m *Model2Vec
		m, err = LoadModel2Vec(cfg.Model)
		if err == nil && cfg.Dimensions > 0 && cfg.Dimensions != m.Dim() {
			err = fmt.Errorf("the model2vec model in %s has %d dimensions but embed.dimensions is %d: set it to %d or 0", cfg.Model, m.Dim(), cfg.Dimensions, m.Dim())
		}
		inner = m
	default:
		return nil, fmt.Errorf("unknown embed provider %q (use local, model2vec, openai, bedrock or none)", cfg.Provider)
	}
	if err != nil {
		return nil, err
	}
	opts := BatchOptions{BatchSize: cfg.BatchSize, Concurrency: cfg.Concurrency}
	if m, ok := inner.(interface{ MaxBatch() int }); ok && (opts.BatchSize <= 0 || opts.BatchSize > m.MaxBatch()) {
		opts.BatchSize = m.MaxBatch()
	}
	out := Embedder(NewBatcher(Prefixed(inner, cfg.QueryPrefix, cfg.PassagePrefix), opts))
	if remote && cfg.Cache != "" && cfg.Cache != "off" {
		return openCacheIn(out, cfg.Cache)
	}
	return out, nil
}

// openCacheIn wraps e in a Cache kept in dir, one file per embedder Name
// (which holds the model, dimensions and prefixes), so that a cache file
// holds only vectors that can be used together.
//
// The directory is made at the first write: a cache that cannot be
// written (a read-only home) costs re-embedding, never a failed search.
func openCacheIn(e Embedder, dir string) (*Cache, error) {
	c, err := NewCache(e, filepath.Join(dir, cacheFileName(e.Name())))
	if err != nil {
		return nil, fmt.Errorf("%w (set embed.cache to \"off\" to run without one)", err)
	}
	return c, nil
}

// cacheFileName is a readable, safe file name for an embedder name, with
// a hash so that names differing only in unsafe characters do not meet.
func cacheFileName(name string) string {
	safe := []byte(name)
	for i, b := range safe {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.') {
			safe[i] = '_'
		}
	}
	if len(safe) > 80 {
		safe = safe[:80]
	}
	sum := sha256.Sum256([]byte(name))
	return fmt.Sprintf("%s-%x.qec", safe, sum[:4])
}

func newOpenAIFromConfig(cfg config.Embed, getenv func(string) string) (*OpenAI, error) {
	key := ""
	if cfg.APIKeyEnv != "" && getenv != nil {
		key = strings.TrimSpace(getenv(cfg.APIKeyEnv))
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.openai.com/v1"
	}
	official := false
	if u, err := url.Parse(base); err == nil {
		host := strings.ToLower(u.Hostname())
		official = host == "api.openai.com" || strings.HasSuffix(host, ".openai.azure.com")
	}
	if official && key == "" {
		if cfg.APIKeyEnv == "" {
			return nil, fmt.Errorf("%s needs an API key: set embed.api_key_env to the name of a variable that holds one", base)
		}
		return nil, fmt.Errorf("%s needs an API key: set the variable %s", base, cfg.APIKeyEnv)
	}
	return NewOpenAI(OpenAIOptions{
		BaseURL:    base,
		Model:      cfg.Model,
		APIKey:     key,
		Dimensions: cfg.Dimensions,
		// Only OpenAI's own v3 models are known to shorten on request; other
		// servers reject or ignore the field, and then the length check
		// reports a mismatch with embed.dimensions in plain words.
		SendDimensions: cfg.Dimensions > 0 && strings.HasPrefix(cfg.Model, "text-embedding-3"),
	})
}
