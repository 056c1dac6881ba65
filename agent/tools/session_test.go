package tools

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/enginetest"
)

func TestSessionTools(t *testing.T) {
	ctx := context.Background()
	x, err := embedded.Open(filepath.Join(t.TempDir(), "idx"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Apply(ctx, &search.Batch{Upserts: enginetest.Papers(t)}); err != nil {
		t.Fatal(err)
	}
	env := Env{Engine: x, Basket: NewBasket("conf-001")}
	r, err := NewRegistry(append(Quire(env), Session(env)...)...)
	if err != nil {
		t.Fatal(err)
	}
	call := func(name, in string) string {
		t.Helper()
		out, err := r.Call(ctx, name, []byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	if out := call(ListBasket, `{}`); !strings.Contains(out, "1 papers") || !strings.Contains(out, "CRISPR gene editing in yeast") {
		t.Errorf("list: %q", out)
	}
	if out := call(ClearBasket, `{}`); !strings.HasPrefix(out, "removed 1 ") || len(env.Basket.IDs()) != 0 {
		t.Errorf("clear: %q, basket %v", out, env.Basket.IDs())
	}
	if out := call(ListBasket, ``); out != "The basket is empty." {
		t.Errorf("after clear: %q", out)
	}
	if out := call(IndexStats, `{}`); !strings.Contains(out, "papers: ") || !strings.Contains(out, "year: ") {
		t.Errorf("stats: %q", out)
	}
	if _, err := r.Call(ctx, ListBasket, []byte(`{"x":1}`)); err == nil {
		t.Error("unknown field accepted")
	}
	// search_papers: mode and facets.
	out := call(SearchPapers, `{"query":"crispr","mode":"bm25","facets":["venue"]}`)
	if !strings.Contains(out, "\nvenue: ") {
		t.Errorf("no venue facet: %q", out)
	}
	// An empty result says why, with a spelling to retry with.
	if out := call(SearchPapers, `{"query":"crisprr"}`); !strings.Contains(out, "0 papers match") || !strings.Contains(out, `did you mean "crispr"?`) {
		t.Errorf("no hits: %q", out)
	}
	if out := call(SearchPapers, `{"query":"crisprr yeast"}`); strings.Contains(out, "0 papers match") || !strings.Contains(out, `did you mean "crispr yeast"?`) {
		t.Errorf("a mistyped word among others: %q", out)
	}
	if _, err := r.Call(ctx, SearchPapers, []byte(`{"query":"x","facets":["colour"]}`)); err == nil || !strings.Contains(err.Error(), "unknown facet") {
		t.Errorf("bad facet: %v", err)
	}
	if _, err := (Env{Engine: x}).listBasket(ctx, []byte(`{}`)); err != errNoBasket {
		t.Errorf("no basket: %v", err)
	}
}
