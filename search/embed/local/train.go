package local

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"slices"
	"sort"
)

// MinDocs is the fewest documents Train learns from.
const MinDocs = 20

// ErrTooFew says the corpus is too small to learn word vectors from yet.
var ErrTooFew = errors.New("too few papers to learn from yet")

// TrainOptions tune Train. Zero values take the defaults.
type TrainOptions struct {
	Dim int // vector dimensions, both halves together (default 256)
	// WordDim of the Dim dimensions hold windowed word vectors (default
	// Dim/4; negative for LSA alone).
	WordDim int
	// WordMix is the word vectors' share of a text vector (default 0.4).
	WordMix float64
	// Window is how many following words count as co-occurring (default 10).
	Window int
	// MaxWordDocs caps the documents whose co-occurrences are counted
	// (default 30,000, an even sample of those read).
	MaxWordDocs int
	MinDF       int // terms in fewer documents are ignored (default 2)
	MaxVocab    int // most frequent terms kept (default 100,000)
	MaxDocs     int // documents sampled for training (default 100,000)
	Iterations  int // subspace iterations (default 4)
	// Power weights each dimension by σ^Power after projection; 0 keeps
	// LSA's σ-scaled document space, negative values flatten it.
	Power float64
	Seed  uint64
	// Progress is called with the documents read so far.
	Progress func(docs int)
	// Stage, when set, is told when each step of training starts:
	// "tokenise" (Progress follows the documents), "word vectors" and
	// "decompose", so a caller can show what the time goes to.
	Stage func(stage string)
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Dim <= 0 {
		o.Dim = 256
	}
	switch {
	case o.WordDim == 0:
		o.WordDim = o.Dim / 4
	case o.WordDim < 0 || o.WordDim >= o.Dim:
		o.WordDim = 0
	}
	if o.WordMix <= 0 || o.WordMix >= 1 {
		o.WordMix = 0.4
	}
	if o.Window <= 0 {
		o.Window = 10
	}
	if o.MaxWordDocs <= 0 {
		o.MaxWordDocs = 30_000
	}
	if o.MinDF <= 0 {
		o.MinDF = 2
	}
	if o.MaxVocab <= 0 {
		o.MaxVocab = 100_000
	}
	if o.MaxDocs <= 0 {
		o.MaxDocs = 100_000
	}
	if o.Iterations <= 0 {
		o.Iterations = 4
	}
	if o.Power == 0 {
		o.Power = -0.5 // measured best on the BEIR dev halves (flattens the spectrum)
	}
	if o.Seed == 0 {
		o.Seed = 0x51_7e_c0_de
	}
	return o
}

