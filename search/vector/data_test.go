package vector

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// clustered generates unit vectors around random Gaussian centres, with
// noise comparable to the spread of the centres: the shape of a real
// embedding corpus, unlike uniform random vectors.
type clustered struct {
	dim     int
	centres [][]float32
	noise   float64
}

func newClustered(dim, centres int, seed uint64) *clustered {
	r := rand.New(rand.NewPCG(seed, 7))
	g := &clustered{dim: dim, noise: 1}
	for range centres {
		c := make([]float32, dim)
		for j := range c {
			c[j] = float32(r.NormFloat64())
		}
		g.centres = append(g.centres, c)
	}
	return g
}

// vec returns point i of stream seed; the same (seed, i) gives the same
// vector.
func (g *clustered) vec(seed, i uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, i))
	c := g.centres[r.IntN(len(g.centres))]
	v := make([]float32, g.dim)
	var ss float64
	for j := range v {
		x := float64(c[j]) + g.noise*r.NormFloat64()
		v[j] = float32(x)
		ss += x * x
	}
	inv := float32(1 / math.Sqrt(ss))
	for j := range v {
		v[j] *= inv
	}
	return v
}

func (g *clustered) items(seed uint64, lo, hi int) []Item {
	out := make([]Item, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, Item{ID: docID(i), Vec: g.vec(seed, uint64(i))})
	}
	return out
}

func docID(i int) string { return fmt.Sprintf("doc-%07d", i) }
