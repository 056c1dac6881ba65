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
// LSA vectors; then sigma; from version 2 (which also stores the LSA
// width after dim), the word mix, the word dimensions and vocabulary size (0: none), the SIF weights, the
// word vectors and the common direction; then a CRC-32 of everything
// before it. Version 1 files (LSA alone) still load.
const (
	magic   = "QLSA"
	version = 2
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
	put(uint32(m.lsaDim))
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
	put(m.mix)
	if m.words == nil {
		put(uint32(0))
		put(uint32(0))
	} else {
		put(uint32(m.words.dim))
		put(uint32(len(m.words.sif)))
		put(m.words.sif)
		put(m.words.vecs)
		put(m.words.pc)
	}
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
	ver := r.u32()
	if ver != 1 && ver != version {
		return nil, bad(fmt.Sprintf("version %d", ver))
	}
	m := &Model{dim: int(r.u32())}
	m.lsaDim = m.dim
	if ver >= 2 {
		m.lsaDim = int(r.u32())
		if m.lsaDim < 1 || m.lsaDim > m.dim {
			return nil, bad("LSA width")
		}
	}
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
	m.vecs = make([]float32, n*m.lsaDim)
	for i := range m.vecs {
		m.vecs[i] = r.f32()
	}
	m.sigma = make([]float32, r.u32())
	for i := range m.sigma {
		m.sigma[i] = r.f32()
	}
	if ver >= 2 {
		m.mix = r.f32()
		wd, wn := int(r.u32()), int(r.u32())
		if wd > 0 {
			if wd+m.lsaDim != m.dim || wn > n {
				return nil, bad("word vector shape")
			}
			w := &wordModel{dim: wd, sif: make([]float32, wn), vecs: make([]float32, wn*wd), pc: make([]float32, wd)}
			for _, s := range [][]float32{w.sif, w.vecs, w.pc} {
				for i := range s {
					s[i] = r.f32()
				}
			}
			m.words = w
		} else if m.lsaDim != m.dim {
			return nil, bad("word vector shape")
		}
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