// Train learns term vectors from docs. Dim−WordDim dimensions come from
// latent semantic analysis: a log-tf × idf document-term matrix, its top
// singular vectors found by randomised subspace iteration, and the first
// (common) component removed. The other WordDim come from windowed word
// co-occurrence (see words.go). It reads at most MaxDocs documents.
func Train(ctx context.Context, docs iter.Seq[string], o TrainOptions) (*Model, error) {
	o = o.withDefaults()
	an, err := proseAnalyzer()
	if err != nil {
		return nil, err
	}
	stage := func(string) {}
	if o.Stage != nil {
		stage = o.Stage
	}
	stage("tokenise")
	ids := map[string]int32{}
	var names []string
	var df []int
	var rows [][]int32
	var keys []uint64 // a hash of each document's text, to put them in one order
	n := 0
	for text := range docs {
		if n >= o.MaxDocs {
			break
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if o.Progress != nil {
				o.Progress(n)
			}
		}
		n++
		ts := terms(an, text)
		row := make([]int32, 0, len(ts))
		for _, t := range ts {
			id, ok := ids[t]
			if !ok {
				id = int32(len(names))
				ids[t] = id
				names = append(names, t)
				df = append(df, 0)
			}
			row = append(row, id)
		}
		// df counts each term once per document.
		seen := uniq(row)
		for _, id := range seen {
			df[id]++
		}
		rows = append(rows, row)
		keys = append(keys, textKey(text))
	}
	if n < MinDocs {
		return nil, fmt.Errorf("local embedder: %w (%d documents, need %d)", ErrTooFew, n, MinDocs)
	}
	rows = canonicalOrder(rows, keys)
	keys = nil

	// Keep the most frequent terms that occur in at least MinDF documents
	// and not in nearly all of them.
	order := make([]int32, 0, len(names))
	for id, d := range df {
		if d >= o.MinDF && d < n*9/10+1 {
			order = append(order, int32(id))
		}
	}
	sort.Slice(order, func(a, b int) bool {
		if df[order[a]] != df[order[b]] {
			return df[order[a]] > df[order[b]]
		}
		return names[order[a]] < names[order[b]]
	})
	if len(order) > o.MaxVocab {
		order = order[:o.MaxVocab]
	}
	if len(order) < 2 {
		return nil, fmt.Errorf("local embedder: %w (the %d documents share too few terms)", ErrTooFew, n)
	}
	remap := make([]int32, len(names))
	for i := range remap {
		remap[i] = -1
	}
	lsaDim := o.Dim - o.WordDim
	m := &Model{dim: o.Dim, lsaDim: lsaDim, mix: float32(o.WordMix), vocab: make(map[string]int32, len(order)), idf: make([]float32, len(order)), power: o.Power}
	for newID, old := range order {
		remap[old] = int32(newID)
		m.vocab[names[old]] = int32(newID)
		m.idf[newID] = float32(idf(n, df[old]))
	}

	a := &csr{rows: n, cols: len(order), ptr: make([]int, 1, n+1)}
	tf := map[int32]int{}
	for _, row := range rows {
		clear(tf)
		for _, old := range row {
			if id := remap[old]; id >= 0 {
				tf[id]++
			}
		}
		start := len(a.col)
		var norm float64
		ids := make([]int32, 0, len(tf))
		for id := range tf {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			c := tf[id]
			v := (1 + math.Log(float64(c))) * float64(m.idf[id])
			a.col = append(a.col, id)
			a.val = append(a.val, v)
			norm += v * v
		}
		if norm > 0 {
			inv := 1 / math.Sqrt(norm)
			for p := start; p < len(a.val); p++ {
				a.val[p] *= inv
			}
		}
		a.ptr = append(a.ptr, len(a.col))
	}
	if o.WordDim > 0 {
		for _, row := range rows {
			for i, old := range row {
				row[i] = remap[old]
			}
		}
		stage("word vectors")
		w, err := trainWords(ctx, rows, len(order), wordOptions{dim: o.WordDim, window: o.Window,
			maxVocab: 50_000, maxDocs: o.MaxWordDocs, sif: 1e-3, seed: o.Seed + 1})
		if err != nil {
			return nil, err
		}
		m.words = w
	}
	rows = nil
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// One extra component: the first is the direction every document
	// shares and is dropped, as SIF's common-component removal does.
	stage("decompose")
	k := min(lsaDim+1, a.cols)
	sig, v := topSingular(a, k, 24, o.Iterations, o.Seed)
	if v == nil {
		return nil, fmt.Errorf("local embedder: the decomposition did not converge")
	}
	m.sigma = make([]float32, 0, lsaDim)
	m.vecs = make([]float32, a.cols*lsaDim)
	for t := range a.cols {
		src := v.row(t)
		dst := m.vecs[t*lsaDim : (t+1)*lsaDim]
		for j := 1; j < k && j-1 < lsaDim; j++ {
			w := 1.0
			if o.Power != 0 && sig[j] > 0 {
				w = math.Pow(sig[j], o.Power)
			}
			dst[j-1] = float32(src[j] * w)
		}
	}
	for j := 1; j < k && j-1 < lsaDim; j++ {
		m.sigma = append(m.sigma, float32(sig[j]))
	}
	m.docs = n
	m.id = fmt.Sprintf("%08x", fingerprint(m))
	return m, nil
}

// textKey hashes a document's text (FNV-1a, 64 bits).
func textKey(text string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()
}

// canonicalOrder sorts documents by the hash of their text. The index
// hands papers over in whatever order its segments hold them, which
// differs from build to build; floating-point sums depend on order, so
// without this the same papers taught a slightly different model each
// time. Hash order also spreads the word vectors' sample evenly. Equal
// hashes are equal texts, whose order does not matter.
func canonicalOrder(rows [][]int32, keys []uint64) [][]int32 {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	out := make([][]int32, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

// idf is BM25's inverse document frequency, always positive.
func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

func uniq(ids []int32) []int32 {
	s := append([]int32(nil), ids...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
