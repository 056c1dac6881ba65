package embed

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// ---- writing models in model2vec's on-disk format

type rawTensor struct {
	dtype string
	shape []int
	data  []byte
}

// writeSafetensors writes tensors as huggingface/safetensors does: the
// header length, a JSON header padded with spaces to 8 bytes, the data.
func writeSafetensors(t testing.TB, path string, tensors map[string]rawTensor) {
	t.Helper()
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, n := range names {
		tt := tensors[n]
		header[n] = map[string]any{"dtype": tt.dtype, "shape": tt.shape, "data_offsets": []int{len(data), len(data) + len(tt.data)}}
		data = append(data, tt.data...)
	}
	h, _ := json.Marshal(header)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func matrix(dtype string, rows [][]float32) rawTensor {
	var data []byte
	for _, r := range rows {
		for _, x := range r {
			switch dtype {
			case "F32":
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
			case "F16":
				data = binary.LittleEndian.AppendUint16(data, floatToHalf(x))
			}
		}
	}
	return rawTensor{dtype, []int{len(rows), len(rows[0])}, data}
}

func addedToken(id int, content string) map[string]any {
	return map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false,
		"rstrip": false, "normalized": false, "special": true}
}

// wordPieceJSON is a tokenizer.json as a BERT-uncased tokenizer saves it.
func wordPieceJSON(vocab []string, maxChars int) []byte {
	ids := map[string]int{}
	for i, tok := range vocab {
		ids[tok] = i
	}
	var added []any
	for i, tok := range vocab {
		if strings.HasPrefix(tok, "[") && strings.HasSuffix(tok, "]") && len(tok) > 2 {
			added = append(added, addedToken(i, tok))
		}
	}
	doc := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": added,
		"normalizer": map[string]any{"type": "BertNormalizer", "clean_text": true,
			"handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}}},
			"special_tokens": map[string]any{}},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": maxChars, "vocab": ids},
	}
	b, _ := json.Marshal(doc)
	return b
}

type piece struct {
	text  string
	score float64
}

// unigramJSON is a tokenizer.json as a SentencePiece Unigram model (T5,
// XLM-R) converts to.
func unigramJSON(vocab []piece, unkID int, byteFallback bool) []byte {
	var v [][]any
	var added []any
	for i, p := range vocab {
		v = append(v, []any{p.text, p.score})
		if strings.HasPrefix(p.text, "<") && !strings.HasPrefix(p.text, "<0x") {
			added = append(added, addedToken(i, p.text))
		}
	}
	doc := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Precompiled", "precompiled_charsmap": "ALQCAACEAAAAAACAAQAAgMz8AgC4BQAAhyIAgMzkAgC4PQAAeyIAgMzsAgC4BQAAiyIAgA=="},
			map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": " "},
		}},
		"pre_tokenizer":  map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
		"post_processor": map[string]any{"type": "TemplateProcessing", "single": []any{}, "pair": []any{}, "special_tokens": map[string]any{}},
		"decoder":        map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
		"model":          map[string]any{"type": "Unigram", "unk_id": unkID, "vocab": v, "byte_fallback": byteFallback},
	}
	b, _ := json.Marshal(doc)
	return b
}

func writeModelDir(t testing.TB, tok []byte, tensors map[string]rawTensor, config string) string {
	t.Helper()
	dir := t.TempDir()
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), tensors)
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644)
	}
	return dir
}

// ---- a small BERT-style model

var wpVocab = []string{
	"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
	"hello", "world", ",", "!", "cafe", // 5-9
	"naive", "un", "##believ", "##able", "play", // 10-14
	"##ing", "##s", "'", "t", "中", // 15-19
	"国", "resume", "$", "x", "##x", // 20-24
}

// wpVectors gives token i the vector [i, 1, -i/2, i mod 3], except for
// two chosen so their mean is simple.
func wpVectors() [][]float32 {
	rows := make([][]float32, len(wpVocab))
	for i := range rows {
		rows[i] = []float32{float32(i), 1, -float32(i) / 2, float32(i % 3)}
	}
	rows[5] = []float32{1, 2, 3, 4}  // hello
	rows[6] = []float32{3, 2, 1, 0}  // world
	rows[1] = []float32{0, 0, -3, 4} // [UNK]
	return rows
}

const wpConfig = `{"model_type":"model2vec","architectures":["StaticModel"],"tokenizer_name":"test","apply_pca":4,"apply_zipf":true,"hidden_dim":4,"seq_length":1000000,"normalize":%v}`

