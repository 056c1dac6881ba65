// Package openai is the llm.Provider for OpenAI-compatible chat completion
// servers: OpenAI itself, Ollama, the llama.cpp server, vLLM and the many
// proxies that speak the same dialect. It streams with server-sent events,
// assembles tool calls split across chunks, retries throttling and server
// faults (429, 500, 502, 503, 504) only before the first event has reached
// the caller, and bounds every wait on the server and the answer's size.
package openai

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/config/secret"
)

// DefaultBaseURL is OpenAI's own API.
const DefaultBaseURL = "https://api.openai.com/v1"

// Options configures New. Zero fields take the defaults noted.
type Options struct {
	// BaseURL is the API root that /chat/completions hangs off, e.g.
	// "http://localhost:11434/v1" for Ollama (default DefaultBaseURL).
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none, as local servers
	// expect. It never appears in an error.
	APIKey string
	// Model is the model requests use when theirs is empty. Required.
	Model string
	// HTTPClient makes the requests (default: a client with no overall
	// timeout, since answers stream for minutes; cancel the context
	// instead).
	HTTPClient *http.Client
	// Header is added to every request (an org ID, a proxy's key header).
	Header http.Header

	// MaxRetries is how many times a throttled or failed request (HTTP
	// 429, 500, 502, 503, 504, or such an error inside the stream before
	// any event reached the caller) is tried again (default 3; negative
	// for none). Each retry is reported to llm.NotifyRetries' listener.
	MaxRetries int
	// BaseDelay and MaxDelay shape the backoff between retries; see
	// llm.Backoff (defaults 500ms and 20s).
	BaseDelay time.Duration
	MaxDelay  time.Duration

	// MaxTokens applies to requests that set none; 0 leaves it to the
	// server.
	MaxTokens int

	// Timeouts bound the waits on the server: connecting (only for the
	// default HTTPClient), the start of the answer and the silence between
	// its events. Zero fields take llm's defaults.
	Timeouts llm.Timeouts
}

// Provider streams chat completions from one server. It is safe for
// concurrent use.
type Provider struct {
	opts     Options
	baseURL  string // without a trailing slash, for messages
	endpoint string // {BaseURL}/chat/completions
	server   string // host for error messages
	client   *http.Client
	backoff  llm.Backoff
	// maxTokensField is "max_completion_tokens" for OpenAI's own API, whose
	// reasoning models reject "max_tokens"; every other server knows only
	// "max_tokens".
	maxTokensField string
	secrets        *secret.Redactor // the API key and the extra headers' values
}

var _ llm.Provider = (*Provider)(nil)

// New checks the options and returns a Provider. It makes no request.
func New(o Options) (*Provider, error) {
	if o.Model == "" {
		return nil, errors.New("openai: no model: set llm.model")
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openai: base URL %q is not an http(s) URL", o.BaseURL)
	}
	o.Timeouts = o.Timeouts.WithDefaults()
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: transport(o.Timeouts.Connect)}
	}
	p := &Provider{
		opts:           o,
		baseURL:        u.String(),
		endpoint:       u.String() + "/chat/completions",
		server:         u.Host,
		client:         o.HTTPClient,
		backoff:        llm.Backoff{Retries: o.MaxRetries, BaseDelay: o.BaseDelay, MaxDelay: o.MaxDelay},
		maxTokensField: "max_tokens",
		secrets:        secret.New(append(headerValues(o.Header), o.APIKey)...),
	}
	if u.Host == "api.openai.com" {
		p.maxTokensField = "max_completion_tokens"
	}
	return p, nil
}

// headerValues lists the extra headers' values: a proxy's key travels
// there.
func headerValues(h http.Header) []string {
	var out []string
	for _, vs := range h {
		out = append(out, vs...)
	}
	return out
}

// transport is http.DefaultTransport's setup with connect bounding the
// dial and the TLS handshake (0: no bound). The answer's own waits are the
// stream's watchdog's.
func transport(connect time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = connect
	return t
}

// Name is "openai".
func (p *Provider) Name() string { return "openai" }

// Model is the default model ID.
func (p *Provider) Model() string { return p.opts.Model }

// Stream sends req and returns once the server has accepted it (HTTP 200),
// retrying throttling on the way. Errors are classified into llm.ErrAuth,
// llm.ErrModel, llm.ErrThrottled and llm.ErrProtocol where they fit.
func (p *Provider) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	body, err := p.encode(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &stream{p: p, ctx: ctx, cancel: cancel, body: body, retrier: p.backoff.Start()}
	s.maxTokens = cmp.Or(req.MaxTokens, p.opts.MaxTokens)
	s.limit = llm.AnswerLimit(s.maxTokens)
	if err := s.connect(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// post makes one attempt and returns the streaming response or a
// classified error.
func (p *Provider) post(ctx context.Context, body []byte) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	for k, vs := range p.opts.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "text/event-stream")
	// A compressed event stream is buffered by the decompressor: ask for
	// none so every delta arrives as soon as it is sent.
	hr.Header.Set("Accept-Encoding", "identity")
	if p.opts.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+p.opts.APIKey)
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("openai: cannot reach %s: %s", p.server, p.redact(unwrapURLError(err)))
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, p.statusError(resp)
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: openai server at %s answered with %q, not an event stream", llm.ErrProtocol, p.server, ct)
	}
	return resp, nil
}

