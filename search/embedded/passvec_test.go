package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/probe/probetest"
)

// passagePapers are twenty papers, each about one concept in its title and
// abstract; "deep" alone also has a body, whose second section is about
// concept 9, which no title or abstract mentions.
func passagePapers(body string) []corpus.Paper {
	var ps []corpus.Paper
	for i := range 20 {
		c := i%8 + 1
		ps = append(ps, corpus.Paper{ID: fmt.Sprintf("p%02d", i), Year: 2000 + i%2,
			Title: fmt.Sprintf("c%ds1 c%ds2", c, c), Abstract: fmt.Sprintf("c%ds3 c%ds4", c, c)})
	}
	ps[0].ID, ps[0].FullText = "deep", body
	return ps
}

func passageBody(sections int) string {
	var b strings.Builder
	b.WriteString("## 1 Introduction\n\n" + strings.Repeat("c1s5 c1s6 words of the introduction. ", 20) + "\n\n")
	if sections > 1 {
		b.WriteString("## 2 Method\n\n" + strings.Repeat("c9s1 c9s2 c9s3 within. ", 20) + "\n")
	}
	return b.String()
}

func openIndex(t *testing.T, dir string, o Options) *Index {
	t.Helper()
	x, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func vectorTop(t *testing.T, x *Index, q string) []search.Hit {
	t.Helper()
	req, err := search.NewRequest(q, 5)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode, req.Passages = search.ModeVector, true
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Hits
}

// TestPassageVectorsFindTheBody: a paper is found by the vector half for
// what only its body says, under filters as without them; a shorter text
// or a deletion takes its passages' vectors with it, and the check agrees.
func TestPassageVectorsFindTheBody(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{Embedder: probetest.Concepts{Dimensions: 64}}
	x := openIndex(t, dir, opts)
	defer func() { x.Close() }()
	papers := passagePapers(passageBody(2))
	apply(t, x, &search.Batch{Upserts: papers})
	want := len(bodyChunks(&papers[0]))
	if want < 2 {
		t.Fatalf("the body cut into %d passages, want several", want)
	}
	papersLeft := uint64(20)
	passages := func() uint64 {
		st, err := x.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Vectors != papersLeft {
			t.Errorf("stats count %d paper vectors, want %d", st.Vectors, papersLeft)
		}
		return st.PassageVectors
	}
	if n := passages(); n != uint64(want) {
		t.Fatalf("%d passage vectors stored, want %d", n, want)
	}
	// "c9s7" is in no text, so only a vector can find "deep" for it.
	for _, q := range []string{"c9s7", "c9s7 year:2000"} {
		hits := vectorTop(t, x, q)
		if !bodyLifts(hits) {
			t.Fatalf("%q: hits %v, want deep first, above the papers with its title", q, hitScores(hits))
		}
		// The passage shown is the one whose vector found the paper,
		// though it holds none of the query's words.
		if ps := hits[0].Passages; len(ps) == 0 || ps[0].Section != "2 Method" {
			t.Fatalf("%q: deep carries passages %+v, want the method's first", q, ps)
		}
		if got := ids(&search.Result{Hits: hits}); len(got) != len(uniq(got)) {
			t.Fatalf("%q: a paper came back twice: %v", q, got)
		}
	}
	for _, h := range vectorTop(t, x, "c9s7 year:2001") {
		if h.ID == "deep" {
			t.Fatalf("year:2001 let deep (2000) through")
		}
	}
	// A filter allowing more vectors than passageFilterMax ranks the
	// allowed papers by their own vectors.
	x.vec.passageFilterMax = 5
	if hits := vectorTop(t, x, "c9s7 year:1990..2000"); bodyLifts(hits) || len(hits) != 5 {
		t.Fatalf("a broad filter still searched passages, or lost papers: %v", hitScores(hits))
	}
	x.vec.passageFilterMax = defaultPassageFilterMax
	x.Close()
	if r := mustCheck(t, dir, opts); r.Passages != want || r.Vectors != 20 {
		t.Fatalf("check: %d paper and %d passage vectors, want 20 and %d", r.Vectors, r.Passages, want)
	}
	x = openIndex(t, dir, opts)

	// The method section goes: so do its passages' vectors.
	short := passagePapers(passageBody(1))[0]
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{short}})
	if n, w := passages(), len(bodyChunks(&short)); n != uint64(w) || w >= want {
		t.Fatalf("after the text got shorter: %d passage vectors, want %d (fewer than %d)", n, w, want)
	}
	if hits := vectorTop(t, x, "c9s7"); bodyLifts(hits) {
		t.Fatalf("a dropped section still lifts deep: %v", hitScores(hits))
	}
	apply(t, x, &search.Batch{Deletes: []string{"deep"}})
	papersLeft--
	if n := passages(); n != 0 {
		t.Fatalf("%d passage vectors outlive their paper", n)
	}
}

