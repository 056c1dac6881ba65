// Package enginetest is the conformance suite every search.Engine runs:
// the embedded index (search/embedded) and the Weaviate engine
// (search/weaviate) pass the same checks on the same fixture corpus
// (testdata/papers.jsonl, 40 papers with varied years, fields, authors,
// venues and sources). Where engines differ on purpose, the difference is
// a named row of Differences, checked like everything else, not hidden.
//
// Expected hit sets come from a reference matcher (reference.go) written
// from the query language's documentation (README, search/query doc.go),
// not from either engine.
package enginetest

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

//go:embed testdata/papers.jsonl
var fixture []byte

// Papers returns the fixture corpus.
func Papers(t testing.TB) []corpus.Paper {
	t.Helper()
	var out []corpus.Paper
	sc := bufio.NewScanner(bytes.NewReader(fixture))
	for line := 1; sc.Scan(); line++ {
		var p corpus.Paper
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("testdata/papers.jsonl:%d: %v", line, err)
		}
		p.Normalize()
		out = append(out, p)
	}
	return out
}

// Options tell the suite about the engine under test.
type Options struct {
	// Engine names the engine in the Differences table ("embedded",
	// "weaviate" with Quire's hybrid planner, "weaviate-native" with
	// Weaviate's own hybrid).
	Engine string
	// Sync builds the vector half after the fixture is written (the
	// engine's SyncVectors); nil for an engine without vectors, whose
	// vector and hybrid checks are then skipped.
	Sync func(ctx context.Context, e search.Engine) error
}

// Difference is a documented way an engine departs from the reference.
type Difference struct {
	Name    string
	Engines []string // the engines that differ
	Why     string
}

// Differences lists every known departure. Those a test can observe
// (differs is asked) fail when the difference appears on another engine
// or goes away; the rest are documented here for people comparing
// results.
var Differences = []Difference{
	{Name: "bm25-scores", Engines: []string{"weaviate", "weaviate-native"},
		Why: "Weaviate counts document frequencies per shard (the embedded engine over one index) and scales scores differently, so rankings can differ slightly while hit sets agree"},
	{Name: "no-expansion", Engines: []string{"weaviate", "weaviate-native"},
		Why: "adaptive hybrid leans on vectors (weight 0.6) where the probe says so, but does not expand the BM25 query (RM3): Weaviate's BM25 takes no weighted terms"},
	{Name: "name-words", Engines: []string{"weaviate", "weaviate-native"},
		Why: "author: and venue: split names on every character that is not a letter or digit (Weaviate's word tokenization); the embedded engine uses Unicode word rules, which keep e.g. 'o'neil' whole; names of letters, digits, spaces and ordinary punctuation match alike"},
	{Name: "hybrid-native-explain", Engines: []string{"weaviate-native"},
		Why: "Weaviate's native hybrid reports only the fused score; Explain's per-half ranks stay 0 (the planner fills them)"},
}

// differs reports whether engine has the named difference.
func differs(engine, name string) bool {
	for _, d := range Differences {
		if d.Name == name {
			return slices.Contains(d.Engines, engine)
		}
	}
	panic("enginetest: no difference named " + name)
}

// Run runs the suite. open returns a new, empty engine each call; it
// closes (and for a server, drops) it when t ends.
func Run(t *testing.T, open func(t *testing.T) search.Engine, o Options) {
	papers := Papers(t)
	ctx := context.Background()
	e := open(t)
	load(t, e, papers)
	if o.Sync != nil {
		if err := o.Sync(ctx, e); err != nil {
			t.Fatalf("sync vectors: %v", err)
		}
	}
	t.Run("Get", func(t *testing.T) { testGet(t, e, papers) })
	t.Run("Checkpoint", func(t *testing.T) { testCheckpoint(t, e) })
	t.Run("Stats", func(t *testing.T) {
		st, err := e.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Papers != uint64(len(papers)) {
			t.Errorf("Stats.Papers = %d, want %d", st.Papers, len(papers))
		}
	})
	t.Run("Filters", func(t *testing.T) { testFilters(t, e, papers) })
	t.Run("Facets", func(t *testing.T) { testFacets(t, e, papers) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, e) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, e, papers) })
	t.Run("Stemming", func(t *testing.T) { testStemming(t, e) })
	t.Run("Passages", func(t *testing.T) { testPassages(t, e) })
	t.Run("Modes", func(t *testing.T) {
		if o.Sync == nil {
			t.Skip("the engine under test has no vector half (Options.Sync is nil)")
		}
		testModes(t, e, papers, o.Engine)
	})
	t.Run("Writes", func(t *testing.T) { testWrites(t, open(t), papers) })
}

