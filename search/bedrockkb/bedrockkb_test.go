package bedrockkb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/backoff"
	"github.com/quire-research/quire/search/bedrockkb/kbtest"
	"github.com/quire-research/quire/search/enginetest"
	"github.com/quire-research/quire/search/query"
)

const kbID = "KBTEST1234"

// keys are deliberately not the fields' own names, so the mapping is
// exercised.
var testKeys = Keys{"id": "paper_id", "title": "title", "year": "pub_year", "authors": "authors",
	"venue": "venue", "fields": "fields", "categories": "cats", "source": "collection", "doi": "doi"}

// Chunks is the fixture as knowledge base passages under testKeys.
func Chunks(papers []corpus.Paper) []kbtest.Chunk { return kbtest.FromPapers(papers, testKeys) }

func open(t *testing.T, srv *kbtest.Server) *Engine {
	t.Helper()
	return openKeys(t, srv, testKeys)
}

func openKeys(t *testing.T, srv *kbtest.Server, keys Keys) *Engine {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	e, err := Open(context.Background(), Options{
		KnowledgeBaseID: kbID, Region: "us-east-1", Endpoint: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secretTEST", ""),
		Keys:        keys,
		Backoff:     backoff.Policy{Retries: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fixture(t *testing.T) ([]corpus.Paper, *kbtest.Server) {
	papers := enginetest.Papers(t)
	srv := kbtest.New(kbID, Chunks(papers))
	t.Cleanup(srv.Close)
	return papers, srv
}

func ids(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

// Every filter form, translated, sent through the SDK and evaluated by
// the fake service, keeps the papers the reference matcher keeps.
func TestFiltersMatchReference(t *testing.T) {
	papers, srv := fixture(t)
	e := open(t, srv)
	for _, qs := range []string{
		"year:2019", "year:2018..2022", "year:>=2021", "year:..2016", "year:2015 year:2024",
		"field:Biology", "field:biology", `field:"computer SCIENCE"`, "doi:10.1000/conf.4", "field:q-bio.GN", "field:cs.CL,cs.CV", `field:Biology field:"Computer Science"`,
		`field:="Computer Science"`, "field:=q-bio.GN", "category:cs.LG", "category:=cs.LG", "category:cs.CL,cs.CV,hep-th",
		"field:a,b,c,d,Physics,f,g", // more values than one orAll takes
		"venue:Nature", `venue:"Cell Reports"`, "venue:Cell", "venue:=Nature", "-venue:=arXiv", "venue:Nature,CVPR",
		"venue:Nature venue:CVPR", `-venue:="Phys. Rev. A",arXiv`,
		`author:"Yang Liu"`, `author:="Yang Liu"`, "author:Turing author:He", "author:Witten,Ashkin", `author:="Liu Yang"`,
		"source:arxiv", "source:ARXIV", "-source:arxiv", "source:arxiv,openalex",
		"id:conf-001", "id:conf-001,conf-002", "-id:conf-003", "doi:10.1000/Conf.4", "doi:https://doi.org/10.1000/Conf.8",
		`year:2019..2023 field:"Computer Science" -venue:=arXiv`, "category:cs.LG year:2019,2023 source:arxiv",
		"year:2016 year:2017 year:2018 year:2019 year:2020 year:2021 author:Liu",
	} {
		q, err := query.Parse("models " + qs)
		if err != nil {
			t.Fatalf("%s: %v", qs, err)
		}
		want := enginetest.Match(papers, query.Query{Filters: q.Filters})
		res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 100})
		if err != nil {
			t.Errorf("%s: %v", qs, err)
			continue
		}
		if got := ids(res); !slices.Equal(got, want) || res.Total != uint64(len(want)) {
			t.Errorf("%s: total %d, got %v\nwant %v", qs, res.Total, got, want)
		}
	}
}

// The documented departures, checked so they cannot change unnoticed: a
// knowledge base compares as stored and has no NOT or "exists".
func TestFilterDifferences(t *testing.T) {
	papers, srv := fixture(t)
	e := open(t, srv)
	for _, c := range []struct{ q, why string }{
		// author:Li finds "Yang Liu": stringContains matches within words.
		{"author:Li", "substring"},
		// Papers without a year are excluded: no "not exists" filter.
		{"-year:2019", "missing year"},
		// Stored q-bio.GN: no case variant sent spells it so.
		{"field:Q-BIO.gn", "mixed case"},
	} {
		q, _ := query.Parse("models " + c.q)
		want := enginetest.Match(papers, query.Query{Filters: q.Filters})
		res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 100})
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if slices.Equal(ids(res), want) {
			t.Errorf("%s (%s): now matches the reference; update filter.go's doc and this test", c.q, c.why)
		}
	}
}

func TestRefusedFiltersNameThemselves(t *testing.T) {
	_, srv := fixture(t)
	e := open(t, srv)
	for qs, name := range map[string]string{
		"models -author:Liu":        "-author:Liu",
		"models -field:Biology":     "-field:Biology",
		"models -venue:Nature":      "-venue:Nature",
		`"gene editing" models`:     `"gene editing"`,
		"models -yeast":             "-yeast",
		"models category:cs.CL":     "category:cs.CL", // unmapped below
		"models doi:10.1000/Conf.4": "doi:10.1000/Conf.4",
	} {
		q, err := query.Parse(qs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(qs, "category") || strings.Contains(qs, "doi") {
			narrow := openKeys(t, srv, Keys{"id": "paper_id", "venue": "venue"})
			_, err = narrow.Search(context.Background(), search.Request{Query: q, Limit: 10})
		} else {
			_, err = e.Search(context.Background(), search.Request{Query: q, Limit: 10})
		}
		var fe *FilterError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s: error %v, want a FilterError naming %s", qs, err, name)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for refused filters", n)
	}
}

func TestPaginationAndGrouping(t *testing.T) {
	papers, srv := fixture(t)
	srv.PageSize = 7 // fewer per response than asked: the rest by nextToken
	e := open(t, srv)
	q, _ := query.Parse("models")
	res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != len(papers) {
		t.Fatalf("%d papers, want %d (all of them, grouped from %d passages)", len(res.Hits), len(papers), len(srv.Chunks))
	}
	// A page the SDK sent again (a response lost to a loaded machine) is
	// a retry, not a step: collapse repeats before checking the tokens.
	reqs := slices.CompactFunc(srv.Requests(), func(a, b kbtest.Request) bool {
		return a.NextToken == b.NextToken && a.N == b.N && a.SearchType == b.SearchType
	})
	if len(reqs) < len(srv.Chunks)/7 {
		t.Errorf("%d requests for %d passages 7 at a time", len(reqs), len(srv.Chunks))
	}
	for i, r := range reqs {
		want := ""
		if i > 0 {
			want = fmt.Sprintf("kbtest-%d", 7*i)
		}
		if r.NextToken != want || r.N != 100 || r.SearchType != "HYBRID" {
			t.Errorf("request %d: token %q n %d type %s, want token %q n 100 HYBRID", i, r.NextToken, r.N, r.SearchType, want)
		}
	}
	seen := map[string]bool{}
	for _, h := range res.Hits {
		if seen[h.ID] {
			t.Errorf("%s returned twice: passages of one paper must group", h.ID)
		}
		seen[h.ID] = true
		if h.Paper.Title == "" || h.Paper.URL != "s3://papers/"+h.ID+".txt" || h.Paper.FullText == "" {
			t.Errorf("%s: paper %+v lacks title, passage or source URI", h.ID, h.Paper)
		}
	}
	// Offset pages through the same ranking.
	page, err := e.Search(context.Background(), search.Request{Query: q, Limit: 5, Offset: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range page.Hits {
		if h.ID != res.Hits[5+i].ID {
			t.Errorf("offset 5: hit %d is %s, want %s", i, h.ID, res.Hits[5+i].ID)
		}
	}
	// Get knows what searches returned, and says why it knows no more.
	p, err := e.Get(context.Background(), res.Hits[0].ID)
	if err != nil || p.Title != res.Hits[0].Paper.Title {
		t.Errorf("Get(%s) = %v, %v", res.Hits[0].ID, p, err)
	}
	if _, err := e.Get(context.Background(), "nope"); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Get(nope) = %v, want ErrNotFound", err)
	}
}

func TestPaperFromMetadata(t *testing.T) {
	papers, srv := fixture(t)
	e := open(t, srv)
	q, _ := query.Parse("models id:conf-004")
	res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 1, Mode: search.ModeVector})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("%v %v", res, err)
	}
	got, want := res.Hits[0].Paper, papers[3]
	if got.ID != want.ID || got.Title != want.Title || got.Year != want.Year || !slices.Equal(got.Authors, want.Authors) ||
		got.Venue != want.Venue || !slices.Equal(got.Fields, want.Fields) || !slices.Equal(got.Categories, want.Categories) ||
		got.Source != want.Source || got.DOI != want.DOI {
		t.Errorf("paper %+v\nwant fields of %+v", got, want)
	}
	if r := srv.Requests(); r[len(r)-1].SearchType != "SEMANTIC" {
		t.Errorf("--mode vector sent %s, want SEMANTIC", r[len(r)-1].SearchType)
	}
}

