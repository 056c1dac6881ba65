package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/llm"
)

const testKey = "sk-test-0123456789abcdef"

// newProvider starts h on loopback and returns a provider pointed at it.
func newProvider(t testing.TB, h http.HandlerFunc, edit ...func(*Options)) *Provider {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o := Options{BaseURL: srv.URL + "/v1", APIKey: testKey, Model: "test-model", BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond}
	for _, f := range edit {
		f(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sse writes one event as servers do: a data line, a blank line, a flush.
func sse(w http.ResponseWriter, data string) {
	fmt.Fprintf(w, "data: %s\n\n", data)
	w.(http.Flusher).Flush()
}

func startSSE(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}

// content is a chunk with a text delta, as OpenAI sends it.
func content(s string) string {
	b, _ := json.Marshal(s)
	return `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test-model","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":` + string(b) + `},"logprobs":null,"finish_reason":null}],"usage":null}`
}

func finish(reason string) string {
	return `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"` + reason + `"}],"usage":null}`
}

const (
	roleChunk  = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`
	usageChunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[],"usage":{"prompt_tokens":17,"completion_tokens":5,"total_tokens":22,"prompt_tokens_details":{"cached_tokens":0}}}`
)

// drain reads the whole stream.
func drain(s llm.Stream) (text string, events []llm.Event, err error) {
	var b strings.Builder
	for s.Next() {
		ev := s.Current()
		events = append(events, ev)
		if ev.Kind == llm.EventText {
			b.WriteString(ev.Text)
		}
	}
	return b.String(), events, s.Err()
}

func TestStreamTextAndUsage(t *testing.T) {
	t.Parallel()
	var got map[string]any
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testKey || r.Header.Get("Accept") != "text/event-stream" {
			http.Error(w, "bad headers", http.StatusBadRequest)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		startSSE(w)
		sse(w, roleChunk)
		for _, s := range []string{"Hello", ", ", "wörld"} {
			sse(w, content(s))
		}
		// A keep-alive comment, as some proxies send, must be skipped.
		fmt.Fprint(w, ": keep-alive\n\n")
		sse(w, finish("stop"))
		sse(w, usageChunk)
		sse(w, "[DONE]")
	})
	temp := 0.3
	s, err := p.Stream(context.Background(), llm.Request{
		System: "Be brief.", Messages: []llm.Message{llm.Text(llm.RoleUser, "Hi")}, MaxTokens: 99, Temperature: &temp, Stop: []string{"END"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, events, err := drain(s)
	if err != nil {
		t.Fatal(err)
	}
	if text != "Hello, wörld" {
		t.Errorf("text = %q", text)
	}
	n := len(events)
	if n < 2 || events[n-2].Kind != llm.EventStop || events[n-2].StopReason != llm.StopEnd ||
		events[n-1].Kind != llm.EventUsage || events[n-1].Usage != (llm.Usage{InputTokens: 17, OutputTokens: 5}) {
		t.Errorf("tail events = %+v, want stop end_turn then usage 17/5", events[max(0, n-2):])
	}
	want := map[string]any{
		"model": "test-model", "stream": true, "stream_options": map[string]any{"include_usage": true},
		"max_tokens": 99.0, "temperature": 0.3, "stop": []any{"END"},
		"messages": []any{
			map[string]any{"role": "system", "content": "Be brief."},
			map[string]any{"role": "user", "content": "Hi"},
		},
	}
	if a, b := jsonString(got), jsonString(want); a != b {
		t.Errorf("request body\n got %s\nwant %s", a, b)
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestEncodeToolTurns(t *testing.T) {
	t.Parallel()
	p, err := New(Options{Model: "m", BaseURL: "https://api.openai.com/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.encode(llm.Request{
		MaxTokens: 10,
		Messages: []llm.Message{
			llm.Text(llm.RoleUser, "find papers"),
			{Role: llm.RoleAssistant, Parts: []llm.Part{
				{Text: "Searching."},
				{ToolUse: &llm.ToolUse{ID: "call_1", Name: "search", Input: json.RawMessage(`{"q":"bm25"}`)}},
				{ToolUse: &llm.ToolUse{ID: "call_2", Name: "count"}},
			}},
			{Role: llm.RoleUser, Parts: []llm.Part{
				{ToolResult: &llm.ToolResult{ToolUseID: "call_1", Content: "3 hits"}},
				{ToolResult: &llm.ToolResult{ToolUseID: "call_2", Content: "no index", IsError: true}},
				{Text: "and summarise"},
			}},
		},
		Tools: []llm.Tool{{Name: "search", Description: "Search the index", Schema: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}`)}, {Name: "count"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[` +
		`{"role":"user","content":"find papers"},` +
		`{"role":"assistant","content":"Searching.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"search","arguments":"{\"q\":\"bm25\"}"}},{"id":"call_2","type":"function","function":{"name":"count","arguments":"{}"}}]},` +
		`{"role":"tool","content":"3 hits","tool_call_id":"call_1"},` +
		`{"role":"tool","content":"Error: no index","tool_call_id":"call_2"},` +
		`{"role":"user","content":"and summarise"}],` +
		`"tools":[{"type":"function","function":{"name":"search","description":"Search the index","parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}},` +
		`{"type":"function","function":{"name":"count","parameters":{"type":"object","properties":{}}}}],` +
		`"stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":10}`
	if string(body) != want {
		t.Errorf("body\n got %s\nwant %s", body, want)
	}
	if !json.Valid(body) {
		t.Error("body is not JSON")
	}
}

func TestStreamToolCallsSplitAcrossChunks(t *testing.T) {
	t.Parallel()
	// Two parallel calls, their arguments cut mid-token and interleaved,
	// as OpenAI streams them.
	chunks := []string{
		roleChunk,
		`{"choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"search","arguments":""}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"fetch","arguments":""}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":" \"dense retr"}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"id\": 4"}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ieval\"}"}}]},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]},"finish_reason":null}]}`,
		finish("tool_calls"),
		usageChunk,
		"[DONE]",
	}
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		for _, c := range chunks {
			sse(w, c)
		}
	})
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "go")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, events, err := drain(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 {
		t.Fatalf("events = %+v, want 2 tool uses, stop, usage", events)
	}
	for i, want := range []llm.ToolUse{
		{ID: "call_a", Name: "search", Input: json.RawMessage(`{"q": "dense retrieval"}`)},
		{ID: "call_b", Name: "fetch", Input: json.RawMessage(`{"id": 42}`)},
	} {
		got := events[i].ToolUse
		if events[i].Kind != llm.EventToolUse || got.ID != want.ID || got.Name != want.Name || string(got.Input) != string(want.Input) {
			t.Errorf("event %d = %+v %+v, want %+v", i, events[i], got, want)
		}
	}
	if events[2].StopReason != llm.StopToolUse {
		t.Errorf("stop = %q, want tool_use", events[2].StopReason)
	}
}

// Ollama sends a whole call in one chunk, arguments as a string, and
// finish_reason "stop"; some llama.cpp builds omit index and id.
func TestStreamToolCallWithoutIndex(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		sse(w, `{"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"search","arguments":{"q":"x"}}},{"function":{"name":"open","arguments":"{}"}}]},"finish_reason":null}]}`)
		sse(w, `{"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]}`)
		sse(w, "[DONE]")
	})
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, events, err := drain(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[0].ToolUse == nil || events[1].ToolUse == nil {
		t.Fatalf("events = %+v, want two tool uses and a stop", events)
	}
	if a, b := events[0].ToolUse, events[1].ToolUse; a.Name != "search" || string(a.Input) != `{"q":"x"}` || b.Name != "open" || a.ID == b.ID {
		t.Errorf("tool uses = %+v %+v", a, b)
	}
}

func TestThrottledThenSuccess(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After-Ms", "20")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
			return
		}
		startSSE(w)
		sse(w, content("ok"))
		sse(w, finish("stop"))
		sse(w, "[DONE]")
	})
	start := time.Now()
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if err != nil || text != "ok" {
		t.Fatalf("text %q, err %v", text, err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2", calls.Load())
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("retried after %v, before the 20ms the server asked for", el)
	}
}

func TestThrottledGivesUp(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "upstream overloaded", http.StatusServiceUnavailable)
	}, func(o *Options) { o.MaxRetries = 2 })
	_, err := p.Stream(context.Background(), llm.Request{})
	if !errors.Is(err, llm.ErrThrottled) {
		t.Fatalf("err = %v, want ErrThrottled", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", calls.Load())
	}
	t.Log(err)
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		class  error
	}{
		// OpenAI echoes part of a bad key; a careless server echoes all of it.
		{"auth", 401, `{"error":{"message":"Incorrect API key provided: ` + testKey + `.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, llm.ErrAuth},
		{"forbidden", 403, `{"error":"forbidden"}`, llm.ErrAuth},
		{"ollama model", 404, `{"error":"model \"llama9\" not found, try pulling it first"}`, llm.ErrModel},
		{"openai model", 404, `{"error":{"message":"The model ` + "`gpt-9`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, llm.ErrModel},
		{"vllm model", 400, `{"object":"error","message":"The model does not exist.","type":"NotFoundError","param":null,"code":404}`, llm.ErrModel},
		{"quota", 429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			_, err := p.Stream(context.Background(), llm.Request{})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.class != nil && !errors.Is(err, tc.class) {
				t.Errorf("err = %v, want %v", err, tc.class)
			}
			if errors.Is(err, llm.ErrThrottled) || calls.Load() != 1 {
				t.Errorf("err = %v after %d calls: must not be retried", err, calls.Load())
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(fmt.Sprintf("%+v", err), testKey) {
				t.Errorf("the API key leaked into %q", err)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tc.status {
				t.Errorf("err = %v, want an *APIError with status %d", err, tc.status)
			}
			t.Log(err)
		})
	}
}

func TestNotAnEventStream(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html>captive portal</html>")
	})
	if _, err := p.Stream(context.Background(), llm.Request{}); !errors.Is(err, llm.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

func TestMalformedEvent(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 5000)
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		sse(w, content("partial"))
		sse(w, `{"choices":[{"delta":{"content":"`+long) // cut short
		sse(w, content("never seen"))
	})
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if text != "partial" {
		t.Errorf("text = %q, want the delta before the bad event", text)
	}
	if !errors.Is(err, llm.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
	if msg := err.Error(); len(msg) > 500 || !strings.Contains(msg, `data: {\"choices\"`) {
		t.Errorf("error should quote the line, trimmed: %d bytes: %s", len(msg), msg)
	}
	t.Log(err)
}

// hijackStream answers with a chunked event stream written by hand, sends
// the events, then drops the connection without the closing chunk.
func hijackStream(t *testing.T, events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
		for _, e := range events {
			payload := "data: " + e + "\n\n"
			fmt.Fprintf(rw, "%x\r\n%s\r\n", len(payload), payload)
		}
		rw.Flush()
	}
}

func TestMidStreamDisconnect(t *testing.T) {
	t.Parallel()
	p := newProvider(t, hijackStream(t, roleChunk, content("kept "), content("text")))
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if text != "kept text" {
		t.Errorf("text = %q, want what arrived before the break", text)
	}
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want an unexpected EOF", err)
	}
	if errors.Is(err, llm.ErrProtocol) || errors.Is(err, llm.ErrThrottled) {
		t.Errorf("err = %v: a broken connection is neither malformed nor throttling", err)
	}
	t.Log(err)
}

// A clean close without [DONE] or a finish reason is a truncated answer.
func TestCleanCloseWithoutFinish(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		sse(w, content("half"))
	})
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if text, _, err := drain(s); text != "half" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("text %q, err %v: want the text and an unexpected EOF", text, err)
	}
}