// load writes the fixture in two batches, each with its checkpoint.
func load(t *testing.T, e search.Engine, papers []corpus.Paper) {
	t.Helper()
	half := len(papers) / 2
	for i, part := range [][]corpus.Paper{papers[:half], papers[half:]} {
		ck := checkpoint(i == 1, int64(half*(i+1)))
		if err := e.Apply(context.Background(), &search.Batch{Upserts: part, Checkpoints: []search.Checkpoint{ck}}); err != nil {
			t.Fatalf("apply batch %d: %v", i, err)
		}
	}
}

func checkpoint(done bool, n int64) search.Checkpoint {
	return search.Checkpoint{Source: "conformance", Fingerprint: "fp-1", Cursor: corpus.Cursor{Unit: 1, Line: n},
		Done: done, Papers: n, Errors: 1, Updated: time.Date(2026, 12, 4, 10, 0, int(n), 0, time.UTC)}
}

func testGet(t *testing.T, e search.Engine, papers []corpus.Paper) {
	ctx := context.Background()
	for _, want := range papers {
		got, err := e.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.ID, err)
		}
		if !samePaper(*got, want) {
			t.Errorf("Get(%s) = %+v\nwant %+v", want.ID, *got, want)
		}
	}
	if _, err := e.Get(ctx, "no-such-paper"); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want search.ErrNotFound", err)
	}
}

func samePaper(a, b corpus.Paper) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func testCheckpoint(t *testing.T, e search.Engine) {
	ctx := context.Background()
	got, ok, err := e.Checkpoint(ctx, "conformance")
	if err != nil || !ok {
		t.Fatalf("Checkpoint = %v, %v", ok, err)
	}
	want := checkpoint(true, 40)
	if got.Source != want.Source || got.Fingerprint != want.Fingerprint || got.Cursor != want.Cursor ||
		got.Done != want.Done || got.Papers != want.Papers || got.Errors != want.Errors || !got.Updated.Equal(want.Updated) {
		t.Errorf("Checkpoint = %+v, want the last one written, %+v", got, want)
	}
	if _, ok, err := e.Checkpoint(ctx, "never-ingested"); ok || err != nil {
		t.Errorf("Checkpoint(unknown) = %v, %v; want false, nil", ok, err)
	}
}

// filterQueries cover every filter of the query language.
var filterQueries = []string{
	"", "year:2019", "year:2018..2020", "year:2021..", "year:<=2016", "year:>2022", "year:2019 year:2020",
	"-year:2019..2020", "field:cs.CL", `field:"computer science"`, "field:cs.CL,q-bio.GN", `field:="Computer Science"`,
	`field:="computer science"`, "category:CS.LG", "category:cs.CV category:cs.LG", "category:=cs.CL", "-category:=cs.CL",
	"venue:Nature", `venue:"phys rev d"`, `venue:="Phys. Rev. D"`, `venue:="phys. rev. d"`, "-venue:arXiv",
	"venue:Nature venue:ACL", "author:Doudna", `author:"Yang Liu"`, `author:="Yang Liu"`, `author:="Liu Yang"`,
	`author:="Yang Liu" author:="Ada Lovelace"`, `author:="Yang Liu","Alan Turing"`, "-author:Turing",
	"-author:Turing,Witten", "source:ARXIV", "source:=arxiv", "source:=ARXIV", "id:conf-007", "id:conf-007,conf-012",
	"doi:10.1000/conf.8", "doi:https://doi.org/10.1000/CONF.12", "-source:openalex year:2015..2018",
	"crispr", "crispr yeast", `"gene editing"`, `"gene editing" -yeast`, "transformer -arctic", "lattices year:..2020",
	"protein field:Biology -author:Hassabis", `optical "photon recoil"`, "quantum OR tweezers",
	"appendix", "appendix yeast", "tables -crispr",
}

