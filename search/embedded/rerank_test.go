package embedded

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// A paper that holds the query in one paragraph ranks above one that
// mentions its words more often but far apart: whole-body BM25 alone
// would put the scattered one first (more occurrences, same length).
func TestPassageRerankPrefersOneParagraph(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	filler := func(i int) string {
		return fmt.Sprintf("Section %d discusses sampling plots weather stations and field notes in region %d. ", i, i)
	}
	var scattered, together strings.Builder
	words := []string{"glacier", "moraine", "lichen", "chronology"}
	for i := range 24 {
		// Each section names one of the words twice; every word occurs
		// twelve times in the paper, never two in the same paragraph.
		fmt.Fprintf(&scattered, "## %d Part\n\n%s%s %s here.\n\n", i+1,
			strings.Repeat(filler(i), 4), words[i%4], words[i%4])
		if i == 11 {
			fmt.Fprintf(&together, "## %d Part\n\n%sThe glacier moraine lichen chronology dates the retreat.\n\n", i+1, strings.Repeat(filler(i), 4))
		} else {
			fmt.Fprintf(&together, "## %d Part\n\n%sNothing of note was seen here.\n\n", i+1, strings.Repeat(filler(i), 4))
		}
	}
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{
		{ID: "scattered", Title: "Field campaign report A", Abstract: "A report.", FullText: scattered.String()},
		{ID: "together", Title: "Field campaign report B", Abstract: "A report.", FullText: together.String()},
	}})
	req, err := search.NewRequest("glacier moraine lichen chronology", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode, req.Passages = search.ModeBM25, true
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].ID != "together" {
		var got []string
		for _, h := range res.Hits {
			got = append(got, fmt.Sprintf("%s %.3f", h.ID, h.Score))
		}
		t.Fatalf("hits %v: want the paper holding the query in one paragraph first", got)
	}
	ps := res.Hits[0].Passages
	if len(ps) == 0 || !strings.Contains(res.Hits[0].Paper.FullText[ps[0].Start:ps[0].End], "glacier moraine lichen chronology") {
		t.Fatalf("best passage %+v does not hold the paragraph", ps)
	}
}

// surveyNotes pads a test paper's full text with words no query asks for.
var surveyNotes = strings.Repeat("Field notes were kept daily by the survey team at each station. ", 6)

// Of two passages holding the same query words as often, the one holding
// them side by side in the query's order ranks first.
func TestPassageRerankPrefersQueryOrder(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	pad := surveyNotes
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{
		{ID: "apart", Title: "Survey report A", Abstract: "A report.",
			FullText: "## 1 Notes\n\n" + pad + "Chronology of the moraine, then the glacier, lichen everywhere.\n"},
		{ID: "inorder", Title: "Survey report B", Abstract: "A report.",
			FullText: "## 1 Notes\n\n" + pad + "The glacier moraine lichen chronology was then written down.\n"},
	}})
	req, err := search.NewRequest("glacier moraine lichen chronology", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode = search.ModeBM25
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].ID != "inorder" || res.Hits[0].Score <= res.Hits[1].Score {
		t.Fatalf("hits %+v: want the words in query order first", res.Hits)
	}
}

// Of two passages holding the same query words as often, none side by
// side in the query's order, the one holding them within a few words of
// each other ranks first (the unordered window).
func TestPassageRerankPrefersNearbyWords(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	pad := surveyNotes
	gap := " basalt ridge cairn scree talus boulder outwash delta kettle "
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{
		// Listed first so that a tie would rank it first.
		{ID: "far", Title: "Survey report A", Abstract: "A report.",
			FullText: "## 1 Notes\n\n" + pad + "Moraine stood" + gap + "glacier went" + gap + "chronology came" + gap + "lichen.\n"},
		{ID: "near", Title: "Survey report B", Abstract: "A report.",
			FullText: "## 1 Notes\n\n" + pad + "Moraine stood glacier went chronology came lichen." + gap + gap + gap + "\n"},
	}})
	req, err := search.NewRequest("glacier moraine lichen chronology", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode = search.ModeBM25
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].ID != "near" || res.Hits[0].Score <= res.Hits[1].Score {
		t.Fatalf("hits %+v: want the words near each other first", res.Hits)
	}
}

