package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Fake credentials in the format of AWS's documentation examples.
const (
	fakeAKID   = "AKIDEXAMPLEQUIRE"
	fakeSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fakeRegion = "eu-west-3"
)

// isolateAWS keeps the SDK away from the machine's AWS configuration.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ACCESS_KEY_ID":           "",
		"AWS_SECRET_ACCESS_KEY":       "",
		"AWS_SESSION_TOKEN":           "",
		"AWS_BEARER_TOKEN_BEDROCK":    "",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// bedrockServer speaks InvokeModel's wire protocol: it checks the path,
// the SigV4 signature (recomputed with the fake secret), the headers and
// the JSON body, and answers with respond.
type bedrockServer struct {
	t       *testing.T
	model   string
	respond func(n int, body map[string]any, w http.ResponseWriter)
	mu      sync.Mutex
	bodies  []map[string]any
	calls   atomic.Int32
}

func (s *bedrockServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := s.t
	n := int(s.calls.Add(1))
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		// The client gave up mid-request (a batch cancelling its other
		// requests after one failed): there is no request to check.
		return
	}
	if r.Method != http.MethodPost {
		t.Errorf("method %s, want POST", r.Method)
	}
	// Every reserved character of the model ID is escaped: ":" too.
	if want := "/model/" + url.QueryEscape(s.model) + "/invoke"; r.URL.EscapedPath() != want {
		t.Errorf("path %s, want %s", r.URL.EscapedPath(), want)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if a := r.Header.Get("Accept"); a != "application/json" {
		t.Errorf("Accept %q", a)
	}
	checkSigV4(t, r, raw)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Errorf("body is not JSON: %v: %s", err, raw)
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, body)
	s.mu.Unlock()
	s.respond(n, body, w)
}

// checkSigV4 recomputes the request's signature from the headers it says
// it signed and compares.
func checkSigV4(t *testing.T, r *http.Request, body []byte) {
	t.Helper()
	auth := r.Header.Get("Authorization")
	date := r.Header.Get("X-Amz-Date")
	prefix := "AWS4-HMAC-SHA256 Credential=" + fakeAKID + "/" + date[:min(8, len(date))] + "/" + fakeRegion + "/bedrock/aws4_request, SignedHeaders="
	if !strings.HasPrefix(auth, prefix) {
		t.Errorf("Authorization %q, want prefix %q", auth, prefix)
		return
	}
	signed := strings.Split(strings.SplitN(auth[len(prefix):], ",", 2)[0], ";")
	when, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		t.Errorf("X-Amz-Date %q: %v", date, err)
		return
	}
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	again.ContentLength = r.ContentLength
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: fakeAKID, SecretAccessKey: fakeSecret},
		again, hex.EncodeToString(sum[:]), "bedrock", fakeRegion, when)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Header.Get("Authorization"); got != auth {
		t.Errorf("signature does not verify:\n got  %s\n want %s", auth, got)
	}
}

