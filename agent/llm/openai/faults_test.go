package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/llm"
)

// TestServerErrorsRetried: 500, 502, 503 and 504 are retried with backoff
// like 429, a Retry-After is honoured, and each retry is reported to the
// context's listener with its attempt, budget, wait and status.
func TestServerErrorsRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= 2 {
					w.Header().Set("Retry-After-Ms", "30")
					http.Error(w, `{"error":{"message":"upstream hiccup","type":"server_error"}}`, status)
					return
				}
				startSSE(w)
				sse(w, content("ok"))
				sse(w, finish("stop"))
				sse(w, "[DONE]")
			}, func(o *Options) { o.MaxRetries = 3 })
			var mu sync.Mutex
			var notes []llm.RetryNotice
			ctx := llm.NotifyRetries(context.Background(), func(n llm.RetryNotice) {
				mu.Lock()
				notes = append(notes, n)
				mu.Unlock()
			})
			start := time.Now()
			s, err := p.Stream(ctx, llm.Request{})
			if err != nil {
				t.Fatalf("Stream = %v, want success after two %d answers", err, status)
			}
			defer s.Close()
			if text, _, err := drain(s); text != "ok" || err != nil {
				t.Fatalf("text %q, err %v", text, err)
			}
			if calls.Load() != 3 {
				t.Errorf("%d requests, want 3", calls.Load())
			}
			if el := time.Since(start); el < 60*time.Millisecond {
				t.Errorf("two retries took %v, less than the 2×30ms asked for", el)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(notes) != 2 {
				t.Fatalf("%d retry notices, want 2", len(notes))
			}
			for i, n := range notes {
				if n.Attempt != i+1 || n.Max != 3 || n.Wait < 30*time.Millisecond || n.Reason != fmt.Sprintf("HTTP %d", status) {
					t.Errorf("notice %d = %+v (%s)", i, n, n)
				}
			}
		})
	}
}

func TestServerErrorGivesUp(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	}, func(o *Options) { o.MaxRetries = 2 })
	_, err := p.Stream(context.Background(), llm.Request{})
	var ae *APIError
	if !errors.Is(err, llm.ErrUnavailable) || errors.Is(err, llm.ErrThrottled) || !errors.As(err, &ae) || ae.Status != 500 {
		t.Fatalf("err = %v, want ErrUnavailable with the 500", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", calls.Load())
	}
}

// TestServerErrorInStreamRetried: a server_error event before any text
// starts over, invisibly.
func TestServerErrorInStreamRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		if calls.Add(1) == 1 {
			sse(w, `{"error":{"message":"The server had an error while processing your request.","type":"server_error","code":null}}`)
			return
		}
		sse(w, content("fine"))
		sse(w, finish("stop"))
		sse(w, "[DONE]")
	})
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if text, _, err := drain(s); text != "fine" || err != nil || calls.Load() != 2 {
		t.Fatalf("text %q, err %v after %d requests; want \"fine\" after 2", text, err, calls.Load())
	}
}

// hang holds a handler as a hung server would, until the client goes
// away (the body is read first: only then does net/http notice a closed
// connection) or a few seconds pass.
func hang(r *http.Request) {
	io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func shortTimeouts(o *Options) {
	o.Timeouts = llm.Timeouts{FirstByte: 200 * time.Millisecond, Idle: 200 * time.Millisecond}
}

// TestStallBeforeHeaders: a server that never answers ends the request
// after the first-byte timeout with a message naming the server.
func TestStallBeforeHeaders(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) { hang(r) }, shortTimeouts)
	start := time.Now()
	_, err := p.Stream(context.Background(), llm.Request{})
	if !errors.Is(err, llm.ErrTimeout) || !strings.Contains(err.Error(), "no data from "+p.baseURL+" for 200ms") {
		t.Fatalf("err = %v, want ErrTimeout naming %s", err, p.baseURL)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	t.Log(err)
}

// TestStallAfterFirstChunk: one chunk, then silence: the text already sent
// reaches the caller, then ErrTimeout after the idle timeout.
func TestStallAfterFirstChunk(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		startSSE(w)
		sse(w, content("The answer is"))
		hang(r)
	}, shortTimeouts)
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	text, _, err := drain(s)
	if text != "The answer is" || !errors.Is(err, llm.ErrTimeout) || !strings.Contains(err.Error(), "the rest of the answer") {
		t.Fatalf("text %q, err %v: want the partial text then ErrTimeout", text, err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	t.Log(err)
}

// TestKeepAliveAndSlowReaderAreNotStalls: comments keep a slow stream
// alive, and time the caller spends holding an event is not counted.
func TestKeepAliveAndSlowReaderAreNotStalls(t *testing.T) {
	t.Parallel()
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		sse(w, content("a"))
		for range 4 {
			time.Sleep(100 * time.Millisecond)
			io.WriteString(w, ": keep-alive\n\n")
			w.(http.Flusher).Flush()
		}
		sse(w, content("b"))
		sse(w, finish("stop"))
		sse(w, "[DONE]")
	}, shortTimeouts)
	s, err := p.Stream(context.Background(), llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	for s.Next() {
		b.WriteString(s.Current().Text)
		time.Sleep(300 * time.Millisecond) // a slow screen, longer than Idle
	}
	if b.String() != "ab" || s.Err() != nil {
		t.Fatalf("text %q, err %v", b.String(), s.Err())
	}
}

