package embedded

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// MaxScore prunes; it must never change the top k. Asking for every hit
// disables pruning (the threshold never rises before all are seen), so the
// head of that ranking is the exhaustive answer.
func TestMaxScoreMatchesExhaustiveRanking(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	var b search.Batch
	var titles []string
	err := synth.Generate(synth.Options{Papers: 6000, Seed: 9}, func(p corpus.Paper) error {
		b.Upserts = append(b.Upserts, p)
		if len(titles) < 60 && len(b.Upserts)%97 == 0 {
			titles = append(titles, p.Title)
		}
		if len(b.Upserts) == 700 { // several segments
			apply(t, x, &b)
			b.Upserts = b.Upserts[:0]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, x, &b)
	ctx := context.Background()
	for _, title := range titles {
		words := strings.Fields(title)
		q := strings.Join(words[:min(4, len(words))], " ")
		for _, extra := range []string{"", " year:2005..2020", " year:2019..2020"} { // none, broad, narrow
			pq, err := query.Parse(q + extra)
			if err != nil {
				t.Fatal(err)
			}
			top, err := x.Search(ctx, search.Request{Query: pq, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			all, err := x.Search(ctx, search.Request{Query: pq, Limit: search.MaxWindow})
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(all.Hits)) != all.Total || top.Total != all.Total {
				t.Fatalf("%q: totals %d/%d, %d hits", q+extra, top.Total, all.Total, len(all.Hits))
			}
			for i, h := range top.Hits {
				if math.Abs(h.Score-all.Hits[i].Score) > 1e-9 {
					t.Fatalf("%q rank %d: pruned %s %.6f, exhaustive %s %.6f", q+extra, i, h.ID, h.Score, all.Hits[i].ID, all.Hits[i].Score)
				}
			}
			for i := 1; i < len(all.Hits); i++ {
				if all.Hits[i].Score > all.Hits[i-1].Score {
					t.Fatalf("%q: hits not sorted at %d", q+extra, i)
				}
			}
		}
	}
}

func TestPagingIsConsistent(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	apply(t, x, &search.Batch{Upserts: fixture})
	ctx := context.Background()
	pq, _ := query.Parse("crispr editing genome")
	all, err := x.Search(ctx, search.Request{Query: pq, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	page, err := x.Search(ctx, search.Request{Query: pq, Limit: 1, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Hits) < 2 || len(page.Hits) != 1 || page.Hits[0].ID != all.Hits[1].ID {
		t.Fatalf("page 2 = %v, want %v", ids(page), ids(all))
	}
}

// The restriction cache keeps what a filter allows per segment; deletions,
// new segments and a different filter must still be seen.
func TestRestrictionCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	var papers []corpus.Paper
	err := synth.Generate(synth.Options{Papers: 3000, Seed: 4}, func(p corpus.Paper) error {
		papers = append(papers, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]corpus.Paper{}
	add := func(ps []corpus.Paper) {
		for len(ps) > 0 {
			n := min(500, len(ps)) // several segments
			apply(t, x, &search.Batch{Upserts: ps[:n]})
			for _, p := range ps[:n] {
				live[p.ID] = p
			}
			ps = ps[n:]
		}
	}
	check := func(step, q string, lo, hi int) {
		t.Helper()
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.Search(context.Background(), search.Request{Query: pq, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, p := range live {
			if p.Year >= lo && p.Year <= hi {
				want++
			}
		}
		if res.Total != uint64(want) {
			t.Fatalf("%s: %q matched %d papers, want %d", step, q, res.Total, want)
		}
	}
	add(papers[:2000])
	check("first", "year:2005..2015", 2005, 2015)
	check("again, cached", "year:2005..2015", 2005, 2015)
	check("another filter", "year:2010..2015", 2010, 2015)
	var dels []string
	for _, p := range papers[:2000] {
		if p.Year >= 2005 && p.Year <= 2015 && len(dels) < 300 {
			dels = append(dels, p.ID)
			delete(live, p.ID)
		}
	}
	apply(t, x, &search.Batch{Deletes: dels})
	check("after deletes", "year:2005..2015", 2005, 2015)
	add(papers[2000:])
	check("after a new segment", "year:2005..2015", 2005, 2015)
}
