package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/quire-research/quire/search/highlight"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// A search's cost is bounded: deep paging, huge queries and slow searches
// are refused with a message saying what to change.
func TestSearchLimits(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	ctx := context.Background()
	var words []string
	for i := range 1500 {
		words = append(words, fmt.Sprintf("w%dx", i))
	}
	tests := []struct {
		name string
		req  search.Request
		want string
	}{
		{"window", search.Request{Query: query.Query{Text: "crispr"}, Offset: search.MaxWindow, Limit: 10}, "offset+limit is 10010; results can be paged up to 10000"},
		{"negative", search.Request{Query: query.Query{Text: "crispr"}, Limit: -1}, "must not be negative"},
		{"terms", search.Request{Query: query.Query{Text: strings.Join(words, " ")}, Limit: 10}, "more than 1024 distinct words"},
		{"bytes", search.Request{Query: query.Query{Text: strings.Repeat("crispr ", 3000)}, Limit: 10}, "the query text is 21000 bytes; the limit is 16384"},
		{"timeout", search.Request{Query: query.Query{Text: "crispr"}, Limit: 10, Timeout: time.Nanosecond}, "search timed out after 1ns"},
	}
	for _, tt := range tests {
		_, err := x.Search(ctx, tt.req)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.want)
		}
	}
	// Typed queries are bounded at parsing, with the same numbers.
	if _, err := query.Parse(strings.Repeat("x", 100<<10)); err == nil || !strings.Contains(err.Error(), "the limit is 16384") {
		t.Errorf("Parse of a 100 KB query: %v", err)
	}
	// A negative timeout means none; the window's edge is allowed.
	if _, err := x.Search(ctx, search.Request{Query: query.Query{Text: "crispr"}, Limit: search.MaxWindow, Timeout: -1}); err != nil {
		t.Errorf("a full window without a timeout: %v", err)
	}
}

// One giant record cannot make results huge or slow: hits carry a capped
// abstract, snippets read only its start, and Get still has it whole.
func TestGiantRecordIsCappedInResults(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	giant := corpus.Paper{ID: "giant", Title: "A giant crispr record", Source: "test",
		Abstract: "crispr " + strings.Repeat("filler é ", 1<<20/10)}
	apply(t, x, &search.Batch{Upserts: append([]corpus.Paper{giant}, fixture...)})
	ctx := context.Background()
	start := time.Now()
	res, err := x.Search(ctx, search.Request{Query: query.Query{Text: "crispr giant"}, Limit: 10, Snippets: true})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var hit *search.Hit
	for i := range res.Hits {
		if res.Hits[i].ID == "giant" {
			hit = &res.Hits[i]
		}
	}
	if hit == nil {
		t.Fatalf("giant record not found: %v", ids(res))
	}
	if n := len(hit.Paper.Abstract); n > search.MaxHitAbstract || !utf8.ValidString(hit.Paper.Abstract) || !strings.HasSuffix(hit.Paper.Abstract, "…") {
		t.Errorf("hit abstract is %d bytes (valid UTF-8 %v), want at most %d, cut with an ellipsis", n, utf8.ValidString(hit.Paper.Abstract), search.MaxHitAbstract)
	}
	if n := len(hit.Snippet.Text); n > 2*highlight.SnippetBytes || len(hit.Snippet.Marks) == 0 {
		t.Errorf("snippet is %d bytes with %d marks", n, len(hit.Snippet.Marks))
	}
	if b, _ := json.Marshal(res); len(b) > 2*search.MaxHitAbstract {
		t.Errorf("the result's JSON is %d bytes", len(b))
	}
	full, err := x.Get(ctx, "giant")
	if err != nil || len(full.Abstract) != len(giant.Abstract) {
		t.Errorf("Get: %v, abstract %d bytes, want %d", err, len(full.Abstract), len(giant.Abstract))
	}
	t.Logf("search with the giant record took %s", took)
}
