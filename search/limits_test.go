package search

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTruncateUTF8KeepsCharacters(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	for n := -1; n <= 22; n++ {
		got := TruncateUTF8(s, n)
		if len(got) > max(n, 0) || !utf8.ValidString(got) {
			t.Errorf("n=%d: %q (%d bytes, valid %v)", n, got, len(got), utf8.ValidString(got))
		}
		if n >= 4 && n < len(s) && !strings.HasSuffix(got, "…") {
			t.Errorf("n=%d: a cut text lacks its ellipsis: %q", n, got)
		}
	}
}

func TestBoundedSaysItTimedOut(t *testing.T) {
	slow := func(ctx context.Context) (*Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	_, err := Bounded(context.Background(), Request{Timeout: 10 * time.Millisecond}, slow)
	if err == nil || !strings.Contains(err.Error(), "timed out after 10ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// A caller's own cancellation is not a timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Bounded(ctx, Request{}, slow)
	if err == nil || strings.Contains(err.Error(), "timed out") {
		t.Fatalf("cancelled: err = %v", err)
	}
	if _, err := Bounded(context.Background(), Request{Limit: 1, Offset: MaxWindow}, slow); err == nil || !strings.Contains(err.Error(), "paged up to") {
		t.Fatalf("window: err = %v", err)
	}
}
