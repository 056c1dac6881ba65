package embed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-research/quire/search/backoff"
)

// notices collects retry notices from a context, safely across batches.
type notices struct {
	mu   sync.Mutex
	list []backoff.Notice
}

func (n *notices) ctx() context.Context {
	return backoff.WithNotify(context.Background(), func(x backoff.Notice) {
		n.mu.Lock()
		n.list = append(n.list, x)
		n.mu.Unlock()
	})
}

func (n *notices) get() []backoff.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]backoff.Notice(nil), n.list...)
}

// TestOpenAIServerErrorsRetried: 500, 502, 503 and 504 from an embedding
// server are retried by the Batcher like 429, honouring Retry-After, and
// every retry is reported.
func TestOpenAIServerErrorsRetried(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := &openAIServer{dims: 4, respond: func(n int, _ openAIRequest, w http.ResponseWriter) bool {
				if n <= 2 {
					w.Header().Set("Retry-After", "1")
					writeJSON(w, status, map[string]any{"error": map[string]string{"message": "upstream hiccup"}})
					return true
				}
				return false
			}}
			e := newOpenAITest(t, OpenAIOptions{}, s)
			b := NewBatcher(e, BatchOptions{Retries: 3, BaseDelay: time.Millisecond})
			var waits []time.Duration
			b.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			var got notices
			vecs, err := b.Embed(got.ctx(), []string{"a", "b"}, Passage)
			if err != nil || len(vecs) != 2 {
				t.Fatalf("vecs %d, err %v; want success after two %d answers", len(vecs), err, status)
			}
			if s.calls.Load() != 3 || len(waits) != 2 || waits[0] < time.Second {
				t.Errorf("%d requests, waits %v; want 3 requests and 2 waits of at least the 1s asked", s.calls.Load(), waits)
			}
			ns := got.get()
			if len(ns) != 2 || ns[0].Reason != fmt.Sprintf("HTTP %d", status) || ns[1].Attempt != 2 || ns[1].Max != 3 {
				t.Errorf("notices %+v", ns)
			}
		})
	}
}

func TestOpenAIServerErrorGivesUp(t *testing.T) {
	s := &openAIServer{dims: 4, respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
		writeJSON(w, 502, map[string]string{"error": "bad gateway"})
		return true
	}}
	e := newOpenAITest(t, OpenAIOptions{}, s)
	b := NewBatcher(e, BatchOptions{Retries: 2, BaseDelay: time.Millisecond})
	_, err := b.Embed(context.Background(), []string{"a"}, Passage)
	var se *ServiceError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &se) || se.Status != 502 || s.calls.Load() != 3 {
		t.Fatalf("err %v after %d requests, want ErrUnavailable (502) after 3", err, s.calls.Load())
	}
}

// TestBedrockServerErrorRetried: an InternalServerException is retried by
// the Batcher (with a notice), not silently by the SDK.
func TestBedrockServerErrorRetried(t *testing.T) {
	const model = "amazon.titan-embed-text-v2:0"
	b, s := newBedrockTest(t, model, 256, func(n int, body map[string]any, w http.ResponseWriter) {
		if n == 1 {
			bedrockError(w, 500, "InternalServerException", "Internal server error")
			return
		}
		writeJSON(w, 200, map[string]any{"embedding": titanVector("x", 256), "inputTextTokenCount": 1})
	})
	_, err := b.Embed(context.Background(), []string{"x"}, Passage)
	if !errors.Is(err, ErrUnavailable) || s.calls.Load() != 1 {
		t.Fatalf("alone: err %v after %d requests, want ErrUnavailable after 1 (no SDK retry)", err, s.calls.Load())
	}
	s.calls.Store(0) // the next request fails again, then succeeds
	var got notices
	e := NewBatcher(b, BatchOptions{BatchSize: 1, BaseDelay: time.Millisecond})
	if _, err := e.Embed(got.ctx(), []string{"x"}, Passage); err != nil {
		t.Fatal(err)
	}
	if ns := got.get(); s.calls.Load() != 2 || len(ns) != 1 || ns[0].Reason != "InternalServerException" {
		t.Errorf("behind a Batcher: %d requests, notices %v; want 2 and one naming the exception", s.calls.Load(), ns)
	}
}

// TestOpenAIKeyPiecesRedacted: an embedding server echoing the key cut
// short leaks no piece of it.
func TestOpenAIKeyPiecesRedacted(t *testing.T) {
	s := &openAIServer{key: testKey, respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
		writeJSON(w, 401, map[string]any{"error": map[string]string{"message": "Incorrect API key provided: " + testKey[:14] + "****"}})
		return true
	}}
	e := newOpenAITest(t, OpenAIOptions{APIKey: testKey}, s)
	_, err := e.Embed(context.Background(), []string{"x"}, Passage)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	for n := 6; n <= len(testKey); n++ {
		for i := 0; i+n <= len(testKey); i++ {
			if strings.Contains(err.Error(), testKey[i:i+n]) {
				t.Fatalf("%q leaks %q of the key", err, testKey[i:i+n])
			}
		}
	}
}

// TestZeroVectorsRejected: an all-zero vector from a remote embedder is an
// error naming the service and the input's index in the caller's texts,
// through the Batcher and the Cache, and nothing of the failed call is
// stored.
func TestZeroVectorsRejected(t *testing.T) {
	bad := "the bad one"
	s := &openAIServer{dims: 3, respond: func(_ int, req openAIRequest, w http.ResponseWriter) bool {
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i, in := range req.Input {
			v := fakeVector(in, 3)
			if in == bad {
				v = []float32{0, 0, 0}
			}
			data = append(data, item{i, v})
		}
		writeJSON(w, 200, map[string]any{"data": data})
		return true
	}}
	e := newOpenAITest(t, OpenAIOptions{}, s)
	c, err := NewCache(NewBatcher(e, BatchOptions{BatchSize: 2}), filepath.Join(t.TempDir(), "c.qec"))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"cached", "a", "b", "c", bad}
	if _, err := c.Embed(context.Background(), texts[:1], Passage); err != nil {
		t.Fatal(err)
	}
	_, err = c.Embed(context.Background(), texts, Passage)
	var zv *ZeroVectorError
	if !errors.As(err, &zv) || zv.Index != 4 || !strings.Contains(err.Error(), "embedding server at") || !strings.Contains(err.Error(), "input 4") {
		t.Fatalf("err = %v, want a ZeroVectorError for input 4 naming the server", err)
	}
	if n := c.Stats().Entries; n != 1 {
		t.Errorf("%d vectors cached after the failed call, want only the 1 from before", n)
	}
	// Bedrock Titan, one text a request.
	b, _ := newBedrockTest(t, "amazon.titan-embed-text-v2:0", 256, func(_ int, body map[string]any, w http.ResponseWriter) {
		v := titanVector(body["inputText"].(string), 256)
		if body["inputText"] == bad {
			v = make([]float32, 256)
		}
		writeJSON(w, 200, map[string]any{"embedding": v, "inputTextTokenCount": 1})
	})
	_, err = NewBatcher(b, BatchOptions{BatchSize: 1, Concurrency: 2}).Embed(context.Background(), texts, Passage)
	if !errors.As(err, &zv) || zv.Index != 4 || !strings.Contains(err.Error(), "Amazon Bedrock") {
		t.Fatalf("bedrock: err = %v, want a ZeroVectorError for input 4", err)
	}
}
