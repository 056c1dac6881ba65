package local

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Word vectors complement LSA. LSA learns from which terms share a
// document; these learn from which terms sit near each other (a window of
// a few words), as GloVe and word2vec do: a positive-PMI matrix of
// windowed co-occurrence counts, factored by the same randomised SVD
// (Levy & Goldberg 2014 show this matches skip-gram). A text is their SIF
// average (Arora et al. 2017): weights a/(a+p(w)), the common direction
// removed. On the ../shared/data dev halves the two together beat either
// alone; see docs/measurements.md.

// wordModel is the windowed half of a Model: vectors for the first
// len(sif) vocabulary ids (the most frequent terms).
type wordModel struct {
	dim  int
	sif  []float32 // SIF weight per term
	vecs []float32 // len(sif) × dim
	pc   []float32 // common direction, removed from every text vector
}

type wordOptions struct {
	dim, window, maxVocab, maxDocs int
	sif                            float64
	seed                           uint64
}

// trainWords learns word vectors from rows (documents as vocabulary ids in
// text order, -1 for terms outside the vocabulary).
func trainWords(ctx context.Context, rows [][]int32, vocab int, o wordOptions) (*wordModel, error) {
	v := min(vocab, o.maxVocab)
	stride := max(1, (len(rows)+o.maxDocs-1)/o.maxDocs)
	// Counts in a map keyed by the ordered pair; each pair is counted once
	// (i < j) and mirrored when the matrix is built.
	co := make(map[uint64]float32, 1<<20)
	count := make([]float64, v)
	var total float64
	for d := 0; d < len(rows); d += stride {
		if d%(1024*stride) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		row := rows[d]
		for i, a := range row {
			if a < 0 || int(a) >= v {
				continue
			}
			count[a]++
			total++
			for j := i + 1; j < min(len(row), i+o.window+1); j++ {
				b := row[j]
				if b < 0 || int(b) >= v || a == b {
					continue
				}
				lo, hi := min(a, b), max(a, b)
				// Nearer words count more, as in GloVe.
				co[uint64(lo)<<32|uint64(hi)] += 1 / float32(j-i)
			}
		}
	}
	if len(co) == 0 || total == 0 {
		return nil, fmt.Errorf("local embedder: %w (no word co-occurs with another)", ErrTooFew)
	}
	type cell struct {
		col int32
		n   float32
	}
	byRow := make([][]cell, v)
	for k, n := range co {
		a, b := int32(k>>32), int32(uint32(k))
		byRow[a] = append(byRow[a], cell{b, n})
		byRow[b] = append(byRow[b], cell{a, n})
	}
	clear(co)
	// Sums in a fixed order, so training is reproducible bit for bit.
	rowSum := make([]float64, v)
	for i, cs := range byRow {
		slices.SortFunc(cs, func(x, y cell) int { return int(x.col - y.col) })
		for _, c := range cs {
			rowSum[i] += float64(c.n)
		}
	}
	// Context distribution smoothing (α = 0.75) keeps rare contexts from
	// getting inflated PMI.
	ctxSum := make([]float64, v)
	var ctxAll float64
	for i, s := range rowSum {
		ctxSum[i] = math.Pow(s, 0.75)
		ctxAll += ctxSum[i]
	}
	a := &csr{rows: v, cols: v, ptr: make([]int, 1, v+1)}
	for i, cs := range byRow {
		for _, c := range cs {
			pmi := math.Log(float64(c.n) * ctxAll / (rowSum[i] * ctxSum[c.col]))
			if pmi > 0 {
				a.col = append(a.col, c.col)
				a.val = append(a.val, pmi)
			}
		}
		a.ptr = append(a.ptr, len(a.col))
		byRow[i] = nil
	}
	k := min(o.dim, v)
	sig, vs := topSingular(a, k, 24, 4, o.seed)
	if vs == nil {
		return nil, fmt.Errorf("local embedder: the word decomposition did not converge")
	}
	w := &wordModel{dim: o.dim, sif: make([]float32, v), vecs: make([]float32, v*o.dim)}
	for t := range v {
		w.sif[t] = float32(o.sif / (o.sif + count[t]/total))
		src := vs.row(t)
		for j := range k {
			// σ^½ splits the spectrum between words and contexts.
			w.vecs[t*o.dim+j] = float32(src[j] * math.Sqrt(sig[j]))
		}
	}
	w.pc = w.commonDirection(rows, stride)
	return w, nil
}

// add adds the SIF-weighted vector of term id, count times, to v.
func (w *wordModel) add(v []float32, id int32, count int) {
	if int(id) >= len(w.sif) {
		return
	}
	s := w.sif[id] * float32(count)
	row := w.vecs[int(id)*w.dim : int(id+1)*w.dim]
	for j, x := range row {
		v[j] += s * x
	}
}

// finish removes the common direction from a pooled vector.
func (w *wordModel) finish(v []float32) {
	var d float32
	for j, x := range v {
		d += x * w.pc[j]
	}
	for j := range v {
		v[j] -= d * w.pc[j]
	}
}

// commonDirection is the first principal direction (uncentred, as SIF
// does) of the pooled vectors of up to 10,000 training documents: the top
// eigenvector of their small dim×dim Gram matrix.
func (w *wordModel) commonDirection(rows [][]int32, stride int) []float32 {
	stride = max(stride, (len(rows)+9_999)/10_000)
	docs := newDense((len(rows)+stride-1)/stride, w.dim)
	v := make([]float32, w.dim)
	for i, d := 0, 0; d < len(rows); i, d = i+1, d+stride {
		clear(v)
		for _, id := range rows[d] {
			if id >= 0 {
				w.add(v, id, 1)
			}
		}
		for j, x := range v {
			docs.row(i)[j] = float64(x)
		}
	}
	out := make([]float32, w.dim)
	_, vecs, ok := eigDesc(docs.gram())
	if !ok {
		return out // no direction to remove
	}
	for j := range out {
		out[j] = float32(vecs.At(j, 0))
	}
	return out
}
