//go:build !amd64 || purego

package vector

const haveSIMD = false

func dotsInt8(q []int16, data []int8, n, dim int, out []int32) {
	dotsInt8Generic(q, data, n, dim, out)
}

func dotsInt8Gather(q []int16, data []int8, idx []uint32, dim int, out []int32) {
	dotsInt8GatherGeneric(q, data, idx, dim, out)
}

func widen(dst []int16, src []int8) { widenGeneric(dst, src) }
