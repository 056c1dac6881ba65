package embed

import (
	"context"
	"math"
	"os"
	"path/filepath"
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
		normalize(v)
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
