package local

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/quire-research/quire/search/embed"
)

// Model is a trained local embedder. A text's vector has two parts, each
// of unit length before mixing: the idf-weighted, log-tf-weighted sum of
// its terms' LSA vectors (the LSA fold-in), and the SIF average of their
// word vectors. Models saved before word vectors existed have only the
// first.
type Model struct {
	dim    int // lsaDim + words.dim
	lsaDim int
	mix    float32 // the word part's share
	vocab  map[string]int32
	idf    []float32
	vecs   []float32 // len(vocab) × lsaDim
	words  *wordModel
	sigma  []float32
	power  float64
	docs   int
	id     string
	an     analysis.Analyzer
}

var _ embed.Embedder = (*Model)(nil)

// Name identifies this trained model: a retrained model gets a new name,
// so vectors from the two are never mixed.
func (m *Model) Name() string {
	if m.words != nil {
		return fmt.Sprintf("local:lsa+ppmi-%d-%s", m.dim, m.id)
	}
	return fmt.Sprintf("local:lsa-%d-%s", m.dim, m.id)
}

// Dim is the vector length.
func (m *Model) Dim() int { return m.dim }

// Vocab is the number of terms with vectors.
func (m *Model) Vocab() int { return len(m.vocab) }

// Docs is the number of documents the model learned from.
func (m *Model) Docs() int { return m.docs }

// Embed returns one unit vector per text. A text with no known term gets
// the zero vector: it has no direction, and the vector index records it as
// "no vector" (known, so not embedded again, but never a search hit)
// rather than as a vector.
func (m *Model) Embed(ctx context.Context, texts []string, _ embed.Kind) ([][]float32, error) {
	an := m.an
	if an == nil {
		var err error
		if an, err = proseAnalyzer(); err != nil {
			return nil, err
		}
	}
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*m.dim)
	// A query's passages (fifty for a hybrid search) are embedded while
	// the user waits, so they are shared among the cores; a text's vector
	// does not depend on which worker made it.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(texts)/minShare))
	share := (len(texts) + workers - 1) / max(1, workers)
	var wg sync.WaitGroup
	for lo := 0; lo < len(texts); lo += share {
		hi := min(len(texts), lo+share)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tf := map[int32]int{}
			for i := lo; i < hi; i++ {
				if (i-lo)%256 == 255 && ctx.Err() != nil {
					return
				}
				v := backing[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
				m.embedInto(an, texts[i], v, tf)
				out[i] = v
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// minShare is the fewest texts worth a goroutine of their own.
const minShare = 8

func (m *Model) embedInto(an analysis.Analyzer, text string, v []float32, tf map[int32]int) {
	clear(tf)
	order := make([]int32, 0, 64)
	for _, t := range an.Analyze([]byte(text)) {
		if id, ok := m.vocab[string(t.Term)]; ok {
			if tf[id] == 0 {
				order = append(order, id)
			}
			tf[id]++
		}
	}
	lsa := v[:m.lsaDim]
	for _, id := range order {
		c := tf[id]
		w := float32(1+math.Log(float64(c))) * m.idf[id]
		row := m.vecs[int(id)*m.lsaDim : int(id+1)*m.lsaDim]
		for j, x := range row {
			lsa[j] += w * x
		}
	}
	if m.words == nil {
		normalize(v)
		return
	}
	normalize(lsa)
	wv := v[m.lsaDim:]
	for _, id := range order {
		m.words.add(wv, id, tf[id])
	}
	m.words.finish(wv)
	normalize(wv)
	for j := range lsa {
		lsa[j] *= 1 - m.mix
	}
	for j := range wv {
		wv[j] *= m.mix
	}
	normalize(v)
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for j := range v {
		v[j] *= inv
	}
}

// fingerprint hashes the learned vocabulary and a sample of the vectors.
func fingerprint(m *Model) uint32 {
	h := fnv.New32a()
	keys := make([]string, 0, len(m.vocab))
	for k := range m.vocab {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys[:min(len(keys), 1000)] {
		h.Write([]byte(k))
	}
	sample := func(vs []float32) {
		for i := 0; i < len(vs); i += 997 {
			b := math.Float32bits(vs[i])
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
		}
	}
	sample(m.vecs)
	if m.words != nil {
		sample(m.words.vecs)
		sample(m.words.pc)
	}
	return h.Sum32()
}
