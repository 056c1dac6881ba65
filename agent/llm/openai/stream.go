package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/quire-research/quire/agent/llm"
)

// maxLine bounds one SSE line and maxEvent one event (its data lines
// together); longer ones end the stream with llm.ErrTooLarge rather than
// fill memory.
const (
	maxLine  = 8 << 20
	maxEvent = 8 << 20
)

// stream reads one response. Next, Current and Err belong to one
// goroutine; Close may be called from any.
type stream struct {
	p       *Provider
	ctx     context.Context
	cancel  context.CancelFunc
	body    []byte // the request, kept to retry
	retrier *llm.Retrier

	mu     sync.Mutex // guards resp against Close
	resp   io.ReadCloser
	closed bool

	wd     *llm.Watchdog // the current connection's; cancels it when the server goes quiet
	paused bool          // the caller holds an event: the watchdog is not counting

	rd        *bufio.Reader
	data      bytes.Buffer // the SSE event being read
	pending   []llm.Event  // decoded, not yet returned
	cur       llm.Event
	err       error
	eof       bool
	delivered bool // an event reached the caller: no more retries
	events    int  // SSE events read on this connection

	// The answer's size so far (text and tool input, over every
	// connection), its limit and the max_tokens it came from.
	answered, limit, maxTokens int

	// Per-connection parse state.
	finished bool                    // a finish_reason arrived
	calls    map[int]*toolCallBuffer // tool calls being assembled, by index
	usage    *llm.Usage
}

type toolCallBuffer struct {
	id, name string
	args     bytes.Buffer
}

// connect posts the request, retrying throttling and server faults. A
// server that does not answer within the first-byte timeout is not
// retried: the person has waited long enough.
func (s *stream) connect() error {
	for {
		ctx, wd := llm.NewWatchdog(s.ctx, s.p.baseURL, s.p.opts.Timeouts)
		resp, err := s.p.post(ctx, s.body)
		if stall := wd.Err(); stall != nil {
			if err == nil {
				resp.Body.Close()
			}
			wd.Stop()
			return fmt.Errorf("openai: %w", stall)
		}
		if err == nil {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed {
				resp.Body.Close()
				wd.Stop()
				return context.Canceled
			}
			s.wd, s.paused = wd, false
			s.resp = resp.Body
			s.rd = bufio.NewReaderSize(watched{resp.Body, wd}, 64<<10)
			s.data.Reset()
			s.events, s.finished, s.calls, s.usage = 0, false, nil, nil
			return nil
		}
		wd.Stop()
		if err = s.retrier.Wait(s.ctx, err); err != nil {
			return err
		}
	}
}

// watched tells the watchdog about every read that brought bytes.
type watched struct {
	r  io.Reader
	wd *llm.Watchdog
}

func (w watched) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.wd.Data()
	}
	return n, err
}

func (s *stream) Next() bool {
	if s.paused && s.wd != nil {
		s.wd.Resume()
		s.paused = false
	}
	for s.err == nil {
		if len(s.pending) > 0 {
			s.cur = s.pending[0]
			s.pending = s.pending[1:]
			s.delivered = true
			if s.wd != nil {
				s.wd.Event()
				s.wd.Pause()
				s.paused = true
			}
			return true
		}
		if s.eof {
			break
		}
		err := s.readEvent()
		if err == nil {
			continue
		}
		if ctxErr := s.ctx.Err(); ctxErr != nil {
			err = ctxErr
		} else if stall := s.stalled(); stall != nil {
			err = stall
		} else if !s.delivered && llm.Transient(err) {
			// Nothing reached the caller yet, so starting over is invisible.
			s.closeBody()
			if err = s.retrier.Wait(s.ctx, err); err == nil {
				if err = s.connect(); err == nil {
					continue
				}
			}
		}
		s.err = err
	}
	s.closeBody()
	s.cancel()
	return false
}

// stalled is the watchdog's error if it cut the connection.
func (s *stream) stalled() error {
	if s.wd == nil {
		return nil
	}
	if err := s.wd.Err(); err != nil {
		return fmt.Errorf("openai: %w", err)
	}
	return nil
}

