package eval

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixture: three judged queries, one with only a non-relevant judgment and
// one absent from the qrels.
func fixture() ([]Query, map[string]map[string]int, map[string][]string) {
	queries := []Query{
		{ID: "q1", Text: "one"},
		{ID: "q2", Text: "two"},
		{ID: "q0", Text: "zero"}, // judged, nothing relevant: skipped
		{ID: "q3", Text: "three"},
		{ID: "qx", Text: "unjudged"}, // not in qrels: skipped
	}
	qrels := map[string]map[string]int{
		"q1": {"a": 1},
		"q2": {"b": 2, "c": 1},
		"q0": {"a": 0},
		"q3": {"z": 1},
	}
	results := map[string][]string{
		"one":   {"a", "x"},      // hit at 1: nDCG 1, R 1, RR 1
		"two":   {"x", "c", "b"}, // see TestRunMeans
		"three": {"x", "y"},      // miss: all 0
	}
	return queries, qrels, results
}

func mapSearcher(results map[string][]string) Searcher {
	return func(_ context.Context, q string, _ int) ([]string, error) {
		return results[q], nil
	}
}

func TestRunMeans(t *testing.T) {
	t.Parallel()
	queries, qrels, results := fixture()
	rep, err := Run(t.Context(), queries, qrels, mapSearcher(results), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// q2: ranked [x c b], gains c=1 at rank 2, b=2 at rank 3.
	//   DCG  = 1/log2(3) + 2/log2(4) = 0.6309 + 1 = 1.6309
	//   IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.6309 = 2.6309
	//   nDCG = 0.619902...; recall 2/2 = 1; RR = 1/2.
	q2 := (inv2 + 1) / (2 + inv2)
	want := Report{
		Metrics: Metrics{
			NDCG10:    (1 + q2 + 0) / 3,
			Recall100: (1 + 1 + 0) / 3.0,
			MRR10:     (1 + 0.5 + 0) / 3,
			Queries:   3,
		},
		Skipped: 2,
		PerQuery: []QueryResult{
			{ID: "q1", NDCG10: 1, Recall100: 1, MRR10: 1},
			{ID: "q2", NDCG10: q2, Recall100: 1, MRR10: 0.5},
			{ID: "q3"},
		},
	}
	assertReport(t, rep, want)
}

func assertReport(t *testing.T, got, want Report) {
	t.Helper()
	m, w := got.Metrics, want.Metrics
	if m.Queries != w.Queries || got.Skipped != want.Skipped ||
		!near(m.NDCG10, w.NDCG10) || !near(m.Recall100, w.Recall100) || !near(m.MRR10, w.MRR10) {
		t.Errorf("metrics = %+v skipped %d, want %+v skipped %d", m, got.Skipped, w, want.Skipped)
	}
	if len(got.PerQuery) != len(want.PerQuery) {
		t.Fatalf("per query = %+v, want %+v", got.PerQuery, want.PerQuery)
	}
	for i, g := range got.PerQuery {
		w := want.PerQuery[i]
		if g.ID != w.ID || !near(g.NDCG10, w.NDCG10) || !near(g.Recall100, w.Recall100) || !near(g.MRR10, w.MRR10) {
			t.Errorf("per query %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestRunDefaultsDepth(t *testing.T) {
	t.Parallel()
	queries, qrels, _ := fixture()
	var depth atomic.Int64
	search := func(_ context.Context, _ string, k int) ([]string, error) {
		depth.Store(int64(k))
		return nil, nil
	}
	if _, err := Run(t.Context(), queries, qrels, search, Options{}); err != nil {
		t.Fatal(err)
	}
	if depth.Load() != 100 {
		t.Errorf("searcher asked for k=%d, want the default 100", depth.Load())
	}
}

// TestRunConcurrentStableOrder runs many queries with random delays: the
// pool must never exceed Workers, must actually overlap searches, and the
// report must still follow the input order.
func TestRunConcurrentStableOrder(t *testing.T) {
	t.Parallel()
	const n, workers = 64, 4
	queries := make([]Query, n)
	qrels := map[string]map[string]int{}
	for i := range n {
		id := string(rune('A'+i%26)) + strings.Repeat("!", i/26)
		queries[i] = Query{ID: id, Text: id}
		qrels[id] = map[string]int{id: 1}
	}
	var inflight, peak atomic.Int64
	search := func(_ context.Context, q string, _ int) ([]string, error) {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		return []string{q}, nil // every query a perfect hit
	}
	var calls []int
	var mu sync.Mutex
	progress := func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if total != n {
			t.Errorf("progress total = %d, want %d", total, n)
		}
		calls = append(calls, done)
	}
	rep, err := Run(t.Context(), queries, qrels, search, Options{Workers: workers, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > workers || p < 2 {
		t.Errorf("peak concurrency = %d, want 2..%d", p, workers)
	}
	for i, r := range rep.PerQuery {
		if r.ID != queries[i].ID || r.NDCG10 != 1 {
			t.Fatalf("per query %d = %+v, want %s with nDCG 1", i, r, queries[i].ID)
		}
	}
	for i, d := range calls {
		if d != i+1 {
			t.Fatalf("progress calls = %v, want 1..%d in order", calls, n)
		}
	}
	if len(calls) != n {
		t.Errorf("got %d progress calls, want %d", len(calls), n)
	}
}

// TestRunOverlaps proves searches run at the same time: each of three
// searches waits until all three have started, which cannot happen with
// fewer than three workers.
func TestRunOverlaps(t *testing.T) {
	t.Parallel()
	queries, qrels, _ := fixture()
	var started sync.WaitGroup
	started.Add(3)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	search := func(ctx context.Context, _ string, _ int) ([]string, error) {
		started.Done()
		select {
		case <-all:
			return nil, nil
		case <-time.After(10 * time.Second):
			return nil, errors.New("searches did not overlap")
		}
	}
	if _, err := Run(t.Context(), queries, qrels, search, Options{Workers: 3}); err != nil {
		t.Fatal(err)
	}
}

func TestRunErrorNamesQuery(t *testing.T) {
	t.Parallel()
	queries, qrels, results := fixture()
	boom := errors.New("index closed")
	var after atomic.Int64
	search := func(ctx context.Context, q string, k int) ([]string, error) {
		if q == "two" {
			return nil, boom
		}
		if ctx.Err() != nil {
			after.Add(1)
		}
		return mapSearcher(results)(ctx, q, k)
	}
	rep, err := Run(t.Context(), queries, qrels, search, Options{Workers: 1})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	if !strings.Contains(err.Error(), `"q2"`) {
		t.Errorf("err = %q, want it to name query q2", err)
	}
	if rep.Queries != 0 || rep.PerQuery != nil {
		t.Errorf("report on error = %+v, want zero", rep)
	}
	// With one worker q3 comes after q2: it must not be searched at all.
	if after.Load() != 0 {
		t.Errorf("%d searches ran after the failure", after.Load())
	}
}

func TestRunCancel(t *testing.T) {
	t.Parallel()
	queries, qrels, _ := fixture()
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int64
	search := func(ctx context.Context, _ string, _ int) ([]string, error) {
		if calls.Add(1) == 1 {
			cancel() // the user presses Ctrl-C during the first search
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, queries, qrels, search, Options{Workers: 2})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	queries, qrels, results := fixture()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Run(ctx, queries, qrels, mapSearcher(results), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRunNothingJudged(t *testing.T) {
	t.Parallel()
	rep, err := Run(t.Context(), []Query{{ID: "q", Text: "t"}}, nil, mapSearcher(nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 0 || rep.Skipped != 1 || rep.NDCG10 != 0 {
		t.Errorf("report = %+v, want 0 queries, 1 skipped", rep)
	}
}

func TestRunNilSearcher(t *testing.T) {
	t.Parallel()
	if _, err := Run(t.Context(), nil, nil, nil, Options{}); err == nil {
		t.Error("Run with a nil Searcher succeeded")
	}
}
