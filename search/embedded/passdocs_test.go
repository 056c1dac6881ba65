package embedded

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// fixedDocs is a passageDocs that names the same papers for every query.
type fixedDocs []string

func (f fixedDocs) papers(context.Context, clauses) ([]string, error) { return f, nil }

// A paper that passage documents name is ranked by its best passage, as
// if rescoring had reached it, and only when the filters allow it.
func TestPassageDocsCandidatesScoredAsRescored(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	papers := soilPapers(3)
	apply(t, x, &search.Batch{Upserts: papers})
	scores := func(q string, depth int, docs passageDocs) map[string]float64 {
		t.Helper()
		x.passageDocs = docs
		return scoresOf(t, x, q, depth)
	}
	// As long as a sentence, its words out of the passage's order: no
	// quotation, which would find its sources another way (quotes.go).
	const q = "sharply respiration microbial raised soil dry the rewetting nitrogen grassland"
	all := scores(q, 50, nil)
	shallow := scores(q, 1, nil)
	if len(all) != 3 {
		t.Fatalf("hits %v, want 3", all)
	}
	var last string // a paper depth 1 leaves unrescored
	for id, s := range shallow {
		if math.Abs(s-all[id]) > 1e-9 {
			last = id
		}
	}
	if last == "" {
		t.Fatalf("depth 1 scores %v equal depth 50's %v: the test needs a paper rescoring changes", shallow, all)
	}
	named := scores(q, 1, fixedDocs{last})
	if math.Abs(named[last]-all[last]) > 1e-9 {
		t.Errorf("%s named by passage documents scores %v, want %v as rescored (unnamed: %v)", last, named[last], all[last], shallow[last])
	}
	year := map[string]int{"p0": 2001, "p1": 2002, "p2": 2003}[last]
	other := 2001
	if year == 2001 {
		other = 2002
	}
	filtered := scores(fmt.Sprintf("%s year:%d", q, other), 1, fixedDocs{last})
	if _, ok := filtered[last]; ok || len(filtered) != 1 {
		t.Errorf("year:%d gave %v: a named paper outside the filter must not appear", other, filtered)
	}
}

// soilPapers are three full texts of three sections each, which the
// chunker keeps as passages of their own.
func soilPapers(sections int) []corpus.Paper {
	pad := func(s string) string { return strings.Repeat(s+" ", 12) }
	var out []corpus.Paper
	for i, year := range []int{2001, 2002, 2003} {
		body := "1 Introduction\n\n" + pad("Grassland soils hold nitrogen in many forms across seasons.") + "\n\n"
		if sections > 1 {
			body += "2 Methods\n\n" + pad(fmt.Sprintf("Plot %d was sampled weekly for nitrogen fixation by clover roots.", i)) + "\n\n"
		}
		if sections > 2 {
			body += "3 Results\n\n" + pad("Rewetting the dry soil raised microbial respiration sharply.") + "\n"
		}
		out = append(out, corpus.Paper{ID: fmt.Sprintf("p%d", i), Title: fmt.Sprintf("Soil study %d", i),
			Abstract: "Nitrogen in grassland soil.", Year: year, FullText: body})
	}
	return out
}

// storedPassageCount counts a paper's passage documents.
func storedPassageCount(t *testing.T, x *Index, paper string) int {
	t.Helper()
	n := 0
	for ; ; n++ {
		d, err := x.passages.idx.Document(passageID(paper, n))
		if err != nil {
			t.Fatal(err)
		}
		if d == nil {
			return n
		}
	}
}

