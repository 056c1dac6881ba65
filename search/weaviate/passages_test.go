package weaviate

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/query"
)

// wordsEmbedder places a text by its words (each hashed to one of 256
// dimensions), so texts sharing words are near and the test can say which
// passage a query is nearest.
type wordsEmbedder struct{}

func (wordsEmbedder) Name() string { return "words@256" }
func (wordsEmbedder) Dim() int     { return 256 }
func (wordsEmbedder) Embed(_ context.Context, texts []string, _ embed.Kind) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, s := range texts {
		v := make([]float32, 256)
		for _, w := range strings.Fields(strings.ToLower(s)) {
			h := fnv.New32a()
			h.Write([]byte(strings.Trim(w, ".,")))
			v[h.Sum32()%256]++
		}
		var n float64
		for _, x := range v {
			n += float64(x * x)
		}
		if n > 0 {
			for j := range v {
				v[j] /= float32(math.Sqrt(n))
			}
		}
		out[i] = v
	}
	return out, nil
}

// filler is n words of prose about nothing the queries ask for.
func filler(n int, seed string) string {
	words := strings.Fields("the survey area was walked each morning and every sighting was noted with its time place and weather")
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[(i+len(seed))%len(words)])
	}
	return b.String() + "."
}

// wildlife is a paper with a section of filler under each heading; the
// Methods section holds the words the tests search for.
func wildlife(sections ...string) corpus.Paper {
	var b strings.Builder
	for i, s := range sections {
		body := filler(180, s)
		if s == "Methods" {
			body = strings.Repeat("Each zebra wore a quokka collar with a radio tag tuned to its own channel. ", 4)
		}
		fmt.Fprintf(&b, "# %d %s\n\n%s\n\n", i+1, s, body)
	}
	return corpus.Paper{ID: "wild-1", Title: "Counting animals in parks", Abstract: "A survey of park animals.",
		Year: 2020, FullText: b.String()}
}

