package embed

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "sk-test-QUIRE-0123456789abcdef"

// openAIServer speaks POST /v1/embeddings. It checks the method, path,
// headers and a strictly decoded body; respond may override the answer.
type openAIServer struct {
	t       *testing.T
	key     string // expected Bearer token, "" for none
	dims    int    // vector length it returns
	respond func(n int, req openAIRequest, w http.ResponseWriter) bool
	calls   atomic.Int32
	mu      sync.Mutex
	reqs    []openAIRequest
	raw     []map[string]any
}

func (s *openAIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := s.t
	n := int(s.calls.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		t.Errorf("%s %s, want POST /v1/embeddings", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	wantAuth := ""
	if s.key != "" {
		wantAuth = "Bearer " + s.key
	}
	if got := r.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("Authorization %q, want %q", got, wantAuth)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client gave up mid-request (see bedrockServer)
	}
	var raw map[string]any
	json.Unmarshal(body, &raw)
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var req openAIRequest
	if err := dec.Decode(&req); err != nil {
		t.Errorf("request body %s: %v", body, err)
	}
	if req.EncodingFormat != "float" || req.Model == "" || len(req.Input) == 0 {
		t.Errorf("request %+v", req)
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.raw = append(s.raw, raw)
	s.mu.Unlock()
	if s.respond != nil && s.respond(n, req, w) {
		return
	}
	// Answer in reverse order, unnormalised, as servers may.
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	var data []item
	for i := len(req.Input) - 1; i >= 0; i-- {
		data = append(data, item{"embedding", i, fakeVector(req.Input[i], s.dims)})
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": 7, "total_tokens": 7}})
}

// fakeVector is the fake model: 3, 4 and the text's length, so the unit
// vector is easy to predict.
func fakeVector(text string, dims int) []float32 {
	v := make([]float32, dims)
	v[0], v[1] = 3, 4
	if dims > 2 {
		v[2] = float32(len(text))
	}
	return v
}

func newOpenAITest(t *testing.T, o OpenAIOptions, s *openAIServer) *OpenAI {
	t.Helper()
	s.t = t
	if s.dims == 0 {
		s.dims = 3
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	o.BaseURL = srv.URL + "/v1/"
	if o.Model == "" {
		o.Model = "nomic-embed-text"
	}
	e, err := NewOpenAI(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOpenAIEmbed(t *testing.T) {
	s := &openAIServer{key: testKey}
	e := newOpenAITest(t, OpenAIOptions{APIKey: testKey}, s)
	if e.Dim() != 0 || e.Name() != "openai:nomic-embed-text" {
		t.Fatalf("before any request: Dim %d Name %q", e.Dim(), e.Name())
	}
	texts := []string{"", "abcd", "graph"}
	vecs, err := e.Embed(context.Background(), texts, Passage)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		want := fakeVector(text, 3)
		Normalize(want)
		if !equalVec(vecs[i], want, 1e-6) {
			t.Errorf("vector %d = %v, want %v", i, vecs[i], want)
		}
	}
	if e.Dim() != 3 {
		t.Errorf("Dim %d after the first response, want 3", e.Dim())
	}
	if _, sent := s.raw[0]["dimensions"]; sent {
		t.Errorf("dimensions sent though SendDimensions is off: %v", s.raw[0])
	}
	if got := s.reqs[0].Input; len(got) != 3 || got[1] != "abcd" {
		t.Errorf("input %q", got)
	}
}

func TestOpenAISendsDimensions(t *testing.T) {
	s := &openAIServer{dims: 8}
	e := newOpenAITest(t, OpenAIOptions{Model: "text-embedding-3-small", Dimensions: 8, SendDimensions: true}, s)
	if _, err := e.Embed(context.Background(), []string{"x"}, Query); err != nil {
		t.Fatal(err)
	}
	if s.reqs[0].Dimensions != 8 || e.Name() != "openai:text-embedding-3-small@8" {
		t.Errorf("dimensions %d, Name %q", s.reqs[0].Dimensions, e.Name())
	}
}

func TestOpenAIDimensionMismatch(t *testing.T) {
	s := &openAIServer{dims: 768}
	e := newOpenAITest(t, OpenAIOptions{Dimensions: 256}, s)
	_, err := e.Embed(context.Background(), []string{"x"}, Query)
	if err == nil || !strings.Contains(err.Error(), "set it to 768") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenAIThrottledThenSuccess(t *testing.T) {
	s := &openAIServer{respond: func(n int, _ openAIRequest, w http.ResponseWriter) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, 429, map[string]any{"error": map[string]string{"message": "Rate limit reached for requests", "type": "requests"}})
			return true
		}
		return false
	}}
	e := newOpenAITest(t, OpenAIOptions{}, s)
	_, err := e.Embed(context.Background(), []string{"x"}, Passage)
	var te *ThrottleError
	if !errors.Is(err, ErrThrottled) || !errors.As(err, &te) || te.RetryAfter != 2*time.Second || !strings.Contains(te.Message, "Rate limit") {
		t.Fatalf("err = %v", err)
	}
	// Behind a Batcher the retry waits at least the Retry-After.
	s.calls.Store(0)
	b := NewBatcher(e, BatchOptions{BaseDelay: time.Millisecond})
	var waited []time.Duration
	b.sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	vecs, err := b.Embed(context.Background(), []string{"x", "y"}, Passage)
	if err != nil || len(vecs) != 2 {
		t.Fatalf("vecs %d, err %v", len(vecs), err)
	}
	if s.calls.Load() != 2 || len(waited) != 1 || waited[0] != 2*time.Second {
		t.Errorf("%d requests, waits %v; want 2 requests and one wait of 2s", s.calls.Load(), waited)
	}
}

func TestOpenAIServiceUnavailableIsThrottling(t *testing.T) {
	s := &openAIServer{respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
		w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		writeJSON(w, 503, map[string]string{"error": "Model is overloaded", "error_type": "Overloaded"})
		return true
	}}
	e := newOpenAITest(t, OpenAIOptions{}, s)
	_, err := e.Embed(context.Background(), []string{"x"}, Passage)
	var te *ThrottleError
	if !errors.As(err, &te) || te.RetryAfter < 80*time.Second || te.RetryAfter > 90*time.Second || te.Message != "Model is overloaded" {
		t.Fatalf("err = %#v", err)
	}
}

func TestOpenAIAuthErrorHidesKey(t *testing.T) {
	s := &openAIServer{key: testKey, respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
		writeJSON(w, 401, map[string]any{"error": map[string]any{
			"message": "Incorrect API key provided: " + testKey + ". You can find your API key at https://platform.openai.com/account/api-keys.",
			"type":    "invalid_request_error", "code": "invalid_api_key"}})
		return true
	}}
	e := newOpenAITest(t, OpenAIOptions{APIKey: testKey}, s)
	_, err := e.Embed(context.Background(), []string{"x"}, Passage)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if msg := err.Error(); strings.Contains(msg, testKey) || !strings.Contains(msg, "Incorrect API key") || !strings.Contains(msg, "api_key_env") {
		t.Errorf("message %q", msg)
	}
	if strings.Contains(e.Name(), testKey) {
		t.Error("the key is in Name")
	}
}

func TestOpenAIServerMessages(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   string
		kind   error
	}{
		{400, `{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error"}}`, "maximum context length is 8192", nil},
		{404, `{"error":"model \"nomic-embed-txt\" not found, try pulling it first"}`, "try pulling it first", ErrModelNotFound},
		{400, `{"object":"error","message":"The model does not support embeddings","type":"BadRequestError","code":400}`, "does not support embeddings", nil},
		{422, `{"detail":"Input validation error: inputs cannot be empty"}`, "inputs cannot be empty", nil},
		{500, "upstream exploded\n", "upstream exploded", nil},
	} {
		s := &openAIServer{respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
			w.WriteHeader(c.status)
			w.Write([]byte(c.body))
			return true
		}}
		e := newOpenAITest(t, OpenAIOptions{}, s)
		_, err := e.Embed(context.Background(), []string{"x"}, Passage)
		var se *ServiceError
		if !errors.As(err, &se) || se.Status != c.status || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrThrottled) {
			t.Errorf("HTTP %d: err = %v", c.status, err)
		}
		if c.kind != nil && !errors.Is(err, c.kind) {
			t.Errorf("HTTP %d: err = %v, want %v", c.status, err, c.kind)
		}
	}
}

