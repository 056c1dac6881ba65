package embedded

import (
	"context"
	"fmt"
	"math"
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
	pad := func(s string) string { return strings.Repeat(s+" ", 12) }
	var papers []corpus.Paper
	for i, year := range []int{2001, 2002, 2003} {
		body := "1 Introduction\n\n" + pad("Grassland soils hold nitrogen in many forms across seasons.") + "\n\n" +
			"2 Methods\n\n" + pad(fmt.Sprintf("Plot %d was sampled weekly for nitrogen fixation by clover roots.", i)) + "\n\n" +
			"3 Results\n\n" + pad("Rewetting the dry soil raised microbial respiration sharply.") + "\n"
		papers = append(papers, corpus.Paper{ID: fmt.Sprintf("p%d", i), Title: fmt.Sprintf("Soil study %d", i),
			Abstract: "Nitrogen in grassland soil.", Year: year, FullText: body})
	}
	apply(t, x, &search.Batch{Upserts: papers})
	ctx := context.Background()
	scores := func(q string, depth int, docs passageDocs) map[string]float64 {
		t.Helper()
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		x.opts.RescoreDepth, x.passageDocs = depth, docs
		res, err := x.Search(ctx, search.Request{Query: pq, Mode: search.ModeBM25, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, h := range res.Hits {
			out[h.ID] = h.Score
		}
		return out
	}
	const q = "nitrogen fixation rewetting respiration"
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