// allocated runs f and returns the bytes it allocated (the whole process's,
// so the test must not run in parallel with others).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHugeEventIsCapped: one event of 300 data lines of 1 MiB each (300
// MiB, which the per-line cap alone let through) ends the stream with
// ErrTooLarge after a few MiB, in bounded memory.
func TestHugeEventIsCapped(t *testing.T) {
	line := "data: " + strings.Repeat("x", 1<<20) + "\n"
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		startSSE(w)
		sse(w, content("before "))
		for range 300 {
			if _, err := io.WriteString(w, line); err != nil {
				return // the client hung up
			}
		}
		io.WriteString(w, "\n")
	})
	var text string
	var err error
	n := allocated(func() {
		s, serr := p.Stream(context.Background(), llm.Request{})
		if serr != nil {
			err = serr
			return
		}
		defer s.Close()
		text, _, err = drain(s)
	})
	if text != "before " || !errors.Is(err, llm.ErrTooLarge) {
		t.Fatalf("text %q, err %v: want the text before it, then ErrTooLarge", text, err)
	}
	if n > 150<<20 {
		t.Errorf("allocated %d MiB reading it, want a few dozen at most", n>>20)
	}
	t.Logf("%v; allocated %d MiB", err, n>>20)
}

// TestEndlessAnswerIsCapped: a server that never stops (or ignores
// max_tokens) is stopped at roughly max_tokens' worth of text, with the
// text so far kept.
func TestEndlessAnswerIsCapped(t *testing.T) {
	chunk := content(strings.Repeat("word ", 200)) // 1,000 bytes a chunk
	var sent atomic.Int64
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		startSSE(w)
		for sent.Load() < 200<<20 { // a guard so the old code ends too
			if _, err := fmt.Fprintf(w, "data: %s\n\n", chunk); err != nil {
				return
			}
			sent.Add(1000)
		}
		sse(w, finish("stop"))
		sse(w, "[DONE]")
	}, func(o *Options) { o.MaxTokens = 5000 })
	var text string
	var err error
	n := allocated(func() {
		s, serr := p.Stream(context.Background(), llm.Request{})
		if serr != nil {
			err = serr
			return
		}
		defer s.Close()
		text, _, err = drain(s)
	})
	limit := llm.AnswerLimit(5000)
	if !errors.Is(err, llm.ErrTooLarge) || len(text) > limit || len(text) < limit-1000 {
		t.Fatalf("%d bytes of text (limit %d), err %v: want the text up to the limit, then ErrTooLarge", len(text), limit, err)
	}
	if !strings.Contains(err.Error(), "max_tokens (5000)") {
		t.Errorf("err %q does not name max_tokens", err)
	}
	if n > 100<<20 {
		t.Errorf("allocated %d MiB", n>>20)
	}
	t.Logf("%v; allocated %d MiB", err, n>>20)
}

// leaks reports the first piece of key, 6 bytes or longer, found in s.
func leaks(s, key string) string {
	for n := 6; n <= len(key); n++ {
		for i := 0; i+n <= len(key); i++ {
			if strings.Contains(s, key[i:i+n]) {
				return key[i : i+n]
			}
		}
	}
	return ""
}

// TestKeyPiecesRedacted: a server echoing the key cut short, masked or in
// a long body that gets trimmed leaks no piece of it.
func TestKeyPiecesRedacted(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"prefix": `{"error":{"message":"Incorrect API key provided: ` + testKey[:12] + `****` + testKey[len(testKey)-4:] + `.","code":"invalid_api_key"}}`,
		"suffix": `{"error":"key ending in ` + testKey[len(testKey)-9:] + ` was revoked"}`,
		"cut":    strings.Repeat("x", 190) + testKey, // trimmed to 200 bytes mid-key
		"stream": "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				if name == "stream" {
					startSSE(w)
					sse(w, `{"error":{"message":"bad key `+testKey[3:15]+`","type":"server_error_x"}}`)
					return
				}
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, body)
			})
			s, err := p.Stream(context.Background(), llm.Request{})
			if err == nil {
				_, _, err = drain(s)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if piece := leaks(fmt.Sprintf("%v %+v", err, err), testKey); piece != "" {
				t.Errorf("%q leaks %q of the key", err, piece)
			}
			t.Log(err)
		})
	}
}

// TestConnectTimeoutApplied: the default client bounds connecting by
// Timeouts.Connect (a loopback server cannot be made slow to accept, so
// this checks the transport the provider built).
func TestConnectTimeoutApplied(t *testing.T) {
	t.Parallel()
	p, err := New(Options{BaseURL: "http://127.0.0.1:9/v1", Model: "m", Timeouts: llm.Timeouts{Connect: 1500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := p.client.Transport.(*http.Transport)
	if !ok || tr.TLSHandshakeTimeout != 1500*time.Millisecond || tr.DialContext == nil {
		t.Fatalf("transport %#v: want the connect timeout on dial and TLS", p.client.Transport)
	}
}
