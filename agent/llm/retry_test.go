package llm

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

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

func TestServerErrorIsRetried(t *testing.T) {
	t.Parallel()
	cause := errors.New("HTTP 502 Bad Gateway")
	err := fmt.Errorf("openai: %w", &ServerError{Err: cause, RetryAfter: time.Second, Reason: "HTTP 502"})
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrThrottled) || RetryAfter(err) != time.Second {
		t.Fatalf("%v: want ErrUnavailable (not throttling) with its Retry-After", err)
	}
	var notes []RetryNotice
	ctx := NotifyRetries(context.Background(), func(n RetryNotice) { notes = append(notes, n) })
	calls := 0
	b := Backoff{Retries: 2, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Second, Sleep: func(context.Context, time.Duration) error { return nil }}
	rerr := Retry(ctx, b, func(context.Context) error { calls++; return err })
	if calls != 3 || !errors.Is(rerr, ErrUnavailable) {
		t.Fatalf("Retry = %v after %d calls, want ErrUnavailable after 3", rerr, calls)
	}
	if len(notes) != 2 || notes[1].Attempt != 2 || notes[1].Max != 2 || notes[1].Reason != "HTTP 502" || notes[1].Wait < time.Second {
		t.Errorf("notices %+v, want 2 naming HTTP 502 and waiting at least the Retry-After", notes)
	}
}
