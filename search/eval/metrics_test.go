package eval

import (
	"math"
	"testing"
)

const eps = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) < eps }

// inv2 is 1/log2(3) = 0.6309297535714575, the discount weight of rank 2.
var inv2 = 1 / math.Log2(3)

type metricCase struct {
	name   string
	ranked []string
	rel    Judgments
	k      int
	ndcg   float64
	recall float64
	prec   float64
	mrr    float64
}

func TestMeasuresHandComputed(t *testing.T) {
	t.Parallel()
	binary := Judgments{"a": 1, "b": 1, "c": 1}
	graded := Judgments{"a": 3, "b": 2, "c": 1, "n": 0}
	cases := []metricCase{
		{
			// Relevant at ranks 1 and 3 of 5; three relevant in all.
			// DCG  = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
			// IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.1309297535714575
			// nDCG = 1.5 / 2.1309... = 0.7039180890341347
			name: "binary@5", ranked: []string{"a", "x", "b", "y", "z"}, rel: binary, k: 5,
			ndcg: 1.5 / (1 + inv2 + 0.5), recall: 2.0 / 3, prec: 2.0 / 5, mrr: 1,
		},
		{
			// Cut at 2: only "a" counts; the ideal is cut at 2 as well.
			// nDCG = 1 / (1 + 1/log2(3)) = 0.6131471927654584
			name: "binary@2", ranked: []string{"a", "x", "b", "y", "z"}, rel: binary, k: 2,
			ndcg: 1 / (1 + inv2), recall: 1.0 / 3, prec: 1.0 / 2, mrr: 1,
		},
		{
			// k = 0 means no cut-off: same as @5 for this list, and
			// precision divides by the 5 retrieved.
			name: "binary@all", ranked: []string{"a", "x", "b", "y", "z"}, rel: binary, k: 0,
			ndcg: 1.5 / (1 + inv2 + 0.5), recall: 2.0 / 3, prec: 2.0 / 5, mrr: 1,
		},
		{
			// Fewer retrieved than k: P@10 still divides by 10 (trec_eval P_10).
			name: "short list", ranked: []string{"x", "c"}, rel: binary, k: 10,
			ndcg: inv2 / (1 + inv2 + 0.5), recall: 1.0 / 3, prec: 1.0 / 10, mrr: 0.5,
		},
		{
			// Graded, linear gain; "n" is judged but not relevant (0).
			// DCG@4  = 0 + 1/log2(3) + 3/log2(4) + 2/log2(5)
			//        = 0.6309 + 1.5 + 0.8614 = 2.992282869718244
			// IDCG@4 = 3/log2(2) + 2/log2(3) + 1/log2(4) (only 3 gains > 0)
			//        = 3 + 1.2619 + 0.5 = 4.7618595071429155
			// nDCG   = 0.6283853745012301
			name: "graded@4", ranked: []string{"n", "c", "a", "b"}, rel: graded, k: 4,
			ndcg: (inv2 + 3.0/2 + 2/math.Log2(5)) / (3 + 2*inv2 + 0.5), recall: 1, prec: 3.0 / 4, mrr: 0.5,
		},
		{
			// Graded at 2: DCG = 1/log2(3); IDCG@2 = 3 + 2/log2(3) (not the
			// full 4.7619, which would give 0.1325).
			// nDCG = 0.6309 / 4.2619 = 0.1480409554829326
			name: "graded@2", ranked: []string{"n", "c", "a", "b"}, rel: graded, k: 2,
			ndcg: inv2 / (3 + 2*inv2), recall: 1.0 / 3, prec: 1.0 / 2, mrr: 0.5,
		},
		{
			// MRR@1 misses the relevant document at rank 2.
			name: "graded@1", ranked: []string{"n", "c", "a", "b"}, rel: graded, k: 1,
			ndcg: 0, recall: 0, prec: 0, mrr: 0,
		},
		{
			// Negative judgments count as not relevant, like 0.
			// DCG = 1/log2(3); IDCG = 1; nDCG = 0.6309297535714575
			name: "negative", ranked: []string{"bad", "ok"}, rel: Judgments{"bad": -1, "ok": 1}, k: 10,
			ndcg: inv2, recall: 1, prec: 1.0 / 10, mrr: 0.5,
		},
		{
			// Duplicates count once at their first rank and later copies are
			// dropped before the cut: [a a b] is scored as [a b], a perfect
			// top 2. Scoring the copy would credit "a" twice: [a a] would
			// reach DCG 1 + 1/log2(3) = IDCG (nDCG 1) and P@2 = 1 without
			// ever retrieving "b".
			name: "duplicates", ranked: []string{"a", "a", "b"}, rel: Judgments{"a": 1, "b": 1}, k: 2,
			ndcg: 1, recall: 1, prec: 1, mrr: 1,
		},
		{
			// A duplicated miss does not push the hit further down:
			// [x x a] is [x a], so MRR = 1/2 and DCG = 1/log2(3).
			name: "duplicate miss", ranked: []string{"x", "x", "a"}, rel: Judgments{"a": 1}, k: 10,
			ndcg: inv2, recall: 1, prec: 1.0 / 10, mrr: 0.5,
		},
		{
			name: "no relevant judged", ranked: []string{"a", "b"}, rel: Judgments{"a": 0}, k: 10,
		},
		{
			name: "no judgments", ranked: []string{"a", "b"}, rel: nil, k: 10,
		},
		{
			name: "nothing retrieved", ranked: nil, rel: binary, k: 10,
		},
		{
			name: "nothing retrieved, no cut", ranked: nil, rel: binary, k: 0,
		},
	}
	for _, c := range cases {
		check(t, c)
	}
}

