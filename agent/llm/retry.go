package llm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quire-research/quire/search/backoff"
)

// Backoff is the retry policy providers use: exponential backoff with full
// jitter, never shorter than a Retry-After the provider sent (see
// backoff.Policy; it is the same one the embedders use). Quire is
// interactive, so a provider that asks for a pause longer than MaxDelay is
// not waited for: the error goes to the person at once, with the pause in
// its text, rather than freezing the answer pane.
type Backoff = backoff.Policy

// Retrier tracks the retries of one call (backoff.Retrier).
type Retrier = backoff.Retrier

// RetryNotice describes a retry about to happen: attempt, budget, wait and
// reason ("HTTP 503", "ThrottlingException").
type RetryNotice = backoff.Notice

// NotifyRetries returns a context under which every provider call reports
// its retries to fn, before each wait. The agent passes it to Stream to
// show "retry 1/3 in 2s (HTTP 503)" in the status line. fn must not block.
func NotifyRetries(ctx context.Context, fn func(RetryNotice)) context.Context {
	return backoff.WithNotify(ctx, fn)
}

// Retry runs op until it succeeds, fails with an error that is not
// transient (throttling or a server fault), runs out of retries, or ctx
// ends.
func Retry(ctx context.Context, b Backoff, op func(context.Context) error) error {
	return backoff.Retry(ctx, b, op)
}

// ThrottleError is a provider refusing a request for now (HTTP 429, 503,
// a throttling exception), with the pause it asked for. It matches
// ErrThrottled and whatever Err matches with errors.Is, and is retried.
type ThrottleError struct {
	// Err is the provider's own error: status and message.
	Err error
	// RetryAfter is the pause the provider asked for; zero when none.
	RetryAfter time.Duration
	// Reason is a short name for retry notices ("HTTP 429",
	// "ThrottlingException"); empty reads "throttled".
	Reason string
}

func (e *ThrottleError) Error() string { return transientText(ErrThrottled, e.RetryAfter, e.Err) }

func (e *ThrottleError) Unwrap() []error { return unwrapPair(ErrThrottled, e.Err) }

// Transient makes the error retryable by backoff.
func (e *ThrottleError) Transient() (bool, time.Duration, string) {
	return true, e.RetryAfter, cmpOr(e.Reason, "throttled")
}

// ServerError is a provider failing on its side (HTTP 500, 502, 504, an
// InternalServerException): worth a retry with backoff, like throttling.
// It matches ErrUnavailable and whatever Err matches.
type ServerError struct {
	// Err is the provider's own error: status and message.
	Err error
	// RetryAfter is the pause the provider asked for; zero when none.
	RetryAfter time.Duration
	// Reason is a short name for retry notices ("HTTP 502").
	Reason string
}

func (e *ServerError) Error() string { return transientText(ErrUnavailable, e.RetryAfter, e.Err) }

func (e *ServerError) Unwrap() []error { return unwrapPair(ErrUnavailable, e.Err) }

// Transient makes the error retryable by backoff.
func (e *ServerError) Transient() (bool, time.Duration, string) {
	return true, e.RetryAfter, cmpOr(e.Reason, "server error")
}

func transientText(class error, after time.Duration, err error) string {
	s := class.Error()
	if after > 0 {
		s += fmt.Sprintf(" (retry after %s)", after)
	}
	if err != nil {
		s += ": " + err.Error()
	}
	return s
}

func unwrapPair(class, err error) []error {
	if err == nil {
		return []error{class}
	}
	return []error{class, err}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Transient reports whether err is worth retrying: throttling or a server
// fault.
func Transient(err error) bool {
	retry, _, _ := backoff.Classify(err)
	return retry
}

// RetryAfter is the pause a throttling or server error in err's chain
// asked for, or 0.
func RetryAfter(err error) time.Duration {
	var te *ThrottleError
	if errors.As(err, &te) {
		return te.RetryAfter
	}
	var se *ServerError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}
