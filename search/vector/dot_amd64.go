//go:build amd64 && !purego

package vector

import "golang.org/x/sys/cpu"

var haveSIMD = cpu.X86.HasAVX2

//go:noescape
func dotsInt8AVX2(q *int16, data *int8, n, dim int, out *int32)

//go:noescape
func dotsInt8GatherAVX2(q *int16, data *int8, idx *uint32, n, dim int, out *int32)

// dotsInt8 computes out[i] = q·data[i*dim:(i+1)*dim] for i < n.
func dotsInt8(q []int16, data []int8, n, dim int, out []int32) {
	if n <= 0 {
		return
	}
	if !haveSIMD || dim == 0 {
		dotsInt8Generic(q, data, n, dim, out)
		return
	}
	_ = q[dim-1]
	_ = data[n*dim-1]
	_ = out[n-1]
	dotsInt8AVX2(&q[0], &data[0], n, dim, &out[0])
}

// dotsInt8Gather computes out[i] = q·data[idx[i]*dim:(idx[i]+1)*dim]. The
// caller guarantees every slot in idx is in range.
func dotsInt8Gather(q []int16, data []int8, idx []uint32, dim int, out []int32) {
	n := len(idx)
	if n == 0 {
		return
	}
	if !haveSIMD || dim == 0 {
		dotsInt8GatherGeneric(q, data, idx, dim, out)
		return
	}
	_ = q[dim-1]
	_ = out[n-1]
	dotsInt8GatherAVX2(&q[0], &data[0], &idx[0], n, dim, &out[0])
}

//go:noescape
func widenAVX2(dst *int16, src *int8, n int)

// widen copies int8 codes into an int16 buffer.
func widen(dst []int16, src []int8) {
	dst = dst[:len(src)]
	n := 0
	if haveSIMD {
		n = len(src) &^ 15
		if n > 0 {
			widenAVX2(&dst[0], &src[0], n)
		}
	}
	for i := n; i < len(src); i++ {
		dst[i] = int16(src[i])
	}
}