func (s *stream) Current() llm.Event { return s.cur }
func (s *stream) Err() error         { return s.err }

// Close aborts the request at once; a Next blocked in a read returns
// false with context.Canceled.
func (s *stream) Close() error {
	s.cancel()
	s.closeBodyMarkClosed()
	return nil
}

func (s *stream) closeBody() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *stream) closeBodyMarkClosed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.closeLocked()
}

func (s *stream) closeLocked() {
	if s.resp != nil {
		s.resp.Close()
		s.resp = nil
	}
	if s.wd != nil {
		s.wd.Stop()
	}
}

// readEvent reads lines up to the end of one SSE event and decodes it,
// queueing what it yields in s.pending.
func (s *stream) readEvent() error {
	for {
		line, err := s.readLine()
		if err == io.EOF {
			if s.data.Len() > 0 {
				if err := s.dispatch(); err != nil || s.eof {
					return err
				}
			}
			if !s.finished {
				return fmt.Errorf("openai: %w after %d events: %w", errNoEnd, s.events, io.ErrUnexpectedEOF)
			}
			// Finished but no [DONE]: lenient, as some servers are.
			s.end()
			return nil
		}
		if err != nil {
			return fmt.Errorf("openai: reading the stream from %s after %d events: %w", s.p.server, s.events, err)
		}
		if len(line) == 0 {
			if s.data.Len() == 0 {
				continue
			}
			return s.dispatch()
		}
		if line[0] == ':' {
			continue // a comment: keep-alive
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		if string(field) == "data" {
			if s.data.Len()+len(value) >= maxEvent {
				return fmt.Errorf("openai: %w: one event from %s passed %d MiB", llm.ErrTooLarge, s.p.server, maxEvent>>20)
			}
			if s.data.Len() > 0 {
				s.data.WriteByte('\n')
			}
			s.data.Write(value)
		}
		// "event", "id" and "retry" carry nothing for chat completions.
	}
}

// readLine returns the next line without its line ending.
func (s *stream) readLine() ([]byte, error) {
	line, err := s.rd.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(long) > maxLine {
				return nil, fmt.Errorf("%w: %w", llm.ErrTooLarge, s.p.protocolError("an event line over 8 MiB", string(long[:200]), nil))
			}
			line, err = s.rd.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err == io.EOF && len(line) > 0 {
		err = nil // a last line without its newline
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// chunk is one chat.completion.chunk, or an error event.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content   *string         `json:"content"`
			Refusal   *string         `json:"refusal"`
			ToolCalls []toolCallDelta `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

type toolCallDelta struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"` // a string fragment; some servers send an object
	} `json:"function"`
}

// dispatch decodes the buffered event.
func (s *stream) dispatch() error {
	data := s.data.Bytes()
	s.events++
	defer s.data.Reset()
	if string(bytes.TrimSpace(data)) == "[DONE]" {
		s.end()
		return nil
	}
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return s.p.protocolError("a malformed event", "data: "+string(data), err)
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		e := &APIError{Server: s.p.server}
		s.p.parseError(e, c.Error)
		return classify(e, 0)
	}
	if len(c.Choices) > 0 {
		ch := c.Choices[0] // Quire asks for one choice
		for _, d := range []*string{ch.Delta.Content, ch.Delta.Refusal} {
			if d != nil && *d != "" {
				if err := s.grow(len(*d)); err != nil {
					return err
				}
				s.pending = append(s.pending, llm.Event{Kind: llm.EventText, Text: *d})
			}
		}
		for _, tc := range ch.Delta.ToolCalls {
			if err := s.addToolDelta(tc); err != nil {
				return err
			}
		}
		if r := ch.FinishReason; r != nil && *r != "" && !s.finished {
			if err := s.flushToolCalls(); err != nil {
				return err
			}
			s.finished = true
			s.pending = append(s.pending, llm.Event{Kind: llm.EventStop, StopReason: stopReason(*r)})
		}
	}
	if u := c.Usage; u != nil {
		// Kept for the end: some servers repeat running totals in every
		// chunk, and the caller must see one usage per call.
		s.usage = &llm.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	}
	return nil
}

