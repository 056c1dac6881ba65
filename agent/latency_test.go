package agent

import (
	"context"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/llm"
)

// gated is a provider whose one event is released by the test, to time
// how long a delta takes to cross the agent's stream.
type gated struct{ release chan time.Time }

func (g *gated) Name() string  { return "gated" }
func (g *gated) Model() string { return "gated-1" }
func (g *gated) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	return &gatedStream{ctx: ctx, release: g.release}, nil
}

type gatedStream struct {
	ctx     context.Context
	release chan time.Time
	cur     llm.Event
	sent    bool
	err     error
}

func (s *gatedStream) Next() bool {
	if s.sent {
		<-s.ctx.Done()
		s.err = s.ctx.Err()
		return false
	}
	select {
	case <-s.release:
		s.sent = true
		s.cur = llm.Event{Kind: llm.EventText, Text: "first [1]"}
		return true
	case <-s.ctx.Done():
		s.err = s.ctx.Err()
		return false
	}
}
func (s *gatedStream) Current() llm.Event { return s.cur }
func (s *gatedStream) Err() error         { return s.err }
func (s *gatedStream) Close() error       { return nil }

// TestDeltaLatencyAndCancel: a delta the provider yields reaches the
// caller within 20 ms, and cancelling the context ends the stream within
// 100 ms while the provider is mid-response.
func TestDeltaLatencyAndCancel(t *testing.T) {
	g := &gated{release: make(chan time.Time)}
	a := New(testIndex(t), g, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := a.Ask(ctx, AskRequest{Question: "dark matter"})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Next() || st.Current().Kind != EventSources {
		t.Fatal("no sources first")
	}
	var worst time.Duration
	start := time.Now()
	g.release <- start
	if !st.Next() || st.Current().Kind != EventDelta {
		t.Fatalf("got %+v", st.Current())
	}
	worst = time.Since(start)
	t.Logf("provider event → caller: %v", worst)
	if worst > 20*time.Millisecond {
		t.Errorf("delta took %v", worst)
	}
	start = time.Now()
	cancel()
	for st.Next() {
	}
	d := time.Since(start)
	t.Logf("cancel → stream ended: %v", d)
	if d > 100*time.Millisecond {
		t.Errorf("cancel took %v", d)
	}
}
