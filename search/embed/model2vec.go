package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Model2Vec is a static embedding model (github.com/MinishLab/model2vec)
// loaded from disk: a vector per token, averaged. It needs no network and
// no GPU, and embeds thousands of texts a second on one core.
type Model2Vec struct {
	name      string
	tok       *tokenizer
	vecs      []float32 // rows × dim
	rows, dim int
	normalize bool
	// MaxTokens bounds the tokens averaged per text, as model2vec's
	// encode(max_length=512) does; 0 means no bound.
	MaxTokens int
}

// LoadModel2Vec reads a model directory as model2vec saves it:
// model.safetensors (the matrix "embeddings", F32, F16 or BF16; else the
// only 2-D tensor), tokenizer.json (WordPiece or Unigram) and an optional
// config.json whose "normalize" (default true) asks for unit vectors.
func LoadModel2Vec(dir string) (*Model2Vec, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("cannot load the model2vec model in %s: %s", dir, fmt.Sprintf(format, args...))
	}
	st, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return nil, fail("%v", err)
	}
	tj, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fail("%v", err)
	}
	m := &Model2Vec{normalize: true, MaxTokens: 512}
	switch cj, err := os.ReadFile(filepath.Join(dir, "config.json")); {
	case err == nil:
		var c struct {
			Normalize *bool `json:"normalize"`
		}
		if err := json.Unmarshal(cj, &c); err != nil {
			return nil, fail("config.json: %v", err)
		}
		if c.Normalize != nil {
			m.normalize = *c.Normalize
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fail("%v", err)
	}
	tensors, err := parseSafetensors(st)
	if err != nil {
		return nil, fail("model.safetensors: %v", err)
	}
	name, err := matrixName(tensors)
	if err != nil {
		return nil, fail("model.safetensors: %v", err)
	}
	t := tensors[name]
	if m.vecs, err = t.floats(); err != nil {
		return nil, fail("model.safetensors: %v", err)
	}
	m.rows, m.dim = t.Shape[0], t.Shape[1]
	if m.rows == 0 || m.dim == 0 {
		return nil, fail("the embedding matrix is empty (%v)", t.Shape)
	}
	if m.tok, err = parseTokenizer(tj); err != nil {
		return nil, fail("tokenizer.json: %v", err)
	}
	if len(m.tok.vocab) > m.rows {
		return nil, fail("the tokenizer has %d tokens but the matrix only %d rows (vocabulary-quantised models are not supported)", len(m.tok.vocab), m.rows)
	}
	h := sha256.New()
	h.Write(st)
	h.Write(tj)
	m.name = fmt.Sprintf("model2vec:%s@%d#%s", filepath.Base(filepath.Clean(dir)), m.dim, hex.EncodeToString(h.Sum(nil))[:12])
	return m, nil
}

// Name is "model2vec:DIR@DIM#HASH", the hash covering the matrix and the
// tokenizer, so a changed model is never mistaken for the old one.
func (m *Model2Vec) Name() string { return m.name }

func (m *Model2Vec) Dim() int { return m.dim }

// addTo adds row to v, four lanes at a time (Go does not vectorise).
func addTo(v, row []float32) {
	row = row[:len(v)]
	j := 0
	for ; j+4 <= len(v); j += 4 {
		a, b := v[j:j+4:j+4], row[j:j+4:j+4]
		a[0] += b[0]
		a[1] += b[1]
		a[2] += b[2]
		a[3] += b[3]
	}
	for ; j < len(v); j++ {
		v[j] += row[j]
	}
}

// Tokens returns the tokens text is averaged over, special ones included:
// a window into the tokenizer for tests and debugging.
func (m *Model2Vec) Tokens(text string) []string {
	ids := m.tok.encode(text, m.MaxTokens)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.tok.vocab[id]
	}
	return out
}

// Embed averages the token vectors of each text. Special tokens ([UNK],
// [CLS], …) are left out unless a text has nothing else; a text with no
// tokens at all gets a zero vector. Static models embed queries and
// passages alike.
func (m *Model2Vec) Embed(ctx context.Context, texts []string, _ Kind) ([][]float32, error) {
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*m.dim) // one allocation for the batch
	for i, text := range texts {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		v := flat[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
		m.pool(text, v)
		out[i] = v
	}
	return out, nil
}

func (m *Model2Vec) pool(text string, v []float32) {
	ids := m.tok.encode(text, 0)
	kept := ids[:0:0]
	for _, id := range ids {
		if !m.tok.isSpecial(id) {
			kept = append(kept, id)
		}
	}
	if len(kept) == 0 {
		kept = ids
	}
	if m.MaxTokens > 0 && len(kept) > m.MaxTokens {
		kept = kept[:m.MaxTokens]
	}
	if len(kept) == 0 {
		return
	}
	v = v[:m.dim]
	for _, id := range kept {
		row := m.vecs[id*m.dim : (id+1)*m.dim]
		addTo(v, row)
	}
	inv := 1 / float32(len(kept))
	for j := range v {
		v[j] *= inv
	}
	if m.normalize {
		Normalize(v)
	}
}