func newBedrockTest(t *testing.T, model string, dims int, respond func(int, map[string]any, http.ResponseWriter)) (*Bedrock, *bedrockServer) {
	t.Helper()
	isolateAWS(t)
	s := &bedrockServer{t: t, model: model, respond: respond}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	b, err := NewBedrock(context.Background(), BedrockOptions{
		Model: model, Region: fakeRegion, Dimensions: dims, Endpoint: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider(fakeAKID, fakeSecret, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func bedrockError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	writeJSON(w, status, map[string]string{"message": msg})
}

// titanVector is the fake model: the text's length, then ones.
func titanVector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = 1
	}
	v[0] = float32(len(text))
	return v
}

func TestBedrockTitan(t *testing.T) {
	const model = "amazon.titan-embed-text-v2:0"
	if p := "/model/" + url.QueryEscape(model) + "/invoke"; p != "/model/amazon.titan-embed-text-v2%3A0/invoke" {
		t.Fatalf("test escapes the path as %s", p)
	}
	b, s := newBedrockTest(t, model, 256, func(_ int, body map[string]any, w http.ResponseWriter) {
		text, _ := body["inputText"].(string)
		writeJSON(w, 200, map[string]any{"embedding": titanVector(text, 256), "inputTextTokenCount": 3})
	})
	if b.Name() != "bedrock:amazon.titan-embed-text-v2:0@256" || b.Dim() != 256 || b.MaxBatch() != 1 {
		t.Fatalf("Name %q Dim %d MaxBatch %d", b.Name(), b.Dim(), b.MaxBatch())
	}
	texts := []string{"graph neural networks", "a", "protein folding"}
	vecs, err := b.Embed(context.Background(), texts, Query)
	if err != nil {
		t.Fatal(err)
	}
	if s.calls.Load() != 3 {
		t.Errorf("%d requests, want one per text", s.calls.Load())
	}
	for i, text := range texts {
		want := titanVector(text, 256)
		Normalize(want)
		if !equalVec(vecs[i], want, 1e-6) {
			t.Errorf("vector %d = %v…, want %v…", i, vecs[i][:3], want[:3])
		}
		body := s.bodies[i]
		if body["inputText"] != text || body["dimensions"] != 256.0 || body["normalize"] != true || len(body) != 3 {
			t.Errorf("request body %v", body)
		}
	}
}

func TestBedrockCohereBatchesAndInputType(t *testing.T) {
	const model = "cohere.embed-multilingual-v3"
	b, s := newBedrockTest(t, model, 0, func(_ int, body map[string]any, w http.ResponseWriter) {
		texts, _ := body["texts"].([]any)
		vecs := make([][]float32, len(texts))
		for i, x := range texts {
			vecs[i] = titanVector(x.(string), 1024)
		}
		writeJSON(w, 200, map[string]any{"embeddings": vecs, "id": "abc-123", "response_type": "embeddings_floats", "texts": texts})
	})
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = strings.Repeat("x", i+1)
	}
	texts[99] = strings.Repeat("é", 3000) // over Cohere's 2,048 characters
	// Through New's wiring: a Batcher sized by MaxBatch.
	e := NewBatcher(b, BatchOptions{BatchSize: b.MaxBatch(), Concurrency: 2})
	vecs, err := e.Embed(context.Background(), texts, Passage)
	if err != nil {
		t.Fatal(err)
	}
	if s.calls.Load() != 2 {
		t.Fatalf("%d requests for 100 texts, want 2 (96 + 4)", s.calls.Load())
	}
	sizes := map[int]bool{}
	for _, body := range s.bodies {
		sizes[len(body["texts"].([]any))] = true
		if body["input_type"] != "search_document" || body["truncate"] != "END" || len(body) != 3 {
			t.Errorf("request body fields %v %v", body["input_type"], body["truncate"])
		}
	}
	if !sizes[96] || !sizes[4] {
		t.Errorf("batch sizes %v, want 96 and 4", sizes)
	}
	for i, text := range texts[:99] {
		want := titanVector(text, 1024)
		Normalize(want)
		if !equalVec(vecs[i], want, 1e-6) {
			t.Fatalf("vector %d out of order", i)
		}
	}
	if got := vecs[99][0]; got == float32(len(texts[99])) {
		t.Errorf("the long text was not clipped")
	}
	if _, err := b.Embed(context.Background(), []string{"q"}, Query); err != nil {
		t.Fatal(err)
	}
	if last := s.bodies[len(s.bodies)-1]; last["input_type"] != "search_query" {
		t.Errorf("a query went as %v", last["input_type"])
	}
}

