// Package tools is the tool layer of agent mode: tools described by a name,
// a description and a JSON Schema, called with raw JSON and answering with
// text. Nothing here knows about a transport, so the same Registry serves
// the model loop today and an MCP server later.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/quire-research/quire/agent/llm"
)

// Tool is one callable tool.
type Tool struct {
	Name        string
	Description string
	// Schema is a JSON Schema object for the input.
	Schema json.RawMessage
	// Call runs the tool. An error is reported to the model as a failed
	// call, not as the end of the loop.
	Call func(ctx context.Context, input json.RawMessage) (string, error)
}

// ErrUnknown is returned for a call to a tool that is not registered.
var ErrUnknown = errors.New("no such tool")

// Registry holds tools by name. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	tools []Tool
}

// NewRegistry registers ts.
func NewRegistry(ts ...Tool) (*Registry, error) {
	r := &Registry{}
	for _, t := range ts {
		if err := r.Register(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds a tool; names must be unique and schemas valid JSON objects.
func (r *Registry) Register(t Tool) error {
	if t.Name == "" || t.Call == nil {
		return fmt.Errorf("tool %q: needs a name and a Call", t.Name)
	}
	var obj map[string]any
	if err := json.Unmarshal(t.Schema, &obj); err != nil || obj["type"] != "object" {
		return fmt.Errorf("tool %s: schema must be a JSON Schema object", t.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.ContainsFunc(r.tools, func(x Tool) bool { return x.Name == t.Name }) {
		return fmt.Errorf("tool %s: registered twice", t.Name)
	}
	r.tools = append(r.tools, t)
	return nil
}

// Tools lists the tools in registration order.
func (r *Registry) Tools() []Tool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.tools)
}

// Call runs the named tool.
func (r *Registry) Call(ctx context.Context, name string, input json.RawMessage) (string, error) {
	r.mu.RLock()
	i := slices.IndexFunc(r.tools, func(t Tool) bool { return t.Name == name })
	var t Tool
	if i >= 0 {
		t = r.tools[i]
	}
	r.mu.RUnlock()
	if i < 0 {
		return "", fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	return t.Call(ctx, input)
}

// LLM describes the tools for a model request.
func (r *Registry) LLM() []llm.Tool {
	var out []llm.Tool
	for _, t := range r.Tools() {
		out = append(out, llm.Tool{Name: t.Name, Description: t.Description, Schema: t.Schema})
	}
	return out
}

// Decode reads a tool's JSON input strictly: unknown fields are errors the
// model can correct.
func Decode(input json.RawMessage, v any) error {
	dec := json.NewDecoder(bytesReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad input: %v", err)
	}
	return nil
}
