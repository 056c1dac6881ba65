package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with full jitter: before retry n (from 0)
// the wait is drawn uniformly from [0, min(MaxDelay, BaseDelay·2ⁿ)], but
// never shorter than a Retry-After the provider sent. Zero fields take the
// defaults noted.
//
// Quire is interactive, so a provider that asks for a pause longer than
// MaxDelay is not waited for: the throttling error goes to the person at
// once, with the pause in its text, rather than freezing the answer pane.
type Backoff struct {
	// Retries is how many times a throttled call is tried again after the
	// first attempt (default 3; negative for none).
	Retries int
	// BaseDelay is the first ceiling (default 500ms).
	BaseDelay time.Duration
	// MaxDelay caps every ceiling and the Retry-After honoured (default 20s).
	MaxDelay time.Duration

	// rand returns a value in [0, 1); nil uses math/rand/v2. Tests set it.
	rand func() float64
}

// withDefaults resolves zero fields.
func (b Backoff) withDefaults() Backoff {
	switch {
	case b.Retries == 0:
		b.Retries = 3
	case b.Retries < 0:
		b.Retries = 0
	}
	if b.BaseDelay <= 0 {
		b.BaseDelay = 500 * time.Millisecond
	}
	if b.MaxDelay <= 0 {
		b.MaxDelay = 20 * time.Second
	}
	b.MaxDelay = max(b.MaxDelay, b.BaseDelay)
	return b
}

// Ceiling is the upper bound of the jittered wait before retry n (from 0).
func (b Backoff) Ceiling(n int) time.Duration {
	b = b.withDefaults()
	c := b.BaseDelay
	for range n {
		if c >= b.MaxDelay/2 {
			return b.MaxDelay
		}
		c *= 2
	}
	return min(c, b.MaxDelay)
}

// Delay draws the wait before retry n (from 0), ignoring any Retry-After.
func (b Backoff) Delay(n int) time.Duration {
	r := rand.Float64
	if b.rand != nil {
		r = b.rand
	}
	return time.Duration(r() * float64(b.Ceiling(n)+1))
}

// Start begins retrying one call.
func (b Backoff) Start() *Retrier { return &Retrier{b: b.withDefaults()} }

// Retrier tracks the retries of one call; it is not safe for concurrent
// use. A provider keeps one per streamed request so that throttling met
// while connecting and throttling met in the stream before the first event
// share one budget.
type Retrier struct {
	b Backoff
	n int // retries done

	// sleep is replaced in tests.
	sleep func(context.Context, time.Duration) error
}

// Retries is the number of retries done so far.
func (r *Retrier) Retries() int { return r.n }

// Wait decides what to do after err. When err is throttling (it matches
// ErrThrottled) and retries remain, Wait sleeps for the backoff and returns
// nil: try again. Otherwise it returns the error to give up with: err
// itself, err annotated with the retries spent, or the context's error if
// ctx ended first.
func (r *Retrier) Wait(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if !errors.Is(err, ErrThrottled) {
		return err
	}
	if r.n >= r.b.Retries {
		if r.n == 0 {
			return err
		}
		return fmt.Errorf("gave up after %d retries: %w", r.n, err)
	}
	wait := r.b.Delay(r.n)
	if after := RetryAfter(err); after > 0 {
		if after > r.b.MaxDelay {
			return err // too long to freeze an interactive answer for
		}
		wait = max(wait, after)
	}
	sleep := r.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	if serr := sleep(ctx, wait); serr != nil {
		return serr
	}
	r.n++
	return nil
}

// Retry runs op until it succeeds, fails with an error that is not
// throttling, runs out of retries, or ctx ends; it returns op's last error
// (or the context's).
func Retry(ctx context.Context, b Backoff, op func(context.Context) error) error {
	r := b.Start()
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if err = r.Wait(ctx, err); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ThrottleError is a provider refusing a request for now (HTTP 429, 503,
// a throttling exception), with the pause it asked for. It matches
// ErrThrottled and whatever Err matches with errors.Is.
type ThrottleError struct {
	// Err is the provider's own error: status and message.
	Err error
	// RetryAfter is the pause the provider asked for; zero when none.
	RetryAfter time.Duration
}

func (e *ThrottleError) Error() string {
	s := ErrThrottled.Error()
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ThrottleError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrThrottled}
	}
	return []error{ErrThrottled, e.Err}
}

// RetryAfter is the pause a ThrottleError in err's chain asked for, or 0.
func RetryAfter(err error) time.Duration {
	var te *ThrottleError
	if errors.As(err, &te) {
		return te.RetryAfter
	}
	return 0
}