func loadWordPiece(t testing.TB, dtype string, normalize bool) *Model2Vec {
	t.Helper()
	dir := writeModelDir(t, wordPieceJSON(wpVocab, 100),
		map[string]rawTensor{"embeddings": matrix(dtype, wpVectors())}, fmt.Sprintf(wpConfig, normalize))
	m, err := LoadModel2Vec(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModel2VecWordPieceTokens(t *testing.T) {
	t.Parallel()
	m := loadWordPiece(t, "F32", true)
	for text, want := range map[string]string{
		"Hello, WORLD!":            "hello , world !",
		"Café  naïve":              "cafe naive",
		"RÉSUMÉ":                   "resume",
		"unbelievable":             "un ##believ ##able",
		"playing worlds":           "play ##ing world ##s",
		"qwerty":                   "[UNK]",
		"unbelievably":             "[UNK]", // no piece for "ably": the whole word is unknown
		"can't":                    "[UNK] ' t",
		"中国":                       "中 国",
		"hello\u200bworld":         "[UNK]", // zero-width space is a format character: dropped, words join
		"\thello\n\x00world\u00a0": "hello world",
		"$5":                       "$ [UNK]",
		"[CLS] hello":              "[UNK] [UNK] [UNK] hello", // typed special tokens are plain text
		"":                         "",
		strings.Repeat("x", 101):   "[UNK]", // longer than max_input_chars_per_word
	} {
		if got := strings.Join(m.Tokens(text), " "); got != want {
			t.Errorf("Tokens(%q) = %q, want %q", text, got, want)
		}
	}
	if got := m.Tokens(strings.Repeat("x", 100)); len(got) != 100 || got[0] != "x" || got[99] != "##x" {
		t.Errorf("100 x's: %d tokens %v…", len(got), got[:2])
	}
}

func TestModel2VecPooling(t *testing.T) {
	t.Parallel()
	for _, dtype := range []string{"F32", "F16"} {
		m := loadWordPiece(t, dtype, true)
		if m.Dim() != 4 || !strings.HasPrefix(m.Name(), "model2vec:") || !strings.Contains(m.Name(), "@4#") {
			t.Errorf("Dim %d Name %q", m.Dim(), m.Name())
		}
		vecs, err := m.Embed(context.Background(), []string{
			"hello world",   // mean [2 2 2 2] → [.5 .5 .5 .5]
			"Hello qwerty!", // [UNK] skipped: mean of hello and "!" (id 8: [8 1 -4 2])
			"qwerty",        // nothing but [UNK]: its vector, [0 0 -3 4] → [0 0 -.6 .8]
			"",              // no tokens: zero
		}, Passage)
		if err != nil {
			t.Fatal(err)
		}
		h, b := []float64{1, 2, 3, 4}, []float64{8, 1, -4, 2}
		mean := []float64{(h[0] + b[0]) / 2, (h[1] + b[1]) / 2, (h[2] + b[2]) / 2, (h[3] + b[3]) / 2}
		n := math.Sqrt(mean[0]*mean[0] + mean[1]*mean[1] + mean[2]*mean[2] + mean[3]*mean[3])
		want := [][]float32{
			{.5, .5, .5, .5},
			{float32(mean[0] / n), float32(mean[1] / n), float32(mean[2] / n), float32(mean[3] / n)},
			{0, 0, -.6, .8},
			{0, 0, 0, 0},
		}
		for i := range want {
			if !equalVec(vecs[i], want[i], 1e-7) {
				t.Errorf("%s: vector %d = %v, want %v", dtype, i, vecs[i], want[i])
			}
		}
	}
	// normalize: false in config.json gives the plain mean.
	m := loadWordPiece(t, "F32", false)
	vecs, _ := m.Embed(context.Background(), []string{"hello world"}, Query)
	if !slices.Equal(vecs[0], []float32{2, 2, 2, 2}) {
		t.Errorf("unnormalised mean %v", vecs[0])
	}
}

func TestModel2VecMaxTokens(t *testing.T) {
	t.Parallel()
	m := loadWordPiece(t, "F32", false)
	m.MaxTokens = 1
	vecs, _ := m.Embed(context.Background(), []string{"qwerty world hello"}, Passage)
	if !slices.Equal(vecs[0], []float32{3, 2, 1, 0}) { // [UNK] dropped, then only "world"
		t.Errorf("got %v", vecs[0])
	}
}

// ---- a small SentencePiece Unigram model

var ugVocab = []piece{
	{"<pad>", 0}, {"</s>", 0}, {"<unk>", 0}, // 0-2
	{"▁", -2}, {"▁the", -1}, {"▁un", -3}, {"believ", -4}, {"able", -3}, // 3-7
	{"▁unbeliev", -8},                                       // 8: loses to ▁un + believ (-7)
	{"▁new", -2}, {"▁newton", -3}, {"ton", -4}, {"s", -2.5}, // 9-12: ▁newton (-3) beats ▁new + ton (-6)
	{"▁fi", -3}, {"nd", -3}, {"▁find", -4.5}, // 13-15
	{"▁a", -2}, {"b", -3}, {"c", -3}, {".", -1.5}, // 16-19
	{"<0xE2>", -20}, {"<0x98>", -20}, {"<0x83>", -20}, // 20-22: the bytes of ☃
}

func TestModel2VecUnigramTokens(t *testing.T) {
	t.Parallel()
	rows := make([][]float32, len(ugVocab))
	for i := range rows {
		rows[i] = []float32{float32(i), 1}
	}
	dir := writeModelDir(t, unigramJSON(ugVocab, 2, false), map[string]rawTensor{"embeddings": matrix("F32", rows)}, "")
	m, err := LoadModel2Vec(dir)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"the unbelievable": "▁the ▁un believ able",
		"newtons":          "▁newton s",
		"ﬁnd":              "▁find", // NFKC unfolds the ligature
		"the   new":        "▁the ▁new",
		"the ☃☃x":          "▁the ▁ <unk>", // unknown characters fuse into one <unk>
		"abc.":             "▁a b c .",
	} {
		if got := strings.Join(m.Tokens(text), " "); got != want {
			t.Errorf("Tokens(%q) = %q, want %q", text, got, want)
		}
	}
	// Embedding skips <unk>; no config.json means normalize.
	vecs, _ := m.Embed(context.Background(), []string{"the ☃"}, Passage)
	mean := []float64{(4 + 3) / 2.0, 1}
	n := math.Hypot(mean[0], mean[1])
	if !equalVec(vecs[0], []float32{float32(mean[0] / n), float32(mean[1] / n)}, 1e-7) {
		t.Errorf("vector %v", vecs[0])
	}

	// With byte fallback an unknown character becomes its UTF-8 bytes.
	dir = writeModelDir(t, unigramJSON(ugVocab, 2, true), map[string]rawTensor{"embeddings": matrix("F32", rows)}, "")
	if m, err = LoadModel2Vec(dir); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Tokens("☃"), " "); got != "▁ <0xE2> <0x98> <0x83>" {
		t.Errorf("byte fallback: %q", got)
	}
}

