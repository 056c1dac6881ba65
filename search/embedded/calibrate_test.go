package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/probe/probetest"
	"github.com/quire-research/quire/search/query"
)

// conceptIndex indexes n papers of probetest's concept corpus (years 2000
// to 2004) with emb, and syncs the vectors.
func conceptIndex(t *testing.T, dir string, n int, emb embed.Embedder, adaptive bool) *Index {
	t.Helper()
	x, err := Open(dir, Options{Embedder: emb, Adaptive: adaptive})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	addConcepts(t, x, 0, n)
	return x
}

func addConcepts(t *testing.T, x *Index, from, to int) {
	t.Helper()
	var b search.Batch
	for i, text := range probetest.Texts(to, 5)[from:] {
		title, abstract, _ := strings.Cut(text, "\n")
		b.Upserts = append(b.Upserts, corpus.Paper{ID: fmt.Sprintf("p%d", from+i), Title: title, Abstract: abstract, Year: 2000 + (from+i)%5})
	}
	apply(t, x, &b)
	if err := x.SyncVectors(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestCalibrationLeansWhereVectorsWin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	x := conceptIndex(t, dir, 1500, probetest.Concepts{Dimensions: 64}, true)
	ctx := context.Background()
	c := x.Calibration()
	if c == nil {
		t.Fatal("no calibration after syncing vectors")
	}
	t.Logf("calibration %+v", *c)
	if !c.Lean || c.Weight != leanWeight || c.VectorMRR-c.BM25MRR < leanGain || c.Probes < 50 {
		t.Errorf("calibration %+v: want the vector half to lead and a weight of %v", *c, leanWeight)
	}

	// A query in one paper's words: the BM25 half is expanded, and a
	// filter holds in both rounds.
	p0, err := x.Get(ctx, "p0")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(p0.Abstract)[:6], " ")
	q, err := query.Parse(text + " year:2000")
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(ctx, search.Request{Query: q, Limit: 50, Mode: search.ModeHybrid, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Expansion) == 0 {
		t.Fatal("hybrid search on a vector-led corpus expanded nothing")
	}
	qterms := probetest.Words(text)
	for _, term := range res.Expansion {
		if slices.Contains(qterms, term) {
			t.Errorf("expansion lists %q, which the query already has", term)
		}
	}
	if len(res.Hits) != 50 {
		t.Errorf("%d hits, want a full page of 50", len(res.Hits))
	}
	for _, h := range res.Hits {
		if h.Paper.Year != 2000 {
			t.Errorf("hit %s from %d passed the filter year:2000", h.ID, h.Paper.Year)
		}
	}
	if res.Hits[0].ID != "p0" {
		t.Errorf("first hit %s, want p0, the paper the words came from", res.Hits[0].ID)
	}
	// BM25 mode is never expanded.
	bm, err := x.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeBM25})
	if err != nil {
		t.Fatal(err)
	}
	if len(bm.Expansion) != 0 {
		t.Errorf("BM25 search expanded with %v", bm.Expansion)
	}
	// A sentence quoted from a paper's body is no title-like query: it is
	// fused at the engine's own weight and not expanded.
	sentence := "Meltwater channels beneath the northern glacier carried fine sediment toward the terminal moraine every spring"
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{{ID: "quoted", Title: "Field notes", FullText: "## 1 Notes\n\n" + sentence + ".\n"}}})
	qs, err := query.Parse(sentence)
	if err != nil {
		t.Fatal(err)
	}
	quoted, err := x.Search(ctx, search.Request{Query: qs, Limit: 10, Mode: search.ModeHybrid})
	if err != nil {
		t.Fatal(err)
	}
	if len(quoted.Expansion) != 0 || len(quoted.Hits) == 0 || quoted.Hits[0].ID != "quoted" {
		t.Errorf("quoted sentence: expansion %v, hits %v; want none and the quoted paper first", quoted.Expansion, ids(quoted))
	}

	// The verdict is kept: a reopened index has it without probing again.
	path := filepath.Join(dir, vectorDir, calibrationFile)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y, err := Open(dir, Options{Embedder: probetest.Concepts{Dimensions: 64}, Adaptive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if got := y.Calibration(); got == nil || *got != *c {
		t.Errorf("reopened calibration %v, want %+v", got, *c)
	}
	if err := y.SyncVectors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if after, err := os.Stat(path); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("a sync with nothing new probed again (%v)", err)
	}
	st, err := y.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Calibration == nil || !st.Calibration.Lean {
		t.Errorf("stats calibration %+v", st.Calibration)
	}
	// Without adaptation the same index fuses as configured.
	y.opts.Adaptive = false
	if y.Calibration() != nil {
		t.Error("calibration reported with adaptation off")
	}
	res, err = y.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeHybrid})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Expansion) != 0 {
		t.Errorf("expanded with adaptation off: %v", res.Expansion)
	}
}

