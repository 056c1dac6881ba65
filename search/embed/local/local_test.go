package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search/embed"
)

func synthTexts(t *testing.T, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	err := synth.Generate(synth.Options{Papers: n, Seed: 7}, func(p corpus.Paper) error {
		out = append(out, p.Title+"\n"+p.Abstract)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func seqOf(texts []string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, s := range texts {
			if !yield(s) {
				return
			}
		}
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestTrainEmbedSaveLoad(t *testing.T) {
	ctx := context.Background()
	texts := synthTexts(t, 3000)
	m, err := Train(ctx, seqOf(texts), TrainOptions{Dim: 64})
	if err != nil {
		t.Fatal(err)
	}
	if m.Dim() != 64 || m.Vocab() < 100 || m.Docs() != 3000 {
		t.Fatalf("dim %d vocab %d docs %d", m.Dim(), m.Vocab(), m.Docs())
	}
	vs, err := m.Embed(ctx, []string{texts[0], texts[1], "zzzz qqqq"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs[:2] {
		if n := dot(v, v); n < 0.999 || n > 1.001 {
			t.Errorf("vector %d has squared norm %v, want 1", i, n)
		}
	}
	if dot(vs[2], vs[2]) != 0 {
		t.Error("a text with no known term should embed to the zero vector")
	}

	// Same data, same seed: the same model and name.
	m2, err := Train(ctx, seqOf(texts), TrainOptions{Dim: 64})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != m2.Name() {
		t.Errorf("training is not reproducible: %s vs %s", m.Name(), m2.Name())
	}
	// Different data: a different name, so vectors are never mixed.
	m3, err := Train(ctx, seqOf(texts[:2000]), TrainOptions{Dim: 64})
	if err != nil {
		t.Fatal(err)
	}
	if m3.Name() == m.Name() {
		t.Error("a model trained on other papers has the same name")
	}

	path := filepath.Join(t.TempDir(), "model.lsa")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Name() != m.Name() {
		t.Errorf("loaded name %s, saved %s", l.Name(), m.Name())
	}
	lv, _ := l.Embed(ctx, []string{texts[0]}, 0)
	if d := dot(lv[0], vs[0]); d < 0.99999 {
		t.Errorf("loaded model embeds differently: cosine %v", d)
	}

	// A damaged file is refused with its path in the message.
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 0xff
	os.WriteFile(path, b, 0o644)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("damaged model: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrNoModel) {
		t.Errorf("missing model: %v, want ErrNoModel", err)
	}
}

// The embedder must put papers about the same topic closer together than
// papers about different topics: synthetic papers share vocabulary by field.
func TestTopicalNeighbours(t *testing.T) {
	ctx := context.Background()
	var texts, fields []string
	err := synth.Generate(synth.Options{Papers: 4000, Seed: 3}, func(p corpus.Paper) error {
		texts = append(texts, p.Title+"\n"+p.Abstract)
		fields = append(fields, strings.Join(p.Fields, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Train(ctx, seqOf(texts), TrainOptions{Dim: 64})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := m.Embed(ctx, texts, 0)
	if err != nil {
		t.Fatal(err)
	}
	var same, diff float64
	var ns, nd int
	for i := 0; i < 400; i++ {
		for j := i + 1; j < 400; j++ {
			if fields[i] == fields[j] {
				same += dot(vs[i], vs[j])
				ns++
			} else {
				diff += dot(vs[i], vs[j])
				nd++
			}
		}
	}
	if ns == 0 || nd == 0 {
		t.Fatal("synthetic corpus has no field structure")
	}
	same, diff = same/float64(ns), diff/float64(nd)
	t.Logf("mean cosine: same field %.3f, different fields %.3f", same, diff)
	if same <= diff+0.05 {
		t.Errorf("same-field papers (%.3f) are not clearly closer than others (%.3f)", same, diff)
	}
}

func TestTrainRefusesTooLittle(t *testing.T) {
	if _, err := Train(context.Background(), seqOf([]string{"one paper"}), TrainOptions{}); err == nil {
		t.Error("training on one document should fail")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, seqOf(synthTexts(t, 2000)), TrainOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled training: %v", err)
	}
}

// A model saved before word vectors existed (format version 1, written by
// the previous release from 120 synthetic papers) must still load, keep
// its name (so its stored vectors stay valid) and embed exactly as it did.
func TestLoadVersion1(t *testing.T) {
	var want struct {
		Name    string
		Texts   []string
		Vectors [][]float32
	}
	b, err := os.ReadFile("../../../testdata/embed/lsa-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	m, err := Load("../../../testdata/embed/lsa-v1.model")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != want.Name {
		t.Errorf("name %s, want %s", m.Name(), want.Name)
	}
	got, err := m.Embed(context.Background(), want.Texts, embed.Passage)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		for j := range got[i] {
			if d := got[i][j] - want.Vectors[i][j]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("text %d dim %d: %v, want %v", i, j, got[i][j], want.Vectors[i][j])
			}
		}
	}
}

// The word half learns from neighbouring words: two words that never share
// a document but appear in the same contexts get similar vectors, and
// unrelated words do not.
func TestWordVectorsLearnContexts(t *testing.T) {
	var texts []string
	r := newRand(5)
	pick := func(ws []string) string { return ws[r.next()%uint64(len(ws))] }
	road := []string{"highway", "road", "street", "motorway"}
	sea := []string{"ocean", "sea", "reef", "lagoon"}
	for i := range 600 {
		// "sedan" and "automobile" sit in the same contexts, in different
		// documents; "salmon" lives in other contexts.
		car := []string{"sedan", "automobile"}[i%2]
		texts = append(texts,
			fmt.Sprintf("the %s drove along the %s quickly near the %s at dusk", car, pick(road), pick(road)),
			fmt.Sprintf("a salmon swam through the %s slowly beside the %s at dawn", pick(sea), pick(sea)))
	}
	m, err := Train(context.Background(), seqOf(texts), TrainOptions{Dim: 16, WordDim: 8, MinDF: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m.words == nil || m.words.dim != 8 || m.lsaDim != 8 {
		t.Fatalf("want 8 LSA and 8 word dimensions, got %d and %v", m.lsaDim, m.words)
	}
	wv := func(w string) []float32 {
		id, ok := m.vocab[w]
		if !ok {
			t.Fatalf("%q not in the vocabulary", w)
		}
		v := append([]float32(nil), m.words.vecs[int(id)*8:int(id+1)*8]...)
		normalize(v)
		return v
	}
	syn, other := dot(wv("sedan"), wv("automobil")), dot(wv("sedan"), wv("salmon"))
	t.Logf("cosine sedan~automobile %.3f, sedan~salmon %.3f", syn, other)
	if syn < 0.8 || syn < other+0.5 {
		t.Errorf("words in the same contexts are not close: %.3f vs %.3f", syn, other)
	}
}