// Passage documents name every paper whose passage matches, so a search
// that rescores one hit by whole body ranks all three as if it rescored
// all; they follow a shorter text and a deletion, and an index made
// before them gets them at its next sync.
func TestPassageDocuments(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { x.Close() }()
	apply(t, x, &search.Batch{Upserts: soilPapers(3)})
	ctx := context.Background()
	// As long as a sentence, its words out of the passage's order: no
	// quotation, which would find its sources another way (quotes.go).
	const q = "sharply respiration microbial raised soil dry the rewetting nitrogen grassland"
	scores := func(depth int) map[string]float64 { return scoresOf(t, x, q, depth) }
	asRescored := func() bool {
		t.Helper()
		all, one := scores(50), scores(1)
		for id, s := range all {
			if math.Abs(one[id]-s) > 1e-9 {
				return false
			}
		}
		return len(all) == 3
	}
	if !asRescored() {
		t.Errorf("with passage documents, depth 1 scores %v, want depth 50's %v", scores(1), scores(50))
	}
	// A topic's few words are ranked by whole text alone.
	if topic := "nitrogen fixation rewetting respiration"; scoresOf(t, x, topic, 1)["p0"] == scoresOf(t, x, topic, 50)["p0"] &&
		scoresOf(t, x, topic, 1)["p2"] == scoresOf(t, x, topic, 50)["p2"] {
		t.Errorf("%q: depth 1 scores as depth 50 (%v): passage documents searched for a topic's words", topic, scoresOf(t, x, topic, 1))
	}
	if got := storedPassageCount(t, x, "p1"); got != 3 {
		t.Fatalf("p1 has %d passage documents, want 3", got)
	}
	// A shorter text leaves no passage behind; a deleted paper none.
	short := soilPapers(1)
	apply(t, x, &search.Batch{Upserts: short[1:2], Deletes: []string{"p2"}})
	if got := storedPassageCount(t, x, "p1"); got != 1 {
		t.Errorf("p1 shortened to one section has %d passage documents, want 1", got)
	}
	if got := storedPassageCount(t, x, "p2"); got != 0 {
		t.Errorf("deleted p2 has %d passage documents, want 0", got)
	}

	// An index from before passage documents: none until the sync.
	apply(t, x, &search.Batch{Upserts: soilPapers(3)})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, passagesDir)); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.passageDocs != nil {
		t.Error("a reader of an index without passage documents searches with some")
	}
	r.Close()
	if x, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if asRescored() {
		t.Fatal("depth 1 ranks as depth 50 with no passage documents: the test cannot tell them apart")
	}
	var phases []string
	if err := x.SyncVectors(ctx, func(phase string, done, total int) { phases = append(phases, fmt.Sprint(phase, done, total)) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(phases, "index passages3 3") {
		t.Errorf("sync progress %q, want index passages 3 of 3", phases)
	}
	if !asRescored() {
		t.Errorf("after the sync, depth 1 scores %v, want depth 50's %v", scores(1), scores(50))
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if r, err = Open(dir, Options{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.passageDocs == nil {
		t.Error("a reader of a synced index searches without its passage documents")
	}
}

// Check counts the passage documents against the papers' passages, notes
// a difference, and --repair rebuilds them.
func TestCheckPassageDocuments(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, x, &search.Batch{Upserts: soilPapers(3)})
	// A write stopped between the two halves: one passage document lost.
	if err := x.passages.idx.Delete(passageID("p1", 2)); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := Check(ctx, dir, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.BodyPassages != 9 || r.PassageDocs != 8 || !r.OK() || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "8 passage documents for the papers' 9") {
		t.Fatalf("check: %d passage documents of %d, notes %q, problems %q; want 8 of 9 and a note", r.PassageDocs, r.BodyPassages, r.Notes, r.Problems)
	}
	if r, err = Check(ctx, dir, Options{}, true); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.Repaired, "rebuilt the passage documents from the papers") {
		t.Errorf("repair did %q", r.Repaired)
	}
	if r, err = Check(ctx, dir, Options{}, false); err != nil || r.PassageDocs != 9 || len(r.Notes) != 0 {
		t.Errorf("after repair: %d passage documents of %d, notes %q (%v)", r.PassageDocs, r.BodyPassages, r.Notes, err)
	}
}

// scoresOf runs a BM25 search (query syntax) rescoring the best depth
// hits by passage.
func scoresOf(t *testing.T, x *Index, q string, depth int) map[string]float64 {
	t.Helper()
	pq, err := query.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	x.opts.RescoreDepth = depth
	res, err := x.Search(context.Background(), search.Request{Query: pq, Mode: search.ModeBM25, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, h := range res.Hits {
		out[h.ID] = h.Score
	}
	return out
}

// Passage documents rank by the weight of the query's words each holds:
// the passage with every word first, then the one with the rare words
// over the one that repeats the common ones; a deleted paper's passages
// never.
func TestPassageCandidatesByHeldTerms(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	paper := func(id, body string) corpus.Paper {
		return corpus.Paper{ID: id, Title: "Sky survey " + id, Abstract: "Observations.", Year: 2001, FullText: "1 Results\n\n" + body + "\n"}
	}
	papers := []corpus.Paper{
		paper("common", "The galaxy and the comet, the galaxy again, and the comet again, were seen in the galaxy."),
		paper("rare", "A magnetar beside a blazar was seen once."),
		paper("all", "A magnetar and a blazar lit the galaxy behind a comet."),
	}
	for i := range 10 {
		papers = append(papers, paper(fmt.Sprintf("filler%d", i), "Every galaxy has a comet or two."))
	}
	apply(t, x, &search.Batch{Upserts: papers})
	pi := x.passages
	candidates := func(want int) []string {
		t.Helper()
		snap, err := x.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Close()
		p := &plan{x: x, snap: snap, segs: snap.Segments()}
		if err := p.prepareTerms(query.Query{Text: "galaxy comet magnetar blazar"}); err != nil {
			t.Fatal(err)
		}
		pi.want = want
		ids, err := pi.papers(context.Background(), p.bodyClauses())
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := candidates(2); !slices.Equal(got, []string{"all", "rare"}) {
		t.Errorf("best two passages' papers %q, want all, then rare", got)
	}
	apply(t, x, &search.Batch{Deletes: []string{"all"}})
	if got := candidates(2); len(got) == 0 || got[0] != "rare" || slices.Contains(got, "all") {
		t.Errorf("after deleting all: %q, want rare first and all gone", got)
	}
}

// Equal scores go to the earlier document whatever order the workers
// offer them in, so a search does not depend on the schedule.
func TestTopIgnoresOfferOrder(t *testing.T) {
	t.Parallel()
	items := []scored{{1, 0, 5}, {1, 0, 3}, {2, 1, 1}, {1, 1, 0}, {0.5, 0, 9}}
	want := []scored{{2, 1, 1}, {1, 0, 3}, {1, 0, 5}}
	var permute func(k int)
	permute = func(k int) {
		if k == len(items) {
			top := &sharedTop{want: 3}
			for _, s := range items {
				top.offer(s)
			}
			got := make([]scored, len(top.h))
			for i := len(got) - 1; i >= 0; i-- {
				got[i] = heap.Pop(&top.h).(scored)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("offered %v: kept %v, want %v", items, got, want)
			}
			return
		}
		for i := k; i < len(items); i++ {
			items[k], items[i] = items[i], items[k]
			permute(k + 1)
			items[k], items[i] = items[i], items[k]
		}
	}
	permute(0)
}