func check(t *testing.T, c metricCase) {
	t.Helper()
	for _, m := range []struct {
		name      string
		got, want float64
	}{
		{"NDCG", NDCG(c.ranked, c.rel, c.k), c.ndcg},
		{"Recall", Recall(c.ranked, c.rel, c.k), c.recall},
		{"Precision", Precision(c.ranked, c.rel, c.k), c.prec},
		{"MRR", MRR(c.ranked, c.rel, c.k), c.mrr},
	} {
		if !near(m.got, m.want) {
			t.Errorf("%s: %s = %.16g, want %.16g", c.name, m.name, m.got, m.want)
		}
	}
}

// TestNDCGMatchesPytrecEval replays the cases of pytrec_eval's own unit tests
// and README (qrels q1 = {d1:0, d2:1, d3:0}, q2 = {d2:1, d3:1}), with each
// scored run turned into the ranked list trec_eval sorts it into.
func TestNDCGMatchesPytrecEval(t *testing.T) {
	t.Parallel()
	q1 := Judgments{"d1": 0, "d2": 1, "d3": 0}
	q2 := Judgments{"d2": 1, "d3": 1}
	cases := []struct {
		name   string
		ranked []string
		rel    Judgments
		k      int // 0 = pytrec_eval "ndcg" (no cut-off)
		want   float64
	}{
		{"ndcg d2@3", []string{"d3", "d1", "d2"}, q1, 0, 0.5},
		{"ndcg d2@1", []string{"d2", "d3", "d1"}, q1, 0, 1.0},
		{"ndcg d2@2", []string{"d1", "d2", "d3"}, q1, 0, 0.6309297535714575},
		{"ndcg_cut_3", []string{"d3", "d1", "d2"}, q1, 3, 0.5},
		{"ndcg_cut_2", []string{"d3", "d1", "d2"}, q1, 2, 0},
		{"ndcg_cut_1", []string{"d3", "d1", "d2"}, q1, 1, 0},
		{"ndcg_cut_1000", []string{"d3", "d1", "d2"}, q1, 1000, 0.5},
		{"ndcg_cut_1 hit", []string{"d2", "d3", "d1"}, q1, 1, 1.0},
		{"README q2", []string{"d1", "d3", "d2"}, q2, 0, 0.6934264036172708},
	}
	for _, c := range cases {
		if got := NDCG(c.ranked, c.rel, c.k); !near(got, c.want) {
			t.Errorf("%s: NDCG = %.16g, want %.16g", c.name, got, c.want)
		}
	}
}

func TestMeasuresBounded(t *testing.T) {
	t.Parallel()
	// Whatever the list, every measure stays in [0, 1]; duplicates of the
	// best document must not push nDCG above 1.
	rel := Judgments{"a": 3, "b": 1}
	lists := [][]string{
		{"a", "a", "a", "b"}, {"b", "a"}, {"z", "a", "b", "a"}, {"a"},
	}
	for _, l := range lists {
		for _, k := range []int{0, 1, 2, 3, 10} {
			for name, v := range map[string]float64{
				"NDCG": NDCG(l, rel, k), "Recall": Recall(l, rel, k),
				"Precision": Precision(l, rel, k), "MRR": MRR(l, rel, k),
			} {
				if v < 0 || v > 1+eps {
					t.Errorf("%s(%v, k=%d) = %v, outside [0, 1]", name, l, k, v)
				}
			}
		}
	}
}