func TestBedrockThrottledThenSuccess(t *testing.T) {
	const model = "amazon.titan-embed-text-v2:0"
	b, s := newBedrockTest(t, model, 512, func(n int, body map[string]any, w http.ResponseWriter) {
		if n == 1 {
			bedrockError(w, 429, "ThrottlingException", "Too many requests, please wait before trying again.")
			return
		}
		writeJSON(w, 200, map[string]any{"embedding": titanVector("x", 512), "inputTextTokenCount": 1})
	})
	// Alone: one request, no SDK retry, a ThrottleError with the message.
	_, err := b.Embed(context.Background(), []string{"x"}, Passage)
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), "Too many requests") {
		t.Fatalf("err = %v, want ErrThrottled with Bedrock's message", err)
	}
	if s.calls.Load() != 1 {
		t.Fatalf("the SDK retried a throttled request (%d requests)", s.calls.Load())
	}
	// Behind a Batcher: retried after a backoff, then served.
	s.calls.Store(0)
	e := NewBatcher(b, BatchOptions{BatchSize: 1, BaseDelay: time.Millisecond})
	if _, err := e.Embed(context.Background(), []string{"x"}, Passage); err != nil {
		t.Fatal(err)
	}
	if s.calls.Load() != 2 {
		t.Errorf("%d requests, want 2", s.calls.Load())
	}
}

func TestBedrockValidationException(t *testing.T) {
	const model = "cohere.embed-english-v3"
	b, s := newBedrockTest(t, model, 1024, func(_ int, _ map[string]any, w http.ResponseWriter) {
		bedrockError(w, 400, "ValidationException", "Malformed input request: #/texts: expected minimum item count: 1")
	})
	e := NewBatcher(b, BatchOptions{BatchSize: 96, BaseDelay: time.Millisecond})
	_, err := e.Embed(context.Background(), []string{"x"}, Passage)
	var se *ServiceError
	if !errors.As(err, &se) || se.Code != "ValidationException" || se.Status != 400 || errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "expected minimum item count") {
		t.Errorf("the message is lost: %v", err)
	}
	if s.calls.Load() != 1 {
		t.Errorf("a validation error was retried (%d requests)", s.calls.Load())
	}
}

func TestBedrockAccessDenied(t *testing.T) {
	b, _ := newBedrockTest(t, "amazon.titan-embed-text-v2:0", 0, func(_ int, _ map[string]any, w http.ResponseWriter) {
		bedrockError(w, 403, "AccessDeniedException", "You don't have access to the model with the specified model ID.")
	})
	_, err := b.Embed(context.Background(), []string{"x"}, Passage)
	if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), fakeSecret) {
		t.Fatalf("err = %v", err)
	}
}

func TestBedrockCancel(t *testing.T) {
	release := make(chan struct{})
	b, _ := newBedrockTest(t, "amazon.titan-embed-text-v2:0", 0, func(_ int, _ map[string]any, w http.ResponseWriter) {
		<-release
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := NewBatcher(b, BatchOptions{BatchSize: 1}).Embed(ctx, []string{"x"}, Passage)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s to notice the cancellation", d)
	}
}

func TestNewBedrockRejectsBadSettings(t *testing.T) {
	isolateAWS(t)
	for _, o := range []BedrockOptions{
		{Model: "amazon.titan-embed-text-v2:0", Dimensions: 300},
		{Model: "cohere.embed-english-v3", Dimensions: 256},
		{Model: "meta.llama3-70b-instruct-v1:0"},
		{Model: ""},
		{Model: "amazon.titan-embed-text-v2:0", Endpoint: "http://user:pw@localhost:1"},
	} {
		if _, err := NewBedrock(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	b, err := NewBedrock(context.Background(), BedrockOptions{Model: "us.cohere.embed-english-v3", Region: "us-east-1"})
	if err != nil || b.Dim() != 1024 || b.MaxBatch() != 96 {
		t.Errorf("cross-region profile: %v", err)
	}
}

func equalVec(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := float64(a[i] - b[i]); d > tol || d < -tol {
			return false
		}
	}
	return true
}
