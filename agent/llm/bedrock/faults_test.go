package bedrock

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go/logging"

	"github.com/quire-research/quire/agent/llm"
)

// TestServerErrorsRetried: Bedrock's InternalServerException (500) and a
// proxy's bare 502 and 504 are retried with backoff like throttling, and
// each retry is reported to the context's listener.
func TestServerErrorsRetried(t *testing.T) {
	for _, tc := range []struct {
		status       int
		code, reason string
	}{
		{500, "InternalServerException", "InternalServerException"},
		{502, "", "HTTP 502"},
		{504, "", "HTTP 504"},
		{503, "ServiceUnavailableException", "ServiceUnavailableException"},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			var calls atomic.Int32
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= 2 {
					if tc.code == "" {
						w.WriteHeader(tc.status)
						io.WriteString(w, "<html>bad gateway</html>")
						return
					}
					httpError(w, tc.status, tc.code, "try again")
					return
				}
				e := startStream(w)
				e.text(0, "ok")
				e.stop("end_turn")
			})
			var mu sync.Mutex
			var notes []llm.RetryNotice
			ctx := llm.NotifyRetries(context.Background(), func(n llm.RetryNotice) {
				mu.Lock()
				notes = append(notes, n)
				mu.Unlock()
			})
			s, err := p.Stream(ctx, llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
			if err != nil {
				t.Fatalf("Stream = %v, want success after two %d answers", err, tc.status)
			}
			defer s.Close()
			if text, _, err := drain(s); text != "ok" || err != nil {
				t.Fatalf("text %q, err %v", text, err)
			}
			if calls.Load() != 3 {
				t.Errorf("%d requests, want 3 (the SDK must not retry on its own)", calls.Load())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(notes) != 2 || notes[1].Attempt != 2 || notes[1].Max != 3 || notes[1].Reason != tc.reason {
				t.Errorf("notices %+v, want 2 naming %s", notes, tc.reason)
			}
		})
	}
}

func TestServerErrorGivesUp(t *testing.T) {
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		httpError(w, 500, "InternalServerException", "internal error")
	}, func(o *Options) { o.MaxRetries = 1 })
	_, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if !errors.Is(err, llm.ErrUnavailable) || calls.Load() != 2 {
		t.Fatalf("err = %v after %d requests, want ErrUnavailable after 2", err, calls.Load())
	}
}

// TestClientIsSilent: the clients the provider makes log nothing (the
// SDK's default logger writes to stderr, over the app's screen) and leave
// retries to llm.Retrier whatever AWS_MAX_ATTEMPTS says.
func TestClientIsSilent(t *testing.T) {
	t.Setenv("AWS_MAX_ATTEMPTS", "7")
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {})
	o := p.newClient().Options()
	if _, ok := o.Logger.(logging.Nop); !ok || o.ClientLogMode != 0 {
		t.Errorf("Logger %T, ClientLogMode %v: want the SDK silenced", o.Logger, o.ClientLogMode)
	}
	if o.Retryer == nil || o.Retryer.MaxAttempts() != 2 {
		t.Errorf("the SDK retryer makes %d attempts, want 2 (connection errors only)", o.Retryer.MaxAttempts())
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

func TestStallBeforeHeaders(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) { hang(r) }, shortTimeouts)
	start := time.Now()
	_, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if !errors.Is(err, llm.ErrTimeout) || !strings.Contains(err.Error(), "no data from "+p.endpoint+" for 200ms") {
		t.Fatalf("err = %v, want ErrTimeout naming %s", err, p.endpoint)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
}

func TestStallAfterFirstChunk(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		e := startStream(w)
		e.text(0, "The answer is")
		hang(r)
	}, shortTimeouts)
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
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

// TestHugeFrameIsCapped: a frame whose prelude claims 300 MiB (the SDK's
// decoder would read it all into memory) ends the stream with
// ErrTooLarge, the text before it kept, in bounded memory.
func TestHugeFrameIsCapped(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		e := startStream(w)
		e.text(0, "before ")
		var pre [12]byte
		binary.BigEndian.PutUint32(pre[0:], 300<<20)
		binary.BigEndian.PutUint32(pre[4:], 0)
		binary.BigEndian.PutUint32(pre[8:], crc32.ChecksumIEEE(pre[:8]))
		w.Write(pre[:])
		junk := make([]byte, 1<<20)
		for range 300 {
			if _, err := w.Write(junk); err != nil {
				return
			}
		}
	})
	var text string
	var err error
	n := allocated(func() {
		s, serr := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
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
	if n > 100<<20 {
		t.Errorf("allocated %d MiB", n>>20)
	}
	t.Logf("%v; allocated %d MiB", err, n>>20)
}

// TestEndlessAnswerIsCapped: a model that never stops is stopped at
// roughly max_tokens' worth of text, the text so far kept.
func TestEndlessAnswerIsCapped(t *testing.T) {
	word := strings.Repeat("word ", 200)
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		e := startStream(w)
		for range 100_000 { // 100 MB: a guard so the old code ends too
			if r.Context().Err() != nil {
				return
			}
			e.text(0, word)
		}
		e.stop("end_turn")
	}, func(o *Options) { o.MaxTokens = 5000 })
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	limit := llm.AnswerLimit(5000)
	if !errors.Is(err, llm.ErrTooLarge) || len(text) > limit || len(text) < limit-1000 {
		t.Fatalf("%d bytes of text (limit %d), err %v: want the text up to the limit, then ErrTooLarge", len(text), limit, err)
	}
	t.Log(err)
}

// TestSecretPiecesRedacted: an error message quoting part of the AWS
// secret key reaches nobody.
func TestSecretPiecesRedacted(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusForbidden, "AccessDeniedException", "signature made with "+testSecret[:12]+"… does not match")
	})
	_, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err == nil || !errors.Is(err, llm.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	for n := 6; n <= len(testSecret); n++ {
		for i := 0; i+n <= len(testSecret); i++ {
			if strings.Contains(err.Error(), testSecret[i:i+n]) {
				t.Fatalf("%q leaks %q of the secret key", err, testSecret[i:i+n])
			}
		}
	}
	t.Log(err)
}