func TestOpenAIBadResponses(t *testing.T) {
	for name, body := range map[string]string{
		"malformed":      `{"data":[{"index":0,"embedding":[1,2,`,
		"not json":       `<html>bad gateway</html>`,
		"wrong count":    `{"data":[{"index":0,"embedding":[1,0,0]}]}`,
		"repeated index": `{"data":[{"index":0,"embedding":[1,0,0]},{"index":0,"embedding":[0,1,0]}]}`,
		"index range":    `{"data":[{"index":0,"embedding":[1,0,0]},{"index":5,"embedding":[0,1,0]}]}`,
		"ragged":         `{"data":[{"index":0,"embedding":[1,0,0]},{"index":1,"embedding":[0,1]}]}`,
		"empty vector":   `{"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[0,1]}]}`,
	} {
		s := &openAIServer{respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
			return true
		}}
		e := newOpenAITest(t, OpenAIOptions{}, s)
		if vecs, err := e.Embed(context.Background(), []string{"a", "b"}, Passage); err == nil {
			t.Errorf("%s: no error, vectors %v", name, vecs)
		}
	}
}

func TestOpenAICancel(t *testing.T) {
	release := make(chan struct{})
	s := &openAIServer{respond: func(_ int, _ openAIRequest, w http.ResponseWriter) bool {
		<-release
		return true
	}}
	e := newOpenAITest(t, OpenAIOptions{}, s)
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.Embed(ctx, []string{"x"}, Passage)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestNewOpenAIRejectsBadSettings(t *testing.T) {
	for _, o := range []OpenAIOptions{
		{Model: ""},
		{Model: "m", BaseURL: "localhost:11434"},
		{Model: "m", BaseURL: "http://user:" + testKey + "@localhost/v1"},
		{Model: "m", Dimensions: -1},
	} {
		_, err := NewOpenAI(o)
		if err == nil {
			t.Errorf("%+v: no error", o)
		} else if strings.Contains(err.Error(), testKey) {
			t.Errorf("error shows the key: %v", err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "0": 0, "7": 7 * time.Second, "1.5": 1500 * time.Millisecond, "-3": 0, "soon": 0,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}
