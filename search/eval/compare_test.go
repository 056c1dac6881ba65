package eval

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func reportOf(ndcg ...float64) Report {
	var r Report
	for i, v := range ndcg {
		r.PerQuery = append(r.PerQuery, QueryResult{ID: fmt.Sprint("q", i), NDCG10: v, Recall100: v / 2})
	}
	return r
}

func TestPaired(t *testing.T) {
	t.Parallel()
	// A constant gain has no spread: the interval is the gain itself.
	c, err := Paired("a", reportOf(0.6, 0.7, 0.8), "b", reportOf(0.5, 0.6, 0.7))
	if err != nil {
		t.Fatal(err)
	}
	d := c.NDCG10
	if c.Queries != 3 || math.Abs(d.Mean-0.1) > 1e-9 || math.Abs(d.Lo-0.1) > 1e-9 || math.Abs(d.Hi-0.1) > 1e-9 || !d.Significant() || d.Wins != 3 || d.Losses != 0 {
		t.Errorf("constant gain: %+v", c)
	}
	if math.Abs(c.Recall100.Mean-0.05) > 1e-9 {
		t.Errorf("recall difference %+v, want 0.05", c.Recall100)
	}

	// One big win among losses: a positive mean that chance explains.
	a := reportOf(1, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4)
	b := reportOf(0, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45)
	c, err = Paired("a", a, "b", b)
	if err != nil {
		t.Fatal(err)
	}
	d = c.NDCG10
	if d.Mean <= 0 || d.Significant() || !(d.Lo < d.Mean && d.Mean < d.Hi) || d.Wins != 1 || d.Losses != 7 {
		t.Errorf("one outlier: %+v", d)
	}
	// Seeded: the same runs print the same interval.
	again, _ := Paired("a", a, "b", b)
	if again != c {
		t.Errorf("not reproducible: %+v then %+v", c, again)
	}

	// Many small consistent wins are told apart from chance.
	var xs, ys []float64
	for i := range 60 {
		xs = append(xs, 0.5+0.02*float64(i%3))
		ys = append(ys, 0.5)
	}
	c, _ = Paired("a", reportOf(xs...), "b", reportOf(ys...))
	if !c.NDCG10.Significant() || c.NDCG10.Lo <= 0 {
		t.Errorf("consistent small gain: %+v", c.NDCG10)
	}
}

func TestPairedMatchesByID(t *testing.T) {
	t.Parallel()
	a := Report{PerQuery: []QueryResult{{ID: "x", NDCG10: 1}, {ID: "y", NDCG10: 0.5}, {ID: "only-a", NDCG10: 1}}}
	b := Report{PerQuery: []QueryResult{{ID: "y", NDCG10: 0.25}, {ID: "x", NDCG10: 0.5}}}
	c, err := Paired("a", a, "b", b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Queries != 2 || math.Abs(c.NDCG10.Mean-0.375) > 1e-9 {
		t.Errorf("%+v, want 2 queries and mean 0.375", c)
	}
	if _, err := Paired("a", a, "none", Report{}); err == nil || !strings.Contains(err.Error(), "share no") {
		t.Errorf("no shared query: %v", err)
	}
}

func TestDiffTable(t *testing.T) {
	t.Parallel()
	c, _ := Paired("hybrid", reportOf(0.6, 0.7), "bm25", reportOf(0.5, 0.8))
	got := DiffTable([]string{"med hybrid − bm25"}, []Comparison{c})
	for _, want := range []string{"Δ nDCG@10", "med hybrid − bm25", "+0.0000", "1/1"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}
