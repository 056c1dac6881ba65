package local

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// modelBytes trains on texts with GOMAXPROCS procs and returns the saved
// model file.
func modelBytes(t *testing.T, texts []string, procs int) []byte {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	m, err := Train(context.Background(), seqOf(texts), TrainOptions{Dim: 64})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTrainDeterministic: the same papers give the same model, byte for
// byte, whatever order the index hands them over in and however many CPUs
// share the work.
func TestTrainDeterministic(t *testing.T) {
	texts := synthTexts(t, 2500)
	want := modelBytes(t, texts, 1)
	shuffled := slices.Clone(texts)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, c := range []struct {
		name  string
		texts []string
		procs int
	}{
		{"again", texts, 1},
		{"4 CPUs", texts, 4},
		{"3 CPUs, shuffled", shuffled, 3},
	} {
		if got := modelBytes(t, c.texts, c.procs); !bytes.Equal(got, want) {
			t.Errorf("%s: the model differs (%d bytes vs %d)", c.name, len(got), len(want))
		}
	}
}

// TestEmbedSharedAmongCores: texts embedded in one call, shared among
// several goroutines, get the vectors each gets alone.
func TestEmbedSharedAmongCores(t *testing.T) {
	texts := synthTexts(t, 2000)
	m, err := Train(context.Background(), seqOf(texts), TrainOptions{Dim: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	batch := texts[:61]
	got, err := m.Embed(context.Background(), batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(batch) {
		t.Fatalf("%d vectors for %d texts", len(got), len(batch))
	}
	for i, text := range batch {
		alone, err := m.Embed(context.Background(), []string{text}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[i], alone[0]) {
			t.Fatalf("text %d: batch vector differs from its vector alone", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Embed(ctx, texts, 0); err == nil {
		t.Error("a cancelled embedding returned no error")
	}
}
