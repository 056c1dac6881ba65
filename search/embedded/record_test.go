package embedded

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// Records written by older versions (the full text inside the JSON
// record, with or without passage bounds) must read and search as records
// written now: the same papers from Get, the same hits, scores and
// passages, and a clean check.
func TestOlderRecordsReadTheSame(t *testing.T) {
	t.Parallel()
	papers := generated(t, synth.Options{Papers: 60, Seed: 9, FullText: true})
	ctx := context.Background()
	sentence := strings.SplitAfter(papers[11].FullText, ". ")[2]
	queries := []string{papers[4].Title, sentence, "model data results"}
	results := map[recordFormat][]*search.Result{}
	for _, f := range []recordFormat{recordSplit, recordBodyInSrc, recordNoPassages} {
		x := newTestIndex(t)
		x.an.legacy = f
		apply(t, x, &search.Batch{Upserts: papers[:30]}) // two segments
		apply(t, x, &search.Batch{Upserts: papers[30:]})
		for _, i := range []int{0, 11, 59} {
			got, err := x.Get(ctx, papers[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, papers[i]) {
				t.Fatalf("format %d: Get(%s) differs from the paper written (full text %d bytes, want %d)",
					f, papers[i].ID, len(got.FullText), len(papers[i].FullText))
			}
		}
		for _, qs := range queries {
			q, err := query.Parse(strings.NewReplacer(":", " ", "(", " ", ")", " ", "-", " ", `"`, " ").Replace(qs))
			if err != nil {
				t.Fatal(err)
			}
			res, err := x.Search(ctx, search.Request{Query: q, Limit: 10, Mode: search.ModeBM25, Passages: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatalf("format %d: %q found nothing", f, qs)
			}
			results[f] = append(results[f], res)
		}
		r := &CheckReport{}
		if err := x.check(ctx, r, false); err != nil || len(r.Problems) > 0 {
			t.Fatalf("format %d: check: %v %v", f, err, r.Problems)
		}
	}
	for _, f := range []recordFormat{recordBodyInSrc, recordNoPassages} {
		for qi, res := range results[f] {
			now := byID(results[recordSplit][qi])
			for _, h := range res.Hits {
				w, ok := now[h.ID]
				if !ok {
					t.Errorf("format %d, %q: hit %s is not among the current format's", f, queries[qi], h.ID)
					continue
				}
				if math.Abs(h.Score-w.Score) > 1e-3*math.Abs(w.Score) {
					t.Errorf("format %d, %q: %s scores %g, %g now", f, queries[qi], h.ID, h.Score, w.Score)
				}
				if !samePassages(h.Passages, w.Passages) {
					t.Errorf("format %d, %q: %s passages %+v, now %+v", f, queries[qi], h.ID, h.Passages, w.Passages)
				}
			}
		}
	}
}

func byID(res *search.Result) map[string]search.Hit {
	out := make(map[string]search.Hit, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h
	}
	return out
}

// samePassages compares passages, their scores to rounding.
func samePassages(a, b []search.Passage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if math.Abs(x.Score-y.Score) > 1e-9*math.Abs(y.Score) {
			return false
		}
		x.Score, y.Score = 0, 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
