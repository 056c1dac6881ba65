package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quire-research/quire/config/secret"
)

// OpenAIOptions configures an embedder for any server that speaks
// OpenAI's POST /v1/embeddings: OpenAI itself, Ollama, llama.cpp's
// server, vLLM, Hugging Face TEI.
type OpenAIOptions struct {
	// BaseURL is the API root, e.g. http://localhost:11434/v1 (default
	// https://api.openai.com/v1). /embeddings is appended.
	BaseURL string
	// Model is the model ID the server knows.
	Model string
	// APIKey is sent as a Bearer token when set. It never appears in
	// errors or in Name.
	APIKey string
	// Dimensions is the vector length expected. Zero accepts whatever the
	// model returns: Dim is then 0 until the first response.
	Dimensions int
	// SendDimensions sends Dimensions in the request, asking the server to
	// shorten the vectors. Only some servers and models accept it (OpenAI's
	// text-embedding-3 models, Matryoshka models on vLLM); others reject
	// or ignore it, so it is off unless asked for.
	SendDimensions bool
	// HTTPClient defaults to a client with a 5-minute timeout.
	HTTPClient *http.Client
}

// OpenAI embeds with an OpenAI-compatible server. Retries are left to a
// Batcher: a throttled request fails with a *ThrottleError.
type OpenAI struct {
	opts     OpenAIOptions
	endpoint string
	service  string
	client   *http.Client
	dim      atomic.Int64
	secrets  *secret.Redactor
}

// NewOpenAI checks the options; it makes no request.
func NewOpenAI(o OpenAIOptions) (*OpenAI, error) {
	if o.BaseURL == "" {
		o.BaseURL = "https://api.openai.com/v1"
	}
	if o.Model == "" {
		return nil, errors.New("no embedding model set: name one in embed.model, e.g. nomic-embed-text")
	}
	if o.Dimensions < 0 {
		return nil, fmt.Errorf("embed dimensions must not be negative (got %d)", o.Dimensions)
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("the embedding base_url must be an http:// or https:// URL with a host, as in http://localhost:11434/v1")
	}
	if u.User != nil {
		return nil, errors.New("the embedding base_url must not hold credentials: put the key in the variable named by api_key_env")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("the embedding base_url must not have a query or fragment")
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	e := &OpenAI{
		opts:     o,
		endpoint: strings.TrimRight(u.String(), "/") + "/embeddings",
		service:  "the embedding server at " + u.Host,
		client:   client,
		secrets:  secret.New(o.APIKey),
	}
	e.dim.Store(int64(o.Dimensions))
	return e, nil
}

// Name is "openai:MODEL", with "@DIM" when the dimensions are fixed.
func (e *OpenAI) Name() string {
	if e.opts.Dimensions > 0 {
		return fmt.Sprintf("openai:%s@%d", e.opts.Model, e.opts.Dimensions)
	}
	return "openai:" + e.opts.Model
}

// Dim is the vector length: the configured one, or that of the first
// response when none was configured (0 before it).
func (e *OpenAI) Dim() int { return int(e.dim.Load()) }

type openAIRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format"`
}

