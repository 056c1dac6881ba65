package vector

import (
	"fmt"
	"math"
)

// quantize normalises v to unit length and writes its symmetric int8 codes
// into dst, returning the scale such that v/|v| ≈ scale·dst and |v|.
func quantize(v []float32, dst []int8) (scale, norm float32, err error) {
	var ss float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, 0, fmt.Errorf("vector has a non-finite value")
		}
		ss += float64(x) * float64(x)
	}
	norm = float32(math.Sqrt(ss))
	if norm == 0 {
		clear(dst)
		return 0, 0, nil
	}
	var maxAbs float32
	for _, x := range v {
		if a := float32(math.Abs(float64(x))); a > maxAbs {
			maxAbs = a
		}
	}
	// Codes are round(x/maxAbs·127); the unit vector is x/norm, so its scale
	// is maxAbs/(127·norm).
	inv := 127 / maxAbs
	for i, x := range v {
		dst[i] = int8(math.Round(float64(x * inv)))
	}
	return maxAbs / (127 * norm), norm, nil
}
