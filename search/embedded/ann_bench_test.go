package embedded

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/embed"
)

// BenchmarkANNRecallArxiv checks the HNSW graph against the exact scan on
// real embeddings rather than clustered test vectors: the local embedder
// learned from both arXiv samples in ../shared/data (132k papers), queried
// with 200 titles whole and with their first three words. It reports
// recall@10 and the graph's p50 per query set.
//
//	go test ./search/embedded -run '^$' -bench ANNRecallArxiv -benchtime 1x -timeout 30m
func BenchmarkANNRecallArxiv(b *testing.B) {
	data := sharedData(b)
	ctx := context.Background()
	x, err := Open(filepath.Join(b.TempDir(), "idx"), Options{LocalEmbedder: true})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	paths := []string{
		filepath.Join(data, "arxiv-listings-2025-2026", "papers.jsonl.gz"),
		filepath.Join(data, "arxiv-oai-1990-2017", "papers.jsonl.gz"),
	}
	src, err := corpus.OpenJSONL(paths, "jsonl", nil, "arxiv")
	if err != nil {
		b.Fatal(err)
	}
	ingestAll(b, x, src, 2000)
	var titles, short []string
	n := 0
	enough := errors.New("enough")
	err = x.eachPaper(ctx, func(string) bool { n++; return n%601 == 0 }, func(p *corpus.Paper) error {
		w := strings.Fields(p.Title)
		titles, short = append(titles, p.Title), append(short, strings.Join(w[:min(3, len(w))], " "))
		if len(titles) == 200 {
			return enough
		}
		return nil
	})
	if err != nil && !errors.Is(err, enough) {
		b.Fatal(err)
	}
	idx := x.vec.idx
	b.ResetTimer()
	for b.Loop() {
		for _, set := range []struct {
			name string
			qs   []string
		}{{"title", titles}, {"3words", short}} {
			vs, err := x.vec.emb.Embed(ctx, set.qs, embed.Query)
			if err != nil {
				b.Fatal(err)
			}
			var found, total int
			var lat []time.Duration
			for _, q := range vs {
				t0 := time.Now()
				got := idx.Search(q, 10, nil)
				lat = append(lat, time.Since(t0))
				want := map[string]bool{}
				for _, r := range idx.Exact(q, 10, nil) {
					want[r.ID] = true
				}
				total += len(want)
				for _, r := range got {
					if want[r.ID] {
						found++
					}
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(found)/float64(total), "recall@10-"+set.name)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs-"+set.name)
		}
	}
}
