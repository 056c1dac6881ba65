package config

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestEngineValidate(t *testing.T) {
	t.Parallel()
	valid := Default()
	valid.Index, valid.CacheDir = "/i", "/c"
	valid.Engine.Kind = EngineWeaviate
	if err := valid.Validate(); err != nil {
		t.Fatalf("default weaviate settings invalid: %v", err)
	}
	tests := []struct {
		key, msg string
		mutate   func(*Engine)
	}{
		{"engine.kind", `"weavaite" is not an engine: did you mean weaviate?`, func(e *Engine) { e.Kind = "weavaite" }},
		{"engine.kind", `"solr" is not an engine (use embedded, weaviate, bedrock-kb)`, func(e *Engine) { e.Kind = "solr" }},
		{"engine.consistency", `"QUOROM" is not ONE, QUORUM or ALL`, func(e *Engine) { e.Consistency = "QUOROM" }},
		{"engine.url", `"localhost:8080" is not an http(s) URL`, func(e *Engine) { e.URL = "localhost:8080" }},
		{"engine.url", "empty: the weaviate engine needs", func(e *Engine) { e.URL = "" }},
		{"engine.grpc", `"host" is not host:port`, func(e *Engine) { e.GRPC = "host" }},
		{"engine.grpc", `"70000" is not host:port`, func(e *Engine) { e.GRPC = "70000" }},
		{"engine.collection", `"papers" is not a collection name`, func(e *Engine) { e.Collection = "papers" }},
		{"engine.replication", "0 is outside 1..64", func(e *Engine) { e.Replication = 0 }},
		{"engine.hybrid", `"rrf" is not native or planner`, func(e *Engine) { e.Hybrid = "rrf" }},
		{"engine.api_key_env", "not a variable name", func(e *Engine) { e.APIKeyEnv = "wv-secret-key-123456" }},
	}
	for _, tt := range tests {
		c := valid
		tt.mutate(&c.Engine)
		err := c.Validate()
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tt.key || !strings.Contains(err.Error(), tt.key+": "+tt.msg) {
			t.Errorf("%s: Validate = %v, want %q", tt.key, err, tt.key+": "+tt.msg)
		}
		if strings.Contains(err.Error(), "secret-key") {
			t.Errorf("%s: the error repeats what may be a key: %v", tt.key, err)
		}
	}
	// An empty URL is fine while the engine is embedded; lower case levels
	// are accepted as the cluster accepts them.
	c := valid
	c.Engine.Kind, c.Engine.URL, c.Engine.Consistency = EngineEmbedded, "", "all"
	if err := c.Validate(); err != nil {
		t.Errorf("embedded without a URL: %v", err)
	}
}

func TestEngineFromFileNamesTheLine(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "c.toml", "[engine]\nkind = \"weaviate\"\nconsistency = \"QUOROM\"\n")
	_, err := Load(path, fakeEnv())
	want := path + `:3: engine.consistency: "QUOROM" is not ONE, QUORUM or ALL`
	if err == nil || err.Error() != want {
		t.Fatalf("Load = %v, want %q", err, want)
	}
	c, err := Load("", fakeEnv("QUIRE_ENGINE", "weaviate", "QUIRE_ENGINE_COLLECTION", "Team", "QUIRE_ENGINE_REPLICATION", "3"))
	if err != nil || c.Engine.Kind != EngineWeaviate || c.Engine.Collection != "Team" || c.Engine.Replication != 3 {
		t.Fatalf("from the environment: %+v %v", c.Engine, err)
	}
	_, err = Load("", fakeEnv("QUIRE_ENGINE", "weavate"))
	if err == nil || err.Error() != `QUIRE_ENGINE: engine.kind: "weavate" is not an engine: did you mean weaviate?` {
		t.Fatalf("typo in the environment: %v", err)
	}
}

func TestEngineFlag(t *testing.T) {
	t.Parallel()
	parse := func(args ...string) (Config, error) {
		c := Default()
		fs := flag.NewFlagSet("quire", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.BindFlags(fs)
		return c, fs.Parse(args)
	}
	c, err := parse("--engine", "weaviate")
	if err != nil || c.Engine.Kind != EngineWeaviate || !slices.Equal(c.Engines, []string{"weaviate"}) {
		t.Fatalf("--engine weaviate: %+v %v", c.Engine, err)
	}
	c, err = parse("--engine=embedded,weaviate,embedded")
	if err != nil || c.Engine.Kind != EngineEmbedded || !slices.Equal(c.Engines, []string{"embedded", "weaviate"}) {
		t.Fatalf("a list: kind %q engines %v %v", c.Engine.Kind, c.Engines, err)
	}
	_, err = parse("--engine", "weavaite")
	if err == nil || !strings.Contains(err.Error(), "did you mean weaviate?") {
		t.Fatalf("typo: %v", err)
	}
	c, err = parse()
	if err != nil || c.Engine.Kind != EngineEmbedded || c.Engines != nil {
		t.Fatalf("no flag: %+v %v", c.Engine, err)
	}
}

func TestGRPCAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ url, grpc, want string }{
		{"http://10.0.0.5:8080", "", ""},
		{"http://10.0.0.5:8080", "15051", "10.0.0.5:15051"},
		{"http://10.0.0.5:8080", "grpc.example:443", "grpc.example:443"},
	} {
		if got := (Engine{URL: tt.url, GRPC: tt.grpc}).GRPCAddr(); got != tt.want {
			t.Errorf("GRPCAddr(%q, %q) = %q, want %q", tt.url, tt.grpc, got, tt.want)
		}
	}
}
