package embed

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// The cache file is a magic header followed by records appended one after
// another, each
//
//	key    [32]byte   sha256(name, kind, text)
//	dim    uint32     little-endian
//	vector dim × float32, little-endian IEEE 754
//	crc    uint32     CRC-32C of key, dim and vector
//
// Vectors are stored as float32, so a hit returns exactly the vector the
// embedder returned. A record cut short by a crash, or one whose checksum
// fails, ends the file.
//
// Only the keys and where their records start are held in memory (about
// 60 bytes a vector, against 4 KB for a 1,024-dimensional one); a hit
// reads its record from the file and checks its key and checksum again,
// so a file changed underneath can cost a re-embedding, never a wrong
// vector.
//
// Several processes may share the file (two indexes ingesting with the
// same remote embedder): no descriptor is held between calls, and each
// write takes an exclusive lock on the file (flock), first reads what
// others appended since (keeping their vectors too), cuts off a torn tail
// (under the lock it can only be a crash's), then appends. Opening reads
// without the lock and never changes the file.
var cacheMagic = [8]byte{'Q', 'E', 'M', 'B', 'C', 0, 0, 1}

const maxCacheDim = 1 << 16

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Cache remembers vectors by content so unchanged text is never embedded
// twice, across runs. Only misses reach the inner embedder. It is safe
// for concurrent use.
type Cache struct {
	inner Embedder
	path  string

	mu      sync.RWMutex
	at      map[[32]byte]slot      // records in the file
	mem     map[[32]byte][]float32 // vectors the file could not take (a write failed)
	end     int64                  // the file's bytes read so far, all of them intact records
	werr    error                  // first write failure; later writes are skipped
	hits    int64
	misses  int64
	dropped int64 // bytes of torn or corrupt tail seen on open
}

// slot is where a record starts in the file, and its vector's length.
type slot struct {
	off int64
	dim int
}

// CacheStats counts lookups since the cache was opened.
type CacheStats struct {
	Entries      int   // vectors held
	Hits, Misses int64 // texts not sent to the inner embedder, and texts sent
	DroppedBytes int64 // torn or corrupt tail seen when the file was opened
}

// NewCache opens (or prepares to create) the cache file at path and
// indexes its records.
func NewCache(e Embedder, path string) (*Cache, error) {
	c := &Cache{inner: e, path: path, at: map[[32]byte]slot{}, mem: map[[32]byte][]float32{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return c, nil // made at the first write; if it cannot be, Close says so
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the embedding cache %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read the embedding cache %s: %w", path, err)
	}
	size := info.Size()
	var magic [len(cacheMagic)]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		c.dropped = size // new, or torn before the header was whole
		return c, nil
	}
	if magic != cacheMagic {
		return nil, fmt.Errorf("%s is not a Quire embedding cache (or was written by another version); move it away to start a new one", path)
	}
	good, err := c.index(f, int64(len(cacheMagic)))
	if err != nil {
		return nil, fmt.Errorf("cannot read the embedding cache %s: %w", path, err)
	}
	c.end = good
	c.dropped = size - good
	return c, nil
}

// index reads records from r, which starts at offset base of the file,
// and notes where each intact one lies; it returns the end of the last.
func (c *Cache) index(r io.Reader, base int64) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var rec []byte
	off := base
	for {
		head, err := br.Peek(36)
		if len(head) < 36 {
			if err == io.EOF || err == io.ErrUnexpectedEOF || err == nil {
				return off, nil
			}
			return off, err
		}
		dim := int(binary.LittleEndian.Uint32(head[32:]))
		if dim == 0 || dim > maxCacheDim {
			return off, nil
		}
		n := recordSize(dim)
		if cap(rec) < n {
			rec = make([]byte, n)
		}
		rec = rec[:n]
		if _, err := io.ReadFull(br, rec); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return off, nil
			}
			return off, err
		}
		if !recordOK(rec) {
			return off, nil
		}
		var key [32]byte
		copy(key[:], rec)
		c.at[key] = slot{off, dim}
		off += int64(n)
	}
}

