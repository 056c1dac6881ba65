package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Facet columns on disk.
//
// Building a segment's author column reads every author's postings: about
// 1 s on two cores at a million papers, paid by every process that opens
// the index and counts authors (each one-shot 'quire search'). Scorch
// segments never change once written, so a read-write Close saves each
// segment's columns in facets/SEGMENT.FACET, and later opens read them
// instead. A file holds the segment's own values, not the process's ids:
// loading interns them afresh. Files of merged-away segments are removed
// at the next save. A file records its segment's document count and the
// size of the segment's file; one that fails these or its checksum is
// ignored and the column rebuilt, so a damaged or stale cache (an index
// recreated under an old facets/ folder) costs time, never a wrong count.

const (
	facetDir     = "facets"
	facetMagic   = "QFC1"
	facetVersion = 1
)

func (c *facetCache) path(seg uint64, fi int) string {
	return filepath.Join(c.dir, fmt.Sprintf("%016x.%s", seg, facetSpecs[fi].name))
}

// segBytes is the size of a persisted segment's file (scorch names it
// after the segment's id), or -1 when it has none yet.
func (c *facetCache) segBytes(seg uint64) int64 {
	fi, err := os.Stat(filepath.Join(filepath.Dir(c.dir), "store", fmt.Sprintf("%012x.zap", seg)))
	if err != nil {
		return -1
	}
	return fi.Size()
}

