package local

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

// File format, little-endian: magic "QLSA", version, dim, vocab size,
// docs, power, id; then per term: length-prefixed bytes and idf; then the
// vectors; then sigma; then a CRC-32 of everything before it.
const (
	magic   = "QLSA"
	version = 1
)

// Save writes the model to path atomically (temporary file, fsync, rename).
func (m *Model) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := crc32.NewIEEE()
	w := bufio.NewWriterSize(io.MultiWriter(tmp, h), 1<<20)
	put := func(v any) {
		if err == nil {
			err = binary.Write(w, binary.LittleEndian, v)
		}
	}
	w.WriteString(magic)
	put(uint32(version))
	put(uint32(m.dim))
	put(uint32(len(m.vocab)))
	put(uint64(m.docs))
	put(m.power)
	put(uint32(len(m.id)))
	w.WriteString(m.id)
	terms := make([]string, len(m.vocab))
	for t, id := range m.vocab {
		terms[id] = t
	}
	for id, t := range terms {
		put(uint16(len(t)))
		w.WriteString(t)
		put(m.idf[id])
	}
	put(m.vecs)
	put(uint32(len(m.sigma)))
	put(m.sigma)
	if err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := binary.Write(tmp, binary.LittleEndian, h.Sum32()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ErrNoModel is returned by Load when no model has been trained yet.
var ErrNoModel = errors.New("no local embedding model")

// Load reads a model written by Save.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoModel
	}
	if err != nil {
		return nil, err
	}
	bad := func(why string) error {
		return fmt.Errorf("%s: not a valid embedding model (%s); delete it and run 'quire ingest' to retrain", path, why)
	}
	if len(data) < 8 || string(data[:4]) != magic {
		return nil, bad("wrong header")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, bad("checksum mismatch")
	}
	r := &reader{b: body[4:]}
	if v := r.u32(); v != version {
		return nil, bad(fmt.Sprintf("version %d", v))
	}
	m := &Model{dim: int(r.u32())}
	n := int(r.u32())
	m.docs = int(r.u64())
	m.power = math.Float64frombits(r.u64())
	m.id = string(r.bytes(int(r.u32())))
	m.vocab = make(map[string]int32, n)
	m.idf = make([]float32, n)
	for i := range n {
		t := string(r.bytes(int(r.u16())))
		m.vocab[t] = int32(i)
		m.idf[i] = r.f32()
	}
	m.vecs = make([]float32, n*m.dim)
	for i := range m.vecs {
		m.vecs[i] = r.f32()
	}
	m.sigma = make([]float32, r.u32())
	for i := range m.sigma {
		m.sigma[i] = r.f32()
	}
	if r.err || len(r.b) != 0 {
		return nil, bad("truncated")
	}
	return m, nil
}

type reader struct {
	b   []byte
	err bool
}

func (r *reader) bytes(n int) []byte {
	if n > len(r.b) {
		r.err = true
		r.b = nil
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *reader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) u64() uint64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) f32() float32 { return math.Float32frombits(r.u32()) }
