package eval

import (
	"math"
	"slices"
)

// Judgments maps a document id to its graded relevance for one query; a
// value > 0 means relevant. It is an alias so the per-query maps of any qrels
// type (map[string]map[string]int) can be passed without conversion.
type Judgments = map[string]int

// NDCG returns the normalised discounted cumulative gain of ranked at cut-off
// k (k ≤ 0 means the whole list), with gain = relevance and a log2(rank+1)
// discount. It is 0 when rel holds no relevant document.
func NDCG(ranked []string, rel Judgments, k int) float64 {
	ideal := idealDCG(rel, k)
	if ideal == 0 {
		return 0
	}
	var dcg float64
	for i, id := range topK(ranked, k) {
		if g := rel[id]; g > 0 {
			dcg += float64(g) / discount(i)
		}
	}
	return dcg / ideal
}

// Recall returns the fraction of all relevant documents found in the top k
// (k ≤ 0: the whole list); 0 when nothing is relevant.
func Recall(ranked []string, rel Judgments, k int) float64 {
	n := numRelevant(rel)
	if n == 0 {
		return 0
	}
	return float64(relevantIn(topK(ranked, k), rel)) / float64(n)
}

// Precision returns the fraction of the top k that is relevant. Like
// trec_eval's P_k it divides by k even when fewer than k documents were
// retrieved; with k ≤ 0 it divides by the number retrieved.
func Precision(ranked []string, rel Judgments, k int) float64 {
	top := topK(ranked, k)
	denom := k
	if k <= 0 {
		denom = len(top)
	}
	if denom == 0 {
		return 0
	}
	return float64(relevantIn(top, rel)) / float64(denom)
}

// MRR returns the reciprocal rank of the first relevant document in the top
// k (k ≤ 0: the whole list), or 0 if there is none. Averaged over queries it
// is the mean reciprocal rank.
func MRR(ranked []string, rel Judgments, k int) float64 {
	for i, id := range topK(ranked, k) {
		if rel[id] > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// discount is log2(rank+1) for the 0-based position i, i.e. rank i+1.
func discount(i int) float64 { return math.Log2(float64(i + 2)) }

// idealDCG is the DCG of the best possible ranking: every relevant judgment
// in descending order of gain, cut at k.
func idealDCG(rel Judgments, k int) float64 {
	gains := make([]int, 0, len(rel))
	for _, g := range rel {
		if g > 0 {
			gains = append(gains, g)
		}
	}
	slices.Sort(gains)
	slices.Reverse(gains)
	if k > 0 && len(gains) > k {
		gains = gains[:k]
	}
	var dcg float64
	for i, g := range gains {
		dcg += float64(g) / discount(i)
	}
	return dcg
}

// topK returns the first k distinct ids of ranked (all of them if k ≤ 0).
// Later copies of an id are dropped rather than scored as misses so that a
// searcher returning duplicates is neither rewarded twice nor has its tail
// shifted out of the cut-off by its own repetition.
func topK(ranked []string, k int) []string {
	if k <= 0 || k > len(ranked) {
		k = len(ranked)
	}
	seen := make(map[string]struct{}, k)
	top := make([]string, 0, k)
	for _, id := range ranked {
		if len(top) == k {
			break
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		top = append(top, id)
	}
	return top
}

func numRelevant(rel Judgments) int {
	n := 0
	for _, g := range rel {
		if g > 0 {
			n++
		}
	}
	return n
}

func relevantIn(ids []string, rel Judgments) int {
	n := 0
	for _, id := range ids {
		if rel[id] > 0 {
			n++
		}
	}
	return n
}