func recordSize(dim int) int { return 32 + 4 + 4*dim + 4 }

// recordOK checks a whole record's checksum.
func recordOK(rec []byte) bool {
	n := len(rec)
	return crc32.Checksum(rec[:n-4], castagnoli) == binary.LittleEndian.Uint32(rec[n-4:])
}

func appendRecord(buf []byte, key [32]byte, v []float32) []byte {
	start := len(buf)
	buf = append(buf, key[:]...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
	for _, x := range v {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf[start:], castagnoli))
}

// readRecord reads the vector of key at s from f, checking that the
// record is still that key's and intact.
func readRecord(f *os.File, key [32]byte, s slot) ([]float32, bool) {
	rec := make([]byte, recordSize(s.dim))
	if _, err := f.ReadAt(rec, s.off); err != nil || !bytes.Equal(rec[:32], key[:]) ||
		int(binary.LittleEndian.Uint32(rec[32:])) != s.dim || !recordOK(rec) {
		return nil, false
	}
	v := make([]float32, s.dim)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(rec[36+4*i:]))
	}
	return v, true
}

// cacheKey hashes the embedder's name, the kind and the text, with
// separators so that no two different triples share an input.
func cacheKey(name string, kind Kind, text string) [32]byte {
	h := sha256.New()
	io.WriteString(h, name)
	h.Write([]byte{0})
	io.WriteString(h, kind.String())
	h.Write([]byte{0})
	io.WriteString(h, text)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *Cache) Name() string { return c.inner.Name() }
func (c *Cache) Dim() int     { return c.inner.Dim() }

// Unwrap returns the wrapped embedder.
func (c *Cache) Unwrap() Embedder { return c.inner }

// Embed returns cached vectors and embeds only the texts not seen before
// (each distinct one once). The vectors returned are the caller's own.
func (c *Cache) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	name := c.inner.Name()
	out := make([][]float32, len(texts))
	keys := make([][32]byte, len(texts))
	for i, t := range texts {
		keys[i] = cacheKey(name, kind, t)
	}
	c.lookup(keys, out)
	var (
		missTexts []string
		missKeys  [][32]byte
		missFrom  []int                // the caller's index of each miss, for errors
		pending   = map[[32]byte]int{} // key → index in missTexts
	)
	for i, k := range keys {
		if out[i] != nil {
			continue
		}
		if _, ok := pending[k]; !ok {
			pending[k] = len(missTexts)
			missTexts = append(missTexts, texts[i])
			missKeys = append(missKeys, k)
			missFrom = append(missFrom, i)
		}
	}
	hits := int64(len(texts) - len(missTexts)) // repeats within the call count as hits
	if len(missTexts) == 0 {
		c.count(hits, 0)
		return out, nil
	}
	vecs, err := c.inner.Embed(ctx, missTexts, kind)
	var zv *ZeroVectorError
	if errors.As(err, &zv) && zv.Index >= 0 && zv.Index < len(missFrom) {
		return nil, &ZeroVectorError{Service: zv.Service, Index: missFrom[zv.Index]}
	}
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(missTexts) {
		return nil, fmt.Errorf("%s returned %d vectors for %d texts", name, len(vecs), len(missTexts))
	}
	for i, v := range vecs {
		if len(v) == 0 || len(v) > maxCacheDim {
			return nil, fmt.Errorf("%s returned a vector of length %d", name, len(v))
		}
		vecs[i] = append([]float32(nil), v...) // the cache's own copy
	}
	for i, k := range keys {
		if out[i] == nil {
			out[i] = append([]float32(nil), vecs[pending[k]]...)
		}
	}
	c.store(missKeys, vecs)
	c.count(hits, int64(len(missTexts)))
	return out, nil
}