// encodeColumn writes col with its values renumbered 1..n in order of
// first use, the names of those values, and a checksum.
func encodeColumn(col column, names []string, docs int, segBytes int64, multi bool) []byte {
	local := map[uint32]uint32{}
	var terms []string
	vals := make([]uint32, len(col.vals))
	for i, v := range col.vals {
		if v == 0 {
			continue
		}
		l, ok := local[v]
		if !ok {
			terms = append(terms, names[v])
			l = uint32(len(terms))
			local[v] = l
		}
		vals[i] = l
	}
	b := []byte(facetMagic)
	b = binary.LittleEndian.AppendUint32(b, facetVersion)
	var flags uint32
	if multi {
		flags = 1
	}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = binary.LittleEndian.AppendUint64(b, uint64(docs))
	b = binary.LittleEndian.AppendUint64(b, uint64(segBytes))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(terms)))
	for _, t := range terms {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(t)))
		b = append(b, t...)
	}
	if multi {
		for _, o := range col.offs {
			b = binary.LittleEndian.AppendUint32(b, o)
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

var errFacetFile = errors.New("not a valid facet column file")

// decodeColumn reads a column written by encodeColumn for a segment of
// docs documents in a file of segBytes, interning its values in d.
func decodeColumn(b []byte, docs int, segBytes int64, multi bool, d *dict) (column, error) {
	r, err := checkColumn(b, docs, segBytes, multi)
	if err != nil {
		return column{}, err
	}
	nterms := int(r.u32())
	if r.err != nil || nterms > len(r.b)/4 {
		return column{}, errFacetFile
	}
	ids := make([]uint32, nterms+1)
	for i := 1; i <= nterms; i++ {
		t := r.bytes(int(r.u32()))
		if r.err != nil {
			return column{}, errFacetFile
		}
		ids[i] = d.id(t)
	}
	var col column
	if multi {
		col.offs = r.u32s(docs + 1)
	}
	nvals := int(r.u32())
	col.vals = r.u32s(nvals)
	if r.err != nil || len(r.b) != 0 {
		return column{}, fmt.Errorf("%w: length", errFacetFile)
	}
	if multi {
		for i := 1; i < len(col.offs); i++ {
			if col.offs[i] < col.offs[i-1] {
				return column{}, fmt.Errorf("%w: offsets", errFacetFile)
			}
		}
		if col.offs[0] != 0 || int(col.offs[docs]) != nvals {
			return column{}, fmt.Errorf("%w: offsets", errFacetFile)
		}
	} else if nvals != docs {
		return column{}, fmt.Errorf("%w: %d values for %d documents", errFacetFile, nvals, docs)
	}
	for i, v := range col.vals {
		if int(v) > nterms {
			return column{}, fmt.Errorf("%w: value %d of %d", errFacetFile, v, nterms)
		}
		col.vals[i] = ids[v]
	}
	return col, nil
}

// checkColumn checks an encoded column's checksum and header against the
// segment it is for, and returns a reader positioned after the header.
func checkColumn(b []byte, docs int, segBytes int64, multi bool) (facetReader, error) {
	if len(b) < 36 || string(b[:4]) != facetMagic {
		return facetReader{}, errFacetFile
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return facetReader{}, fmt.Errorf("%w: checksum", errFacetFile)
	}
	r := facetReader{b: body[4:]}
	if v := r.u32(); v != facetVersion {
		return r, fmt.Errorf("%w: version %d", errFacetFile, v)
	}
	if flags := r.u32(); (flags&1 == 1) != multi {
		return r, fmt.Errorf("%w: wrong kind", errFacetFile)
	}
	if n := r.u64(); n != uint64(docs) {
		return r, fmt.Errorf("%w: %d documents, segment has %d", errFacetFile, n, docs)
	}
	if n := r.u64(); n != uint64(segBytes) {
		return r, fmt.Errorf("%w: written for a segment file of %d bytes, not %d", errFacetFile, n, segBytes)
	}
	return r, nil
}

type facetReader struct {
	b   []byte
	err error
}

func (r *facetReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errFacetFile
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *facetReader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *facetReader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *facetReader) u32s(n int) []uint32 {
	if n < 0 || n > len(r.b)/4 {
		r.err = errFacetFile
		return nil
	}
	b := r.bytes(4 * n)
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

// loadColumn reads a saved column, or reports why it cannot.
func (c *facetCache) loadColumn(seg uint64, docs int, fi int) (column, error) {
	if c.dir == "" {
		return column{}, os.ErrNotExist
	}
	size := c.segBytes(seg)
	if size < 0 {
		return column{}, os.ErrNotExist
	}
	b, err := os.ReadFile(c.path(seg, fi))
	if err != nil {
		return column{}, err
	}
	return decodeColumn(b, docs, size, facetSpecs[fi].multi, c.dicts[fi])
}

// saveColumns writes every facet column of snap's segments that is not on
// disk yet, building the missing ones, and removes the files of segments
// snap no longer has.
func (c *facetCache) saveColumns(ctx context.Context, snap *scorch.IndexSnapshot) error {
	if c.dir == "" {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	all := make([]int, len(facetSpecs))
	for i := range all {
		all[i] = i
	}
	segs := snap.Segments()
	live := make(map[string]bool, len(segs))
	write := make([][]bool, len(segs)) // [segment][facet]: file to (re)write
	sizes := make([]int64, len(segs))
	need := make([]bool, len(segs))
	var missing int
	var buf []byte // one buffer for every file checked: fresh pages cost more than the reading
	for i, ss := range segs {
		live[fmt.Sprintf("%016x", ss.Id())] = true
		size := c.segBytes(ss.Id())
		sizes[i] = size
		if size < 0 {
			continue // not persisted yet: nothing to key the file to
		}
		write[i] = make([]bool, len(facetSpecs))
		for fi, spec := range facetSpecs {
			var ok bool
			if buf, ok = fileValid(buf, c.path(ss.Id(), fi), int(ss.Segment().Count()), size, spec.multi); !ok {
				write[i][fi], need[i] = true, true
			}
		}
		if need[i] {
			missing++
		}
	}
	if missing > 0 {
		cols, err := c.columnsOf(ctx, snap, all, need)
		if err != nil {
			return err
		}
		for i, ss := range segs {
			for fi, spec := range facetSpecs {
				if !need[i] || !write[i][fi] {
					continue
				}
				b := encodeColumn(cols[i].cols[fi].column, c.dicts[fi].snapshot(), int(ss.Segment().Count()), sizes[i], spec.multi)
				if err := writeFileAtomic(c.path(ss.Id(), fi), b); err != nil {
					return err
				}
			}
		}
	}
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		seg, _, ok := strings.Cut(e.Name(), ".")
		_, err := strconv.ParseUint(seg, 16, 64)
		if ok && err == nil && !live[seg] || strings.HasPrefix(e.Name(), ".tmp-") {
			os.Remove(filepath.Join(c.dir, e.Name()))
		}
	}
	return nil
}

// fileValid reports whether p holds a column for this segment whose
// checksum holds, without decoding its values: a save rewrites files that
// are damaged or were written for another segment or format. It reads p
// into buf and returns buf for the next call.
func fileValid(buf []byte, p string, docs int, segBytes int64, multi bool) ([]byte, bool) {
	f, err := os.Open(p)
	if err != nil {
		return buf, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < 36 || st.Size() > 1<<34 {
		return buf, false
	}
	if int64(cap(buf)) < st.Size() {
		buf = make([]byte, st.Size())
	}
	b := buf[:st.Size()]
	if _, err := io.ReadFull(f, b); err != nil {
		return buf, false
	}
	_, err = checkColumn(b, docs, segBytes, multi)
	return buf, err == nil
}

// writeFileAtomic writes b to a temporary file and renames it over p, so
// a reader sees the whole file or none.
func writeFileAtomic(p string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
