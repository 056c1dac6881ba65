package llm

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestBackoffCeiling(t *testing.T) {
	t.Parallel()
	b := Backoff{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		if got := b.Ceiling(n); got != w*time.Millisecond {
			t.Errorf("Ceiling(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
	if got := b.Ceiling(1000); got != time.Second {
		t.Errorf("Ceiling(1000) = %v, want the cap (no overflow)", got)
	}
	if got := (Backoff{}).Ceiling(0); got != 500*time.Millisecond {
		t.Errorf("default first ceiling = %v, want 500ms", got)
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	t.Parallel()
	b := Backoff{BaseDelay: 100 * time.Millisecond, MaxDelay: 800 * time.Millisecond}
	for n := range 6 {
		ceil := b.Ceiling(n)
		lo, hi := ceil, time.Duration(0)
		for range 2000 {
			d := b.Delay(n)
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
	// The extremes of the random source map to the ends of the range.
	b.rand = func() float64 { return 0 }
	if d := b.Delay(2); d != 0 {
		t.Errorf("rand 0: Delay = %v, want 0", d)
	}
	b.rand = func() float64 { return 0.9999999999 }
	if d := b.Delay(2); d != 400*time.Millisecond {
		t.Errorf("rand→1: Delay = %v, want the ceiling 400ms", d)
	}
}

func TestRetrierRetriesOnlyThrottling(t *testing.T) {
	t.Parallel()
	var waits []time.Duration
	r := Backoff{Retries: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Second}.Start()
	r.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	ctx := context.Background()

	other := errors.New("bad request")
	if err := r.Wait(ctx, other); err != other {
		t.Fatalf("non-throttling error: Wait = %v, want it back unchanged", err)
	}
	thr := &ThrottleError{Err: errors.New("429"), RetryAfter: 300 * time.Millisecond}
	for i := range 2 {
		if err := r.Wait(ctx, fmt.Errorf("wrapped: %w", thr)); err != nil {
			t.Fatalf("retry %d: Wait = %v, want nil", i, err)
		}
	}
	err := r.Wait(ctx, thr)
	if !errors.Is(err, ErrThrottled) || r.Retries() != 2 {
		t.Fatalf("after the budget: Wait = %v (retries %d), want ErrThrottled after 2", err, r.Retries())
	}
	for _, w := range waits {
		if w < 300*time.Millisecond {
			t.Errorf("waited %v, shorter than Retry-After 300ms", w)
		}
	}
}

func TestRetrierGivesUpOnLongRetryAfter(t *testing.T) {
	t.Parallel()
	r := Backoff{MaxDelay: time.Second}.Start()
	r.sleep = func(context.Context, time.Duration) error { t.Fatal("slept"); return nil }
	err := r.Wait(context.Background(), &ThrottleError{RetryAfter: time.Minute})
	if !errors.Is(err, ErrThrottled) || RetryAfter(err) != time.Minute {
		t.Fatalf("Wait = %v, want the throttle error with its Retry-After", err)
	}
}

func TestRetryCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	time.AfterFunc(20*time.Millisecond, cancel)
	err := Retry(ctx, Backoff{Retries: 5, BaseDelay: time.Hour, MaxDelay: time.Hour, rand: func() float64 { return 0.5 }},
		func(context.Context) error {
			calls++
			return &ThrottleError{}
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

func TestRetrySucceedsAfterThrottling(t *testing.T) {
	t.Parallel()
	calls := 0
	err := Retry(context.Background(), Backoff{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
		func(context.Context) error {
			calls++
			if calls < 3 {
				return &ThrottleError{}
			}
			return nil
		})
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls, want nil after 3", err, calls)
	}
}

func TestThrottleErrorMatches(t *testing.T) {
	t.Parallel()
	cause := errors.New("HTTP 429: slow down")
	err := fmt.Errorf("openai: %w", &ThrottleError{Err: cause, RetryAfter: 2 * time.Second})
	if !errors.Is(err, ErrThrottled) || !errors.Is(err, cause) {
		t.Fatalf("%v does not match ErrThrottled and its cause", err)
	}
	want := "openai: the provider is throttling requests (retry after 2s): HTTP 429: slow down"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
