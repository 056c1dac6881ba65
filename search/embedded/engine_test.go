package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

func newTestIndex(t *testing.T) *Index {
	t.Helper()
	x, err := Open(filepath.Join(t.TempDir(), "idx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

var fixture = []corpus.Paper{
	{ID: "a1", Title: "Off-target effects of CRISPR-Cas9 genome editing", Abstract: "We measure off-target cleavage of Cas9 nucleases across the human genome.", Authors: []string{"Jennifer A. Doudna", "Samuel Sternberg"}, Year: 2019, Venue: "Nature 568, 511 (2019)", Fields: []string{"Quantitative Biology"}, Categories: []string{"q-bio.GN"}, Source: "arxiv", DOI: "10.1038/xyz"},
	{ID: "a2", Title: "Guide RNA design reduces off-target editing", Abstract: "A model of guide RNA design that predicts and reduces off-target editing by CRISPR systems.", Authors: []string{"Feng Zhang"}, Year: 2021, Venue: "Cell", Fields: []string{"Quantitative Biology"}, Categories: []string{"q-bio.GN", "q-bio.QM"}, Source: "arxiv"},
	{ID: "a3", Title: "Graph neural networks for molecules", Abstract: "Message passing networks predict molecular properties.", Authors: []string{"Ada Lovelace", "Jennifer Doe"}, Year: 2018, Venue: "NeurIPS", Fields: []string{"Computer Science"}, Categories: []string{"cs.LG"}, Source: "openalex"},
	{ID: "a4", Title: "Dark matter halos in simulations", Abstract: "We simulate dark matter halos and measure their density profiles.", Authors: []string{"Vera Rubin"}, Year: 2015, Venue: "Phys. Rev. D 91, 123 (2015)", Fields: []string{"Physics"}, Categories: []string{"astro-ph.CO"}, Source: "arxiv"},
	{ID: "a5", Title: "CRISPR screens in cancer", Abstract: "Genome-wide CRISPR screens find essential genes in cancer cell lines.", Authors: []string{"Feng Zhang", "Jennifer A. Doudna"}, Year: 2022, Venue: "Cell", Fields: []string{"Quantitative Biology"}, Categories: []string{"q-bio.GN"}, Source: "openalex"},
}

// ingestAll reads src into x in batches of n and brings the vector half up
// to date.
func ingestAll(tb testing.TB, x *Index, src corpus.Source, n int) {
	tb.Helper()
	ctx := context.Background()
	if _, err := search.Ingest(ctx, x, src, search.IngestOptions{BatchSize: n}); err != nil {
		tb.Fatal(err)
	}
	if err := x.SyncVectors(ctx, nil); err != nil {
		tb.Fatal(err)
	}
}

func apply(t *testing.T, x *Index, b *search.Batch) {
	t.Helper()
	if err := x.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func ids(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out
}

func mustSearch(t *testing.T, x *Index, q string, facets ...string) *search.Result {
	t.Helper()
	req, err := search.NewRequest(q, 10)
	if err != nil {
		t.Fatal(err)
	}
	req = req.WithFacets(10, facets...)
	req.Snippets = true
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSearchFiltersAndRanking(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	cases := []struct {
		q    string
		want []string // exact set, in any order unless ranked is set
		top  string   // expected first hit, if any
	}{
		{q: "crispr off-target", want: []string{"a1", "a2", "a5"}, top: "a1"},
		{q: "crispr off-target year:2018..2022 field:q-bio.GN author:\"Doudna\"", want: []string{"a1", "a5"}, top: "a1"},
		{q: "crispr year:2020..", want: []string{"a2", "a5"}},
		{q: "crispr -year:2022", want: []string{"a1", "a2"}},
		{q: "crispr -cancer", want: []string{"a1", "a2"}},
		{q: "field:physics", want: []string{"a4"}},
		{q: "field:\"Computer Science\"", want: []string{"a3"}},
		{q: "venue:cell", want: []string{"a2", "a5"}},
		{q: "venue:\"Phys. Rev. D\"", want: []string{"a4"}},
		{q: "source:OpenAlex", want: []string{"a3", "a5"}},
		{q: "author:zhang author:doudna", want: []string{"a5"}}, // multi-valued: AND
		{q: "year:2015 year:2018", want: []string{"a3", "a4"}},  // single-valued: OR
		{q: "doi:10.1038/XYZ", want: []string{"a1"}},
		{q: "id:a3", want: []string{"a3"}},
		{q: "editing", want: []string{"a1", "a2"}}, // stemming: edit/editing
		{q: "\"guide rna\"", want: []string{"a2"}}, // phrase words all required
		{q: "halo", want: []string{"a4"}},          // plural folded
		{q: "category:q-bio.QM", want: []string{"a2"}},
		{q: "nothing-matches-this-zzz", want: nil},
	}
	for _, c := range cases {
		res := mustSearch(t, x, c.q)
		got := ids(res)
		if c.top != "" && (len(got) == 0 || got[0] != c.top) {
			t.Errorf("%q: top hit %v, want %s", c.q, got, c.top)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: hits %v, want %v", c.q, got, c.want)
		}
		if int(res.Total) != len(c.want) {
			t.Errorf("%q: total %d, want %d", c.q, res.Total, len(c.want))
		}
	}
}

func TestSnippetsMarkStemmedMatches(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	res := mustSearch(t, x, "predicts editing")
	var sn search.Snippet
	for _, h := range res.Hits {
		if h.ID == "a2" {
			sn = h.Snippet
		}
	}
	var marked []string
	for _, m := range sn.Marks {
		marked = append(marked, sn.Text[m[0]:m[1]])
	}
	if !slices.Contains(marked, "predicts") || !slices.Contains(marked, "editing") {
		t.Fatalf("marks %v in %q", marked, sn.Text)
	}
}

func TestUpsertDeleteIdempotent(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	ctx := context.Background()
	apply(t, x, &search.Batch{Upserts: fixture})
	apply(t, x, &search.Batch{Upserts: fixture}) // same dump again
	if n, _ := x.Count(); n != uint64(len(fixture)) {
		t.Fatalf("count after re-ingest = %d, want %d", n, len(fixture))
	}
	changed := fixture[3]
	changed.Title = "Cold dark matter revisited"
	changed.Year = 2016
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{changed}, Deletes: []string{"a1"}})
	if _, err := x.Get(ctx, "a1"); err == nil {
		t.Fatal("deleted paper still found")
	}
	p, err := x.Get(ctx, "a4")
	if err != nil || p.Title != changed.Title || p.Year != 2016 {
		t.Fatalf("Get(a4) = %+v, %v", p, err)
	}
	// Facets follow the update: 2015 is gone, 2016 is there.
	res := mustSearch(t, x, "year:2010..", search.FacetYear)
	years := map[string]int{}
	for _, v := range res.Facets[0].Values {
		years[v.Value] = v.Count
	}
	if years["2015"] != 0 || years["2016"] != 1 || years["2019"] != 0 {
		t.Fatalf("year facet after update/delete: %v", years)
	}
}

// TestFacetsMatchBruteForce checks the column-based facet counts against a
// direct count over the papers, across many segments with updates and
// deletes in between.
func TestFacetsMatchBruteForce(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("alpha beta gamma delta epsilon zeta eta theta iota kappa")
	fields := []string{"Physics", "Mathematics", "Computer Science", "Biology"}
	live := map[string]corpus.Paper{}
	for batch := range 12 {
		var b search.Batch
		for range 150 {
			id := fmt.Sprintf("p%d", rng.IntN(1200))
			p := corpus.Paper{
				ID:       id,
				Title:    words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))],
				Abstract: words[rng.IntN(len(words))] + " study",
				Year:     2000 + rng.IntN(20),
				Venue:    fmt.Sprintf("Venue %d", rng.IntN(7)),
				Source:   []string{"arxiv", "openalex"}[rng.IntN(2)],
			}
			for range 1 + rng.IntN(3) {
				p.Fields = append(p.Fields, fields[rng.IntN(len(fields))])
				p.Authors = append(p.Authors, fmt.Sprintf("Author %d", rng.IntN(40)))
			}
			p.Normalize()
			b.Upserts = slices.DeleteFunc(b.Upserts, func(q corpus.Paper) bool { return q.ID == id })
			b.Upserts = append(b.Upserts, p)
		}
		if batch%3 == 2 {
			for range 40 {
				b.Deletes = append(b.Deletes, fmt.Sprintf("p%d", rng.IntN(1200)))
			}
		}
		for _, p := range b.Upserts {
			live[p.ID] = p
		}
		for _, id := range b.Deletes {
			if !slices.ContainsFunc(b.Upserts, func(p corpus.Paper) bool { return p.ID == id }) {
				delete(live, id)
			}
		}
		b.Upserts = slices.DeleteFunc(b.Upserts, func(p corpus.Paper) bool { return slices.Contains(b.Deletes, p.ID) && live[p.ID].ID == "" })
		apply(t, x, &b)
		// Search between batches so columns are built for early segments
		// that later merges replace.
		mustSearch(t, x, "alpha", search.AllFacets...)
	}
	checkFacets(t, x, live)

	// A read-write close saves the columns; a read-only open counts from
	// them, and from rebuilt ones where a file is damaged.
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, facetDir, "*"))
	if len(files) == 0 || len(files)%len(facetSpecs) != 0 {
		t.Fatalf("saved facet files: %v", files)
	}
	for round, damage := range []func(p string) error{
		func(string) error { return nil },
		func(p string) error { // flip a byte inside the values
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 0x40
			return os.WriteFile(p, b, 0o644)
		},
		func(p string) error { return os.Truncate(p, 10) },
	} {
		for _, f := range files {
			if err := damage(f); err != nil {
				t.Fatal(err)
			}
		}
		ro, err := Open(dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("reopened", round), func(t *testing.T) { checkFacets(t, ro, live) })
		ro.Close()
	}
}

