package openai

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/llm"
)

// These measure, not assert: timings on a shared 2-core machine vary, so
// they log percentiles (go test -run Latency -v) and report them as
// benchmark metrics (go test -bench Latency -run '^$').

// deltaLatency measures, for n deltas, the time from the server starting
// to write and flush one delta to the caller's Next returning it. The
// server sends the next delta only when the caller asks, so deltas never
// queue and each sample is one delta's trip.
func deltaLatency(tb testing.TB, n int) []time.Duration {
	sent := make([]atomic.Int64, n)
	ask := make(chan struct{})
	p := newProvider(tb, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		for i := range n {
			select {
			case <-ask:
			case <-r.Context().Done():
				return
			}
			sent[i].Store(time.Now().UnixNano())
			sse(w, content("tok "))
		}
		sse(w, finish("stop"))
		sse(w, "[DONE]")
	})
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	lat := make([]time.Duration, n)
	for i := range n {
		ask <- struct{}{}
		if !s.Next() {
			tb.Fatalf("delta %d: %v", i, s.Err())
		}
		lat[i] = time.Duration(time.Now().UnixNano() - sent[i].Load())
	}
	return lat
}

// cancelLatency measures, n times, from cancelling the context (or calling
// Close) while Next waits, to Next returning and to the server's handler
// seeing its request context end.
func cancelLatency(tb testing.TB, n int, useClose bool) (next, server []time.Duration) {
	done := make(chan time.Time, 1)
	p := newProvider(tb, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		sse(w, content("first"))
		<-r.Context().Done()
		done <- time.Now()
	})
	for range n {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := p.Stream(ctx, llm.Request{})
		if err != nil {
			tb.Fatal(err)
		}
		if !s.Next() {
			tb.Fatal(s.Err())
		}
		returned := make(chan time.Time, 1)
		go func() {
			for s.Next() {
			}
			returned <- time.Now()
		}()
		time.Sleep(2 * time.Millisecond) // let Next block in its read
		start := time.Now()
		if useClose {
			s.Close()
		} else {
			cancel()
		}
		next = append(next, (<-returned).Sub(start))
		server = append(server, (<-done).Sub(start))
		cancel()
		s.Close()
	}
	return next, server
}

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func TestLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	lat := deltaLatency(t, 2000)
	t.Logf("openai delta→Next over %d deltas: p50 %v  p99 %v  max %v", len(lat), pct(lat, .5), pct(lat, .99), pct(lat, 1))
	for _, useClose := range []bool{false, true} {
		next, srv := cancelLatency(t, 50, useClose)
		how := map[bool]string{false: "ctx cancel", true: "Close"}[useClose]
		t.Logf("openai %s → Next returns: p50 %v p99 %v; → server sees ctx done: p50 %v p99 %v",
			how, pct(next, .5), pct(next, .99), pct(srv, .5), pct(srv, .99))
	}
}

func BenchmarkDeltaLatency(b *testing.B) {
	lat := deltaLatency(b, max(b.N, 100))
	b.ReportMetric(float64(pct(lat, .5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(lat, .99).Microseconds()), "p99-µs")
}

func BenchmarkCancelLatency(b *testing.B) {
	next, srv := cancelLatency(b, max(min(b.N, 200), 20), false)
	b.ReportMetric(float64(pct(next, .99).Microseconds()), "next-p99-µs")
	b.ReportMetric(float64(pct(srv, .99).Microseconds()), "server-p99-µs")
}