// passageCount counts a paper's passages in the collection.
func passageCount(t *testing.T, e *Engine, id string) int {
	t.Helper()
	rs, err := e.findIn(context.Background(), e.passages, eq(pID, id), 1000, nil, qN)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// TestPassages: a full text is written as its passages, found by BM25
// and by vector under the same filters as papers, shown on the hit, and
// kept in step with the paper (a shorter text, a deletion, a collection
// from before passages).
func TestPassages(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, Options{Embedder: wordsEmbedder{}})
	a := wildlife("Introduction", "Methods", "Results")
	// b has the words in its title; c has them spread over a long body.
	b := corpus.Paper{ID: "wild-2", Title: "Zebra and quokka collars", Abstract: "A review of collar designs.", Year: 2021}
	c := corpus.Paper{ID: "wild-3", Title: "Field notes", Abstract: "Notes from the field.", Year: 2021,
		FullText: "zebra " + filler(600, "x") + " quokka " + filler(600, "y") + " collar"}
	c.Pages = []int{0, len(c.FullText) / 2} // two pages
	if err := e.Apply(ctx, &search.Batch{Upserts: []corpus.Paper{a, b, c}}); err != nil {
		t.Fatal(err)
	}
	chunks := corpus.BodyChunks(&a)
	if len(chunks) < 3 {
		t.Fatalf("fixture: %d passages, want one per section", len(chunks))
	}
	if n := passageCount(t, e, a.ID); n != len(chunks) {
		t.Fatalf("%d passages stored for %s, want %d", n, a.ID, len(chunks))
	}
	st, err := e.Stats(ctx)
	if want := len(chunks) + len(corpus.BodyChunks(&c)); err != nil || st.PassageVectors != uint64(want) {
		t.Errorf("Stats: %d passage vectors, %v; want %d", st.PassageVectors, err, want)
	}
	methods := chunks[1]
	if !strings.Contains(methods.Section, "Methods") {
		t.Fatalf("fixture: passage 1 is under %q", methods.Section)
	}
	find := func(mode, text string) *search.Result {
		t.Helper()
		q, err := query.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Search(ctx, search.Request{Query: q, Limit: 10, Mode: mode, Passages: true})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	opensAtMethods := func(what string, res *search.Result) {
		t.Helper()
		if len(res.Hits) == 0 || res.Hits[0].ID != a.ID {
			t.Errorf("%s: hits %v, want %s first", what, ids(res), a.ID)
			return
		}
		ps := res.Hits[0].Passages
		if len(ps) == 0 || ps[0].Index != methods.Index || ps[0].Start != methods.Start || ps[0].Section != methods.Section {
			t.Errorf("%s: passages %+v, want the Methods passage (%d, [%d,%d))", what, ps, methods.Index, methods.Start, methods.End)
		}
	}
	// BM25: the passage that holds all the words beats a title that has
	// two of them and a body that has them far apart.
	opensAtMethods("bm25", find(search.ModeBM25, "zebra quokka collar radio tag"))
	// The filter applies to passages: a's passage is not searched under
	// a year it does not have.
	if res := find(search.ModeBM25, "radio tag year:2021"); len(res.Hits) > 0 && res.Hits[0].ID == a.ID {
		t.Errorf("year:2021 found %s (2020) by its passage", a.ID)
	}
	// Phrases and exclusions read the paper's title and abstract, which
	// each passage carries.
	opensAtMethods("bm25 under a phrase", find(search.ModeBM25, `radio tag "park animals"`))
	if res := find(search.ModeBM25, "radio tag -counting"); len(res.Hits) > 0 && res.Hits[0].ID == a.ID {
		t.Errorf("-counting found %s (titled Counting …) by its passage", a.ID)
	}
	// Vector: only a's Methods passage is near "radio tag collar"; a's own
	// vector (title and abstract) is not.
	opensAtMethods("vector", find(search.ModeVector, "radio tag collar"))
	if res := find(search.ModeVector, "radio tag collar year:2021"); len(res.Hits) > 0 && res.Hits[0].ID == a.ID {
		t.Errorf("vector under year:2021 found %s (2020) by its passage", a.ID)
	}

	// A sentence pasted from the Methods passage quotes it; a few of its
	// words do not.
	for text, want := range map[string]int{"each zebra wore a quokka collar with a radio tag tuned to its own channel": 1, "zebra quokka collar radio tag": 0} {
		q, _ := query.Parse(text)
		mt, err := e.newView(10).Match(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		items, err := mt.Rank(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := mt.(*matches).Quoted(); got != want || want > 0 && items[0].ID != a.ID {
			t.Errorf("%q: quotes %d papers, first %v; want %d, %s first", text, got, items, want, a.ID)
		}
	}

	// A shorter text leaves no passage behind; a deleted paper takes its
	// passages along.
	short := wildlife("Introduction")
	if err := e.Apply(ctx, &search.Batch{Upserts: []corpus.Paper{short}}); err != nil {
		t.Fatal(err)
	}
	if n, want := passageCount(t, e, a.ID), len(corpus.BodyChunks(&short)); n != want {
		t.Errorf("after a shorter text: %d passages, want %d", n, want)
	}
	if err := e.Apply(ctx, &search.Batch{Deletes: []string{a.ID}}); err != nil {
		t.Fatal(err)
	}
	if n := passageCount(t, e, a.ID); n != 0 {
		t.Errorf("after deleting %s: %d passages left", a.ID, n)
	}

	// A collection from before passages: no passages, no marker. The next
	// Open sees it, and SyncVectors writes them.
	if err := e.deleteWhere(ctx, e.passages, live(), "drop passages"); err != nil {
		t.Fatal(err)
	}
	if err := e.deleteWhere(ctx, e.meta, metaWhere(kindPassages, ""), "drop marker"); err != nil {
		t.Fatal(err)
	}
	o := e.o
	o.MustExist = true
	again, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !again.needsBackfill() {
		t.Fatal("an Open over papers without the passages marker does not backfill")
	}
	if err := again.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n, want := passageCount(t, again, c.ID), len(corpus.BodyChunks(&c)); n != want || want == 0 {
		t.Errorf("after the backfill: %d passages of %s, want %d", n, c.ID, want)
	}
	if again.needsBackfill() {
		t.Error("backfill still pending after SyncVectors")
	}
	// The backfill read c and wrote it again: its pages came through.
	if got, err := again.Get(ctx, c.ID); err != nil || !slices.Equal(got.Pages, c.Pages) {
		t.Errorf("pages after the backfill: %v, %v; want %v", got.Pages, err, c.Pages)
	}
	rs, err := again.findIn(ctx, again.passages, eq(pID, c.ID), 100, nil, qN, qPage, qPageEnd)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for _, r := range rs {
		last = max(last, int(num(r.Properties[qPageEnd])))
	}
	if last != 2 {
		t.Errorf("passages of %s end on page %d, want 2", c.ID, last)
	}
	if reopened, err := Open(ctx, o); err != nil || reopened.needsBackfill() {
		t.Errorf("the marker was not stored: reopened needs backfill, %v", err)
	}
}

// TestDeletePastServerLimit: one batch delete removes at most the
// server's QUERY_MAXIMUM_RESULTS (10,000) objects; a paper with more
// passages than that (a book) loses them all when it is deleted.
func TestDeletePastServerLimit(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, Options{})
	var b strings.Builder
	for b.Len() < 7_000_000 {
		b.WriteString("ab cd ef gh ij kl mn op qr st uv wx. ")
	}
	p := corpus.Paper{ID: "book", Title: "A very long book", FullText: b.String()}
	if n := len(corpus.BodyChunks(&p)); n <= 10_000 {
		t.Fatalf("fixture: %d passages, want more than 10,000", n)
	}
	if err := e.Apply(ctx, &search.Batch{Upserts: []corpus.Paper{p}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(ctx, &search.Batch{Deletes: []string{p.ID}}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.countPassages(ctx, nil); err != nil || n != 0 {
		t.Errorf("after deleting the book: %d passages left, %v", n, err)
	}
}