func TestStreamErrorEventRetriedOnlyBeforeFirstToken(t *testing.T) {
	t.Parallel()
	rateLimited := `{"error":{"message":"Rate limit exceeded","type":"rate_limit_error","code":"rate_limit_exceeded"}}`
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		switch calls.Add(1) {
		case 1: // throttled before any token: invisible retry
			sse(w, roleChunk)
			sse(w, rateLimited)
		case 2: // throttled after a token: the caller must hear of it
			sse(w, content("one "))
			sse(w, rateLimited)
		default:
			sse(w, content("unexpected"))
			sse(w, finish("stop"))
			sse(w, "[DONE]")
		}
	})
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if text != "one " || !errors.Is(err, llm.ErrThrottled) {
		t.Fatalf("text %q, err %v: want %q then ErrThrottled", text, err, "one ")
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2", calls.Load())
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"context", "close"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			serverDone := make(chan time.Time, 1)
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				sse(w, content("first"))
				<-r.Context().Done()
				serverDone <- time.Now()
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := p.Stream(ctx, llm.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if !s.Next() || s.Current().Text != "first" {
				t.Fatalf("first event: %+v %v", s.Current(), s.Err())
			}
			next := make(chan time.Time, 1)
			go func() {
				for s.Next() {
				}
				next <- time.Now()
			}()
			time.Sleep(10 * time.Millisecond) // let Next block in a read
			start := time.Now()
			if how == "context" {
				cancel()
			} else {
				s.Close()
			}
			select {
			case at := <-next:
				t.Logf("%s: Next returned %v after cancel", how, at.Sub(start))
			case <-time.After(5 * time.Second):
				t.Fatal("Next did not return after cancel")
			}
			if !errors.Is(s.Err(), context.Canceled) {
				t.Errorf("Err = %v, want context.Canceled", s.Err())
			}
			select {
			case at := <-serverDone:
				t.Logf("%s: server saw the request end %v after cancel", how, at.Sub(start))
			case <-time.After(5 * time.Second):
				t.Fatal("the server never saw the request end")
			}
			s.Close() // again: harmless
		})
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	}, func(o *Options) { o.BaseDelay, o.MaxDelay = time.Hour, time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Stream(ctx, llm.Request{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want the deadline, promptly", err, time.Since(start))
	}
}
