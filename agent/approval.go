package agent

import (
	"context"
	"encoding/json"
	"sync"
)

// Decision answers an approval request.
type Decision int

const (
	// Deny refuses the call; the model is told so.
	Deny Decision = iota
	// AllowOnce allows this call only.
	AllowOnce
	// AllowAlways allows this tool for the rest of the session.
	AllowAlways
)

// Approval is a tool call waiting for the user (EventApproval).
type Approval struct {
	Name  string          `json:"name"` // as people read it, e.g. server.tool
	Input json.RawMessage `json:"input,omitempty"`

	once   sync.Once
	answer chan Decision
}

// Answer gives the user's decision; calls after the first are ignored.
func (a *Approval) Answer(d Decision) {
	a.once.Do(func() { a.answer <- d })
}

type approverKey struct{}

// Approve asks the user about a call from inside a tool run by an agent
// loop: it emits EventApproval and waits for the answer. Outside a run, or
// when the run is stopped, the answer is Deny.
func Approve(ctx context.Context, name string, input json.RawMessage) Decision {
	emit, ok := ctx.Value(approverKey{}).(func(Event) bool)
	if !ok {
		return Deny
	}
	a := &Approval{Name: name, Input: input, answer: make(chan Decision, 1)}
	if !emit(Event{Kind: EventApproval, Approval: a}) {
		return Deny
	}
	select {
	case d := <-a.answer:
		return d
	case <-ctx.Done():
		return Deny
	}
}