// checkFacets counts every facet by brute force over the hits of a few
// queries and compares with what x counts. A facet whose key the query
// filters is counted over the hits without that filter (disjunctive
// faceting, see disjunctive.go).
func checkFacets(t *testing.T, x *Index, live map[string]corpus.Paper) {
	t.Helper()
	for _, q := range []string{"alpha", "beta gamma", "year:2005..2010", "field:physics", "alpha year:2005..2010 field:physics", ""} {
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.Search(context.Background(), search.Request{Query: pq, Facets: search.AllFacets, FacetSize: 1000, Limit: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != int(res.Total) {
			t.Fatalf("%q: %d hits of %d", q, len(res.Hits), res.Total)
		}
		for _, f := range res.Facets {
			got := map[string]int{}
			for _, v := range f.Values {
				got[v.Value] = v.Count
			}
			hits := res.Hits
			if ownSelection(pq, f.Name) {
				all, err := x.Search(context.Background(), search.Request{Query: withoutOwn(pq, f.Name), Limit: 2000})
				if err != nil {
					t.Fatal(err)
				}
				hits = all.Hits
			}
			w := bruteFacet(t, q, hits, live, f.Name)
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%q facet %s:\n got %v\nwant %v", q, f.Name, got, w)
			}
		}
	}
}

// bruteFacet counts one facet's values over hits from the papers' records.
func bruteFacet(t *testing.T, q string, hits []search.Hit, live map[string]corpus.Paper, facet string) map[string]int {
	t.Helper()
	want := map[string]int{}
	for _, h := range hits {
		p := live[h.ID]
		if p.ID == "" {
			t.Fatalf("%q: hit %s is not live", q, h.ID)
		}
		var vals []string
		switch facet {
		case search.FacetYear:
			vals = []string{fmt.Sprint(p.Year)}
		case search.FacetVenue:
			vals = []string{corpus.VenueName(p.Venue)}
		case search.FacetSource:
			vals = []string{p.Source}
		case search.FacetField:
			vals = p.Fields
		case search.FacetAuthor:
			vals = p.Authors
		}
		for _, v := range vals {
			want[v]++
		}
	}
	return want
}