// A hit's first passage is the one that scored the paper, even where the
// snippet count (distinct words, then repeats) prefers another.
func TestHitPassagesLeadWithScoringPassage(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	pad := func(s string) string { return strings.Repeat(s+" ", 10) }
	full := "## 1 Setting\n\n" + pad("Field notes were kept daily by the survey team at each station.") +
		"The glacier moraine lichen chronology dates the retreat.\n\n" +
		"## 2 Samples\n\n" + pad("Samples were dried and weighed before the assays began.") +
		"Glacier glacier glacier glacier ice met moraine moraine moraine moraine till.\n"
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{
		{ID: "ft", Title: "Survey report", Abstract: "A report.", FullText: full},
		{ID: "other", Title: "Glacier moraines", Abstract: "Moraines left by a glacier."},
	}})
	req, err := search.NewRequest("glacier moraine lichen chronology", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode, req.Passages = search.ModeBM25, true
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.ID != "ft" {
			continue
		}
		if len(h.Passages) < 2 {
			t.Fatalf("passages %+v, want both sections", h.Passages)
		}
		if p := h.Passages[0]; !strings.Contains(full[p.Start:p.End], "lichen chronology") {
			t.Errorf("first passage %q (snippet score %.0f against %.0f), want the one holding the query", full[p.Start:p.End], p.Score, h.Passages[1].Score)
		}
		return
	}
	t.Fatalf("hits %+v lack the full-text paper", res.Hits)
}

// Passages read from the index (term positions and stored bounds) score
// exactly as the full text cut and analysed at query time, the path
// records stored before passages were indexed take.
func TestIndexedPassagesMatchAnalysed(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	papers := generated(t, synth.Options{Papers: 60, Seed: 5, FullText: true})
	apply(t, x, &search.Batch{Upserts: papers[:30]}) // two segments
	apply(t, x, &search.Batch{Upserts: papers[30:]})
	ctx := context.Background()
	sentence := strings.SplitAfter(papers[7].FullText, ". ")[3]
	for _, qs := range []string{papers[3].Title, sentence, "model data results"} {
		snap, err := x.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		q, err := query.Parse(strings.NewReplacer(":", " ", "(", " ", ")", " ", "-", " ", `"`, " ").Replace(qs))
		if err != nil {
			t.Fatal(err)
		}
		lx, err := x.lexicalHits(ctx, snap, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := lx.rank(ctx, 20); err != nil {
			t.Fatal(err)
		}
		p, c := lx.p, lx.p.bodyClauses()
		if len(lx.top) == 0 || len(c.body) == 0 {
			t.Fatalf("%q: %d hits, %d body clauses", qs, len(lx.top), len(c.body))
		}
		postedAll, wholes, err := p.postedOccurrences(context.Background(), lx.top, c.body)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range lx.top {
			hit, err := p.load(s)
			if err != nil {
				t.Fatal(err)
			}
			paper := hit.Paper
			body, chunks, err := p.loadPassages(s)
			if err != nil {
				t.Fatal(err)
			}
			if body.FullText != paper.FullText {
				t.Fatalf("%s: passages read %d bytes of full text, the record %d", paper.ID, len(body.FullText), len(paper.FullText))
			}
			if chunks == nil {
				t.Fatalf("%s: no stored passages", paper.ID)
			}
			if want := bodyChunks(&paper); !slices.Equal(chunks, want) {
				t.Fatalf("%s: stored passages %v, cut now %v", paper.ID, chunks, want)
			}
			posted, wholeP := postedAll[i], wholes[i]
			analysed, wholeA := p.analysedOccurrences(paper.FullText, c)
			if !slices.Equal(posted, analysed) {
				t.Fatalf("%q %s: %d occurrences from postings, %d analysed", qs, paper.ID, len(posted), len(analysed))
			}
			if math.Abs(wholeP-wholeA) > 1e-3*wholeA {
				t.Errorf("%q %s: whole-body score %g from postings, %g analysed", qs, paper.ID, wholeP, wholeA)
			}
			a, qa := p.scorePassages(posted, chunks, c)
			b, qb := p.scorePassages(analysed, bodyChunks(&paper), c)
			if !slices.Equal(a, b) || qa != qb {
				t.Errorf("%q %s: best passage %+v quoting %g from the index, %+v quoting %g analysed", qs, paper.ID, a, qa, b, qb)
			}
		}
		snap.Close()
	}
}

// A quoted sentence's pairs keep the stop words between them: "glacier
// of the moraine" is an ordered pair three positions apart, and a
// passage holding it so ranks above one with the pair reversed.
func TestPassageRerankPairsAcrossStopWords(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	pad := surveyNotes
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{
		// Listed first so that a tie would rank it first.
		{ID: "reversed", Title: "Survey report A", Abstract: "A report.",
			FullText: "## 1 Notes\n\n" + pad + "The moraine of the glacier was mapped.\n"},
		{ID: "quoted", Title: "Survey report B", Abstract: "A report.",
			FullText: "## 1 Notes\n\n" + pad + "The glacier of the moraine was mapped.\n"},
	}})
	req, err := search.NewRequest("glacier of the moraine", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode = search.ModeBM25
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].ID != "quoted" || res.Hits[0].Score <= res.Hits[1].Score {
		t.Fatalf("hits %+v: want the pair in the query's order first", res.Hits)
	}
}

