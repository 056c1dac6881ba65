package embed

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/quire-research/quire/config"
)

// New builds the configured embedder wrapped in Prefixed and a Batcher.
// Provider "none" returns nil, nil; "local" returns ErrLocal, for the
// caller to build that one itself. The API key is read with
// getenv(cfg.APIKeyEnv) and appears in no error and no Name. Wrap the
// result in NewCache to keep vectors across runs.
func New(cfg config.Embed, getenv func(string) string) (Embedder, error) {
	var (
		inner Embedder
		err   error
	)
	switch strings.ToLower(strings.TrimSpace(cfg.Provider)) {
	case "none", "":
		return nil, nil
	case "local":
		return nil, ErrLocal
	case "openai":
		inner, err = newOpenAIFromConfig(cfg, getenv)
	case "bedrock":
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
	return NewBatcher(Prefixed(inner, cfg.QueryPrefix, cfg.PassagePrefix), opts), nil
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
