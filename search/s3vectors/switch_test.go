package s3vectors

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
)

// TestGetVersusQuery measures, for a filter keeping n of N papers, the
// two ways to rank the allowed papers by vector:
//
//	query  one QueryVectors, top 100. With the filter expressed in S3
//	       (year range here) it is exact; with a filter S3 cannot express
//	       (author:, phrases) the caller post-filters the top 100 of the
//	       whole index and keeps what is allowed: few when n << N.
//	rank   GetVectors of the n allowed IDs (the lexical half enumerates
//	       them), 100 per call, GetParallel in flight, scored locally.
//
// It reports calls, wall time (with a per-call latency standing in for
// the round trip to the region) and recall@10 against the exact answer.
//
//	QUIRE_S3V_MEASURE=1 go test ./search/s3vectors -run GetVersusQuery -v
//	QUIRE_S3V_MEASURE=1 QUIRE_S3V_LATENCY=0 go test ...   # loopback cost only
func TestGetVersusQuery(t *testing.T) {
	if os.Getenv("QUIRE_S3V_MEASURE") == "" {
		t.Skip("set QUIRE_S3V_MEASURE=1 to measure (about a minute)")
	}
	const (
		papers = 20000
		dim    = 256
		years  = 400 // 50 papers a year
	)
	latency := 50 * time.Millisecond
	if v := os.Getenv("QUIRE_S3V_LATENCY"); v != "" {
		d, err := time.ParseDuration(v + "ms")
		if err != nil {
			t.Fatal(err)
		}
		latency = d
	}
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: dim, VectorsPerSecond: 1e6, RequestsPerSecond: 1e6})
	r := rand.New(rand.NewPCG(21, 22))
	its := make([]Item, papers)
	vecs := map[string][]float32{}
	for i := range its {
		p := &corpus.Paper{ID: fmt.Sprintf("w%05d", i), Year: 1700 + i%years, Title: fmt.Sprint("Paper ", i)}
		its[i] = Item{Vec: randVec(r, dim), Paper: p}
		vecs[p.ID] = its[i].Vec
	}
	start := time.Now()
	if _, err := s.Put(context.Background(), its); err != nil {
		t.Fatal(err)
	}
	t.Logf("put %d vectors of %d in %v", papers, dim, time.Since(start).Round(time.Millisecond))
	srv.SetLatency("", latency)

	recall := func(got []fusion.Item, want []fusion.Item, k int) float64 {
		k = min(k, len(want))
		if k == 0 {
			return 1
		}
		in := map[string]bool{}
		for _, w := range want[:k] {
			in[w.ID] = true
		}
		n := 0
		for _, g := range got[:min(k, len(got))] {
			if in[g.ID] {
				n++
			}
		}
		return float64(n) / float64(k)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nlatency %v per call, N=%d, dim %d, GetParallel %d, 3 queries each\n", latency, papers, dim, s.cfg.GetParallel)
	fmt.Fprintf(&b, "%6s | %-28s | %-34s | %-26s\n", "n", "query, filter in S3", "query, post-filtered (author:)", "rank (GetVectors+local)")
	fmt.Fprintf(&b, "%6s | %5s %8s %6s %5s | %5s %8s %6s %5s %5s | %5s %8s %6s\n", "", "calls", "ms", "found", "r@10", "calls", "ms", "found", "r@10", "", "calls", "ms", "r@10")
	for _, m := range []int{1, 2, 4, 10, 20, 40, 100, 200} {
		n := m * papers / years
		allowed := map[string]bool{}
		var ids []string
		sub := map[string][]float32{}
		for _, it := range its {
			if it.Paper.Year < 1700+m {
				allowed[it.Paper.ID] = true
				ids = append(ids, it.Paper.ID)
				sub[it.Paper.ID] = it.Vec
			}
		}
		q := query.Query{Filters: []query.Filter{{Key: query.KeyYear, Values: []string{fmt.Sprintf("..%d", 1700+m-1)}, Max: 1700 + m - 1}}}
		var qs, ps, rs [3]float64
		var qFound, pFound int
		var qR, pR, rR float64
		var qCalls, pCalls, rCalls int
		for rep := range 3 {
			qv := randVec(r, dim)
			want := bruteForce(Cosine, qv, sub, 100)

			srv.ResetCalls()
			t0 := time.Now()
			got, tr, err := s.Query(context.Background(), qv, 100, q)
			qs[rep] = float64(time.Since(t0).Microseconds()) / 1000
			if err != nil || !tr.Exact {
				t.Fatal(err, tr)
			}
			qCalls, qFound, qR = len(srv.Operations("")), qFound+len(got), qR+recall(got, want, 10)

			srv.ResetCalls()
			t0 = time.Now()
			all, _, err := s.Query(context.Background(), qv, 100, query.Query{})
			var kept []fusion.Item
			for _, it := range all {
				if allowed[it.ID] {
					kept = append(kept, it)
				}
			}
			ps[rep] = float64(time.Since(t0).Microseconds()) / 1000
			if err != nil {
				t.Fatal(err)
			}
			pCalls, pFound, pR = len(srv.Operations("")), pFound+len(kept), pR+recall(kept, want, 10)

			srv.ResetCalls()
			t0 = time.Now()
			ranked, err := s.Rank(context.Background(), qv, ids, 100)
			rs[rep] = float64(time.Since(t0).Microseconds()) / 1000
			if err != nil {
				t.Fatal(err)
			}
			rCalls, rR = len(srv.Operations("")), rR+recall(ranked, want, 10)
		}
		med := func(x [3]float64) float64 { return min(max(x[0], x[1]), max(min(x[0], x[1]), x[2])) }
		fmt.Fprintf(&b, "%6d | %5d %8.1f %6d %5.2f | %5d %8.1f %6d %5.2f %5s | %5d %8.1f %6.2f\n", n,
			qCalls, med(qs), qFound/3, qR/3, pCalls, med(ps), pFound/3, pR/3, "", rCalls, med(rs), rR/3)
	}
	t.Log(b.String())
}
