package agent

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/llm"
)

// throttledOnce is a provider that is throttled on its first attempt and
// retries through llm.Retry, as the real providers do.
type throttledOnce struct{ script }

func (p *throttledOnce) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	var st llm.Stream
	tries := 0
	pol := llm.Backoff{Retries: 3, Sleep: func(context.Context, time.Duration) error { return nil }, Rand: func() float64 { return 0 }}
	err := llm.Retry(ctx, pol, func(ctx context.Context) error {
		tries++
		if tries == 1 {
			return &llm.ThrottleError{Err: errors.New("slow down"), RetryAfter: 2 * time.Second, Reason: "HTTP 429"}
		}
		var err error
		st, err = p.script.Stream(ctx, req)
		return err
	})
	return st, err
}

// A throttled call shows up as a retry event, with its wait, reason and
// attempt, before the text: the app shows it instead of "Thinking…".
func TestRetriesBecomeEvents(t *testing.T) {
	t.Parallel()
	p := &throttledOnce{script{turns: [][]llm.Event{{text("Halos [1]."), stop(llm.StopEnd)}}}}
	a := New(testIndex(t), p, Options{})
	st, err := a.Ask(context.Background(), AskRequest{Question: "dark matter halos"})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := Collect(st)
	if err != nil {
		t.Fatal(err)
	}
	var retry *Retry
	for _, ev := range evs {
		if ev.Kind == EventDelta && retry == nil {
			t.Fatal("text came before the retry notice")
		}
		if ev.Kind == EventRetry {
			retry = ev.Retry
		}
	}
	if retry == nil {
		t.Fatalf("no retry event in %v", evs)
	}
	if retry.Attempt != 2 || retry.Max != 4 || retry.Wait != 2*time.Second || retry.Reason != "HTTP 429" {
		t.Fatalf("retry %+v", retry)
	}
	if got := retry.String(); got != "retrying in 2s (HTTP 429, attempt 2 of 4)" {
		t.Fatalf("retry reads %q", got)
	}
}

func TestStoreRenameAndDelete(t *testing.T) {
	t.Parallel()
	s := NewStore(t.TempDir())
	r := &Record{Kind: KindConversation, Title: "old"}
	if _, err := s.Save(r); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(KindConversation, r.ID, "  new title "); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(KindConversation, r.ID); got.Title != "new title" {
		t.Fatalf("title %q", got.Title)
	}
	if err := s.Rename(KindConversation, r.ID, " "); err == nil {
		t.Fatal("an empty title was accepted")
	}
	if err := s.Delete(KindConversation, r.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(KindConversation); len(list) != 0 {
		t.Fatalf("still listed: %+v", list)
	}
	if _, err := os.Stat(s.Path(KindConversation, r.ID)); !os.IsNotExist(err) {
		t.Fatalf("json left: %v", err)
	}
	if err := s.Delete(KindConversation, "../x"); err == nil {
		t.Fatal("a path was accepted as an id")
	}
}
