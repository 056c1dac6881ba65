package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/quire-research/quire/agent/llm"
)

const (
	testModel  = "anthropic.claude-test-v1:0"
	testRegion = "us-east-1"
	testKeyID  = "AKIDQUIRETEST"
	testSecret = "quire/test/secret/key"
)

// newProvider starts h on loopback and returns a provider pointed at it
// with static credentials.
func newProvider(t testing.TB, h http.HandlerFunc, edit ...func(*Options)) *Provider {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o := Options{
		Model: testModel, Region: testRegion, EndpointURL: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		BaseDelay:   time.Millisecond, MaxDelay: 50 * time.Millisecond,
	}
	for _, f := range edit {
		f(&o)
	}
	p, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// eventWriter writes AWS event stream frames the way Bedrock does: one
// binary message per event, flushed at once.
type eventWriter struct {
	w   http.ResponseWriter
	enc *eventstream.Encoder
}

func startStream(w http.ResponseWriter) *eventWriter {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.Header().Set("X-Amzn-Requestid", "req-0001")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	return &eventWriter{w: w, enc: eventstream.NewEncoder()}
}

// pad adds the random "p" field Bedrock puts in every event to hide
// lengths; the SDK must ignore it.
func pad(payload string) string {
	return strings.TrimSuffix(payload, "}") + `,"p":"abcdefghijklmnopqrstu"}`
}

func frame(kind, typ, payload string) eventstream.Message {
	var h eventstream.Headers
	if kind == "event" {
		h.Set(":event-type", eventstream.StringValue(typ))
	} else {
		h.Set(":exception-type", eventstream.StringValue(typ))
	}
	h.Set(":content-type", eventstream.StringValue("application/json"))
	h.Set(":message-type", eventstream.StringValue(kind))
	return eventstream.Message{Headers: h, Payload: []byte(payload)}
}

func (e *eventWriter) event(typ, payload string) {
	if err := e.enc.Encode(e.w, frame("event", typ, pad(payload))); err != nil {
		panic(err)
	}
	e.w.(http.Flusher).Flush()
}

func (e *eventWriter) exception(typ, message string) {
	if err := e.enc.Encode(e.w, frame("exception", typ, `{"message":`+quote(message)+`}`)); err != nil {
		panic(err)
	}
	e.w.(http.Flusher).Flush()
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func (e *eventWriter) text(idx int, s string) {
	e.event("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":%d,"delta":{"text":%s}}`, idx, quote(s)))
}

func (e *eventWriter) stop(reason string) {
	e.event("messageStop", `{"stopReason":"`+reason+`"}`)
}

func (e *eventWriter) metadata(in, out int) {
	e.event("metadata", fmt.Sprintf(`{"usage":{"inputTokens":%d,"outputTokens":%d,"totalTokens":%d},"metrics":{"latencyMs":321}}`, in, out, in+out))
}

// httpError answers as Bedrock's REST-JSON protocol does.
func httpError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	w.Header().Set("X-Amzn-Requestid", "req-err")
	w.WriteHeader(status)
	io.WriteString(w, `{"message":`+quote(message)+`}`)
}

// verifySigV4 recomputes the request's signature from the headers it
// claims to sign and the fake secret, as AWS would.
func verifySigV4(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("authorization %q is not SigV4", auth)
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(f, "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] != testKeyID || scope[2] != testRegion || scope[3] != "bedrock" || scope[4] != "aws4_request" {
		return fmt.Errorf("credential scope %q", fields["Credential"])
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("X-Amz-Date: %w", err)
	}
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req, _ := http.NewRequest(r.Method, u.String(), nil)
	req.Host = r.Host
	req.ContentLength = r.ContentLength
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" && h != "content-length" {
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), "bedrock", testRegion, at)
	if err != nil {
		return err
	}
	if got := req.Header.Get("Authorization"); got != auth {
		return fmt.Errorf("signature mismatch:\n sent %s\n want %s", auth, got)
	}
	return nil
}

// checkRequest verifies method, path and signature, and returns the body.
func checkRequest(t *testing.T, w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, _ := io.ReadAll(r.Body)
	if want := "/model/" + testModel + "/converse-stream"; r.Method != http.MethodPost || r.URL.Path != want {
		t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, want)
		http.NotFound(w, r)
		return nil, false
	}
	if err := verifySigV4(r, body); err != nil {
		t.Errorf("SigV4: %v", err)
		httpError(w, http.StatusForbidden, "InvalidSignatureException", err.Error())
		return nil, false
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Errorf("body %s: %v", body, err)
	}
	return m, true
}

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

func TestStreamTextToolUseAndUsage(t *testing.T) {
	var got map[string]any
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		body, ok := checkRequest(t, w, r)
		if !ok {
			return
		}
		got = body
		e := startStream(w)
		e.event("messageStart", `{"role":"assistant"}`)
		e.text(0, "Let me ")
		e.text(0, "search.")
		e.event("contentBlockStop", `{"contentBlockIndex":0}`)
		e.event("contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_abc","name":"search"}}}`)
		for _, frag := range []string{`{"query": "den`, `se retrieval", "lim`, `it": 5}`} {
			e.event("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":`+quote(frag)+`}}}`)
		}
		e.event("contentBlockStop", `{"contentBlockIndex":1}`)
		e.stop("tool_use")
		e.metadata(25, 13)
	})
	temp := 0.5
	s, err := p.Stream(context.Background(), llm.Request{
		System: "Cite sources.",
		Messages: []llm.Message{
			llm.Text(llm.RoleUser, "earlier question"),
			{Role: llm.RoleAssistant, Parts: []llm.Part{{Text: "Looking."}, {ToolUse: &llm.ToolUse{ID: "t1", Name: "search", Input: json.RawMessage(`{"query":"bm25"}`)}}}},
			{Role: llm.RoleUser, Parts: []llm.Part{{ToolResult: &llm.ToolResult{ToolUseID: "t1", Content: "no index", IsError: true}}}},
			llm.Text(llm.RoleUser, "try again"), // same role: merged into the previous turn
		},
		Tools:     []llm.Tool{{Name: "search", Description: "Search papers", Schema: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`)}},
		MaxTokens: 512, Temperature: &temp, Stop: []string{"\n\nHuman:"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, events, err := drain(s)
	if err != nil {
		t.Fatal(err)
	}
	if text != "Let me search." {
		t.Errorf("text = %q", text)
	}
	if len(events) != 5 {
		t.Fatalf("events = %+v, want 2 texts, tool use, stop, usage", events)
	}
	tu := events[2].ToolUse
	if events[2].Kind != llm.EventToolUse || tu.ID != "tooluse_abc" || tu.Name != "search" || string(tu.Input) != `{"query": "dense retrieval", "limit": 5}` {
		t.Errorf("tool use = %+v", tu)
	}
	if events[3].Kind != llm.EventStop || events[3].StopReason != llm.StopToolUse {
		t.Errorf("stop = %+v", events[3])
	}
	if events[4].Kind != llm.EventUsage || events[4].Usage != (llm.Usage{InputTokens: 25, OutputTokens: 13}) {
		t.Errorf("usage = %+v", events[4])
	}

	want := `{"inferenceConfig":{"maxTokens":512,"stopSequences":["\n\nHuman:"],"temperature":0.5},` +
		`"messages":[` +
		`{"content":[{"text":"earlier question"}],"role":"user"},` +
		`{"content":[{"text":"Looking."},{"toolUse":{"input":{"query":"bm25"},"name":"search","toolUseId":"t1"}}],"role":"assistant"},` +
		`{"content":[{"toolResult":{"content":[{"text":"no index"}],"status":"error","toolUseId":"t1"}},{"text":"try again"}],"role":"user"}],` +
		`"system":[{"text":"Cite sources."}],` +
		`"toolConfig":{"tools":[{"toolSpec":{"description":"Search papers","inputSchema":{"json":{"properties":{"query":{"type":"string"}},"required":["query"],"type":"object"}},"name":"search"}}]}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("request body\n got %s\nwant %s", b, want)
	}
}

func TestThrottledHTTPThenSuccess(t *testing.T) {
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := checkRequest(t, w, r); !ok {
			return
		}
		if calls.Add(1) == 1 {
			httpError(w, http.StatusTooManyRequests, "ThrottlingException", "Too many requests, please wait before trying again.")
			return
		}
		e := startStream(w)
		e.text(0, "ok")
		e.stop("end_turn")
		e.metadata(1, 1)
	})
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if text, _, err := drain(s); text != "ok" || err != nil {
		t.Fatalf("text %q, err %v", text, err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2", calls.Load())
	}
}

func TestThrottledGivesUp(t *testing.T) {
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		httpError(w, http.StatusTooManyRequests, "ThrottlingException", "Too many requests")
	}, func(o *Options) { o.MaxRetries = 2 })
	_, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	var ae *APIError
	if !errors.Is(err, llm.ErrThrottled) || !errors.As(err, &ae) || ae.Status != 429 || ae.RequestID != "req-err" {
		t.Fatalf("err = %v, want ErrThrottled with the 429 and request ID", err)
	}
	// 1 + 2 of ours; the SDK's retryer must not multiply them.
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 3", calls.Load())
	}
	t.Log(err)
}

func TestExceptionFrames(t *testing.T) {
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		e := startStream(w)
		e.event("messageStart", `{"role":"assistant"}`)
		switch calls.Add(1) {
		case 1: // throttled before any token: invisible retry
			e.exception("throttlingException", "Too many tokens, please wait before trying again.")
		case 2: // after a token: the caller must hear of it
			e.text(0, "partial ")
			e.exception("throttlingException", "Too many tokens, please wait before trying again.")
		default:
			e.text(0, "unexpected")
			e.stop("end_turn")
		}
	})
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if text != "partial " || !errors.Is(err, llm.ErrThrottled) {
		t.Fatalf("text %q, err %v: want the partial text and ErrThrottled", text, err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || !strings.EqualFold(ae.Code, "throttlingException") || ae.Status != 0 {
		t.Errorf("err = %#v, want the in-stream exception", ae)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2", calls.Load())
	}
	t.Log(err)
}

func TestModelStreamError(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		e := startStream(w)
		e.text(0, "so far")
		e.exception("modelStreamErrorException", "The model failed mid-answer.")
	})
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	var ae *APIError
	if text != "so far" || !errors.As(err, &ae) || !strings.EqualFold(ae.Code, "modelStreamErrorException") {
		t.Fatalf("text %q, err %v", text, err)
	}
	for _, class := range []error{llm.ErrThrottled, llm.ErrProtocol, llm.ErrAuth} {
		if errors.Is(err, class) {
			t.Errorf("err = %v should not be %v", err, class)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		status        int
		code, message string
		class         error
	}{
		{403, "UnrecognizedClientException", "The security token included in the request is invalid.", llm.ErrAuth},
		{403, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized to perform: bedrock:InvokeModelWithResponseStream", llm.ErrAuth},
		{403, "AccessDeniedException", "You don't have access to the model with the specified model ID.", llm.ErrModel},
		{404, "ResourceNotFoundException", "Model not found.", llm.ErrModel},
		{400, "ValidationException", "The provided model identifier is invalid.", llm.ErrModel},
	} {
		t.Run(tc.code, func(t *testing.T) {
			var calls atomic.Int32
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				httpError(w, tc.status, tc.code, tc.message)
			})
			_, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
			if !errors.Is(err, tc.class) {
				t.Fatalf("err = %v, want %v", err, tc.class)
			}
			if calls.Load() != 1 {
				t.Errorf("%d requests: must not be retried", calls.Load())
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the secret leaked into %q", err)
			}
			t.Log(err)
		})
	}
}

func TestCorruptFrame(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		e := startStream(w)
		e.text(0, "good ")
		var buf bytes.Buffer
		e.enc.Encode(&buf, frame("event", "contentBlockDelta", pad(`{"contentBlockIndex":0,"delta":{"text":"bad"}}`)))
		b := buf.Bytes()
		b[len(b)-10] ^= 0xff // a payload byte: the message CRC no longer matches
		w.Write(b)
		w.(http.Flusher).Flush()
		e.text(0, "never")
		e.stop("end_turn")
	})
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if text != "good " || !errors.Is(err, llm.ErrProtocol) {
		t.Fatalf("text %q, err %v: want the good text and ErrProtocol", text, err)
	}
	t.Log(err)
}

func TestMidStreamDisconnect(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n")
		enc := eventstream.NewEncoder()
		for _, s := range []string{"kept ", "text"} {
			var buf bytes.Buffer
			enc.Encode(&buf, frame("event", "contentBlockDelta", pad(`{"contentBlockIndex":0,"delta":{"text":`+quote(s)+`}}`)))
			fmt.Fprintf(rw, "%x\r\n%s\r\n", buf.Len(), buf.Bytes())
		}
		// Half a frame, then the connection drops.
		var buf bytes.Buffer
		enc.Encode(&buf, frame("event", "contentBlockDelta", pad(`{"contentBlockIndex":0,"delta":{"text":"lost"}}`)))
		fmt.Fprintf(rw, "%x\r\n%s", buf.Len(), buf.Bytes()[:buf.Len()/2])
		rw.Flush()
	})
	s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, _, err := drain(s)
	if text != "kept text" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("text %q, err %v: want the text that arrived and an unexpected EOF", text, err)
	}
	if errors.Is(err, llm.ErrThrottled) {
		t.Errorf("a broken connection is not throttling: %v", err)
	}
	t.Log(err)
}

func TestCancel(t *testing.T) {
	for _, how := range []string{"context", "close"} {
		t.Run(how, func(t *testing.T) {
			serverDone := make(chan time.Time, 1)
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
				e := startStream(w)
				e.text(0, "first")
				<-r.Context().Done()
				serverDone <- time.Now()
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := p.Stream(ctx, llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
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
			time.Sleep(10 * time.Millisecond)
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
			s.Close()
		})
	}
}

func TestNoCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	var calls atomic.Int32
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) },
		func(o *Options) { o.Credentials = nil })
	_, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, "hi")}})
	if !errors.Is(err, llm.ErrAuth) || calls.Load() != 0 {
		t.Fatalf("err = %v after %d requests, want ErrAuth before any request", err, calls.Load())
	}
	t.Log(err)
}

// Two streams at once on one provider (an answer and a draft in the app)
// must not share decoding state: each gets its own text back, and -race
// stays quiet.
func TestConcurrentStreams(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request) {
		body, ok := checkRequest(t, w, r)
		if !ok {
			return
		}
		msgs := body["messages"].([]any)
		q := msgs[0].(map[string]any)["content"].([]any)[0].(map[string]any)["text"].(string)
		e := startStream(w)
		e.event("messageStart", `{"role":"assistant"}`)
		for i := range 40 {
			e.text(0, fmt.Sprintf("%s-%d ", q, i))
		}
		e.stop("end_turn")
		e.metadata(1, 40)
	})
	var wg sync.WaitGroup
	for _, q := range []string{"alpha", "beta", "gamma"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := p.Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, q)}})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			text, _, err := drain(s)
			if err != nil {
				t.Error(err)
				return
			}
			if strings.Count(text, q+"-") != 40 {
				t.Errorf("stream %s got %q", q, text)
			}
		}()
	}
	wg.Wait()
}