type openAIResponse struct {
	Data []struct {
		Index     *int      `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// maxResponse bounds a response body: 2,048 inputs × 3,072 floats of
// about 20 characters is 125 MB.
const maxResponse = 256 << 20

// Embed sends all texts in one request; wrap in a Batcher to split them.
func (e *OpenAI) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	req := openAIRequest{Model: e.opts.Model, Input: texts, EncodingFormat: "float"}
	if e.opts.SendDimensions {
		req.Dimensions = e.opts.Dimensions
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the embedding request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cannot build the embedding request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "quire")
	if e.opts.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+e.opts.APIKey)
	}
	resp, err := e.client.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach %s: %w", e.service, e.scrubErr(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot read the response of %s: %w", e.service, e.scrubErr(err))
	}
	if resp.StatusCode/100 != 2 {
		return nil, e.statusError(resp, data)
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("%s sent a response larger than %d MB", e.service, maxResponse>>20)
	}
	return e.decode(data, len(texts))
}

func (e *OpenAI) decode(data []byte, n int) ([][]float32, error) {
	var r openAIResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s sent a malformed embeddings response: %v", e.service, err)
	}
	if len(r.Data) != n {
		return nil, fmt.Errorf("%s returned %d embeddings for %d texts", e.service, len(r.Data), n)
	}
	out := make([][]float32, n)
	for pos, d := range r.Data {
		i := pos
		if d.Index != nil {
			i = *d.Index
		}
		if i < 0 || i >= n || out[i] != nil {
			return nil, fmt.Errorf("%s returned a bad or repeated embedding index %d", e.service, i)
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("%s returned an empty embedding for input %d", e.service, i)
		}
		out[i] = d.Embedding
	}
	want := e.Dim()
	if want == 0 {
		want = len(out[0])
	}
	for i, v := range out {
		if len(v) != want {
			if e.opts.Dimensions > 0 {
				return nil, fmt.Errorf("%s returned %d-dimensional vectors but embed.dimensions is %d: set it to %d (or 0 to take the model's own)", e.service, len(v), want, len(v))
			}
			return nil, fmt.Errorf("%s returned vectors of different lengths (%d and %d)", e.service, want, len(v))
		}
		if !Normalize(out[i]) {
			return nil, &ZeroVectorError{Service: e.service, Index: i}
		}
	}
	e.dim.CompareAndSwap(0, int64(want))
	if got := e.Dim(); got != want {
		return nil, fmt.Errorf("%s changed its vector length from %d to %d", e.service, got, want)
	}
	return out, nil
}

func (e *OpenAI) statusError(resp *http.Response, body []byte) error {
	msg := serverMessage([]byte(e.scrub(string(body))))
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return &ThrottleError{Service: e.service, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()), Message: msg, Status: resp.StatusCode}
	case http.StatusUnauthorized, http.StatusForbidden:
		hint := "check the API key in the variable named by embed.api_key_env"
		if e.opts.APIKey == "" {
			hint = "it wants an API key: set embed.api_key_env to the name of a variable that holds one"
		}
		return &ServiceError{Service: e.service, Status: resp.StatusCode, Message: msg, Hint: hint, Kind: ErrAuth}
	case http.StatusNotFound:
		return &ServiceError{Service: e.service, Status: resp.StatusCode, Message: msg,
			Hint: fmt.Sprintf("check that it serves model %q and that base_url ends where /embeddings is (often /v1)", e.opts.Model), Kind: ErrModelNotFound}
	}
	if unavailable(resp.StatusCode) {
		return &ServiceError{Service: e.service, Status: resp.StatusCode, Message: msg, Kind: ErrUnavailable,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return &ServiceError{Service: e.service, Status: resp.StatusCode, Message: msg}
}

// serverMessage finds the explanation in an error body, whichever of the
// common shapes it has: OpenAI and vLLM's {"error":{"message"}}, Ollama
// and TEI's {"error":"..."}, {"message"} or {"detail"}; else the text.
func serverMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return clip(s)
		case json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			return clip(obj.Message)
		case v.Message != "":
			return clip(v.Message)
		case json.Unmarshal(v.Detail, &s) == nil && s != "":
			return clip(s)
		case len(v.Detail) > 0:
			return clip(string(v.Detail))
		}
	}
	return clip(string(body))
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// scrub removes the API key, and any piece of it, from a message the
// server or transport wrote.
func (e *OpenAI) scrub(s string) string { return e.secrets.String(s) }

func (e *OpenAI) scrubErr(err error) error { return e.secrets.Error(err) }

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if f, err := strconv.ParseFloat(h, 64); err == nil && f > 0 && f < 1e6 {
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