// lookup fills out[i] with the cached vector of keys[i], where there is
// one. Records that no longer check out are forgotten: they are misses.
func (c *Cache) lookup(keys [][32]byte, out [][]float32) {
	var f *os.File
	var bad [][32]byte
	c.mu.RLock()
	for i, k := range keys {
		if v, ok := c.mem[k]; ok {
			out[i] = append([]float32(nil), v...)
			continue
		}
		s, ok := c.at[k]
		if !ok {
			continue
		}
		if f == nil {
			var err error
			if f, err = os.Open(c.path); err != nil {
				break // all misses: the vectors are embedded again
			}
			defer f.Close()
		}
		if v, ok := readRecord(f, k, s); ok {
			out[i] = v
		} else {
			bad = append(bad, k)
		}
	}
	c.mu.RUnlock()
	if len(bad) > 0 {
		c.mu.Lock()
		for _, k := range bad {
			delete(c.at, k)
		}
		c.mu.Unlock()
	}
}

func (c *Cache) count(hits, misses int64) {
	c.mu.Lock()
	c.hits += hits
	c.misses += misses
	c.mu.Unlock()
}

// store appends the new vectors to the file in one write. A write failure
// does not fail the embedding: the vectors stay cached in memory, later
// writes are skipped and Close reports the failure.
func (c *Cache) store(keys [][32]byte, vecs [][]float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var buf []byte
	var put [][32]byte
	var dims []int
	for i, k := range keys {
		if _, ok := c.at[k]; ok {
			continue // another call stored it meanwhile
		}
		if _, ok := c.mem[k]; ok {
			continue
		}
		buf = appendRecord(buf, k, vecs[i])
		put, dims = append(put, k), append(dims, len(vecs[i]))
	}
	if len(put) == 0 {
		return
	}
	if c.werr == nil {
		start, err := c.appendFile(buf)
		if err == nil {
			for i, k := range put {
				c.at[k] = slot{start, dims[i]}
				start += int64(recordSize(dims[i]))
			}
			return
		}
		c.werr = fmt.Errorf("cannot write the embedding cache %s: %w", c.path, err)
	}
	for i, k := range put {
		c.mem[k] = vecs[i]
	}
}

// appendFile writes buf at the end of the file under an exclusive lock,
// first taking in what other processes appended and cutting off a torn
// tail, and returns where it wrote. c.mu is held.
func (c *Cache) appendFile(buf []byte) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return 0, err
	}
	defer unlockFile(f)
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := info.Size()
	magic := int64(len(cacheMagic))
	switch {
	case size < magic:
		// New, or torn before the header was whole.
		if err := f.Truncate(0); err != nil {
			return 0, err
		}
		if _, err := f.WriteAt(cacheMagic[:], 0); err != nil {
			return 0, err
		}
		c.end = magic
		clear(c.at) // whatever was indexed is gone
	case c.end < magic || size < c.end:
		// Another process created the file after this cache opened, or
		// someone replaced it: index it all again.
		var head [len(cacheMagic)]byte
		if _, err := f.ReadAt(head[:], 0); err != nil {
			return 0, err
		}
		if head != cacheMagic {
			return 0, errors.New("it is not a Quire embedding cache")
		}
		clear(c.at)
		c.end = magic
		fallthrough
	case size != c.end:
		good, err := c.index(io.NewSectionReader(f, c.end, size-c.end), c.end)
		if err != nil {
			return 0, err
		}
		c.end = good
		if c.end < size {
			if err := f.Truncate(c.end); err != nil {
				return 0, err
			}
		}
	}
	start := c.end
	if _, err := f.WriteAt(buf, start); err != nil {
		return 0, err
	}
	c.end += int64(len(buf))
	return start, nil
}

// Stats reports the cache's size and hit counts.
func (c *Cache) Stats() CacheStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return CacheStats{Entries: len(c.at) + len(c.mem), Hits: c.hits, Misses: c.misses, DroppedBytes: c.dropped}
}

// Close reports any earlier write failure. No file is held open between
// calls, so there is nothing else to release.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.werr
}