func TestThrottlingRecovered(t *testing.T) {
	_, srv := fixture(t)
	e := open(t, srv)
	srv.Fail(kbtest.Throttling, kbtest.Throttling)
	var notices []string
	ctx := backoff.WithNotify(context.Background(), func(n backoff.Notice) { notices = append(notices, n.String()) })
	q, _ := query.Parse("models")
	res, err := e.Search(ctx, search.Request{Query: q, Limit: 3})
	if err != nil || len(res.Hits) != 3 {
		t.Fatalf("after two throttles: %v, %v", res, err)
	}
	if len(notices) != 2 || !strings.Contains(notices[0], "ThrottlingException") {
		t.Errorf("notices %q, want two naming ThrottlingException", notices)
	}
	// Throttled past the budget: the error says so.
	srv.Fail(kbtest.Throttling, kbtest.Throttling, kbtest.Throttling, kbtest.Throttling)
	if _, err := e.Search(context.Background(), search.Request{Query: q, Limit: 3}); err == nil || !strings.Contains(err.Error(), "gave up after 3 retries") {
		t.Errorf("throttled 4 times: %v", err)
	}
}

func TestServiceErrors(t *testing.T) {
	_, srv := fixture(t)
	e := open(t, srv)
	q, _ := query.Parse("models")
	srv.Fail(kbtest.AccessDenied)
	before := len(srv.Requests())
	_, err := e.Search(context.Background(), search.Request{Query: q, Limit: 3})
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "bedrock:Retrieve") || !strings.Contains(err.Error(), kbID) {
		t.Errorf("access denied: %v", err)
	}
	if n := len(srv.Requests()) - before; n != 1 {
		t.Errorf("access denied was tried %d times, want once", n)
	}
	if strings.Contains(fmt.Sprint(err), "secretTEST") {
		t.Error("the secret key reached an error")
	}

	wrong, err := Open(context.Background(), Options{KnowledgeBaseID: "KBWRONG123", Region: "eu-west-1", Endpoint: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secretTEST", "")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Search(context.Background(), search.Request{Query: q, Limit: 3})
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "knowledge_base_id (KBWRONG123)") {
		t.Errorf("unknown knowledge base: %v", err)
	}

	srv.Fail(kbtest.Fault{Code: "ValidationException", Status: 400, Message: "bad filter"})
	_, err = e.Search(context.Background(), search.Request{Query: q, Limit: 3})
	if err == nil || !strings.Contains(err.Error(), "ValidationException (HTTP 400): bad filter") {
		t.Errorf("validation: %v", err)
	}
}

