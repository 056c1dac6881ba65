package config

import (
	"errors"
	"strings"
	"testing"
)

func TestBedrockKBValidate(t *testing.T) {
	t.Parallel()
	valid := Default()
	valid.Index, valid.CacheDir = "/i", "/c"
	valid.Engine.Kind, valid.Engine.KnowledgeBaseID = EngineBedrockKB, "ABCDE12345"
	valid.Engine.Metadata = map[string]string{"id": "paper_id", "year": "pub_year"}
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid bedrock-kb settings: %v", err)
	}
	if err := CheckEngineKind("bedrock-kv"); err == nil || !strings.Contains(err.Error(), "did you mean bedrock-kb?") {
		t.Errorf("typo of bedrock-kb: %v", err)
	}
	for _, tt := range []struct {
		key, msg string
		mutate   func(*Engine)
	}{
		{"engine.knowledge_base_id", "empty: the bedrock-kb engine needs", func(e *Engine) { e.KnowledgeBaseID = "" }},
		{"engine.knowledge_base_id", `"kb-1" is not a knowledge base ID`, func(e *Engine) { e.KnowledgeBaseID = "kb-1" }},
		{"engine.region", `"Europe" is not an AWS region`, func(e *Engine) { e.Region = "Europe" }},
		{"engine.endpoint", `"vpce.local" is not an http(s) URL`, func(e *Engine) { e.Endpoint = "vpce.local" }},
		{"engine.metadata.yaer", `"yaer" is not a paper field: did you mean year?`, func(e *Engine) { e.Metadata = map[string]string{"yaer": "year"} }},
		{"engine.metadata.colour", `"colour" is not a paper field (use id, title`, func(e *Engine) { e.Metadata = map[string]string{"colour": "c"} }},
		{"engine.metadata.title", "empty: name the knowledge base metadata key", func(e *Engine) { e.Metadata = map[string]string{"title": " "} }},
	} {
		c := valid
		tt.mutate(&c.Engine)
		err := c.Validate()
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tt.key || !strings.Contains(err.Error(), tt.key+": "+tt.msg) {
			t.Errorf("%s: Validate = %v, want %q", tt.key, err, tt.key+": "+tt.msg)
		}
	}
	// Another kind does not need an ID, and bad bedrock settings still
	// show before the day they are used.
	c := valid
	c.Engine.Kind, c.Engine.KnowledgeBaseID = EngineEmbedded, ""
	if err := c.Validate(); err != nil {
		t.Errorf("embedded without an ID: %v", err)
	}
	c.Engine.Region = "moon-1"
	if err := c.Validate(); err == nil {
		t.Error("a bad region passed while the engine is embedded")
	}
}

func TestBedrockKBFromFile(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "c.toml", "[engine]\nkind = \"bedrock-kb\"\nknowledge_base_id = \"ABCDE12345\"\n\n[engine.metadata]\nid = \"paper_id\"\nauthors = \"authors\"\n")
	c, err := Load(path, fakeEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine.Kind != EngineBedrockKB || c.Engine.Metadata["id"] != "paper_id" || len(c.Engine.Metadata) != 2 {
		t.Errorf("engine %+v", c.Engine)
	}
	path = writeFile(t, t.TempDir(), "c.toml", "[engine]\nkind = \"bedrock-kb\"\n")
	if _, err := Load(path, fakeEnv()); err == nil || !strings.Contains(err.Error(), "engine.knowledge_base_id") {
		t.Errorf("no ID: %v", err)
	}
}
