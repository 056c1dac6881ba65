package vector

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"unsafe"
)

// A snapshot is the whole core written little-endian:
//
//	magic "QVSN", version u32, dim u32, flags u32 (1 = graph), seq u64,
//	slots u64, then codes, scales, tombstone words, ID offsets, arena length
//	u64 and arena; with a graph: m, m0, efc, entry u32, maxLevel i32, levels,
//	layer-0 counts, layer-0 blocks, upper-layer count u64 + (slot, offset)
//	pairs, upper array length u64 + array; last a CRC-32C of all before it.
//
// Large arrays are written as their in-memory bytes, so loading a million
// vectors is a few sequential reads.

const (
	snapMagic   = "QVSN"
	snapVersion = 1
	snapName    = "vectors.snap"
	walName     = "vectors.wal"
)

var errCorruptSnapshot = errors.New("corrupt vector snapshot")

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

type snapWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	err error
}

func (w *snapWriter) bytes(b []byte) {
	if w.err != nil {
		return
	}
	w.crc.Write(b)
	_, w.err = w.w.Write(b)
}

func (w *snapWriter) u32(v uint32) { w.bytes(binary.LittleEndian.AppendUint32(nil, v)) }
func (w *snapWriter) u64(v uint64) { w.bytes(binary.LittleEndian.AppendUint64(nil, v)) }

// writeSnapshot writes c at seq to dir atomically: temp file, fsync,
// rename, fsync of the directory.
func writeSnapshot(dir string, c *core, seq uint64) error {
	tmp, err := os.CreateTemp(dir, snapName+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := &snapWriter{w: bufio.NewWriterSize(tmp, 1<<20), crc: crc32.New(castagnoli)}
	w.bytes([]byte(snapMagic))
	w.u32(snapVersion)
	w.u32(uint32(c.dim))
	flags := uint32(0)
	if c.g.on {
		flags = 1
	}
	w.u32(flags)
	w.u64(seq)
	w.u64(uint64(c.slots()))
	w.bytes(asBytes(c.codes))
	w.bytes(asBytes(c.scales))
	w.bytes(asBytes(c.deleted[:(c.slots()+63)/64]))
	w.bytes(asBytes(c.ids.off))
	w.u64(uint64(len(c.ids.arena)))
	w.bytes(c.ids.arena)
	if c.g.on {
		g := &c.g
		w.u32(uint32(g.m))
		w.u32(uint32(g.m0))
		w.u32(uint32(g.efc))
		w.u32(g.entry)
		w.u32(uint32(int32(g.maxLevel)))
		w.bytes(g.level)
		w.bytes(g.l0n)
		w.bytes(asBytes(g.l0))
		keys := make([]uint32, 0, len(g.upOff))
		for k := range g.upOff {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.u64(uint64(len(keys)))
		pairs := make([]uint32, 0, 2*len(keys))
		for _, k := range keys {
			pairs = append(pairs, k, g.upOff[k])
		}
		w.bytes(asBytes(pairs))
		w.u64(uint64(len(g.up)))
		w.bytes(asBytes(g.up))
	}
	if w.err == nil {
		sum := w.crc.Sum32()
		w.u32(sum)
	}
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err == nil {
		w.err = tmp.Sync()
	}
	if err := tmp.Close(); w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return w.err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, snapName)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type snapReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	err error
}

func (r *snapReader) fill(b []byte) {
	if r.err != nil {
		return
	}
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = errCorruptSnapshot
		return
	}
	r.crc.Write(b)
}

