// Package fusion merges the ranked lists of hybrid search's two halves.
//
// Two methods are offered. Convex normalises each list's scores to [0, 1]
// over its own candidates (min–max) and adds them with weights; it keeps
// how far apart the scores are, which measured best on the BEIR dev halves
// in ../shared/data. Reciprocal rank fusion (Cormack et al., 2009) uses
// only ranks, which is robust when one half's scores are badly calibrated.
package fusion

import (
	"cmp"
	"slices"
)

// Item is one candidate from one half, best first.
type Item struct {
	ID    string
	Score float64
}

// Fused is one merged candidate with how each half saw it (rank 0: absent).
type Fused struct {
	ID          string
	Score       float64
	LexRank     int
	LexScore    float64
	VectorRank  int
	VectorScore float64
}

// Method names.
const (
	RRF    = "rrf"
	Convex = "convex"
)

// Options tune Merge.
type Options struct {
	Method string  // RRF or Convex (default Convex)
	Weight float64 // the vector half's share in [0, 1]
	K      float64 // RRF's k (default 60)
}

// Merge fuses lex and vec (each sorted best first) and returns every
// candidate, best first; ties go to the lexical order, then the ID.
func Merge(lex, vec []Item, o Options) []Fused {
	if o.K <= 0 {
		o.K = 60
	}
	w := min(max(o.Weight, 0), 1)
	byID := make(map[string]int, len(lex)+len(vec))
	out := make([]Fused, 0, len(lex)+len(vec))
	get := func(id string) *Fused {
		i, ok := byID[id]
		if !ok {
			i = len(out)
			byID[id] = i
			out = append(out, Fused{ID: id})
		}
		return &out[i]
	}
	lexNorm, vecNorm := normaliser(lex), normaliser(vec)
	for i, it := range lex {
		f := get(it.ID)
		f.LexRank, f.LexScore = i+1, it.Score
		if o.Method == RRF {
			f.Score += (1 - w) / (o.K + float64(i+1))
		} else {
			f.Score += (1 - w) * lexNorm(it.Score)
		}
	}
	for i, it := range vec {
		f := get(it.ID)
		f.VectorRank, f.VectorScore = i+1, it.Score
		if o.Method == RRF {
			f.Score += w / (o.K + float64(i+1))
		} else {
			f.Score += w * vecNorm(it.Score)
		}
	}
	slices.SortStableFunc(out, func(a, b Fused) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(rankOrMax(a.LexRank), rankOrMax(b.LexRank))
	})
	return out
}

func rankOrMax(r int) int {
	if r == 0 {
		return int(^uint(0) >> 1)
	}
	return r
}

// normaliser maps a list's scores to [0, 1] between its lowest and
// highest candidate; a list of equal scores maps to 1.
func normaliser(items []Item) func(float64) float64 {
	if len(items) == 0 {
		return func(float64) float64 { return 0 }
	}
	lo, hi := items[0].Score, items[0].Score
	for _, it := range items {
		lo, hi = min(lo, it.Score), max(hi, it.Score)
	}
	if hi == lo {
		return func(float64) float64 { return 1 }
	}
	return func(s float64) float64 { return (s - lo) / (hi - lo) }
}
