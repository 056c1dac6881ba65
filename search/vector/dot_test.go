package vector

import (
	"math/rand/v2"
	"testing"
)

func TestDotsInt8MatchesGeneric(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 3, 7, 15, 16, 17, 31, 32, 33, 47, 63, 64, 100, 255, 256, 257, 384, 768, 1000} {
		n := 1 + r.IntN(40)
		q8 := make([]int8, dim)
		for i := range q8 {
			q8[i] = int8(r.IntN(255) - 127)
		}
		q := make([]int16, dim)
		widen(q, q8)
		data := make([]int8, n*dim)
		for i := range data {
			data[i] = int8(r.IntN(256) - 128)
		}
		q2 := make([]int16, dim)
		widenGeneric(q2, q8)
		for i := range q {
			if q[i] != q2[i] {
				t.Fatalf("dim %d: widen differs at %d", dim, i)
			}
		}
		want := make([]int32, n)
		got := make([]int32, n)
		dotsInt8Generic(q, data, n, dim, want)
		dotsInt8(q, data, n, dim, got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("dim %d vec %d: simd %d, generic %d", dim, i, got[i], want[i])
			}
		}
		idx := make([]uint32, 2*n)
		for i := range idx {
			idx[i] = uint32(r.IntN(n))
		}
		want = make([]int32, len(idx))
		got = make([]int32, len(idx))
		dotsInt8GatherGeneric(q, data, idx, dim, want)
		dotsInt8Gather(q, data, idx, dim, got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("gather dim %d vec %d: simd %d, generic %d", dim, i, got[i], want[i])
			}
		}
	}
}

func BenchmarkDotsInt8(b *testing.B) {
	const dim, n = 256, 4096
	r := rand.New(rand.NewPCG(1, 2))
	q := make([]int16, dim)
	for i := range q {
		q[i] = int16(r.IntN(255) - 127)
	}
	data := make([]int8, n*dim)
	for i := range data {
		data[i] = int8(r.IntN(256) - 128)
	}
	out := make([]int32, n)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dotsInt8(q, data, n, dim, out)
	}
}
