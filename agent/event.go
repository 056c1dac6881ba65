package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/llm"
)

// Source is a numbered source sent to the model.
type Source = evidence.Source

// EventKind says which fields of an Event are set.
type EventKind int

const (
	// EventSources: Sources holds every source sent so far, numbered.
	EventSources EventKind = iota + 1
	// EventDelta: Text holds the next piece of the answer or draft.
	EventDelta
	// EventSection: Text holds the title of the draft section that starts.
	EventSection
	// EventToolCall: Tool holds a call the model made (ID, Name, Input).
	EventToolCall
	// EventToolResult: Tool holds the call and its Output (IsError if it failed).
	EventToolResult
	// EventBasket: Basket holds the whole basket after a tool added papers.
	EventBasket
	// EventUsage: Usage holds the call's tokens and cost and the session's.
	EventUsage
	// EventWarning: Text says what is wrong; Citation is set for a [n]
	// that matches no source sent.
	EventWarning
	// EventDone: Done says how it ended; always the last event of a run
	// that was not stopped or failed.
	EventDone
	// EventRetry: Retry says the provider refused for now (throttling or
	// a server fault) and when the call is tried again.
	EventRetry
	// EventApproval: Approval is a tool call waiting for the user's
	// answer; the run waits until Approval.Answer is called.
	EventApproval
)

var kindNames = map[EventKind]string{
	EventSources: "sources", EventDelta: "delta", EventSection: "section", EventToolCall: "tool_call",
	EventToolResult: "tool_result", EventBasket: "basket", EventUsage: "usage", EventWarning: "warning", EventDone: "done",
	EventRetry: "retry", EventApproval: "approval",
}

func (k EventKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// MarshalJSON writes the kind's name.
func (k EventKind) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// UnmarshalJSON reads a kind's name.
func (k *EventKind) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for kk, name := range kindNames {
		if name == s {
			*k = kk
			return nil
		}
	}
	return fmt.Errorf("unknown event kind %q", s)
}

// Event is one item of a run's stream.
type Event struct {
	Kind     EventKind  `json:"kind"`
	Text     string     `json:"text,omitempty"`
	Sources  []Source   `json:"sources,omitempty"`
	Tool     *ToolEvent `json:"tool,omitempty"`
	Basket   []string   `json:"basket,omitempty"`
	Usage    *Usage     `json:"usage,omitempty"`
	Citation int        `json:"citation,omitempty"`
	Done     *Done      `json:"done,omitempty"`
	Retry    *Retry     `json:"retry,omitempty"`
	Approval *Approval  `json:"approval,omitempty"`
}

// Retry is a provider call about to be tried again.
type Retry struct {
	// Attempt is the attempt about to be made (2 for the first retry) of
	// Max attempts in all.
	Attempt int `json:"attempt"`
	Max     int `json:"max"`
	// Wait is the pause before it; Reason is short ("HTTP 429").
	Wait   time.Duration `json:"wait"`
	Reason string        `json:"reason"`
}

// String reads "retrying in 2s (HTTP 429, attempt 2 of 4)".
func (r Retry) String() string {
	return fmt.Sprintf("retrying in %s (%s, attempt %d of %d)", r.Wait.Round(100*time.Millisecond), r.Reason, r.Attempt, r.Max)
}

// ToolEvent is a tool call, and after it runs, its result.
type ToolEvent struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	Input   json.RawMessage `json:"input,omitempty"`
	Output  string          `json:"output,omitempty"`
	IsError bool            `json:"is_error,omitempty"`
}

// Usage is the token count and cost of one model call, with running totals
// for the session (every call through the same Agent).
type Usage struct {
	Provider       string    `json:"provider"`
	Model          string    `json:"model"`
	Call           llm.Usage `json:"call"`
	CostUSD        float64   `json:"cost_usd"`
	Session        llm.Usage `json:"session"`
	SessionCostUSD float64   `json:"session_cost_usd"`
}

// Done ends a run.
type Done struct {
	// Stop is why the model stopped (its last call).
	Stop llm.StopReason `json:"stop,omitempty"`
	// Extractive is true when no model wrote the text: it was quoted.
	Extractive bool `json:"extractive,omitempty"`
	// Steps counts model calls (agent mode may make several).
	Steps int `json:"steps"`
	// ID names the saved conversation or draft; Path is its JSON file
	// (empty when nothing was saved).
	ID   string `json:"id,omitempty"`
	Path string `json:"path,omitempty"`
}

// Stream is a run in progress. Next blocks until the next event; it
// returns false at the end, on error or after Close. It may be called from
// any goroutine, one call at a time. Close stops the run at once and may be
// called at any time, from any goroutine, more than once.
type Stream struct {
	ch     chan Event
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	cur      Event
	err      error // set by the producer before ch closes
	finished bool  // Next saw ch closed
}

func newStream(ctx context.Context, run func(ctx context.Context, emit func(Event) bool) error) *Stream {
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream{ch: make(chan Event), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.ch)
		emit := func(ev Event) bool {
			select {
			case s.ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		err := run(ctx, emit)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	return s
}

// Next advances to the next event.
func (s *Stream) Next() bool {
	ev, ok := <-s.ch
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.finished = true
		return false
	}
	s.cur = ev
	return true
}

// Current is the event Next moved to.
func (s *Stream) Current() Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Err is the error that ended the run, nil when it finished, or
// context.Canceled after Close.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return s.err
	}
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close stops the run and waits for it to let go of its resources.
func (s *Stream) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// Collect reads a stream to its end and returns every event.
func Collect(s *Stream) ([]Event, error) {
	defer s.Close()
	var out []Event
	for s.Next() {
		out = append(out, s.Current())
	}
	return out, s.Err()
}
