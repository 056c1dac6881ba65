package embed

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// unitEmbedder returns a distinct unit vector per text, with awkward
// float32 values so that a lossy store would show.
type unitEmbedder struct{ fakeEmbedder }

func (u *unitEmbedder) Dim() int { return 3 }

func (u *unitEmbedder) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	if _, err := u.fakeEmbedder.Embed(ctx, texts, kind); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		x := float64(len(t)) + 0.1 + float64(kind)
		v := []float32{float32(math.Sin(x)), float32(math.Cos(x)), float32(1 / 3.0)}
		Normalize(v)
		out[i] = v
	}
	return out, nil
}

func openCache(t *testing.T, inner Embedder, path string) *Cache {
	t.Helper()
	c, err := NewCache(inner, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCacheSecondRunMakesNoInnerCalls(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "vectors.cache")
	in := []string{"alpha", "beta", "alpha", "gamma delta", ""}

	inner := &unitEmbedder{}
	c := openCache(t, inner, path)
	first, err := c.Embed(context.Background(), in, Passage)
	if err != nil {
		t.Fatal(err)
	}
	if inner.calls != 1 || inner.texts != 4 {
		t.Errorf("first run: %d calls, %d texts; want 1 call with the 4 distinct texts", inner.calls, inner.texts)
	}
	if s := c.Stats(); s.Entries != 4 || s.Misses != 4 || s.Hits != 1 {
		t.Errorf("stats %+v", s) // the repeated "alpha" is a hit
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	inner2 := &unitEmbedder{}
	c2 := openCache(t, inner2, path)
	defer c2.Close()
	second, err := c2.Embed(context.Background(), in, Passage)
	if err != nil {
		t.Fatal(err)
	}
	if inner2.calls != 0 {
		t.Fatalf("second run made %d inner calls, want 0", inner2.calls)
	}
	for i := range first {
		for j := range first[i] {
			if math.Float32bits(first[i][j]) != math.Float32bits(second[i][j]) {
				t.Fatalf("vector %d changed on disk: %v vs %v", i, first[i], second[i])
			}
		}
	}
	if s := c2.Stats(); s.Hits != 5 || s.Misses != 0 || s.Entries != 4 {
		t.Errorf("stats %+v", s)
	}
	// The caller owns what it gets.
	second[0][0] = 42
	again, _ := c2.Embed(context.Background(), in[:1], Passage)
	if again[0][0] == 42 {
		t.Error("a caller's write reached the cache")
	}
}

func TestCacheKeysOnNameAndKind(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "vectors.cache")
	a := &unitEmbedder{fakeEmbedder{name: "model-a"}}
	c := openCache(t, a, path)
	c.Embed(context.Background(), []string{"x", "y"}, Passage)
	c.Embed(context.Background(), []string{"x"}, Query) // kind is part of the key
	if a.texts != 3 {
		t.Errorf("%d texts embedded, want 3", a.texts)
	}
	c.Close()

	b := &unitEmbedder{fakeEmbedder{name: "model-b"}}
	c = openCache(t, b, path)
	defer c.Close()
	c.Embed(context.Background(), []string{"x", "y"}, Passage)
	if b.texts != 2 {
		t.Errorf("after a Name change %d texts embedded, want all 2", b.texts)
	}
	if cacheKey("ab", Passage, "c") == cacheKey("a", Passage, "bc") {
		t.Error("the key is ambiguous")
	}
}

func TestCacheToleratesTornTail(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "vectors.cache")
	c := openCache(t, &unitEmbedder{}, path)
	c.Embed(context.Background(), []string{"one"}, Passage)
	c.Embed(context.Background(), []string{"three"}, Passage)
	c.Close()
	info, _ := os.Stat(path)
	full := info.Size()
	if want := int64(len(cacheMagic) + 2*recordSize(3)); full != want {
		t.Fatalf("file is %d bytes, want %d", full, want)
	}

	for name, damage := range map[string]func(){
		"cut short": func() { os.Truncate(path, full-5) },
		"bad checksum": func() {
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			f.WriteAt([]byte{0xff}, full-10)
			f.Close()
		},
	} {
		// Rebuild, damage, reopen: the first record survives, the second
		// is re-embedded and the file is whole again.
		os.Remove(path)
		c := openCache(t, &unitEmbedder{}, path)
		c.Embed(context.Background(), []string{"one", "three"}, Passage)
		c.Close()
		damage()
		inner := &unitEmbedder{}
		c = openCache(t, inner, path)
		if s := c.Stats(); s.Entries != 1 || s.DroppedBytes == 0 {
			t.Errorf("%s: stats %+v", name, s)
		}
		c.Embed(context.Background(), []string{"one", "three"}, Passage)
		if inner.texts != 1 || inner.batches[0][0] != "three" {
			t.Errorf("%s: re-embedded %v", name, inner.batches)
		}
		c.Close()
		c = openCache(t, &unitEmbedder{}, path)
		if s := c.Stats(); s.Entries != 2 || s.DroppedBytes != 0 {
			t.Errorf("%s: after repair %+v", name, s)
		}
		c.Close()
	}

	// A file torn inside the header starts afresh.
	os.WriteFile(path, cacheMagic[:3], 0o644)
	c = openCache(t, &unitEmbedder{}, path)
	c.Close()
}

func TestCacheRefusesForeignFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(path, []byte("my precious notes, not a cache"), 0o644)
	if _, err := NewCache(&unitEmbedder{}, path); err == nil || !strings.Contains(err.Error(), "not a Quire embedding cache") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "my precious notes, not a cache" {
		t.Error("the file was changed")
	}
}

func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "vectors.cache")
	inner := &unitEmbedder{}
	c := openCache(t, inner, path)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				in := []string{strings.Repeat("a", i), strings.Repeat("b", g)}
				if _, err := c.Embed(context.Background(), in, Passage); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n := c.Stats().Entries
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openCache(t, &unitEmbedder{}, path)
	defer c.Close()
	if s := c.Stats(); s.Entries != n || s.DroppedBytes != 0 {
		t.Errorf("reloaded %+v, want %d entries", s, n)
	}
}

// TestCacheSharedByTwoWriters: two caches on one file (two processes
// ingesting with the same embedder) each keep the other's vectors and
// leave a whole file.
func TestCacheSharedByTwoWriters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "vectors.cache")
	in1, in2 := &unitEmbedder{}, &unitEmbedder{}
	c1 := openCache(t, in1, path)
	c2 := openCache(t, in2, path) // opened before the file existed
	ctx := context.Background()
	c1.Embed(ctx, []string{"a", "bb"}, Passage)
	c2.Embed(ctx, []string{"ccc"}, Passage)
	c1.Embed(ctx, []string{"dddd"}, Passage)
	c2.Embed(ctx, []string{"eeeee"}, Passage)
	// c2 read c1's records while appending: "a" is a hit for it now.
	if _, err := c2.Embed(ctx, []string{"a", "dddd"}, Passage); err != nil || in2.texts != 2 {
		t.Errorf("c2 embedded %d texts, want only its own 2 (err %v)", in2.texts, err)
	}
	for _, c := range []*Cache{c1, c2} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c3 := openCache(t, &unitEmbedder{}, path)
	if s := c3.Stats(); s.Entries != 5 || s.DroppedBytes != 0 {
		t.Errorf("reopened: %+v, want 5 entries and a whole file", s)
	}
	// A file replaced under a cache is read again, not trusted.
	os.Remove(path)
	c1.Embed(ctx, []string{"ffffff"}, Passage)
	if s := openCache(t, &unitEmbedder{}, path).Stats(); s.Entries != 1 || s.DroppedBytes != 0 {
		t.Errorf("after the file was removed: %+v", s)
	}
}

// wideEmbedder returns 1,024-dimensional vectors.
type wideEmbedder struct{ fakeEmbedder }

func (w *wideEmbedder) Dim() int { return 1024 }

func (w *wideEmbedder) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	w.fakeEmbedder.Embed(ctx, texts, kind)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, 1024)
		v[len(t)%1024] = 1
		v[(len(t)+1)%1024] = float32(len(t))
		Normalize(v)
		out[i] = v
	}
	return out, nil
}

// TestCacheOpenHoldsOnlyKeys: opening a cache of 2,000 vectors of 1,024
// dimensions (8 MB) indexes it without loading the vectors, and a record
// changed underneath is a miss, never a wrong vector.
func TestCacheOpenHoldsOnlyKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.cache")
	var in []string
	for i := range 2000 {
		in = append(in, strings.Repeat("x", i))
	}
	c := openCache(t, &wideEmbedder{}, path)
	want, err := c.Embed(context.Background(), in, Passage)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c = openCache(t, &wideEmbedder{}, path)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("opening allocated %d KiB for an 8 MB file, want the keys only", n>>10)
	}
	// Damage the vector of in[7] on disk.
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	f.WriteAt([]byte{0x42}, int64(len(cacheMagic)+7*recordSize(1024)+100))
	f.Close()
	inner := &wideEmbedder{}
	c.inner = inner
	got, err := c.Embed(context.Background(), in[:10], Passage)
	if err != nil {
		t.Fatal(err)
	}
	if inner.texts != 1 || inner.batches[0][0] != in[7] {
		t.Errorf("re-embedded %d texts, want only the damaged one", inner.texts)
	}
	for i := range got {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Fatalf("vector %d differs from the one first returned", i)
		}
	}
}