func TestReadOnlyAndModes(t *testing.T) {
	_, srv := fixture(t)
	e := open(t, srv)
	if err := e.Apply(context.Background(), &search.Batch{Upserts: []corpus.Paper{{ID: "x"}}}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Apply: %v", err)
	}
	q, _ := query.Parse("models")
	if _, err := e.Search(context.Background(), search.Request{Query: q, Limit: 3, Mode: search.ModeBM25}); !errors.Is(err, ErrNoBM25) {
		t.Errorf("bm25: %v", err)
	}
	res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 3, Facets: search.AllFacets, FacetSize: 5})
	if err != nil || len(res.Facets) != 0 || res.FacetNote == "" {
		t.Errorf("facets: %+v %q %v: want none, with a note", res.Facets, res.FacetNote, err)
	}
	long, _ := query.Parse(strings.Repeat("word ", 201))
	if _, err := e.Search(context.Background(), search.Request{Query: long, Limit: 3}); err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Errorf("1005-character query: %v", err)
	}
	if _, err := e.Count(); !errors.Is(err, ErrUncountable) {
		t.Errorf("Count: %v", err)
	}
}

// A hit's passages are the chunks the knowledge base returned for its
// paper, best first, each with its page and the query's words marked;
// the paper's text is those chunks, so each passage has its place in it.
func TestPassagesFromChunks(t *testing.T) {
	md := func(page float64) map[string]any {
		m := map[string]any{"paper_id": "kb-1", "title": "Halo profiles"}
		if page > 0 {
			m[PageKey] = page
		}
		return m
	}
	srv := kbtest.New(kbID, []kbtest.Chunk{
		{Text: "Dark matter halos follow a universal density profile in simulations.", URI: "s3://papers/kb-1.pdf", Metadata: md(4)},
		{Text: "The halos of dwarf galaxies have cores, not cusps.", URI: "s3://papers/kb-1.pdf", Metadata: md(0)},
		{Text: "Unrelated text about weather.", URI: "s3://papers/kb-2.pdf", Metadata: map[string]any{"paper_id": "kb-2"}},
	})
	t.Cleanup(srv.Close)
	e := open(t, srv)
	q, _ := query.Parse("halos density profile")
	res, err := e.Search(context.Background(), search.Request{Query: q, Limit: 5, Passages: true, Snippets: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].ID != "kb-1" {
		t.Fatalf("hits %v, want kb-1 first", ids(res))
	}
	h := res.Hits[0]
	if len(h.Passages) != 2 {
		t.Fatalf("passages %+v, want the 2 chunks of kb-1", h.Passages)
	}
	first, ok := h.Passages[0].Of(h.Paper.FullText)
	if !ok || !strings.HasPrefix(first, "Dark matter halos follow") || h.Passages[0].Page != 4 || h.Passages[1].Page != 0 {
		t.Errorf("first passage %q (fits %v), pages %d and %d; want the density chunk on p. 4, then one with no page",
			first, ok, h.Passages[0].Page, h.Passages[1].Page)
	}
	var marked []string
	for _, m := range h.Passages[0].Text.Marks {
		marked = append(marked, h.Passages[0].Text.Text[m[0]:m[1]])
	}
	if !slices.Contains(marked, "density") || !slices.Contains(marked, "halos") {
		t.Errorf("marks %q, want density and halos", marked)
	}
	if len(h.Snippet.Marks) == 0 {
		t.Errorf("snippet %+v has no marks", h.Snippet)
	}
}
