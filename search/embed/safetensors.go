package embed

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// tensor is one entry of a safetensors file, its bytes still raw.
type tensor struct {
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
	data        []byte
}

// parseSafetensors reads the format of huggingface/safetensors: an 8-byte
// little-endian header length, a JSON header mapping names to dtype,
// shape and data_offsets (relative to the end of the header), then the
// tensors' bytes.
func parseSafetensors(file []byte) (map[string]*tensor, error) {
	if len(file) < 8 {
		return nil, fmt.Errorf("too short for a safetensors file (%d bytes)", len(file))
	}
	n := binary.LittleEndian.Uint64(file)
	if n < 2 || n > uint64(len(file)-8) || n > 100<<20 {
		return nil, fmt.Errorf("bad safetensors header length %d for a file of %d bytes", n, len(file))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(file[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("bad safetensors header: %v", err)
	}
	buf := file[8+n:]
	out := make(map[string]*tensor, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		t := new(tensor)
		if err := json.Unmarshal(msg, t); err != nil {
			return nil, fmt.Errorf("bad safetensors entry %q: %v", name, err)
		}
		size := dtypeSize(t.DType)
		if size == 0 {
			size = 1 // unknown dtypes are kept but cannot be read as floats
		}
		count := 1
		for _, d := range t.Shape {
			if d < 0 || (d > 0 && count > math.MaxInt32/d) {
				return nil, fmt.Errorf("tensor %q has a bad shape %v", name, t.Shape)
			}
			count *= d
		}
		b, e := t.DataOffsets[0], t.DataOffsets[1]
		if b < 0 || e < b || e > len(buf) {
			return nil, fmt.Errorf("tensor %q lies outside the file (offsets %d..%d of %d)", name, b, e, len(buf))
		}
		if dtypeSize(t.DType) != 0 && e-b != count*size {
			return nil, fmt.Errorf("tensor %q has %d bytes, but %s%v needs %d", name, e-b, t.DType, t.Shape, count*size)
		}
		t.data = buf[b:e]
		out[name] = t
	}
	return out, nil
}

func dtypeSize(dtype string) int {
	switch dtype {
	case "F32", "I32":
		return 4
	case "F16", "BF16", "I16":
		return 2
	case "F64", "I64":
		return 8
	case "I8", "U8":
		return 1
	}
	return 0
}

// floats decodes a floating-point tensor to float32.
func (t *tensor) floats() ([]float32, error) {
	size := dtypeSize(t.DType)
	if size == 0 {
		return nil, fmt.Errorf("tensor dtype %s is not supported", t.DType)
	}
	n := len(t.data) / size
	out := make([]float32, n)
	d := t.data
	switch t.DType {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case "F16":
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case "BF16":
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(d[2*i:])) << 16)
		}
	case "F64":
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:])))
		}
	default:
		return nil, fmt.Errorf("tensor dtype %s is not a float type", t.DType)
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 binary16 to float32, exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant × 2^-24
		f := float32(mant) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// matrixName picks the embedding matrix: "embeddings", else the only 2-D
// tensor.
func matrixName(ts map[string]*tensor) (string, error) {
	if t, ok := ts["embeddings"]; ok && len(t.Shape) == 2 {
		return "embeddings", nil
	}
	var twoD []string
	for name, t := range ts {
		if len(t.Shape) == 2 {
			twoD = append(twoD, name)
		}
	}
	sort.Strings(twoD)
	switch len(twoD) {
	case 1:
		return twoD[0], nil
	case 0:
		return "", fmt.Errorf("no 2-D tensor (the embedding matrix) in the file")
	}
	return "", fmt.Errorf("no tensor named \"embeddings\" and several 2-D tensors (%v): cannot tell which is the embedding matrix", twoD)
}