func testFilters(t *testing.T, e search.Engine, papers []corpus.Paper) {
	byID := map[string]corpus.Paper{}
	for _, p := range papers {
		byID[p.ID] = p
	}
	for _, qs := range filterQueries {
		q, err := query.Parse(qs)
		if err != nil {
			t.Fatalf("parse %q: %v", qs, err)
		}
		want := Match(papers, q)
		res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 100, Mode: search.ModeBM25})
		if err != nil {
			t.Errorf("%q: %v", qs, err)
			continue
		}
		for _, h := range res.Hits {
			if !samePaper(h.Paper, byID[h.ID]) {
				t.Errorf("%q: hit %s carries %+v, want the whole paper %+v", qs, h.ID, h.Paper, byID[h.ID])
			}
		}
		got := hitIDs(res)
		sort.Strings(got)
		if !slices.Equal(got, want) || res.Total != uint64(len(want)) {
			t.Errorf("%q: total %d, hits %v\nwant %d: %v", qs, res.Total, got, len(want), want)
		}
	}
}

func hitIDs(res *search.Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	return out
}

func testFacets(t *testing.T, e search.Engine, papers []corpus.Paper) {
	for _, qs := range []string{"", "crispr", "year:2019", "year:2019..2020 field:Biology", `author:="Yang Liu"`,
		`author:="Yang Liu" -venue:Nature`, "field:Physics source:arxiv", "category:=cs.LG"} {
		q, err := query.Parse(qs)
		if err != nil {
			t.Fatal(err)
		}
		req := search.Request{Query: q, Limit: 0, Mode: search.ModeBM25}.WithFacets(3, search.AllFacets...)
		res, err := e.Search(context.Background(), req)
		if err != nil {
			t.Fatalf("%q: %v", qs, err)
		}
		if len(res.Hits) != 0 {
			t.Errorf("%q: Limit 0 returned %d hits", qs, len(res.Hits))
		}
		want := Facets(papers, q, 3, search.AllFacets)
		gj, _ := json.Marshal(res.Facets)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%q facets:\n got %s\nwant %s", qs, gj, wj)
		}
	}
}

func testPaging(t *testing.T, e search.Engine) {
	ctx := context.Background()
	for _, qs := range []string{"field:Biology", "crispr protein"} {
		q, _ := query.Parse(qs)
		all, err := e.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeBM25})
		if err != nil {
			t.Fatal(err)
		}
		var paged []string
		for off := 0; off < 10; off += 4 {
			r, err := e.Search(ctx, search.Request{Query: q, Limit: min(4, 10-off), Offset: off, Mode: search.ModeBM25})
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != all.Total {
				t.Errorf("%q offset %d: total %d, want %d", qs, off, r.Total, all.Total)
			}
			paged = append(paged, hitIDs(r)...)
		}
		if !slices.Equal(paged, hitIDs(all)) {
			t.Errorf("%q: pages %v, want the first 10 %v", qs, paged, hitIDs(all))
		}
		past, err := e.Search(ctx, search.Request{Query: q, Limit: 5, Offset: int(all.Total) + 5, Mode: search.ModeBM25})
		if err != nil || len(past.Hits) != 0 || past.Total != all.Total {
			t.Errorf("%q past the end: %v hits, total %v, err %v", qs, past, all.Total, err)
		}
	}
}

