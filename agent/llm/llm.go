// Package llm is the seam between Quire and language models: one streaming
// request/response shape that every provider (Bedrock ConverseStream,
// OpenAI-compatible chat completions, and the offline extractive answerer)
// speaks, so the answer, draft and agent loops never see a vendor SDK.
package llm

import (
	"context"
	"encoding/json"
	"errors"
)

// Role is who wrote a message.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn of a conversation. A turn holds text, tool calls made
// by the assistant, or tool results sent back by the user side.
type Message struct {
	Role  Role   `json:"role"`
	Parts []Part `json:"parts"`
}

// Part is one piece of a message; exactly one field is set.
type Part struct {
	Text       string      `json:"text,omitempty"`
	ToolUse    *ToolUse    `json:"tool_use,omitempty"`
	ToolResult *ToolResult `json:"tool_result,omitempty"`
}

// Text builds a one-part text message.
func Text(role Role, s string) Message { return Message{Role: role, Parts: []Part{{Text: s}}} }

// ToolUse is the model asking for a tool to run.
type ToolUse struct {
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// ToolResult answers one ToolUse.
type ToolResult struct {
	ToolUseID string `json:"tool_use_id"`
	Content   string `json:"content"`
	IsError   bool   `json:"is_error,omitempty"`
}

// Tool describes a tool the model may call; Schema is a JSON Schema object.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"input_schema"`
}

// Request is one model call.
type Request struct {
	Model       string    // empty: the provider's configured model
	System      string    // system prompt
	Messages    []Message // conversation so far, oldest first
	Tools       []Tool
	MaxTokens   int      // 0: provider default
	Temperature *float64 // nil: provider default
	Stop        []string
}

// EventKind says which field of an Event is set.
type EventKind int

const (
	EventText    EventKind = iota + 1 // Text holds a delta
	EventToolUse                      // ToolUse holds a complete tool call
	EventUsage                        // Usage holds token counts
	EventStop                         // StopReason says why the model stopped
)

// Event is one item of a streamed response.
type Event struct {
	Kind       EventKind
	Text       string
	ToolUse    *ToolUse
	Usage      Usage
	StopReason StopReason
}

// StopReason is why generation ended, normalised across providers.
type StopReason string

const (
	StopEnd       StopReason = "end_turn"
	StopMaxTokens StopReason = "max_tokens"
	StopToolUse   StopReason = "tool_use"
	StopSequence  StopReason = "stop_sequence"
	StopFiltered  StopReason = "content_filtered"
)

// Usage counts tokens for one call.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Add sums two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{u.InputTokens + v.InputTokens, u.OutputTokens + v.OutputTokens}
}

// Stream is a response being read. Next blocks until the next event and
// returns false at the end or on error; Err then tells which. Close aborts
// the underlying request (cancelling the HTTP stream) and may be called at
// any time, more than once.
type Stream interface {
	Next() bool
	Current() Event
	Err() error
	Close() error
}

// Provider is a language model back end.
type Provider interface {
	// Name is the provider kind ("bedrock", "openai", "extractive").
	Name() string
	// Model is the model ID requests use by default.
	Model() string
	// Stream starts a request. Cancelling ctx aborts it.
	Stream(ctx context.Context, req Request) (Stream, error)
}

// Errors providers classify their failures into, so callers can tell
// people what to do (wrapped; test with errors.Is).
var (
	ErrAuth      = errors.New("the provider refused the credentials")
	ErrThrottled = errors.New("the provider is throttling requests")
	// ErrUnavailable is a server fault that may pass (HTTP 500, 502, 504);
	// it is retried with backoff like throttling.
	ErrUnavailable = errors.New("the provider failed on its side")
	ErrModel       = errors.New("the model was not found or is not enabled")
	ErrProtocol    = errors.New("the provider sent a malformed response")
)
