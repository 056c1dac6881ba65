package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quire-research/quire/agent/llm"
)

// APIError is an error the server reported, in an HTTP status or inside
// the event stream. Errors from Stream and Next wrap it together with the
// llm class it falls in.
type APIError struct {
	// Server is the host that answered.
	Server string
	// Status is the HTTP status; 0 for an error sent inside the stream.
	Status int
	// Type and Code are the server's error type and code, when it sent any
	// ("invalid_request_error", "model_not_found", "429").
	Type, Code string
	// Message is the server's explanation, with the API key removed.
	Message string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("openai server at " + e.Server)
	if e.Status != 0 {
		fmt.Fprintf(&b, " answered %d %s", e.Status, http.StatusText(e.Status))
	} else {
		b.WriteString(" sent an error in the stream")
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// errorBody is the error shape of OpenAI and llama.cpp ({"error": {...}})
// and of Ollama ({"error": "text"}); vLLM sends the inner object alone.
type errorBody struct {
	Error json.RawMessage `json:"error"`
}

type errorObject struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"` // a string or a number, by server
}

// parseError fills e from an error body's "error" member.
func (p *Provider) parseError(e *APIError, raw json.RawMessage) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		e.Message = p.redact(text)
		return
	}
	var obj errorObject
	if json.Unmarshal(raw, &obj) == nil {
		e.Message = p.redact(obj.Message)
		e.Type = obj.Type
		var code string
		if json.Unmarshal(obj.Code, &code) != nil {
			code = string(obj.Code) // a number, or null
		}
		if code != "null" {
			e.Code = code
		}
	}
}

// statusError classifies a non-200 response.
func (p *Provider) statusError(resp *http.Response) error {
	e := &APIError{Server: p.server, Status: resp.StatusCode}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body errorBody
	var top errorObject
	switch {
	case json.Unmarshal(raw, &body) == nil && len(body.Error) > 0:
		p.parseError(e, body.Error)
	case json.Unmarshal(raw, &top) == nil && top.Message != "":
		p.parseError(e, raw) // vLLM: the error object at the top level
	default:
		e.Message = trimLine(p.redact(string(raw)))
	}
	return classify(e, retryAfter(resp.Header, time.Now()))
}

// classify wraps e in the llm error class it belongs to.
func classify(e *APIError, after time.Duration) error {
	code := strings.ToLower(e.Code + " " + e.Type)
	switch {
	case e.Status == http.StatusTooManyRequests && strings.Contains(code, "insufficient_quota"):
		// Out of credit: waiting will not help, so it is not throttling.
		return fmt.Errorf("openai: the account has no quota left: %w", e)
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden,
		strings.Contains(code, "invalid_api_key"), strings.Contains(code, "authentication"):
		return fmt.Errorf("%w: %w", llm.ErrAuth, e)
	case e.Status == http.StatusNotFound, strings.Contains(code, "model_not_found"),
		e.Code == "404", strings.Contains(code, "notfound"):
		return fmt.Errorf("%w: %w", llm.ErrModel, e)
	case e.Status == http.StatusTooManyRequests, e.Status == http.StatusServiceUnavailable,
		e.Status == 529, // "overloaded", used by some proxies
		strings.Contains(code, "rate_limit"), strings.Contains(code, "overloaded"),
		e.Status == 0 && (e.Code == "429" || e.Code == "503"):
		return &llm.ThrottleError{Err: e, RetryAfter: after, Reason: e.reason()}
	case e.Status == http.StatusInternalServerError, e.Status == http.StatusBadGateway,
		e.Status == http.StatusGatewayTimeout,
		e.Status == 0 && (e.Code == "500" || e.Code == "502" || e.Code == "504" || strings.Contains(code, "server_error")):
		// A fault on the server's side: often gone a moment later.
		return &llm.ServerError{Err: e, RetryAfter: after, Reason: e.reason()}
	}
	return fmt.Errorf("openai: %w", e)
}

// reason names the error briefly for retry notices.
func (e *APIError) reason() string {
	switch {
	case e.Status != 0:
		return fmt.Sprintf("HTTP %d", e.Status)
	case e.Code != "":
		return e.Code + " in the stream"
	case e.Type != "":
		return e.Type + " in the stream"
	}
	return "error in the stream"
}

// retryAfter reads the pause a server asked for: OpenAI's retry-after-ms,
// or Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// trimLine shortens text quoted in an error to one readable line.
func trimLine(s string) string {
	const limit = 200
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// protocolError reports a malformed event, quoting it (trimmed).
func (p *Provider) protocolError(what, line string, err error) error {
	msg := fmt.Sprintf("%s from %s: %q", what, p.server, trimLine(p.redact(line)))
	if err != nil {
		msg += ": " + err.Error()
	}
	return fmt.Errorf("%w: openai: %s", llm.ErrProtocol, msg)
}

var errNoEnd = errors.New("the stream ended before the server finished")
