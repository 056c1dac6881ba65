package embedded

import (
	"context"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// An empty result names the filter that removed the last matches and how
// many hits the query has without it.
func TestNoHitsNamesTheFilter(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	ctx := context.Background()
	tests := []struct {
		q       string
		filter  string
		without uint64
		msg     string
	}{
		{"crispr year:2030", "year:2030", 3, "no hits: year:2030 removed the last matches (3 without it)"},
		{"crispr source:arxiv venue:NeurIPS", "venue:NeurIPS", 2, "(2 without it)"},
		{`crispr author:="Feng Zhang" -category:q-bio.GN`, "-category:q-bio.GN", 2, "no hits: -category:q-bio.GN removed"},
		// Each filter alone empties it: the first one, added in order.
		{"crispr year:2030 venue:=Nowhere", "year:2030", 3, "(3 with the filters before it)"},
		{"qwzxv year:2019", "", 0, "no hits: no paper matches the words of the query"},
	}
	for _, tt := range tests {
		q, err := query.Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.Search(ctx, search.Request{Query: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 0 {
			t.Fatalf("%q: %d hits, want none", tt.q, res.Total)
		}
		nh := res.NoHits
		if nh == nil || nh.Filter != tt.filter || nh.Without != tt.without || !strings.Contains(nh.Message, tt.msg) {
			t.Errorf("%q: NoHits = %+v, want filter %q, %d without, message with %q", tt.q, nh, tt.filter, tt.without, tt.msg)
		}
	}
	res, err := x.Search(ctx, search.Request{Query: query.Query{Text: "crispr"}})
	if err != nil || res.Total == 0 || res.NoHits != nil {
		t.Fatalf("crispr: %d hits, NoHits %+v, %v", res.Total, res.NoHits, err)
	}
}
