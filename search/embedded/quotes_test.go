package embedded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// A pasted sentence finds the paper that quotes it even when whole-body
// BM25 ranks that paper below the hits it rescores: sixty papers carry
// the sentence's words in their titles, abstracts and bodies, never in
// its order, and the source holds it once in a long body about
// something else. Filters still hold for the source found this way.
func TestQuotationSourceBeyondRescoredHits(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	sentence := "Meltwater channels beneath the northern glacier carried fine sediment toward the terminal moraine every spring."
	words := strings.Fields("meltwater channels beneath northern glacier carried fine sediment toward terminal moraine every spring")
	var papers []corpus.Paper
	for i := range 60 {
		var body strings.Builder
		for j := range 12 {
			// One of the words a paragraph, far from the others.
			fmt.Fprintf(&body, "## %d Part\n\n%s%s was noted.\n\n", j+1, surveyNotes, words[(i+j)%len(words)])
		}
		w := slices.Clone(words)
		slices.Reverse(w)
		papers = append(papers, corpus.Paper{
			ID: fmt.Sprintf("decoy%02d", i), Year: 2020,
			Title:    fmt.Sprintf("%s %s and %s %s, study %d", w[i%13], w[(i+3)%13], w[(i+5)%13], w[(i+7)%13], i),
			Abstract: strings.Join(w, ", ") + ".", FullText: body.String(),
		})
	}
	papers = append(papers, corpus.Paper{ID: "source", Title: "Field season report", Abstract: "A report.", Year: 2010,
		FullText: "## 1 Setting\n\n" + strings.Repeat(surveyNotes+"\n\n", 30) + "## 2 Notes\n\n" + sentence + "\n\n## 3 Later\n\n" + strings.Repeat(surveyNotes+"\n\n", 30)})
	apply(t, x, &search.Batch{Upserts: papers})

	rank := func(q string, limit int) (int, *search.Result) {
		req, err := search.NewRequest(q, limit)
		if err != nil {
			t.Fatal(err)
		}
		req.Mode, req.Passages = search.ModeBM25, true
		res, err := x.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(res)
		if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
			t.Fatalf("%q: a paper twice in %v", q, got)
		}
		return slices.Index(got, "source"), res
	}
	// The same words out of order: no paper quotes them, and the source
	// is where whole-body BM25 puts it, beyond the rescored hits.
	shuffled := "moraine terminal the toward sediment fine carried glacier northern the beneath channels meltwater every spring"
	if r, _ := rank(shuffled, 100); r >= 0 && r < passageRerankDepth {
		t.Fatalf("the source ranks %d by its words alone; the test needs it beyond %d", r, passageRerankDepth)
	}
	// Asked for 10 or for 100 (then the source is also among the hits
	// past the rescored ones), the source is first, once.
	if r, res := rank(sentence, 10); r != 0 {
		t.Fatalf("source at %d, want first: %v", r, ids(res)[:min(5, len(res.Hits))])
	}
	r, res := rank(sentence, 100)
	if r != 0 || len(res.Hits) != 61 {
		t.Fatalf("source at %d of %d hits, want first: %v", r, len(res.Hits), ids(res)[:min(5, len(res.Hits))])
	}
	h := res.Hits[0]
	if len(h.Passages) == 0 || !strings.Contains(h.Paper.FullText[h.Passages[0].Start:h.Passages[0].End], sentence) {
		t.Errorf("first passage %+v does not hold the sentence", h.Passages)
	}
	if r, res := rank(sentence+" year:2015..", 100); r >= 0 || res.Total != 60 {
		t.Errorf("under year:2015.. the source is at %d of %d hits", r, res.Total)
	}
}

func TestInOrder(t *testing.T) {
	for _, c := range []struct {
		a, b []int
		gap  int
		want bool
	}{
		{[]int{3}, []int{4}, 1, true},
		{[]int{3}, []int{5}, 1, false},
		{[]int{3}, []int{5}, 2, true},
		{[]int{4}, []int{3}, 3, false}, // before, not after
		{[]int{3}, []int{3}, 1, false},
		{[]int{1, 10, 20}, []int{2}, 1, true},
		{[]int{1, 10, 20}, []int{12, 22}, 2, true},
		{[]int{1, 10, 20}, []int{15, 30}, 2, false},
		{nil, []int{1}, 1, false},
	} {
		if got := inOrder(c.a, c.b, c.gap); got != c.want {
			t.Errorf("inOrder(%v, %v, %d) = %v", c.a, c.b, c.gap, got)
		}
	}
}
