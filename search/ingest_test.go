package search

import (
	"context"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
)

// slowSource yields n papers, waiting gap before each: a folder of PDFs.
type slowSource struct {
	n   int
	gap time.Duration
}

func (s slowSource) Name() string               { return "slow" }
func (s slowSource) Size(context.Context) int64 { return -1 }
func (s slowSource) Papers(ctx context.Context, from corpus.Cursor) iter.Seq2[corpus.Record, error] {
	return func(yield func(corpus.Record, error) bool) {
		for i := int(from.Line); i < s.n; i++ {
			time.Sleep(s.gap)
			p := corpus.Paper{ID: fmt.Sprintf("p%d", i), Title: "A paper"}
			if !yield(corpus.Record{Paper: p, Cursor: corpus.Cursor{Line: int64(i + 1)}}, nil) {
				return
			}
		}
	}
}

// A batch that has waited FlushAfter is written before it is full, so a
// slow source's papers are written (and checkpointed) as they come; a
// fast one still fills its batches.
func TestIngestFlushesSlowBatches(t *testing.T) {
	for _, c := range []struct {
		name    string
		flush   time.Duration
		batches int
	}{
		{"slow source", 10 * time.Millisecond, 2},
		{"fast enough", time.Hour, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng := &memEngine{papers: map[string]corpus.Paper{}, cks: map[string]Checkpoint{}}
			var batches int
			st, err := Ingest(context.Background(), eng, slowSource{n: 4, gap: 30 * time.Millisecond}, IngestOptions{
				BatchSize: 100, FlushAfter: c.flush,
				Progress: func(IngestProgress) { batches++ },
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.Papers != 4 || len(eng.papers) != 4 {
				t.Errorf("%d papers written (%d in the engine), want 4", st.Papers, len(eng.papers))
			}
			// A paper starts a batch; the next finds it has waited 30 ms
			// and writes both: p0+p1, then p2+p3.
			if batches != c.batches {
				t.Errorf("%d batches written, want %d", batches, c.batches)
			}
		})
	}
}