// TestPassageVectorsBackfillOlderIndex: an index whose vectors predate
// passage vectors gets them at the next sync, once.
func TestPassageVectorsBackfillOlderIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 64}}
	x := openIndex(t, dir, Options{Embedder: emb})
	papers := passagePapers(passageBody(2))
	apply(t, x, &search.Batch{Upserts: papers})
	// Make it look like an older index: no passage vectors, and a meta
	// file that does not claim them.
	var dels []string
	for n := range bodyChunks(&papers[0]) {
		dels = append(dels, passageID("deep", n))
	}
	x.writeMu.Lock()
	err := x.commitLocked(ctx, x.idx.NewBatch(), nil, dels)
	x.writeMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, vectorDir, metaFile)
	b, err := json.Marshal(vectorMeta{Embedder: emb.Name(), Dim: emb.Dim()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meta, b, 0o644); err != nil {
		t.Fatal(err)
	}
	x.Close()

	y := openIndex(t, dir, Options{Embedder: emb})
	defer y.Close()
	if hits := vectorTop(t, y, "c9s7"); bodyLifts(hits) {
		t.Fatalf("deep found by its body before its passages were embedded: %v", hitScores(hits))
	}
	before := emb.texts.Load()
	if err := y.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// The paper with a body, and its passages; not the nineteen without.
	if n, w := emb.texts.Load()-before, int64(1+len(dels)); n != w {
		t.Fatalf("the upgrade embedded %d texts, want %d", n, w)
	}
	if hits := vectorTop(t, y, "c9s7"); !bodyLifts(hits) {
		t.Fatalf("after the sync: %v, want deep first, above the papers with its title", hitScores(hits))
	}
	before = emb.texts.Load()
	if err := y.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := emb.texts.Load() - before; n != 0 {
		t.Fatalf("a second sync embedded %d texts again", n)
	}
}

// TestPassageVectorsSwitch: turned off, the next sync drops the stored
// passage vectors and embeds nothing, and new papers get a paper vector
// alone; turned back on, the next sync embeds every passage again.
func TestPassageVectorsSwitch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 64}}
	on, off := Options{Embedder: emb}, Options{Embedder: emb, NoPassageVectors: true}
	papers := passagePapers(passageBody(2))
	want := len(bodyChunks(&papers[0]))
	counts := func(x *Index) (papers, passages uint64) {
		st, err := x.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Vectors, st.PassageVectors
	}
	x := openIndex(t, dir, on)
	apply(t, x, &search.Batch{Upserts: papers})
	x.Close()

	if r := mustCheck(t, dir, off); !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "turned off") }) {
		t.Errorf("check with passage vectors off says %q, want a note that the next ingest drops them", r.Notes)
	}
	x = openIndex(t, dir, off)
	before := emb.texts.Load()
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := emb.texts.Load() - before; n != 0 {
		t.Errorf("turning passage vectors off embedded %d texts", n)
	}
	if p, n := counts(x); p != 20 || n != 0 {
		t.Fatalf("off: %d paper and %d passage vectors, want 20 and 0", p, n)
	}
	if hits := vectorTop(t, x, "c9s7"); bodyLifts(hits) {
		t.Fatalf("off: deep still found by its body: %v", hitScores(hits))
	}
	other := papers[0]
	other.ID = "deep2"
	before = emb.texts.Load()
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{other}})
	if n := emb.texts.Load() - before; n != 1 {
		t.Errorf("off: a new paper with a body embedded %d texts, want its own alone", n)
	}
	x.Close()
	if r := mustCheck(t, dir, off); len(r.Notes) != 0 || r.Passages != 0 {
		t.Errorf("off, after the sync: check notes %q, %d passages", r.Notes, r.Passages)
	}

	x = openIndex(t, dir, on)
	defer x.Close()
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if p, n := counts(x); p != 21 || n != uint64(2*want) {
		t.Fatalf("back on: %d paper and %d passage vectors, want 21 and %d", p, n, 2*want)
	}
	if hits := vectorTop(t, x, "c9s7"); len(hits) < 2 || !uniq(ids(&search.Result{Hits: hits[:2]}))["deep"] || !uniq(ids(&search.Result{Hits: hits[:2]}))["deep2"] {
		t.Fatalf("back on: %v, want deep and deep2 first", hitScores(hits))
	}
}

