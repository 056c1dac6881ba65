package backoff

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// transient is a Transient error for tests.
type transient struct {
	after  time.Duration
	reason string
}

func (e *transient) Error() string { return "transient " + e.reason }
func (e *transient) Transient() (bool, time.Duration, string) {
	return true, e.after, e.reason
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestCeiling(t *testing.T) {
	t.Parallel()
	p := Policy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		if got := p.Ceiling(n); got != w*time.Millisecond {
			t.Errorf("Ceiling(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
	if got := p.Ceiling(1000); got != time.Second {
		t.Errorf("Ceiling(1000) = %v, want the cap (no overflow)", got)
	}
	if got := (Policy{}).Ceiling(0); got != 500*time.Millisecond {
		t.Errorf("default first ceiling = %v, want 500ms", got)
	}
}

func TestJitterBounds(t *testing.T) {
	t.Parallel()
	p := Policy{BaseDelay: 100 * time.Millisecond, MaxDelay: 800 * time.Millisecond}
	for n := range 6 {
		ceil := p.Ceiling(n)
		lo, hi := ceil, time.Duration(0)
		for range 2000 {
			d := p.Delay(n)
			if d < 0 || d > ceil {
				t.Fatalf("Delay(%d) = %v outside [0, %v]", n, d, ceil)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter spreads over the whole range, not near the ceiling.
		if lo > ceil/10 || hi < ceil*9/10 {
			t.Errorf("Delay(%d) spanned [%v, %v] of [0, %v]: not full jitter", n, lo, hi, ceil)
		}
	}
	p.Rand = func() float64 { return 0 }
	if d := p.Delay(2); d != 0 {
		t.Errorf("rand 0: Delay = %v, want 0", d)
	}
	p.Rand = func() float64 { return 0.9999999999 }
	if d := p.Delay(2); d != 400*time.Millisecond {
		t.Errorf("rand→1: Delay = %v, want the ceiling 400ms", d)
	}
}

func TestWaitRetriesOnlyTransient(t *testing.T) {
	t.Parallel()
	var waits []time.Duration
	p := Policy{Retries: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	r := p.Start()
	ctx := context.Background()
	other := errors.New("bad request")
	if err := r.Wait(ctx, other); err != other {
		t.Fatalf("non-transient error: Wait = %v, want it back unchanged", err)
	}
	thr := &transient{after: 300 * time.Millisecond, reason: "HTTP 429"}
	for i := range 2 {
		if err := r.Wait(ctx, fmt.Errorf("wrapped: %w", thr)); err != nil {
			t.Fatalf("retry %d: Wait = %v, want nil", i, err)
		}
	}
	err := r.Wait(ctx, thr)
	if !errors.Is(err, thr) || r.Retries() != 2 {
		t.Fatalf("after the budget: Wait = %v (retries %d), want the error after 2", err, r.Retries())
	}
	for _, w := range waits {
		if w < 300*time.Millisecond {
			t.Errorf("waited %v, shorter than Retry-After 300ms", w)
		}
	}
}

func TestWaitRetryableSentinel(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("throttled")
	p := Policy{Retries: 1, Sleep: noSleep, Retryable: func(err error) bool { return errors.Is(err, sentinel) }}
	if err := p.Start().Wait(context.Background(), fmt.Errorf("x: %w", sentinel)); err != nil {
		t.Fatalf("a sentinel Retryable accepts: Wait = %v, want nil", err)
	}
}

func TestWaitLongRetryAfter(t *testing.T) {
	t.Parallel()
	p := Policy{MaxDelay: time.Second, Sleep: func(context.Context, time.Duration) error { t.Error("slept"); return nil }}
	long := &transient{after: time.Minute}
	if err := p.Start().Wait(context.Background(), long); err != long {
		t.Fatalf("Wait = %v, want the error at once (pause longer than MaxDelay)", err)
	}
	// Batch work honours any pause.
	var slept time.Duration
	p = Policy{MaxDelay: time.Second, MaxRetryAfter: -1, Sleep: func(_ context.Context, d time.Duration) error { slept = d; return nil }}
	if err := p.Start().Wait(context.Background(), long); err != nil || slept != time.Minute {
		t.Fatalf("MaxRetryAfter -1: Wait = %v, slept %v; want nil after 1m", err, slept)
	}
}

func TestRetryCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	time.AfterFunc(20*time.Millisecond, cancel)
	err := Retry(ctx, Policy{Retries: 5, BaseDelay: time.Hour, MaxDelay: time.Hour, Rand: func() float64 { return 0.5 }},
		func(context.Context) error {
			calls++
			return &transient{}
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Retry = %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("op ran %d times, want 1", calls)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Retry returned %v after cancel, want promptly", el)
	}
}

func TestRetrySucceeds(t *testing.T) {
	t.Parallel()
	calls := 0
	err := Retry(context.Background(), Policy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
		func(context.Context) error {
			calls++
			if calls < 3 {
				return &transient{}
			}
			return nil
		})
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls, want nil after 3", err, calls)
	}
}

func TestNotify(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got, outer []Notice
	ctx := WithNotify(context.Background(), func(n Notice) { mu.Lock(); outer = append(outer, n); mu.Unlock() })
	ctx = WithNotify(ctx, func(n Notice) { mu.Lock(); got = append(got, n); mu.Unlock() })
	calls := 0
	err := Retry(ctx, Policy{Retries: 3, Sleep: noSleep, Rand: func() float64 { return 0 }}, func(context.Context) error {
		calls++
		if calls <= 2 {
			return &transient{after: 2 * time.Second, reason: "HTTP 503"}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(outer) != 2 {
		t.Fatalf("notices %v (outer %v), want 2 each", got, outer)
	}
	for i, n := range got {
		if n.Attempt != i+1 || n.Max != 3 || n.Wait != 2*time.Second || n.Reason != "HTTP 503" || n.Err == nil {
			t.Errorf("notice %d = %+v", i, n)
		}
	}
	if s := got[0].String(); s != "retry 1/3 in 2s (HTTP 503)" {
		t.Errorf("String() = %q", s)
	}
}
