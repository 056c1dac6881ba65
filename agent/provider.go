package agent

import (
	"context"
	"fmt"

	"github.com/quire-research/quire/agent/extract"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/agent/llm/bedrock"
	"github.com/quire-research/quire/agent/llm/openai"
	"github.com/quire-research/quire/config"
)

// NewProvider makes the provider the configuration names. getenv reads the
// variable that holds an API key (cfg.APIKeyEnv); keys are never stored or
// printed.
func NewProvider(cfg config.LLM, getenv func(string) string) (llm.Provider, error) {
	switch cfg.Provider {
	case "", extract.Name:
		return extract.New(extract.Options{}), nil
	case "openai":
		var key string
		if cfg.APIKeyEnv != "" {
			key = getenv(cfg.APIKeyEnv)
		}
		p, err := openai.New(openai.Options{BaseURL: cfg.BaseURL, APIKey: key, Model: cfg.Model, MaxTokens: cfg.MaxTokens, Timeouts: timeouts(cfg)})
		if err != nil {
			return nil, fmt.Errorf("llm provider openai: %w", err)
		}
		return p, nil
	case "bedrock":
		p, err := bedrock.New(context.Background(), bedrock.Options{Region: cfg.Region, EndpointURL: cfg.EndpointURL, Model: cfg.Model, MaxTokens: cfg.MaxTokens, Timeouts: timeouts(cfg)})
		if err != nil {
			return nil, fmt.Errorf("llm provider bedrock: %w", err)
		}
		return p, nil
	default:
		return nil, fmt.Errorf("llm provider %q: unknown (use extractive, openai or bedrock)", cfg.Provider)
	}
}

// timeouts reads the [llm] *_timeout_seconds settings.
func timeouts(cfg config.LLM) llm.Timeouts {
	return llm.Timeouts{
		Connect:   config.LLMTimeout(cfg.ConnectTimeoutSeconds),
		FirstByte: config.LLMTimeout(cfg.FirstByteTimeoutSeconds),
		Idle:      config.LLMTimeout(cfg.IdleTimeoutSeconds),
	}
}

// IsExtractive reports whether p quotes instead of generating.
func IsExtractive(p llm.Provider) bool { return p.Name() == extract.Name }