// A query is a quotation when a rescored hit's passage holds most of its
// neighbouring pairs in order, and it has enough of them: a pasted
// sentence is one, with a word or two changed; its words shuffled, a third
// of its pairs in order, a few words that occur verbatim, or a query
// matching only titles are not.
func TestQuotationDetected(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	pad := surveyNotes
	sentence := "Meltwater channels beneath the northern glacier carried fine sediment toward the terminal moraine every spring."
	apply(t, x, &search.Batch{Upserts: []corpus.Paper{
		{ID: "source", Title: "Glacier survey", Abstract: "A report.", FullText: "## 1 Notes\n\n" + pad + sentence + "\n"},
		{ID: "other", Title: "Moraine survey", Abstract: "A report on sediment.", FullText: "## 1 Notes\n\n" + pad + "Spring sediment reached the moraine.\n"},
		{ID: "titled", Title: "Meltwater channels beneath the northern glacier carried fine sediment", Abstract: "A report."},
	}})
	snap, err := x.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	for _, c := range []struct {
		q    string
		want int
	}{
		{sentence, 1},
		{"Meltwater channels under the northern glacier carried daily sediment toward the terminal moraine every spring", 1},
		{"meltwater channels beneath the northern glacier moraine terminal sediment fine carried spring", 0}, // a third in order
		{"moraine terminal toward sediment fine carried glacier northern beneath channels meltwater spring", 0},
		{"northern glacier carried fine sediment", 0}, // four pairs: a topic's words
		{"daily survey notes station team field", 0},  // the pad's words, out of order
	} {
		pq, err := query.Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		m, err := newLexHalf(x, snap).Match(context.Background(), pq, nil)
		if err != nil {
			t.Fatal(err)
		}
		top, err := m.Rank(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.(hybrid.Quotations).Quoted(); got != c.want {
			t.Errorf("%q: quoted %v, want %v", c.q, got, c.want)
		}
		if c.want > 0 && top[0].ID != "source" {
			t.Errorf("%q: ranked %+v, want the quoted source first", c.q, top)
		}
	}
}

// A pasted sentence finds its source first, in both modes, above a
// sibling paper whose title and abstract hold the same words and whose
// body holds them out of order; and the source's first passage is the
// one that quotes it, not one that only repeats its rarer words.
func TestQuotationSourceFirst(t *testing.T) {
	t.Parallel()
	x, err := Open(filepath.Join(t.TempDir(), "idx"), Options{LocalEmbedder: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sentence := "Meltwater channels beneath the northern glacier carried fine sediment toward the terminal moraine every spring."
	// Half the sentence's pairs, each word many times: a passage that
	// outscores the quoting one on its words.
	half := "Meltwater channels beneath the northern glacier; the terminal moraine every spring. "
	// Other papers, so the local embedder has enough to learn from.
	papers := generated(t, synth.Options{Papers: 40, Seed: 9})
	apply(t, x, &search.Batch{Upserts: append(papers, []corpus.Paper{
		{ID: "sibling", Title: "Meltwater channels and sediment of a northern glacier's terminal moraine",
			Abstract: "Fine sediment in meltwater channels beneath the northern glacier, carried each spring to the terminal moraine.",
			FullText: "## 1 Notes\n\n" + surveyNotes + "Every spring the moraine, terminal and fine, carried sediment; the northern channels beneath meltwater glacier toward.\n"},
		{ID: "source", Title: "Field season report", Abstract: "A report.",
			FullText: "## 1 Setting\n\n" + strings.Repeat(half, 6) + "\n\n## 2 Notes\n\n" + surveyNotes + sentence + "\n"},
	}...)})
	if err := x.SyncVectors(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{search.ModeBM25, search.ModeHybrid} {
		req, err := search.NewRequest(sentence, 10)
		if err != nil {
			t.Fatal(err)
		}
		req.Mode, req.Passages = mode, true
		res, err := x.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) < 2 || res.Hits[0].ID != "source" {
			t.Fatalf("%s: hits %v, want the source first", mode, ids(res))
		}
		h := res.Hits[0]
		if len(h.Passages) == 0 || !strings.Contains(h.Paper.FullText[h.Passages[0].Start:h.Passages[0].End], sentence) {
			t.Errorf("%s: first passage %+v does not hold the sentence", mode, h.Passages)
		}
	}
}
