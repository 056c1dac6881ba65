package local

import (
	"math"
	"runtime"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// csr is a sparse matrix in compressed-row form: row i holds the columns
// col[ptr[i]:ptr[i+1]] with values val[...].
type csr struct {
	rows, cols int
	ptr        []int
	col        []int32
	val        []float64
}

// transpose returns the matrix in compressed-row form of its transpose.
func (a *csr) transpose() *csr {
	t := &csr{rows: a.cols, cols: a.rows, ptr: make([]int, a.cols+1), col: make([]int32, len(a.col)), val: make([]float64, len(a.val))}
	for _, c := range a.col {
		t.ptr[c+1]++
	}
	for i := range a.cols {
		t.ptr[i+1] += t.ptr[i]
	}
	next := append([]int(nil), t.ptr[:a.cols]...)
	for i := range a.rows {
		for p := a.ptr[i]; p < a.ptr[i+1]; p++ {
			c := a.col[p]
			q := next[c]
			next[c]++
			t.col[q] = int32(i)
			t.val[q] = a.val[p]
		}
	}
	return t
}

// dense is a row-major matrix.
type dense struct {
	rows, cols int
	data       []float64
}

func newDense(r, c int) *dense { return &dense{r, c, make([]float64, r*c)} }

func (d *dense) row(i int) []float64 { return d.data[i*d.cols : (i+1)*d.cols] }

// parallelRows runs fn over [0, n) split into contiguous ranges, one per CPU.
func parallelRows(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(1, n/256))
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + w - 1) / w
	for lo := 0; lo < n; lo += step {
		hi := min(n, lo+step)
		wg.Add(1)
		go func() { defer wg.Done(); fn(lo, hi) }()
	}
	wg.Wait()
}

// mul returns a·x.
func (a *csr) mul(x *dense) *dense {
	y := newDense(a.rows, x.cols)
	parallelRows(a.rows, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			yi := y.row(i)
			for p := a.ptr[i]; p < a.ptr[i+1]; p++ {
				v := a.val[p]
				xr := x.row(int(a.col[p]))
				for j := range yi {
					yi[j] += v * xr[j]
				}
			}
		}
	})
	return y
}

// gramChunks is how many partial sums gram adds up. It is fixed, not the
// number of CPUs, so the floating-point sums, and with them the model, are
// the same bit for bit on any machine.
const gramChunks = 16

// gram returns dᵀd.
func (d *dense) gram() *mat.SymDense {
	l := d.cols
	chunks := min(gramChunks, max(1, d.rows/256))
	step := (d.rows + chunks - 1) / chunks
	parts := make([][]float64, chunks)
	parallelEach(chunks, func(c int) {
		local := make([]float64, l*l)
		for i := c * step; i < min(d.rows, (c+1)*step); i++ {
			r := d.row(i)
			for a, va := range r {
				if va == 0 {
					continue
				}
				la := local[a*l:]
				for b := a; b < l; b++ {
					la[b] += va * r[b]
				}
			}
		}
		parts[c] = local
	})
	// Sum the parts in row order so training is reproducible bit for bit.
	g := make([]float64, l*l)
	for _, part := range parts {
		for i, v := range part {
			g[i] += v
		}
	}
	for a := range l {
		for b := a + 1; b < l; b++ {
			g[b*l+a] = g[a*l+b]
		}
	}
	return mat.NewSymDense(l, g)
}

// parallelEach runs fn(0..n-1), up to one call per CPU at a time.
func parallelEach(n int, fn func(i int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// eigDesc returns the eigenvalues of s in descending order and the matching
// eigenvectors as columns.
func eigDesc(s *mat.SymDense) ([]float64, *mat.Dense, bool) {
	var e mat.EigenSym
	if !e.Factorize(s, true) {
		return nil, nil, false
	}
	vals := e.Values(nil)
	var vecs mat.Dense
	e.VectorsTo(&vecs)
	n := len(vals)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
	outV := make([]float64, n)
	out := mat.NewDense(n, n, nil)
	for j, k := range idx {
		outV[j] = vals[k]
		for i := range n {
			out.Set(i, j, vecs.At(i, k))
		}
	}
	return outV, out, true
}

// times returns d·w for a small square w.
func (d *dense) times(w *mat.Dense, scale []float64) *dense {
	_, c := w.Dims()
	out := newDense(d.rows, c)
	wr := w.RawMatrix()
	parallelRows(d.rows, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r, o := d.row(i), out.row(i)
			for a, va := range r {
				if va == 0 {
					continue
				}
				wa := wr.Data[a*wr.Stride : a*wr.Stride+c]
				for b := range o {
					o[b] += va * wa[b]
				}
			}
			if scale != nil {
				for b := range o {
					o[b] *= scale[b]
				}
			}
		}
	})
	return out
}

// orth returns an orthonormal basis of d's column space through the
// eigen-decomposition of its Gram matrix, done twice for accuracy. Rank
// deficiency leaves zero columns rather than failing.
func (d *dense) orth() *dense {
	for range 2 {
		vals, vecs, ok := eigDesc(d.gram())
		if !ok {
			return d
		}
		scale := make([]float64, len(vals))
		for i, v := range vals {
			if v > 1e-12*max(vals[0], 1e-300) {
				scale[i] = 1 / math.Sqrt(v)
			}
		}
		d = d.times(vecs, scale)
	}
	return d
}

// topSingular returns the k largest singular values of a and the matching
// right singular vectors (cols×k) by randomised subspace iteration
// (Halko, Martinsson & Tropp 2011) in the column space, which for a
// documents×terms matrix is the smaller side.
func topSingular(a *csr, k, oversample, iters int, seed uint64) ([]float64, *dense) {
	l := min(k+oversample, a.cols)
	at := a.transpose()
	z := newDense(a.cols, l)
	r := newRand(seed)
	for i := range z.data {
		z.data[i] = r.norm()
	}
	z = z.orth()
	for range iters {
		z = at.mul(a.mul(z)).orth()
	}
	y := a.mul(z)
	vals, vecs, ok := eigDesc(y.gram())
	if !ok {
		return nil, nil
	}
	k = min(k, l)
	sig := make([]float64, k)
	for i := range k {
		sig[i] = math.Sqrt(max(vals[i], 0))
	}
	v := z.times(vecs.Slice(0, l, 0, k).(*mat.Dense), nil)
	return sig, v
}

// rng is a small deterministic generator (splitmix64) so training is
// reproducible from its seed.
type rng struct{ s uint64 }

func newRand(seed uint64) *rng { return &rng{seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// norm draws from the standard normal distribution (Box–Muller).
func (r *rng) norm() float64 {
	u := r.float()
	for u == 0 {
		u = r.float()
	}
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}