func testBadInput(t *testing.T, e search.Engine, papers []corpus.Paper) {
	ctx := context.Background()
	bad := []search.Request{
		{Mode: "fuzzy", Limit: 10},
		{Limit: 10, Offset: search.MaxWindow},
		{Limit: -1},
		{Offset: -5, Limit: 5},
	}
	for _, r := range bad {
		if _, err := e.Search(ctx, r); err == nil {
			t.Errorf("Search(%+v) succeeded; want an error", r)
		}
	}
	// The empty query lists every paper; the window's edge is allowed.
	res, err := e.Search(ctx, search.Request{Limit: 5, Offset: search.MaxWindow - 5, Mode: search.ModeBM25})
	if err != nil {
		t.Fatalf("window at MaxWindow: %v", err)
	}
	if res.Total != uint64(len(papers)) || len(res.Hits) != 0 {
		t.Errorf("empty query: total %d, %d hits; want %d, 0", res.Total, len(res.Hits), len(papers))
	}
	// A query of words no paper has finds nothing, and says why.
	q, _ := query.Parse("zzyzx year:2019")
	res, err = e.Search(ctx, search.Request{Query: q, Limit: 5, Mode: search.ModeBM25})
	if err != nil || res.Total != 0 || res.NoHits == nil {
		t.Errorf("unknown word: %+v, %v; want no hits with a reason", res, err)
	}
	q, _ = query.Parse("crispr year:2030")
	res, err = e.Search(ctx, search.Request{Query: q, Limit: 5, Mode: search.ModeBM25})
	if err != nil || res.Total != 0 || res.NoHits == nil || res.NoHits.Filter != "year:2030" {
		t.Errorf("empty by filter: %+v, %v; want NoHits blaming year:2030", res, err)
	}
}

// testStemming: every engine analyses prose as Quire's English analyser
// does, so "edit" finds the papers that say "editing", a phrase matches
// its stems, and an exclusion drops every form of the word.
func testStemming(t *testing.T, e search.Engine) {
	ctx := context.Background()
	for _, c := range []struct {
		q    string
		want int
	}{
		{"edit", 7}, {`"edits genomes"`, 7}, {"crispr -edited", 0}, {"editing's", 7},
	} {
		q, _ := query.Parse(c.q)
		res, err := e.Search(ctx, search.Request{Query: q, Limit: 50, Mode: search.ModeBM25})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != uint64(c.want) {
			t.Errorf("%q: %d hits, want %d (stemmed as the English analyser does)", c.q, res.Total, c.want)
		}
	}
}

// testPassages: a hit whose full text holds the query's words carries
// the passages that hold them, with offsets into that text and the words
// marked; a hit that matched only in its title or abstract carries none.
func testPassages(t *testing.T, e search.Engine) {
	ctx := context.Background()
	q, _ := query.Parse("extra tables maize")
	res, err := e.Search(ctx, search.Request{Query: q, Limit: 50, Mode: search.ModeBM25, Passages: true})
	if err != nil {
		t.Fatal(err)
	}
	withText, without := 0, 0
	for _, h := range res.Hits {
		if !strings.Contains(h.Paper.FullText, "extra tables") {
			without++
			if len(h.Passages) > 0 {
				t.Errorf("%s: passages %+v from a full text without the query's words", h.ID, h.Passages)
			}
			continue
		}
		withText++
		if len(h.Passages) == 0 {
			t.Errorf("%s: no passages; its full text %q holds the query's words", h.ID, h.Paper.FullText)
			continue
		}
		ps := h.Passages[0]
		text, ok := ps.Of(h.Paper.FullText)
		if !ok || !strings.Contains(text, "extra tables") {
			t.Errorf("%s: passage [%d,%d) %q does not hold the words", h.ID, ps.Start, ps.End, text)
		}
		var marked []string
		for _, m := range ps.Text.Marks {
			marked = append(marked, strings.ToLower(ps.Text.Text[m[0]:m[1]]))
		}
		if !slices.Contains(marked, "tables") || !slices.Contains(marked, "extra") {
			t.Errorf("%s: passage marks %q, want extra and tables among them", h.ID, marked)
		}
	}
	if withText == 0 || without == 0 {
		t.Errorf("%d hits with the words in their full text and %d without; the fixture has both", withText, without)
	}
}