// unwrapURLError drops *url.Error's "Post \"URL\": " prefix, which repeats
// the endpoint.
func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// redact removes the API key, and any piece of it, from text that came
// from elsewhere (a server echoing the key whole or cut short in an error,
// a transport error quoting a header).
func (p *Provider) redact(s string) string { return p.secrets.String(s) }

// Wire types of the chat completions request.

type chatRequest struct {
	Model         string         `json:"model"`
	Messages      []chatMessage  `json:"messages"`
	Tools         []chatTool     `json:"tools,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	Stop          []string       `json:"stop,omitempty"`
	Stream        bool           `json:"stream"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"` // null for tool-call-only turns
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type chatToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function chatFunction `json:"function"`
}

type chatFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON text, as a string
}

type chatTool struct {
	Type     string      `json:"type"`
	Function chatToolDef `json:"function"`
}

type chatToolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

// encode maps req to a chat completions body.
func (p *Provider) encode(req llm.Request) ([]byte, error) {
	cr := chatRequest{
		Model:         req.Model,
		Temperature:   req.Temperature,
		Stop:          req.Stop,
		Stream:        true,
		StreamOptions: &streamOptions{IncludeUsage: true},
	}
	if cr.Model == "" {
		cr.Model = p.opts.Model
	}
	if req.System != "" {
		cr.Messages = append(cr.Messages, chatMessage{Role: "system", Content: ptr(req.System)})
	}
	for i, m := range req.Messages {
		msgs, err := encodeMessage(m)
		if err != nil {
			return nil, fmt.Errorf("openai: message %d: %w", i, err)
		}
		cr.Messages = append(cr.Messages, msgs...)
	}
	for _, t := range req.Tools {
		schema := t.Schema
		if len(bytes.TrimSpace(schema)) == 0 {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		cr.Tools = append(cr.Tools, chatTool{Type: "function", Function: chatToolDef{Name: t.Name, Description: t.Description, Parameters: schema}})
	}
	body, err := json.Marshal(cr)
	if err != nil {
		return nil, fmt.Errorf("openai: encoding the request: %w", err)
	}
	maxTokens := req.MaxTokens
	if maxTokens == 0 {
		maxTokens = p.opts.MaxTokens
	}
	if maxTokens > 0 {
		// Splice the field in: its name depends on the server.
		body = append(body[:len(body)-1], fmt.Sprintf(",%q:%d}", p.maxTokensField, maxTokens)...)
	}
	return body, nil
}

// encodeMessage maps one turn. An assistant turn becomes one message with
// its text and tool_calls; a user turn's tool results become "tool"
// messages (which must directly follow the assistant's calls), then its
// text, if any, one user message.
func encodeMessage(m llm.Message) ([]chatMessage, error) {
	var text strings.Builder
	var calls []chatToolCall
	var results []chatMessage
	for _, part := range m.Parts {
		switch {
		case part.ToolUse != nil:
			if m.Role != llm.RoleAssistant {
				return nil, fmt.Errorf("a %s turn holds a tool use", m.Role)
			}
			args := string(bytes.TrimSpace(part.ToolUse.Input))
			if args == "" || args == "null" {
				args = "{}"
			}
			calls = append(calls, chatToolCall{ID: part.ToolUse.ID, Type: "function", Function: chatFunction{Name: part.ToolUse.Name, Arguments: args}})
		case part.ToolResult != nil:
			content := part.ToolResult.Content
			if part.ToolResult.IsError {
				// The dialect has no error flag; say it in words.
				content = "Error: " + content
			}
			results = append(results, chatMessage{Role: "tool", ToolCallID: part.ToolResult.ToolUseID, Content: ptr(content)})
		default:
			text.WriteString(part.Text)
		}
	}
	switch m.Role {
	case llm.RoleAssistant:
		msg := chatMessage{Role: "assistant", ToolCalls: calls}
		if text.Len() > 0 || len(calls) == 0 {
			msg.Content = ptr(text.String())
		}
		return []chatMessage{msg}, nil
	case llm.RoleUser:
		out := results
		if text.Len() > 0 || len(results) == 0 {
			out = append(out, chatMessage{Role: "user", Content: ptr(text.String())})
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown role %q", m.Role)
	}
}

func ptr[T any](v T) *T { return &v }
