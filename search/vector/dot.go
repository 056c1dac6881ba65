package vector

// The int8 dot-product kernels. Stored vectors are int8; a query is widened
// to int16 once so the kernels can feed it straight into VPMADDWD.

// dotsInt8Generic writes into out[i] the dot product of q (dim values) with
// the i-th of n vectors laid out back to back in data.
func dotsInt8Generic(q []int16, data []int8, n, dim int, out []int32) {
	q = q[:dim]
	for i := 0; i < n; i++ {
		v := data[i*dim : i*dim+dim]
		var s int32
		for j, x := range v {
			s += int32(x) * int32(q[j])
		}
		out[i] = s
	}
}

// dotsInt8GatherGeneric is dotsInt8Generic over the vectors at the slots in
// idx rather than a contiguous run.
func dotsInt8GatherGeneric(q []int16, data []int8, idx []uint32, dim int, out []int32) {
	q = q[:dim]
	for i, slot := range idx {
		off := int(slot) * dim
		v := data[off : off+dim]
		var s int32
		for j, x := range v {
			s += int32(x) * int32(q[j])
		}
		out[i] = s
	}
}

// widen copies int8 codes into an int16 buffer.
func widenGeneric(dst []int16, src []int8) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = int16(x)
	}
}
