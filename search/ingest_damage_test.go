package search

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quire-research/quire/corpus"
)

// memEngine keeps papers and checkpoints in memory, for ingest tests.
type memEngine struct {
	mu     sync.Mutex
	papers map[string]corpus.Paper
	cks    map[string]Checkpoint
}

func (m *memEngine) Apply(_ context.Context, b *Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range b.Upserts {
		m.papers[p.ID] = p
	}
	for _, c := range b.Checkpoints {
		m.cks[c.Source] = c
	}
	return nil
}
func (m *memEngine) Search(context.Context, Request) (*Result, error) {
	return nil, errors.ErrUnsupported
}
func (m *memEngine) Get(context.Context, string) (*corpus.Paper, error) {
	return nil, errors.ErrUnsupported
}
func (m *memEngine) Checkpoint(_ context.Context, source string) (Checkpoint, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cks[source]
	return c, ok, nil
}
func (m *memEngine) Stats(context.Context) (*Stats, error) { return nil, errors.ErrUnsupported }
func (m *memEngine) Close() error                          { return nil }

// TestIngestDamagedGzipFails: a gzip member failing its checksum makes
// Ingest return an error matching corpus.ErrDamaged (so the CLI exits
// non-zero), writes none of its papers and leaves the source not done.
func TestIngestDamagedGzipFails(t *testing.T) {
	var good, bad bytes.Buffer
	for i, w := range []*bytes.Buffer{&good, &bad} {
		zw, _ := gzip.NewWriterLevel(w, gzip.NoCompression)
		for j := range 5 {
			fmt.Fprintf(zw, `{"id":"m%d-%d","title":"Paper about proteins"}`+"\n", i, j)
		}
		zw.Close()
	}
	data := append(good.Bytes(), bad.Bytes()...)
	data[len(good.Bytes())+bytes.Index(bad.Bytes(), []byte("proteins"))] ^= 0x01
	path := filepath.Join(t.TempDir(), "d.jsonl.gz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	eng := &memEngine{papers: map[string]corpus.Paper{}, cks: map[string]Checkpoint{}}
	st, err := Ingest(context.Background(), eng, src, IngestOptions{BatchSize: 2})
	if !errors.Is(err, corpus.ErrDamaged) {
		t.Fatalf("Ingest error %v, want one matching corpus.ErrDamaged", err)
	}
	if st.Papers != 5 || len(eng.papers) != 5 {
		t.Errorf("%d papers written (%d in the engine), want the 5 of the good member", st.Papers, len(eng.papers))
	}
	for id := range eng.papers {
		if id[:2] != "m0" {
			t.Errorf("paper %s from the damaged member was written", id)
		}
	}
	if ck := eng.cks[src.Name()]; ck.Done {
		t.Errorf("checkpoint %+v says done after damaged input", ck)
	}
}