func testModes(t *testing.T, e search.Engine, papers []corpus.Paper, engine string) {
	ctx := context.Background()
	q, _ := query.Parse("crispr gene editing")
	bm, err := e.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeBM25})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{search.ModeVector, search.ModeHybrid} {
		res, err := e.Search(ctx, search.Request{Query: q, Limit: 10, Mode: mode, Explain: true, Snippets: true})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if res.Mode != mode || len(res.Hits) == 0 {
			t.Fatalf("%s: mode %q, %d hits", mode, res.Mode, len(res.Hits))
		}
		if top := res.Hits[0].Paper.Title; !bytes.Contains(bytes.ToLower([]byte(top)), []byte("crispr")) {
			t.Errorf("%s: top hit %q is not a CRISPR paper", mode, top)
		}
		switch x := res.Hits[0].Explain; {
		case x == nil:
			t.Errorf("%s: Explain asked, none given", mode)
		case mode == search.ModeHybrid && differs(engine, "hybrid-native-explain") != (x.BM25Rank == 0 && x.VectorRank == 0):
			t.Errorf("%s: explain %+v; the Differences table says per-half ranks are missing: %v", mode, x, differs(engine, "hybrid-native-explain"))
		}
		if mode == search.ModeHybrid && (res.Total < bm.Total || res.Total > bm.Total+100) {
			t.Errorf("hybrid total %d; want BM25's %d plus at most 100 vector papers", res.Total, bm.Total)
		}
	}
	// Filters bind every mode.
	q, _ = query.Parse("crispr year:2019..2021")
	for _, mode := range []string{search.ModeBM25, search.ModeVector, search.ModeHybrid} {
		res, err := e.Search(ctx, search.Request{Query: q, Limit: 40, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.Paper.Year < 2019 || h.Paper.Year > 2021 {
				t.Errorf("%s: hit %s of year %d passes year:2019..2021", mode, h.ID, h.Paper.Year)
			}
		}
	}
	// Vector mode with filters only lists what the filters allow.
	q, _ = query.Parse("field:Physics")
	res, err := e.Search(ctx, search.Request{Query: q, Limit: 40, Mode: search.ModeVector})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(Match(papers, q)); res.Total != uint64(want) {
		t.Errorf("vector field:Physics: total %d, want %d", res.Total, want)
	}
}

// testWrites checks upsert, idempotent re-upsert and delete on a fresh
// engine.
func testWrites(t *testing.T, e search.Engine, papers []corpus.Paper) {
	ctx := context.Background()
	three := slices.Clone(papers[:3])
	for range 2 { // the second write changes nothing
		if err := e.Apply(ctx, &search.Batch{Upserts: three}); err != nil {
			t.Fatal(err)
		}
	}
	changed := three[1]
	changed.Title = "A new title for the second paper"
	if err := e.Apply(ctx, &search.Batch{Upserts: []corpus.Paper{changed}, Deletes: []string{three[2].ID, "never-there"}}); err != nil {
		t.Fatal(err)
	}
	st, err := e.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Papers != 2 {
		t.Errorf("after 3 upserts twice, 1 update and 1 delete: %d papers, want 2", st.Papers)
	}
	got, err := e.Get(ctx, changed.ID)
	if err != nil || got.Title != changed.Title {
		t.Errorf("Get after update = %v, %v; want title %q", got, err, changed.Title)
	}
	if _, err := e.Get(ctx, three[2].ID); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Get after delete: %v, want ErrNotFound", err)
	}
	q, _ := query.Parse("new title")
	res, err := e.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeBM25})
	if err != nil || res.Total != 1 || res.Hits[0].ID != changed.ID {
		t.Errorf("search after update: %+v, %v; want only %s", res, err, changed.ID)
	}
	res, err = e.Search(ctx, search.Request{Limit: 10, Mode: search.ModeBM25})
	if err != nil || res.Total != 2 || slices.Contains(hitIDs(res), three[2].ID) {
		t.Errorf("search after delete: %v, %v", res, err)
	}
	// Exclusions after rewrites: each paper once, the rewritten as it is now.
	now := []corpus.Paper{three[0], changed}
	for _, qs := range []string{"-year:1999", "-new", "-author:Nobody", `-venue:="` + three[0].Venue + `"`} {
		q, _ := query.Parse(qs)
		res, err := e.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeBM25})
		if err != nil {
			t.Fatal(err)
		}
		got := hitIDs(res)
		sort.Strings(got)
		if want := Match(now, q); !slices.Equal(got, want) || res.Total != uint64(len(want)) {
			t.Errorf("%q after rewrites: total %d, %v; want %v", qs, res.Total, got, want)
		}
	}
}
