package embedded

import (
	"path/filepath"
	"testing"

	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/embed/local"
)

// Passages with no stored vector are embedded per query, so only embedders
// that run here do it, however they are wrapped; a network embedder never
// does.
func TestInProcessSeesThroughWrappers(t *testing.T) {
	remote, err := embed.NewOpenAI(embed.OpenAIOptions{BaseURL: "http://127.0.0.1:1/v1", Model: "m", Dimensions: 4})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := embed.NewCache(embed.NewBatcher(remote, embed.BatchOptions{}), filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	wrapped := embed.NewBatcher(embed.Prefixed(&local.Model{}, "q: ", "p: "), embed.BatchOptions{})
	for _, c := range []struct {
		name string
		e    embed.Embedder
		want bool
	}{
		{"local", &local.Model{}, true},
		{"local in a prefix and batcher", wrapped, true},
		{"model2vec", &embed.Model2Vec{}, true},
		{"openai", remote, false},
		{"openai in a batcher and cache", cached, false},
		{"none", nil, false},
	} {
		if got := inProcess(c.e); got != c.want {
			t.Errorf("%s: inProcess %v, want %v", c.name, got, c.want)
		}
	}
}
