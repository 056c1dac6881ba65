package embed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sync"
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
// fails, ends the file: Open truncates it there and appends after.
var cacheMagic = [8]byte{'Q', 'E', 'M', 'B', 'C', 0, 0, 1}

const maxCacheDim = 1 << 16

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Cache remembers vectors by content so unchanged text is never embedded
// twice, across runs. Only misses reach the inner embedder. It is safe
// for concurrent use. Close it to flush.
type Cache struct {
	inner Embedder
	path  string

	mu      sync.RWMutex
	f       *os.File
	vecs    map[[32]byte][]float32
	werr    error // first write failure; later writes are skipped
	hits    int64
	misses  int64
	dropped int64 // bytes of torn or corrupt tail dropped on open
}

// CacheStats counts lookups since the cache was opened.
type CacheStats struct {
	Entries      int   // vectors held
	Hits, Misses int64 // texts not sent to the inner embedder, and texts sent
	DroppedBytes int64 // torn or corrupt tail removed when the file was opened
}

// NewCache opens (or creates) the cache file at path and loads it.
func NewCache(e Embedder, path string) (*Cache, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the embedding cache: %w", err)
	}
	c := &Cache{inner: e, path: path, f: f, vecs: map[[32]byte][]float32{}}
	if err := c.load(); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cache) load() error {
	data, err := io.ReadAll(c.f)
	if err != nil {
		return fmt.Errorf("cannot read the embedding cache %s: %w", c.path, err)
	}
	if len(data) < len(cacheMagic) {
		// New, or torn before the header was complete.
		if err := c.f.Truncate(0); err != nil {
			return fmt.Errorf("cannot reset the embedding cache %s: %w", c.path, err)
		}
		if _, err := c.f.WriteAt(cacheMagic[:], 0); err != nil {
			return fmt.Errorf("cannot write the embedding cache %s: %w", c.path, err)
		}
		c.dropped = int64(len(data))
		_, err := c.f.Seek(int64(len(cacheMagic)), io.SeekStart)
		return err
	}
	if !bytes.Equal(data[:len(cacheMagic)], cacheMagic[:]) {
		return fmt.Errorf("%s is not a Quire embedding cache (or was written by another version); move it away to start a new one", c.path)
	}
	// Count floats first so every vector lives in one allocation.
	good, floats := scanRecords(data)
	slab := make([]float32, floats)
	for off := len(cacheMagic); off < good; {
		var key [32]byte
		copy(key[:], data[off:])
		dim := int(binary.LittleEndian.Uint32(data[off+32:]))
		v := slab[:dim:dim]
		slab = slab[dim:]
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[off+36+4*i:]))
		}
		c.vecs[key] = v
		off += recordSize(dim)
	}
	if good < len(data) {
		c.dropped = int64(len(data) - good)
		if err := c.f.Truncate(int64(good)); err != nil {
			return fmt.Errorf("cannot repair the embedding cache %s: %w", c.path, err)
		}
	}
	_, err = c.f.Seek(int64(good), io.SeekStart)
	return err
}

func recordSize(dim int) int { return 32 + 4 + 4*dim + 4 }

// scanRecords returns the end of the last intact record and the number of
// floats before it.
func scanRecords(data []byte) (good, floats int) {
	off := len(cacheMagic)
	for off+36 <= len(data) {
		dim := int(binary.LittleEndian.Uint32(data[off+32:]))
		if dim == 0 || dim > maxCacheDim {
			break
		}
		n := recordSize(dim)
		if off+n > len(data) {
			break
		}
		sum := binary.LittleEndian.Uint32(data[off+n-4:])
		if crc32.Checksum(data[off:off+n-4], castagnoli) != sum {
			break
		}
		off += n
		floats += dim
	}
	return off, floats
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
	var (
		missTexts []string
		missKeys  [][32]byte
		pending   = map[[32]byte]int{} // key → index in missTexts
	)
	c.mu.RLock()
	for i, k := range keys {
		if v, ok := c.vecs[k]; ok {
			out[i] = append([]float32(nil), v...)
			continue
		}
		if _, ok := pending[k]; !ok {
			pending[k] = len(missTexts)
			missTexts = append(missTexts, texts[i])
			missKeys = append(missKeys, k)
		}
	}
	c.mu.RUnlock()
	hits := int64(len(texts) - len(missTexts)) // repeats within the call count as hits
	if len(missTexts) == 0 {
		c.count(hits, 0)
		return out, nil
	}
	vecs, err := c.inner.Embed(ctx, missTexts, kind)
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

func (c *Cache) count(hits, misses int64) {
	c.mu.Lock()
	c.hits += hits
	c.misses += misses
	c.mu.Unlock()
}

// store appends the new vectors in one write. A write failure does not
// fail the embedding: the vectors stay cached in memory, later writes are
// skipped and Close reports the failure.
func (c *Cache) store(keys [][32]byte, vecs [][]float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var buf []byte
	for i, k := range keys {
		if _, ok := c.vecs[k]; ok {
			continue // another call stored it meanwhile
		}
		c.vecs[k] = vecs[i]
		buf = appendRecord(buf, k, vecs[i])
	}
	if c.werr != nil || c.f == nil || len(buf) == 0 {
		return
	}
	if _, err := c.f.Write(buf); err != nil {
		c.werr = fmt.Errorf("cannot write the embedding cache %s: %w", c.path, err)
	}
}

// Stats reports the cache's size and hit counts.
func (c *Cache) Stats() CacheStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return CacheStats{Entries: len(c.vecs), Hits: c.hits, Misses: c.misses, DroppedBytes: c.dropped}
}

// Close flushes the file to disk and closes it. It reports any earlier
// write failure.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return c.werr
	}
	err := errors.Join(c.werr, c.f.Sync(), c.f.Close())
	c.f = nil
	return err
}
