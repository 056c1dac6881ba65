package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Diff is how much run A beats run B on one measure over the same queries:
// the mean per-query difference and a 95% paired-bootstrap interval
// around it. Dev halves hold 15 to 150 queries, where a gap of 0.01 is
// often one query; the interval says whether a difference is more than
// the sample.
type Diff struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	// Wins and Losses count the queries where A scores higher or lower.
	Wins   int `json:"wins"`
	Losses int `json:"losses"`
}

// Significant reports whether the interval excludes zero.
func (d Diff) Significant() bool { return d.Lo > 0 || d.Hi < 0 }

// Comparison is run A against run B on nDCG@10 and Recall@100.
type Comparison struct {
	A         string `json:"a"`
	B         string `json:"b"`
	Queries   int    `json:"queries"`
	NDCG10    Diff   `json:"ndcg_10"`
	Recall100 Diff   `json:"recall_100"`
}

// bootstrapRounds is enough for the interval's ends to settle to about
// ±0.001 on 150 queries.
const bootstrapRounds = 10000

// Paired pairs two reports' per-query results by query id and measures
// A − B. Queries missing from either report are left out; an error says
// when none are shared. The resampling is seeded, so the same runs always
// print the same interval.
func Paired(nameA string, a Report, nameB string, b Report) (Comparison, error) {
	byID := make(map[string]QueryResult, len(b.PerQuery))
	for _, q := range b.PerQuery {
		byID[q.ID] = q
	}
	var nd, rc []float64
	for _, qa := range a.PerQuery {
		qb, ok := byID[qa.ID]
		if !ok {
			continue
		}
		nd = append(nd, qa.NDCG10-qb.NDCG10)
		rc = append(rc, qa.Recall100-qb.Recall100)
	}
	if len(nd) == 0 {
		return Comparison{}, fmt.Errorf("eval: %s and %s share no evaluated query", nameA, nameB)
	}
	return Comparison{A: nameA, B: nameB, Queries: len(nd),
		NDCG10: paired(nd), Recall100: paired(rc)}, nil
}

// paired bootstraps the mean of per-query differences (percentile
// interval, 2.5% and 97.5%).
func paired(d []float64) Diff {
	var out Diff
	for _, x := range d {
		out.Mean += x
		switch {
		case x > 0:
			out.Wins++
		case x < 0:
			out.Losses++
		}
	}
	n := len(d)
	out.Mean /= float64(n)
	r := rand.New(rand.NewPCG(0x9e3779b97f4a7c15, uint64(n)))
	means := make([]float64, bootstrapRounds)
	for i := range means {
		var s float64
		for range n {
			s += d[r.IntN(n)]
		}
		means[i] = s / float64(n)
	}
	slices.Sort(means)
	out.Lo = means[int(0.025*float64(len(means)))]
	out.Hi = means[int(0.975*float64(len(means)))-1]
	return out
}
