package cli

import (
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/bedrockkb"
)

// bedrockKB reports whether the configured engine is a Bedrock knowledge
// base.
func (e *env) bedrockKB() bool { return e.cfg.Engine.Kind == config.EngineBedrockKB }

// readOnlyKB is the usage error (exit 2) of every command that writes,
// on the read-only bedrock-kb engine.
func readOnlyKB() error { return usagef("%v", bedrockkb.ErrReadOnly) }

// openBedrockKB opens the configured knowledge base; writers are refused
// before anything is sent.
func openBedrockKB(e *env, readOnly bool) (search.Engine, error) {
	if !readOnly {
		return nil, readOnlyKB()
	}
	en := e.cfg.Engine
	var keys bedrockkb.Keys
	if len(en.Metadata) > 0 {
		// Only the fields the table names: a filter on another is
		// refused rather than sent against a key that is not there.
		keys = bedrockkb.Keys{}
		for field, key := range en.Metadata {
			keys[field] = key
		}
	}
	mode := e.cfg.Search.Mode
	if mode == config.ModeBM25 {
		mode = "" // the engine's default: [search] mode bm25 stays the other engines' business
	}
	x, err := bedrockkb.Open(e.ctx, bedrockkb.Options{
		KnowledgeBaseID: en.KnowledgeBaseID,
		Region:          en.Region,
		Endpoint:        en.Endpoint,
		Keys:            keys,
		Mode:            mode,
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}