func TestCalibrationKeepsBM25WhereVectorsLose(t *testing.T) {
	x := conceptIndex(t, filepath.Join(t.TempDir(), "idx"), 1500, probetest.Noise{Dimensions: 64}, true)
	c := x.Calibration()
	if c == nil {
		t.Fatal("no calibration after syncing vectors")
	}
	if c.Lean || c.Weight != DefaultVectorWeight {
		t.Errorf("calibration %+v: want BM25 to lead and the configured weight %v", *c, DefaultVectorWeight)
	}
	res, err := x.Search(context.Background(), search.Request{Query: query.Query{Text: "c1s1 c2s2 c3s3"}, Limit: 10, Mode: search.ModeHybrid})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Expansion) != 0 {
		t.Errorf("expanded with %v where BM25 leads", res.Expansion)
	}
}

func TestCalibrationFollowsTheIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	x := conceptIndex(t, dir, 400, probetest.Concepts{Dimensions: 32}, true)
	first := x.Calibration()
	if first == nil {
		t.Fatal("no calibration")
	}
	// Growing by less than a quarter keeps the verdict; more probes again.
	addConcepts(t, x, 400, 480)
	if got := x.calibration().Papers; got != 400 {
		t.Errorf("probed again at 480 papers (verdict for %d)", got)
	}
	addConcepts(t, x, 480, 600)
	if got := x.calibration().Papers; got != 600 {
		t.Errorf("verdict for %d papers after growing to 600", got)
	}
	// A damaged file is only a cache: the index opens and probes again.
	x.Close()
	path := filepath.Join(dir, vectorDir, calibrationFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	y, err := Open(dir, Options{Embedder: probetest.Concepts{Dimensions: 32}, Adaptive: true})
	if err != nil {
		t.Fatalf("open with a damaged %s: %v", calibrationFile, err)
	}
	defer y.Close()
	if y.Calibration() != nil {
		t.Error("a damaged verdict was used")
	}
	if err := y.SyncVectors(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if c := y.Calibration(); c == nil || c.Probes == 0 {
		t.Errorf("no verdict after syncing: %v", c)
	}
}

func TestNoCalibrationWithoutAdaptation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	x := conceptIndex(t, dir, 300, probetest.Concepts{Dimensions: 32}, false)
	if x.Calibration() != nil {
		t.Error("calibration without adaptation")
	}
	if _, err := os.Stat(filepath.Join(dir, vectorDir, calibrationFile)); !os.IsNotExist(err) {
		t.Errorf("probed without adaptation (%v)", err)
	}
}

// TestCalibrationIgnoresPaperOrder: the same papers written in another
// order (as merges reorder bleve's segments) get the same probe result;
// the sample and the probe's choices once followed segment order.
func TestCalibrationIgnoresPaperOrder(t *testing.T) {
	texts := probetest.Texts(400, 5)
	build := func(order []int) *search.Calibration {
		x, err := Open(filepath.Join(t.TempDir(), "idx"), Options{Embedder: probetest.Concepts{Dimensions: 32}, Adaptive: true})
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		// Small batches: each becomes a segment of its own.
		for c := range slices.Chunk(order, 10) {
			var b search.Batch
			for _, i := range c {
				title, abstract, _ := strings.Cut(texts[i], "\n")
				b.Upserts = append(b.Upserts, corpus.Paper{ID: fmt.Sprintf("p%03d", i), Title: title, Abstract: abstract})
			}
			apply(t, x, &b)
		}
		if err := x.SyncVectors(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return x.Calibration()
	}
	fwd := make([]int, len(texts))
	for i := range fwd {
		fwd[i] = i
	}
	rev := slices.Clone(fwd)
	slices.Reverse(rev)
	a, b := build(fwd), build(rev)
	if a == nil || b == nil {
		t.Fatal("no calibration")
	}
	if *a != *b {
		t.Errorf("same papers, another order: probe %+v, then %+v", *a, *b)
	}
}

func TestEvenSampleIsASetOfIDs(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("paper-%d", i)
	}
	pick := func(ids []string) map[string]bool {
		want, got := evenSample(len(ids), 100), map[string]bool{}
		for _, id := range ids {
			if want(id) {
				got[id] = true
			}
		}
		return got
	}
	a := pick(ids)
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	b := pick(rev)
	if len(a) < 50 || len(a) > 200 {
		t.Errorf("sample of about 100 from 1,000 has %d", len(a))
	}
	for id := range a {
		if !b[id] {
			t.Fatalf("%s sampled in one order, not the other", id)
		}
	}
	if len(a) != len(b) {
		t.Errorf("samples of %d and %d", len(a), len(b))
	}
}
