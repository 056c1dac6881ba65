// Package probetest provides a corpus and two embedders for testing the
// probe and the hybrid search that adapts to it: one embedder that knows
// what the corpus's words mean and one that knows nothing.
package probetest

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/quire-research/quire/search/embed"
)

// Texts returns n texts where words and meaning come apart: each is a
// title line and six sentences about four concepts, and each concept is
// written with one of 40 synonyms ("c12s7": concept 12, synonym 7), picked
// afresh for every word. A sentence held out of a text then shares few
// exact words with the rest of it, but all of its concepts.
func Texts(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	texts := make([]string, n)
	for i := range texts {
		concepts := []int{r.IntN(400), r.IntN(400), r.IntN(400), r.IntN(400)}
		var sb strings.Builder
		fmt.Fprintf(&sb, "Paper %d\n", i)
		for range 6 {
			for w := range 8 {
				if w > 0 {
					sb.WriteByte(' ')
				}
				fmt.Fprintf(&sb, "c%ds%d", concepts[r.IntN(4)], r.IntN(40))
			}
			sb.WriteString(". ")
		}
		texts[i] = sb.String()
	}
	return texts
}

// Words splits text into lowercase letters-and-digits words.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// Concepts knows that cXsY means concept X: a text's vector is the sum of
// its concepts' random directions.
type Concepts struct{ Dimensions int }

func (Concepts) Name() string { return "test:concepts" }
func (e Concepts) Dim() int   { return e.Dimensions }
func (e Concepts) Embed(ctx context.Context, texts []string, _ embed.Kind) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, e.Dimensions)
		for _, w := range Words(t) {
			c, _, ok := strings.Cut(w, "s")
			if !ok || !strings.HasPrefix(c, "c") {
				continue
			}
			r := rand.New(rand.NewPCG(hash(c), 2))
			for j := range v {
				v[j] += float32(r.NormFloat64())
			}
		}
		out[i] = unit(v)
	}
	return out, ctx.Err()
}

// Noise gives every text a vector drawn from its hash: no meaning at all.
type Noise struct{ Dimensions int }

func (Noise) Name() string { return "test:noise" }
func (e Noise) Dim() int   { return e.Dimensions }
func (e Noise) Embed(ctx context.Context, texts []string, _ embed.Kind) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		r := rand.New(rand.NewPCG(hash(t), 3))
		v := make([]float32, e.Dimensions)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		out[i] = unit(v)
	}
	return out, ctx.Err()
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func unit(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		v[0] = 1 // a text without concepts still needs a unit vector
		return v
	}
	for j := range v {
		v[j] /= float32(math.Sqrt(s))
	}
	return v
}
