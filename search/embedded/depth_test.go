package embedded

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// TestRescoreDepth measures what rescoring only the best RescoreDepth
// whole-body hits by passage loses against rescoring every hit (each
// paper ranked by its best passage), and how much of it the passage
// documents (passdocs.go) win back: on
// an index built by 'quire bench --full-text --index DIR', titles (a
// topic's words) and body sentences (known items) of papers drawn at
// random, top ten compared. Logged, not asserted: a measurement.
//
//	QUIRE_BENCH_INDEX=DIR go test ./search/embedded -run TestRescoreDepth -v
//
// QUIRE_MEASURE_DEPTH compares with that depth instead of every hit, and
// QUIRE_MEASURE_QUERIES sets the number of papers drawn (200).
func TestRescoreDepth(t *testing.T) {
	dir := os.Getenv("QUIRE_BENCH_INDEX")
	if dir == "" {
		t.Skip("a measurement: set QUIRE_BENCH_INDEX to a full-text index built by 'quire bench --full-text --index DIR'")
	}
	x, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	n, err := x.Count()
	if err != nil {
		t.Fatal(err)
	}
	queries, _ := strconv.Atoi(os.Getenv("QUIRE_MEASURE_QUERIES"))
	if queries <= 0 {
		queries = 200
	}
	r := rand.New(rand.NewPCG(7, 11))
	pick := map[int]bool{}
	for len(pick) < min(queries, int(n)) {
		pick[r.IntN(int(n))] = true
	}
	type item struct{ id, title, sentence string }
	var items []item
	i := 0
	ctx := context.Background()
	err = x.EachPaper(ctx, func(p *corpus.Paper) error {
		if pick[i] {
			items = append(items, item{p.ID, p.Title, bodySentence(p.FullText, r)})
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deep := int(n) // every hit
	if d, _ := strconv.Atoi(os.Getenv("QUIRE_MEASURE_DEPTH")); d > 0 {
		deep = d
	}
	docs := x.passageDocs
	if docs == nil {
		t.Log("this index has no complete passage documents: 'quire ingest' (of anything, or nothing) or 'quire check --repair' builds them")
	}
	type arm struct {
		name  string
		depth int
		docs  passageDocs
	}
	arms := []arm{{"best 50", passageRerankDepth, nil}, {"best 50 + passage documents", passageRerankDepth, docs},
		{"best " + strconv.Itoa(deep), deep, nil}}
	if docs == nil {
		arms = slices.Delete(arms, 1, 2)
	}
	top := func(text string, a arm) ([]string, time.Duration) {
		x.opts.RescoreDepth, x.passageDocs = a.depth, a.docs
		t0 := time.Now()
		res, err := x.Search(ctx, search.Request{Query: query.Query{Text: text}, Mode: search.ModeBM25, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		return ids, time.Since(t0)
	}
	for _, kind := range []string{"title", "sentence"} {
		first := make([]int, len(arms))
		same := make([]int, len(arms))
		overlap := make([]int, len(arms))
		took := make([][]time.Duration, len(arms))
		asked := 0
		for _, it := range items {
			text := it.title
			if kind == "sentence" {
				text = it.sentence
			}
			if text == "" {
				continue
			}
			asked++
			got := make([][]string, len(arms))
			for i, a := range arms {
				var d time.Duration
				got[i], d = top(text, a)
				took[i] = append(took[i], d)
				if len(got[i]) > 0 && got[i][0] == it.id {
					first[i]++
				}
			}
			ref := got[len(arms)-1]
			for i := range arms {
				if len(got[i]) > 0 && len(ref) > 0 && got[i][0] == ref[0] {
					same[i]++
				}
				for _, id := range got[i] {
					if slices.Contains(ref, id) {
						overlap[i]++
					}
				}
			}
		}
		for i, a := range arms {
			t.Logf("%s queries (%d, %d papers), %s: its paper first %d; same first hit as %s %d, top-10 overlap %.2f; p50 %v",
				kind, asked, n, a.name, first[i], arms[len(arms)-1].name, same[i], float64(overlap[i])/float64(max(asked, 1)), median(took[i]))
		}
	}
}

// bodySentence is a sentence of 12 to 40 words from a full text, drawn at
// random; "" when it has none.
func bodySentence(text string, r *rand.Rand) string {
	var ss []string
	for _, s := range strings.SplitAfter(text, ". ") {
		if w := len(strings.Fields(s)); w >= 12 && w <= 40 && !strings.Contains(s, "\n") {
			ss = append(ss, strings.TrimSpace(s))
		}
	}
	if len(ss) == 0 {
		return ""
	}
	return ss[r.IntN(len(ss))]
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2].Round(100 * time.Microsecond)
}
