package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRemoteProviderSettings: the [llm] timeouts and [embed] cache read
// from the environment, are checked, and resolve as documented.
func TestRemoteProviderSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"HOME":                                 "/home/u",
		"QUIRE_LLM_IDLE_TIMEOUT_SECONDS":       "2.5",
		"QUIRE_LLM_FIRST_BYTE_TIMEOUT_SECONDS": "0",
	}
	c, err := Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.LLM.IdleTimeoutSeconds != 2.5 || LLMTimeout(c.LLM.IdleTimeoutSeconds) != 2500*time.Millisecond {
		t.Errorf("idle timeout %v", c.LLM.IdleTimeoutSeconds)
	}
	if LLMTimeout(c.LLM.FirstByteTimeoutSeconds) >= 0 || LLMTimeout(c.LLM.ConnectTimeoutSeconds) != 10*time.Second {
		t.Errorf("0 must turn a bound off (negative), the default connect is 10s")
	}
	if got := c.EmbedSettings().Cache; got != filepath.Join("/home/u", ".cache", "quire", "embeddings") {
		t.Errorf("embed cache %q, want under the cache dir", got)
	}
	c.CacheDir = "/elsewhere" // as --cache-dir does after Load
	if got := c.EmbedSettings().Cache; got != "/elsewhere/embeddings" {
		t.Errorf("embed cache %q after --cache-dir", got)
	}
	for _, bad := range []map[string]string{
		{"QUIRE_LLM_IDLE_TIMEOUT_SECONDS": "-1"},
		{"QUIRE_EMBED_CACHE": "relative/dir"},
	} {
		_, err := Load("", func(k string) string { return bad[k] })
		if err == nil || !(strings.Contains(err.Error(), "llm.idle_timeout_seconds") || strings.Contains(err.Error(), "embed.cache")) {
			t.Errorf("%v: err %v, want one naming the key", bad, err)
		}
	}
}
