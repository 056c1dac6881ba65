package embedded

import (
	"context"
	"slices"
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
		res := mustSearch(t, x, tt.q)
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

// Words no paper has get the index's nearest spellings, offered only when
// they find papers under the query's filters.
func TestNoHitsOffersSpellings(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	ctx := context.Background()
	tests := []struct {
		q    string
		want []search.Correction
		msg  string
	}{
		{"CRISSPR screns", []search.Correction{{Word: "CRISSPR", To: "crispr"}, {Word: "screns", To: "screens"}},
			`no hits: no paper matches the words of the query; did you mean "crispr screens"? (3 hits)`},
		// Stems four edits apart (simul, simulaton): found by spelling.
		{"simulatons", []search.Correction{{Word: "simulatons", To: "simulations"}}, `did you mean "simulations"? (1 hit)`},
		{"crisspr year:2019", []search.Correction{{Word: "crisspr", To: "crispr"}}, `did you mean "crispr"? (1 hit)`},
		// The corrected words find nothing in 2030: nothing to offer.
		{"crisspr year:2030", nil, "no hits: no paper matches the words of the query"},
		// A negated word is not corrected; the other one is.
		{"halox -crisspr", []search.Correction{{Word: "halox", To: "halos"}}, `did you mean "halos -crisspr"?`},
		{"qwzxv", nil, "no hits: no paper matches the words of the query"},
		// Too short to guess from.
		{"rnb", nil, "no hits: no paper matches the words of the query"},
	}
	for _, tt := range tests {
		res := mustSearch(t, x, tt.q)
		nh := res.NoHits
		var got []search.Correction
		if res.Spelling != nil {
			got = res.Spelling.Corrections
		}
		if res.Total != 0 || nh == nil || !slices.Equal(got, tt.want) || !strings.Contains(nh.Message, tt.msg) {
			t.Errorf("%q: %d hits, NoHits %+v, corrections %v; want %v, message with %q", tt.q, res.Total, nh, got, tt.want, tt.msg)
		}
		if len(tt.want) == 0 && strings.Contains(nh.Message, "did you mean") {
			t.Errorf("%q: %q offers a spelling", tt.q, nh.Message)
		}
	}
	// A query whose other words found papers gets spellings when it asks.
	q := query.Query{Text: "crisspr genome"}
	res, err := x.Search(ctx, search.Request{Query: q, Spelling: true})
	if err != nil || res.Total == 0 || res.NoHits != nil || res.Spelling == nil ||
		!slices.Equal(res.Spelling.Corrections, []search.Correction{{Word: "crisspr", To: "crispr"}}) ||
		res.Spelling.Text != "crispr genome" || res.Spelling.Hits != 3 || res.Spelling.Line() != `did you mean "crispr genome"? (3 hits)` {
		t.Fatalf("crisspr genome: %d hits, spelling %+v, %v", res.Total, res.Spelling, err)
	}
	if res, err := x.Search(ctx, search.Request{Query: q}); err != nil || res.Spelling != nil {
		t.Fatalf("crisspr genome, not asked: spelling %+v, %v", res.Spelling, err)
	}
	// A spelling only deleted papers have is not offered.
	apply(t, x, &search.Batch{Deletes: []string{"a4"}})
	res, err = x.Search(ctx, search.Request{Query: query.Query{Text: "halox"}})
	if err != nil || res.NoHits == nil || res.Spelling != nil {
		t.Fatalf("halox after deleting the halos paper: %+v, %+v, %v", res.NoHits, res.Spelling, err)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"", "abc", 3}, {"curvs", "curves", 1}, {"infrence", "inference", 1}, {"kitten", "sitting", 3}, {"über", "uber", 1}} {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
