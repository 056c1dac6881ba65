package embed

import "math"

// Normalize scales v to unit length in place and reports whether it
// could; a zero vector stays zero.
func Normalize(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
		return false
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return true
}

// IsZero reports whether v is all zeros: what the local embedder gives a
// text of words it does not know, which finds nothing and which no vector
// store keeps (S3 Vectors refuses it under cosine).
func IsZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// Feedback is pseudo-relevance feedback for a query vector (Rocchio
// without negatives): q plus weight/len(docs) times each document vector,
// scaled to unit length. q is not changed; with no documents, or a zero
// sum, q itself is returned.
func Feedback(q []float32, docs [][]float32, weight float64) []float32 {
	if len(docs) == 0 {
		return q
	}
	out := make([]float32, len(q))
	copy(out, q)
	w := float32(weight / float64(len(docs)))
	for _, d := range docs {
		for j := range out {
			out[j] += w * d[j]
		}
	}
	if !Normalize(out) {
		return q
	}
	return out
}