func (r *snapReader) u32() uint32 {
	var b [4]byte
	r.fill(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (r *snapReader) u64() uint64 {
	var b [8]byte
	r.fill(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// readSnapshot loads a snapshot into a new core; ok is false when there is
// none.
func readSnapshot(path string, dim, workers int, p graphParams) (c *core, seq uint64, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, false, err
	}
	size := st.Size()
	r := &snapReader{r: bufio.NewReaderSize(f, 1<<20), crc: crc32.New(castagnoli)}
	var magic [4]byte
	r.fill(magic[:])
	if r.err != nil || string(magic[:]) != snapMagic {
		return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
	}
	if v := r.u32(); v != snapVersion {
		return nil, 0, false, fmt.Errorf("%s: unknown snapshot version %d", path, v)
	}
	if d := int(r.u32()); d != dim {
		return nil, 0, false, fmt.Errorf("%w: snapshot has dim %d, options say %d", ErrDimMismatch, d, dim)
	}
	flags := r.u32()
	seq = r.u64()
	n := r.u64()
	// Refuse sizes the file cannot hold before allocating them.
	if n > uint64(size)/uint64(dim+4) {
		return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
	}
	slots := int(n)
	c = newCore(dim, workers, p)
	c.codes = make([]int8, slots*dim)
	c.scales = make([]float32, slots)
	c.deleted = make([]uint64, (slots+63)/64)
	c.ids.off = make([]uint32, slots+1)
	r.fill(asBytes(c.codes))
	r.fill(asBytes(c.scales))
	r.fill(asBytes(c.deleted))
	r.fill(asBytes(c.ids.off))
	an := r.u64()
	if an > uint64(size) || (r.err == nil && uint64(c.ids.off[slots]) != an) {
		return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
	}
	c.ids.arena = make([]byte, an)
	r.fill(c.ids.arena)
	for s := range slots {
		if r.err == nil && c.ids.off[s] > c.ids.off[s+1] {
			r.err = errCorruptSnapshot
		}
	}
	if flags&1 != 0 {
		g := &c.g
		g.init(graphParams{m: int(r.u32()), m0: int(r.u32()), efc: int(r.u32())})
		if g.m < 2 || g.m0 < 2 || g.m0 > 255 || g.m > 1<<16 {
			return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
		}
		g.on = true
		g.entry = r.u32()
		g.maxLevel = int(int32(r.u32()))
		g.level = make([]uint8, slots)
		g.l0n = make([]uint8, slots)
		r.fill(g.level)
		r.fill(g.l0n)
		if uint64(slots)*uint64(g.m0)*4 > uint64(size) {
			return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
		}
		g.l0 = make([]uint32, slots*g.m0)
		r.fill(asBytes(g.l0))
		nk := r.u64()
		if nk > uint64(slots) {
			return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
		}
		pairs := make([]uint32, 2*nk)
		r.fill(asBytes(pairs))
		g.upOff = make(map[uint32]uint32, nk)
		for i := 0; i < len(pairs); i += 2 {
			g.upOff[pairs[i]] = pairs[i+1]
		}
		nu := r.u64()
		if nu > uint64(size) {
			return nil, 0, false, fmt.Errorf("%s: %w", path, errCorruptSnapshot)
		}
		g.up = make([]uint32, nu)
		r.fill(asBytes(g.up))
	}
	if r.err == nil {
		want := r.crc.Sum32()
		if got := r.u32(); r.err == nil && got != want {
			r.err = errCorruptSnapshot
		}
	}
	if r.err != nil {
		return nil, 0, false, fmt.Errorf("%s: %w", path, r.err)
	}
	// Rebuild the ID table and the tombstone count.
	c.ndel = popcount(c.deleted)
	c.ids.table = make([]uint32, 16)
	c.ids.rehashFor(slots - c.ndel)
	for s := range slots {
		if !c.isDeleted(uint32(s)) {
			c.ids.insert(c.ids.id(uint32(s)), uint32(s))
		}
	}
	if err := c.validate(); err != nil {
		return nil, 0, false, fmt.Errorf("%s: %w", path, err)
	}
	return c, seq, true, nil
}

// validate checks the graph's slot references so a bad snapshot cannot make
// a search index out of range.
func (c *core) validate() error {
	if !c.g.on {
		return nil
	}
	g := &c.g
	n := uint32(c.slots())
	if g.maxLevel >= 0 && g.entry >= n || g.maxLevel > maxLevel {
		return errCorruptSnapshot
	}
	for s := range n {
		if int(g.l0n[s]) > g.m0 || int(g.level[s]) > maxLevel {
			return errCorruptSnapshot
		}
		if _, ok := g.upOff[s]; ok != (g.level[s] > 0) {
			return errCorruptSnapshot
		}
		for _, x := range g.list(s, 0) {
			if x >= n {
				return errCorruptSnapshot
			}
		}
	}
	for s, o := range g.upOff {
		if s >= n || int(o)+int(g.level[s])*(g.m+1) > len(g.up) {
			return errCorruptSnapshot
		}
		for lv := 1; lv <= int(g.level[s]); lv++ {
			if int(g.up[int(o)+(lv-1)*(g.m+1)]) > g.m {
				return errCorruptSnapshot
			}
			for _, x := range g.list(s, lv) {
				if x >= n {
					return errCorruptSnapshot
				}
			}
		}
	}
	return nil
}
