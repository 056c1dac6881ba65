package vector

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

// The write-ahead log holds every batch applied since the last snapshot.
// After a 16-byte header (magic, version, dim) each record is
//
//	u32 payload length | u32 CRC-32C of payload | payload
//
// and a payload is seq u64, ups u32, dels u32, then per upsert a uvarint ID
// length, the ID, the f32 scale and dim int8 codes, then per delete a uvarint
// ID length and the ID. Vectors are logged already quantized so replay
// rebuilds exactly the state that was live.

const (
	walMagic   = "QVWL"
	walVersion = 1
	walHeader  = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// walRec locates one record so Rollback can cut the log after it.
type walRec struct {
	seq uint64
	end int64
}

func encodeBatch(b *batch, dim int) []byte {
	size := 8 + 16
	for _, id := range b.ids {
		size += binary.MaxVarintLen32 + len(id) + 4 + dim
	}
	for _, id := range b.dels {
		size += binary.MaxVarintLen32 + len(id)
	}
	p := make([]byte, 8, size)
	p = binary.LittleEndian.AppendUint64(p, b.seq)
	p = binary.LittleEndian.AppendUint32(p, uint32(len(b.ids)))
	p = binary.LittleEndian.AppendUint32(p, uint32(len(b.dels)))
	for i, id := range b.ids {
		p = binary.AppendUvarint(p, uint64(len(id)))
		p = append(p, id...)
		p = binary.LittleEndian.AppendUint32(p, math.Float32bits(b.scales[i]))
		for _, x := range b.codes[i*dim : (i+1)*dim] {
			p = append(p, byte(x))
		}
	}
	for _, id := range b.dels {
		p = binary.AppendUvarint(p, uint64(len(id)))
		p = append(p, id...)
	}
	binary.LittleEndian.PutUint32(p[0:], uint32(len(p)-8))
	binary.LittleEndian.PutUint32(p[4:], crc32.Checksum(p[8:], castagnoli))
	return p
}

var errBadRecord = errors.New("bad wal record")

func decodeBatch(p []byte, dim int) (*batch, error) {
	if len(p) < 16 {
		return nil, errBadRecord
	}
	b := &batch{seq: binary.LittleEndian.Uint64(p)}
	nu := int(binary.LittleEndian.Uint32(p[8:]))
	nd := int(binary.LittleEndian.Uint32(p[12:]))
	p = p[16:]
	if nu > len(p)/(dim+5) || nd > len(p) {
		return nil, errBadRecord
	}
	readID := func() (string, bool) {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return "", false
		}
		id := string(p[n : n+int(l)])
		p = p[n+int(l):]
		return id, true
	}
	b.ids = make([]string, nu)
	b.scales = make([]float32, nu)
	b.codes = make([]int8, nu*dim)
	for i := range nu {
		id, ok := readID()
		if !ok || len(p) < 4+dim {
			return nil, errBadRecord
		}
		b.ids[i] = id
		b.scales[i] = math.Float32frombits(binary.LittleEndian.Uint32(p))
		for j, x := range p[4 : 4+dim] {
			b.codes[i*dim+j] = int8(x)
		}
		p = p[4+dim:]
	}
	b.dels = make([]string, nd)
	for i := range nd {
		id, ok := readID()
		if !ok {
			return nil, errBadRecord
		}
		b.dels[i] = id
	}
	if len(p) != 0 {
		return nil, errBadRecord
	}
	return b, nil
}

func walHeaderBytes(dim int) []byte {
	h := make([]byte, walHeader)
	copy(h, walMagic)
	binary.LittleEndian.PutUint32(h[4:], walVersion)
	binary.LittleEndian.PutUint32(h[8:], uint32(dim))
	return h
}

// openWAL opens or creates the log, checks its header and calls fn for each
// intact record in order. It stops at the first torn or corrupt record (or
// one whose seq does not increase) and truncates the file there, so a crash
// mid-append loses only that append. Read-only, a missing log reads as
// empty and nothing is written.
func openWAL(fsys fileSystem, path string, dim int, readOnly bool, fn func(b *batch, end int64) error) (file, int64, error) {
	if readOnly {
		f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
		if errors.Is(err, os.ErrNotExist) {
			return nil, walHeader, nil
		}
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil || st.Size() < walHeader {
			f.Close()
			return nil, walHeader, err
		}
		end, err := replayWAL(f, path, dim, st.Size(), fn)
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, end, nil
	}
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (file, int64, error) {
		f.Close()
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if st.Size() < walHeader {
		// New, or torn while writing the header: start it afresh.
		if err := f.Truncate(0); err != nil {
			return fail(err)
		}
		if _, err := f.WriteAt(walHeaderBytes(dim), 0); err != nil {
			return fail(err)
		}
		if err := f.Sync(); err != nil {
			return fail(err)
		}
		// A new log's name must survive a power loss as its records do.
		if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
			return fail(err)
		}
		return f, walHeader, nil
	}
	off, err := replayWAL(f, path, dim, st.Size(), fn)
	if err != nil {
		return fail(err)
	}
	if off != st.Size() {
		if err := f.Truncate(off); err != nil {
			return fail(err)
		}
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	return f, off, nil
}

// replayWAL reads the log's records in order and returns where the intact
// ones end.
func replayWAL(f io.ReaderAt, path string, dim int, size int64, fn func(b *batch, end int64) error) (int64, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<20)
	h := make([]byte, walHeader)
	if _, err := io.ReadFull(r, h); err != nil {
		return 0, err
	}
	if string(h[:4]) != walMagic {
		return 0, fmt.Errorf("%s is not a vector write-ahead log", path)
	}
	if d := int(binary.LittleEndian.Uint32(h[8:])); d != dim {
		return 0, fmt.Errorf("%w: write-ahead log has dim %d, options say %d", ErrDimMismatch, d, dim)
	}
	off := int64(walHeader)
	var last uint64
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:]))
		if off+8+n > size {
			break
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil {
			break
		}
		if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			break
		}
		b, err := decodeBatch(p, dim)
		if err != nil || b.seq <= last {
			break
		}
		last = b.seq
		if err := fn(b, off+8+n); err != nil {
			return off, err
		}
		off += 8 + n
	}
	return off, nil
}