func TestModel2VecTensorFallbackAndErrors(t *testing.T) {
	t.Parallel()
	tok := wordPieceJSON(wpVocab, 100)
	weights := rawTensor{"F32", []int{len(wpVocab)}, make([]byte, 4*len(wpVocab))}
	// No "embeddings": the only 2-D tensor is used.
	dir := writeModelDir(t, tok, map[string]rawTensor{"emb.weight": matrix("F32", wpVectors()), "weights": weights}, "")
	if m, err := LoadModel2Vec(dir); err != nil || m.Dim() != 4 {
		t.Fatalf("fallback: %v", err)
	}
	bad := map[string]map[string]rawTensor{
		"two matrices":  {"a": matrix("F32", wpVectors()), "b": matrix("F32", wpVectors())},
		"no matrix":     {"weights": weights},
		"too few rows":  {"embeddings": matrix("F32", wpVectors()[:10])},
		"int matrix":    {"embeddings": {"I32", []int{len(wpVocab), 1}, make([]byte, 4*len(wpVocab))}},
		"size mismatch": {"embeddings": {"F32", []int{len(wpVocab), 4}, make([]byte, 12)}},
	}
	for name, ts := range bad {
		if _, err := LoadModel2Vec(writeModelDir(t, tok, ts, "")); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Broken files.
	dir = writeModelDir(t, tok, map[string]rawTensor{"embeddings": matrix("F32", wpVectors())}, "")
	st := filepath.Join(dir, "model.safetensors")
	good, _ := os.ReadFile(st)
	for name, b := range map[string][]byte{
		"empty":        nil,
		"huge header":  binary.LittleEndian.AppendUint64(nil, 1<<40),
		"cut data":     good[:len(good)-8],
		"bad json":     append(binary.LittleEndian.AppendUint64(nil, 4), "{{{{"...),
		"offsets past": []byte(strings.Replace(string(good), `"data_offsets":[0,400]`, `"data_offsets":[0,800]`, 1)),
	} {
		os.WriteFile(st, b, 0o644)
		if _, err := LoadModel2Vec(dir); err == nil {
			t.Errorf("%s safetensors: no error", name)
		}
	}
	os.WriteFile(st, good, 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{"model":{"type":"BPE","vocab":{},"merges":[]}}`), 0o644)
	if _, err := LoadModel2Vec(dir); err == nil || !strings.Contains(err.Error(), "BPE") {
		t.Errorf("BPE tokenizer: %v", err)
	}
	if _, err := LoadModel2Vec(t.TempDir()); err == nil {
		t.Error("empty directory: no error")
	}
}

func TestHalfFloat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		h uint16
		f float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x3800, 0.5}, {0x7bff, 65504}, {0x0001, 5.9604645e-08},
		{0x0400, 6.1035156e-05}, {0x8000, float32(math.Copysign(0, -1))}, {0x3555, 0.33325195},
	} {
		if got := halfToFloat(c.h); got != c.f {
			t.Errorf("halfToFloat(%#04x) = %g, want %g", c.h, got, c.f)
		}
		if got := floatToHalf(c.f); got != c.h {
			t.Errorf("floatToHalf(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if !math.IsInf(float64(halfToFloat(0x7c00)), 1) || !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("inf/nan")
	}
	// Every finite half survives the round trip.
	for h := range uint16(0x7c00) {
		if floatToHalf(halfToFloat(h)) != h {
			t.Fatalf("round trip of %#04x", h)
		}
	}
}

// BenchmarkModel2Vec embeds sentences with a model the size of
// potion-base-8M: 30,000 WordPiece tokens × 256 dimensions.
func BenchmarkModel2Vec(b *testing.B) {
	const vocabSize, dim = 30000, 256
	rng := rand.New(rand.NewPCG(1, 2))
	letters := "abcdefghijklmnopqrstuvwxyz"
	word := func(n int) string {
		var s strings.Builder
		for range n {
			s.WriteByte(letters[rng.IntN(len(letters))])
		}
		return s.String()
	}
	vocab := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ",", ".", "(", ")", "-"}
	seen := map[string]bool{}
	for _, v := range vocab {
		seen[v] = true
	}
	for len(vocab) < vocabSize {
		w := word(2 + rng.IntN(7))
		if len(vocab)%4 == 0 {
			w = "##" + word(1+rng.IntN(4))
		}
		if !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	rows := make([][]float32, vocabSize)
	for i := range rows {
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = rng.Float32()*2 - 1
		}
	}
	dir := writeModelDir(b, wordPieceJSON(vocab, 100), map[string]rawTensor{"embeddings": matrix("F32", rows)}, `{"normalize":true}`)
	m, err := LoadModel2Vec(dir)
	if err != nil {
		b.Fatal(err)
	}
	// Sentences of 40 words: vocabulary words, words that split into
	// pieces, unknown words, punctuation, capitals and accents.
	texts := make([]string, 256)
	for i := range texts {
		var s []string
		for range 40 {
			switch r := rng.IntN(10); {
			case r < 6:
				w := vocab[10+rng.IntN(vocabSize-10)]
				s = append(s, strings.TrimPrefix(w, "##"))
			case r < 8:
				s = append(s, strings.ToUpper(word(5+rng.IntN(8)))+"é")
			case r < 9:
				s = append(s, word(4)+",")
			default:
				s = append(s, "("+word(3)+").")
			}
		}
		texts[i] = strings.Join(s, " ")
	}
	tokens := 0
	for _, t := range texts {
		tokens += len(m.Tokens(t))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Embed(context.Background(), texts, Passage); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "texts/s")
	b.ReportMetric(float64(tokens)/float64(len(texts)), "tokens/text")
}

// floatToHalf rounds a float32 to binary16 (to nearest even); tests use it
// to write F16 files.
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff == 0:
		return sign
	case int(b>>23&0xff) == 0xff:
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		half := uint16(mant >> shift)
		rem := mant & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | half
	}
	half := sign | uint16(exp)<<10 | uint16(mant>>13)
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++ // may carry into the exponent, which is still right
	}
	return half
}
