package embed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeEmbedder returns [index parsed from the text, 1] and records calls.
type fakeEmbedder struct {
	name     string
	delay    time.Duration
	fail     func(call int, texts []string) error
	mu       sync.Mutex
	calls    int
	texts    int
	batches  [][]string
	inFlight atomic.Int32
	peak     atomic.Int32
}

func (f *fakeEmbedder) Name() string {
	if f.name == "" {
		return "fake"
	}
	return f.name
}
func (f *fakeEmbedder) Dim() int { return 2 }

func (f *fakeEmbedder) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.texts += len(texts)
	f.batches = append(f.batches, append([]string(nil), texts...))
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(call, texts); err != nil {
			return nil, err
		}
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		x, _ := strconv.Atoi(strings.TrimPrefix(t, "t"))
		out[i] = []float32{float32(x), float32(kind) + 1}
	}
	return out, nil
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "t" + strconv.Itoa(i)
	}
	return out
}

func checkOrder(t *testing.T, vecs [][]float32, n int) {
	t.Helper()
	if len(vecs) != n {
		t.Fatalf("%d vectors, want %d", len(vecs), n)
	}
	for i, v := range vecs {
		if v[0] != float32(i) {
			t.Fatalf("vector %d came from text %v", i, v[0])
		}
	}
}

func TestBatcherSplitsAndKeepsOrder(t *testing.T) {
	t.Parallel()
	f := &fakeEmbedder{delay: 40 * time.Millisecond}
	b := NewBatcher(f, BatchOptions{BatchSize: 3, Concurrency: 2})
	vecs, err := b.Embed(context.Background(), texts(10), Query)
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, vecs, 10)
	if f.calls != 4 || f.texts != 10 {
		t.Errorf("%d calls with %d texts, want 4 with 10", f.calls, f.texts)
	}
	if p := f.peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want 2", p)
	}
	if vecs[0][1] != 2 {
		t.Error("the kind was not passed on")
	}
	if b.Name() != "fake" || b.Dim() != 2 {
		t.Errorf("Name %q Dim %d", b.Name(), b.Dim())
	}
	if vecs, err := b.Embed(context.Background(), nil, Query); err != nil || len(vecs) != 0 {
		t.Errorf("no texts: %v %v", vecs, err)
	}
}

func TestBatcherRetriesThrottledWithFullJitter(t *testing.T) {
	t.Parallel()
	f := &fakeEmbedder{fail: func(call int, _ []string) error {
		if call <= 3 {
			return fmt.Errorf("HTTP 429: %w", ErrThrottled)
		}
		return nil
	}}
	b := NewBatcher(f, BatchOptions{BatchSize: 5, Retries: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond})
	var waits []time.Duration
	b.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	vecs, err := b.Embed(context.Background(), texts(5), Passage)
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, vecs, 5)
	ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if len(waits) != 3 {
		t.Fatalf("waits %v, want 3", waits)
	}
	for i, w := range waits {
		if w < 0 || w > ceilings[i] {
			t.Errorf("wait %d = %s, want within [0, %s]", i, w, ceilings[i])
		}
	}
}

func TestBatcherJitterSpreads(t *testing.T) {
	t.Parallel()
	// Full jitter draws from [0, ceiling]: many draws must not coincide.
	f := &fakeEmbedder{fail: func(int, []string) error { return ErrThrottled }}
	b := NewBatcher(f, BatchOptions{BatchSize: 1, Retries: 1, BaseDelay: time.Second})
	seen := map[time.Duration]bool{}
	b.sleep = func(_ context.Context, d time.Duration) error { seen[d] = true; return nil }
	for range 20 {
		b.Embed(context.Background(), texts(1), Passage)
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct waits in 20 tries", len(seen))
	}
}

func TestBatcherGivesUp(t *testing.T) {
	t.Parallel()
	f := &fakeEmbedder{fail: func(int, []string) error { return &ThrottleError{Service: "fake"} }}
	b := NewBatcher(f, BatchOptions{Retries: 2})
	b.sleep = func(context.Context, time.Duration) error { return nil }
	_, err := b.Embed(context.Background(), texts(3), Passage)
	if !errors.Is(err, ErrThrottled) || f.calls != 3 {
		t.Errorf("err %v after %d calls, want ErrThrottled after 3", err, f.calls)
	}
	f2 := &fakeEmbedder{fail: func(int, []string) error { return ErrThrottled }}
	if _, err := NewBatcher(f2, BatchOptions{Retries: -1}).Embed(context.Background(), texts(1), Passage); err == nil || f2.calls != 1 {
		t.Errorf("Retries -1: err %v after %d calls", err, f2.calls)
	}
}

func TestBatcherDoesNotRetryOtherErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("bad request")
	f := &fakeEmbedder{fail: func(call int, _ []string) error {
		if call == 2 {
			return boom
		}
		return nil
	}}
	_, err := NewBatcher(f, BatchOptions{BatchSize: 1}).Embed(context.Background(), texts(4), Passage)
	if !errors.Is(err, boom) || f.calls != 2 {
		t.Errorf("err %v after %d calls", err, f.calls)
	}
}

func TestBatcherCancelReturnsAtOnce(t *testing.T) {
	t.Parallel()
	// The inner embedder ignores ctx; the Batcher must not wait for it.
	release := make(chan struct{})
	defer close(release)
	f := &fakeEmbedder{fail: func(int, []string) error { <-release; return nil }}
	b := NewBatcher(f, BatchOptions{BatchSize: 2, Concurrency: 2})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	_, err := b.Embed(ctx, texts(10), Passage)
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("err %v after %s", err, time.Since(start))
	}
}

func TestBatcherCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	f := &fakeEmbedder{fail: func(int, []string) error { return ErrThrottled }}
	b := NewBatcher(f, BatchOptions{BaseDelay: time.Hour, MaxDelay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.Embed(ctx, texts(1), Passage)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("err %v after %s", err, time.Since(start))
	}
	if _, err := b.Embed(ctx, texts(1), Passage); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a done ctx: err %v", err)
	}
}

type shortEmbedder struct{ fakeEmbedder }

func (s *shortEmbedder) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	v, err := s.fakeEmbedder.Embed(ctx, texts, kind)
	return v[:len(v)-1], err
}

func TestBatcherChecksCount(t *testing.T) {
	t.Parallel()
	_, err := NewBatcher(&shortEmbedder{}, BatchOptions{}).Embed(context.Background(), texts(3), Passage)
	if err == nil || !strings.Contains(err.Error(), "2 vectors for 3 texts") {
		t.Errorf("err = %v", err)
	}
}

func TestPrefixed(t *testing.T) {
	t.Parallel()
	f := &fakeEmbedder{}
	if Prefixed(f, "", "") != Embedder(f) {
		t.Error("empty prefixes should return the embedder itself")
	}
	p := Prefixed(f, "search_query: ", "search_document: ")
	p.Embed(context.Background(), []string{"a"}, Query)
	p.Embed(context.Background(), []string{"b"}, Passage)
	if f.batches[0][0] != "search_query: a" || f.batches[1][0] != "search_document: b" {
		t.Errorf("sent %q", f.batches)
	}
	if p.Name() == f.Name() || !strings.Contains(p.Name(), "search_query") || p.Dim() != 2 {
		t.Errorf("Name %q Dim %d", p.Name(), p.Dim())
	}
	q := Prefixed(f, "query: ", "")
	q.Embed(context.Background(), []string{"c"}, Passage)
	if f.batches[2][0] != "c" {
		t.Errorf("passage got %q", f.batches[2][0])
	}
}