// addToolDelta merges one tool call fragment. Fragments carry the call's
// index; for servers that send none, a fragment with a new ID or a name
// starts a call and any other continues the last.
func (s *stream) addToolDelta(tc toolCallDelta) error {
	if s.calls == nil {
		s.calls = map[int]*toolCallBuffer{}
	}
	idx := 0
	switch {
	case tc.Index != nil:
		idx = *tc.Index
	case len(s.calls) == 0:
	case tc.ID == "" && tc.Function.Name == "":
		idx = slices.Max(mapKeys(s.calls))
	default:
		idx = slices.Max(mapKeys(s.calls)) + 1
		for k, b := range s.calls {
			if tc.ID != "" && b.id == tc.ID {
				idx = k
			}
		}
	}
	b := s.calls[idx]
	if b == nil {
		b = &toolCallBuffer{}
		s.calls[idx] = b
	}
	if tc.ID != "" {
		b.id = tc.ID
	}
	if err := s.grow(len(tc.Function.Name) + len(tc.Function.Arguments)); err != nil {
		return err
	}
	b.name += tc.Function.Name
	if a := bytes.TrimSpace(tc.Function.Arguments); len(a) > 0 && string(a) != "null" {
		if a[0] == '"' {
			var frag string
			if err := json.Unmarshal(a, &frag); err != nil {
				return s.p.protocolError("malformed tool call arguments", string(a), err)
			}
			b.args.WriteString(frag)
		} else {
			b.args.Write(a) // a whole JSON object (Ollama, some llama.cpp builds)
		}
	}
	return nil
}

// grow counts n more bytes of answer against the limit.
func (s *stream) grow(n int) error {
	s.answered += n
	if s.answered > s.limit {
		return fmt.Errorf("openai: %w", &llm.LimitError{From: s.p.baseURL, Limit: s.limit, MaxTokens: s.maxTokens})
	}
	return nil
}

func mapKeys(m map[int]*toolCallBuffer) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// flushToolCalls queues the assembled tool calls in index order.
func (s *stream) flushToolCalls() error {
	keys := mapKeys(s.calls)
	slices.Sort(keys)
	for _, k := range keys {
		b := s.calls[k]
		if b.name == "" {
			return s.p.protocolError("a tool call without a name", b.args.String(), nil)
		}
		input := bytes.TrimSpace(b.args.Bytes())
		if len(input) == 0 {
			input = []byte("{}")
		}
		if !json.Valid(input) {
			return s.p.protocolError(fmt.Sprintf("tool call %q with arguments that are not JSON", b.name), string(input), nil)
		}
		id := b.id
		if id == "" {
			id = "call_" + strconv.Itoa(k) // servers that send no IDs
		}
		s.pending = append(s.pending, llm.Event{Kind: llm.EventToolUse, ToolUse: &llm.ToolUse{
			ID: id, Name: b.name, Input: json.RawMessage(bytes.Clone(input)),
		}})
	}
	s.calls = nil
	return nil
}

// end handles [DONE]: tool calls a server never finished are still
// delivered, then the usage.
func (s *stream) end() {
	if !s.finished && len(s.calls) > 0 {
		if err := s.flushToolCalls(); err != nil {
			s.err = err
			return
		}
		s.finished = true
		s.pending = append(s.pending, llm.Event{Kind: llm.EventStop, StopReason: llm.StopToolUse})
	}
	if s.usage != nil {
		s.pending = append(s.pending, llm.Event{Kind: llm.EventUsage, Usage: *s.usage})
	}
	s.eof = true
}

// stopReason normalises finish_reason.
func stopReason(r string) llm.StopReason {
	switch r {
	case "length":
		return llm.StopMaxTokens
	case "tool_calls", "function_call":
		return llm.StopToolUse
	case "content_filter":
		return llm.StopFiltered
	default: // "stop", and the odd server-specific value
		return llm.StopEnd
	}
}
