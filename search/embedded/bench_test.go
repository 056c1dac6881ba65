package embedded

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// BenchmarkIngestArxiv measures end-to-end ingest (gunzip, JSON decoding,
// analysis, indexing) of the real arXiv OAI sample; papers/s is reported.
//
//	go test ./search/embedded -run '^$' -bench IngestArxiv -benchtime 1x
func BenchmarkIngestArxiv(b *testing.B) {
	data := sharedData(b)
	path := filepath.Join(data, "arxiv-oai-1990-2017", "papers.jsonl.gz")
	for b.Loop() {
		src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, "arxiv")
		if err != nil {
			b.Fatal(err)
		}
		x, err := Open(filepath.Join(b.TempDir(), "idx"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		st, err := search.Ingest(context.Background(), x, src, search.IngestOptions{BatchSize: 1000})
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Papers)/st.Elapsed.Seconds(), "papers/s")
	}
}
