// Package backoff is the one retry policy of Quire's remote calls: the
// language models in agent/llm and the embedders in search/embed. It waits
// with exponential backoff and full jitter, never shorter than a
// Retry-After the service sent, and tells a listener carried by the
// context about every retry, so the app can show "retry 2/3 in 4s
// (HTTP 503)" instead of a silent pause.
package backoff

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Transient is implemented by errors that may pass when the call is tried
// again later: throttling (HTTP 429, ThrottlingException) and server
// faults (HTTP 500, 502, 503, 504).
type Transient interface {
	error
	// Transient reports whether trying again may help, the pause the
	// service asked for (0 when it named none), and a short reason for
	// retry notices ("HTTP 503", "ThrottlingException").
	Transient() (retry bool, after time.Duration, reason string)
}

// Classify finds a Transient in err's chain and returns what it says;
// errors with none are not retried.
func Classify(err error) (retry bool, after time.Duration, reason string) {
	var t Transient
	if errors.As(err, &t) {
		return t.Transient()
	}
	return false, 0, ""
}

// Policy is exponential backoff with full jitter: before retry n (from 0)
// the wait is drawn uniformly from [0, min(MaxDelay, BaseDelay·2ⁿ)], but
// never shorter than a Retry-After the service sent. Zero fields take the
// defaults noted.
type Policy struct {
	// Retries is how many times a call is tried again after the first
	// attempt (default 3; negative for none).
	Retries int
	// BaseDelay is the first ceiling (default 500ms).
	BaseDelay time.Duration
	// MaxDelay caps every ceiling (default 20s).
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After waited for: a service asking
	// for a longer pause gets its error returned at once, with the pause
	// in its text, rather than freezing an interactive answer. Zero means
	// MaxDelay; negative means any pause is honoured (batch work).
	MaxRetryAfter time.Duration
	// Retryable, when set, also retries errors it accepts (a bare sentinel
	// such as embed.ErrThrottled); errors implementing Transient are
	// retried whatever it says.
	Retryable func(error) bool

	// Sleep and Rand replace the clock and the random source in tests;
	// nil uses the real ones. Rand returns a value in [0, 1).
	Sleep func(context.Context, time.Duration) error
	Rand  func() float64
}

// withDefaults resolves zero fields.
func (p Policy) withDefaults() Policy {
	switch {
	case p.Retries == 0:
		p.Retries = 3
	case p.Retries < 0:
		p.Retries = 0
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 20 * time.Second
	}
	p.MaxDelay = max(p.MaxDelay, p.BaseDelay)
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = p.MaxDelay
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// MaxRetries is the retry budget after defaults.
func (p Policy) MaxRetries() int { return p.withDefaults().Retries }

// Ceiling is the upper bound of the jittered wait before retry n (from 0).
func (p Policy) Ceiling(n int) time.Duration {
	p = p.withDefaults()
	c := p.BaseDelay
	for range n {
		if c >= p.MaxDelay/2 {
			return p.MaxDelay
		}
		c *= 2
	}
	return min(c, p.MaxDelay)
}

// Delay draws the wait before retry n (from 0), ignoring any Retry-After.
func (p Policy) Delay(n int) time.Duration {
	p = p.withDefaults()
	return time.Duration(p.Rand() * float64(p.Ceiling(n)+1))
}

// Start begins retrying one call.
func (p Policy) Start() *Retrier { return &Retrier{p: p.withDefaults()} }

// Retrier tracks the retries of one call; it is not safe for concurrent
// use. A streaming provider keeps one per request so that failures met
// while connecting and failures met in the stream before the first event
// share one budget.
type Retrier struct {
	p Policy
	n int // retries done
}

// Retries is the number of retries done so far.
func (r *Retrier) Retries() int { return r.n }

// Wait decides what to do after err. When err is transient and retries
// remain, Wait tells the context's listener, sleeps for the backoff and
// returns nil: try again. Otherwise it returns the error to give up with:
// err itself, err annotated with the retries spent, or the context's
// error if ctx ended first.
func (r *Retrier) Wait(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	retry, after, reason := Classify(err)
	if !retry && r.p.Retryable != nil {
		retry = r.p.Retryable(err)
	}
	if !retry {
		return err
	}
	if r.n >= r.p.Retries {
		if r.n == 0 {
			return err
		}
		return fmt.Errorf("gave up after %d retries: %w", r.n, err)
	}
	wait := r.p.Delay(r.n)
	if after > 0 {
		if r.p.MaxRetryAfter > 0 && after > r.p.MaxRetryAfter {
			return err // too long to wait for
		}
		wait = max(wait, after)
	}
	if reason == "" {
		reason = "temporary failure"
	}
	notify(ctx, Notice{Attempt: r.n + 1, Max: r.p.Retries, Wait: wait, Reason: reason, Err: err})
	if serr := r.p.Sleep(ctx, wait); serr != nil {
		return serr
	}
	r.n++
	return nil
}

// Retry runs op until it succeeds, fails with an error that is not
// transient, runs out of retries, or ctx ends; it returns op's last error
// (or the context's).
func Retry(ctx context.Context, p Policy, op func(context.Context) error) error {
	r := p.Start()
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

// Notice describes one retry about to happen.
type Notice struct {
	// Attempt is the retry's number, from 1; Max is the retry budget.
	Attempt, Max int
	// Wait is the pause before it.
	Wait time.Duration
	// Reason is short: "HTTP 503", "ThrottlingException".
	Reason string
	// Err is the failure being retried.
	Err error
}

// String reads "retry 1/3 in 1.2s (HTTP 503)".
func (n Notice) String() string {
	return fmt.Sprintf("retry %d/%d in %s (%s)", n.Attempt, n.Max, n.Wait.Round(100*time.Millisecond), n.Reason)
}

type notifyKey struct{}

// WithNotify returns a context whose retries are reported to fn before
// each wait. fn may be called from several goroutines at once (an
// embedder's concurrent batches) and must not block. A context that
// already had a listener keeps it too: both are called.
func WithNotify(ctx context.Context, fn func(Notice)) context.Context {
	if fn == nil {
		return ctx
	}
	if prev, ok := ctx.Value(notifyKey{}).(func(Notice)); ok {
		inner := fn
		fn = func(n Notice) { prev(n); inner(n) }
	}
	return context.WithValue(ctx, notifyKey{}, fn)
}

func notify(ctx context.Context, n Notice) {
	if fn, ok := ctx.Value(notifyKey{}).(func(Notice)); ok {
		fn(n)
	}
}