// TestOrphanPassagesDropped: a paper deleted while the index was opened
// without vectors loses its vector and its passages' at the next sync.
func TestOrphanPassagesDropped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{Embedder: probetest.Concepts{Dimensions: 64}}
	x := openIndex(t, dir, opts)
	apply(t, x, &search.Batch{Upserts: passagePapers(passageBody(2))})
	x.Close()
	x = openIndex(t, dir, Options{})
	apply(t, x, &search.Batch{Deletes: []string{"deep"}})
	x.Close()
	x = openIndex(t, dir, opts)
	defer x.Close()
	if err := x.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	st, err := x.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Vectors != 19 || st.PassageVectors != 0 {
		t.Fatalf("after the sync: %d paper and %d passage vectors, want 19 and 0", st.Vectors, st.PassageVectors)
	}
}

// TestHybridReadsStoredPassageVectors: hybrid search scores a BM25 hit's
// best passage with the passage's stored vector, embedding nothing but
// the query, so an embedder over the network gets it too.
func TestHybridReadsStoredPassageVectors(t *testing.T) {
	emb := &zeroForUnknown{Embedder: probetest.Concepts{Dimensions: 64}} // not in process
	x := openIndex(t, t.TempDir(), Options{Embedder: emb})
	defer x.Close()
	apply(t, x, &search.Batch{Upserts: passagePapers(passageBody(2))})
	// Under a filter allowing more vectors than this, the vector half
	// ranks papers by their own vectors: only BM25's best passage can
	// bring deep's method section to it.
	x.vec.passageFilterMax = 5
	deepScoredByPassage(t, x, emb)
}

// deepScoredByPassage: a hybrid search for the method section's concept
// under year:2000 embeds only the query, and gives deep its method
// passage's vector score (about 1).
func deepScoredByPassage(t *testing.T, x *Index, emb *zeroForUnknown) {
	t.Helper()
	ctx := context.Background()
	req, err := search.NewRequest("c9s1 c9s2 year:2000", 5)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode, req.Explain = search.ModeHybrid, true
	before := emb.texts.Load()
	res, err := x.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := emb.texts.Load() - before; n != 1 {
		t.Errorf("the search embedded %d texts, want the query alone", n)
	}
	for _, h := range res.Hits {
		if h.ID == "deep" {
			if h.Explain == nil || h.Explain.VectorScore < 0.9 {
				t.Fatalf("deep explained %+v, want its method passage's vector score (about 1)", h.Explain)
			}
			return
		}
	}
	t.Fatalf("deep, whose body holds the query, is not a hit: %v", hitScores(res.Hits))
}

// bodyLifts reports whether "deep" leads the hits, strictly above the
// next: without its body it ties with p08 and p16, whose title and
// abstract are the same concept as its own.
func bodyLifts(hs []search.Hit) bool {
	return len(hs) > 1 && hs[0].ID == "deep" && hs[1].Score < hs[0].Score-0.01
}

func hitScores(hs []search.Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %.3f", h.ID, h.Score))
	}
	return out
}

func uniq(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func TestSlotRuns(t *testing.T) {
	for _, c := range []struct{ in, want []uint32 }{
		{nil, nil},
		{[]uint32{7}, []uint32{7, 8}},
		{[]uint32{5, 6, 7, 9, 10}, []uint32{5, 8, 9, 11}},
		{[]uint32{12, 3, 4, 11, 3}, []uint32{3, 5, 11, 13}},
	} {
		if got := slotRuns(append([]uint32(nil), c.in...)); !slices.Equal(got, c.want) {
			t.Errorf("slotRuns(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
