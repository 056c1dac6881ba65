package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go"

	"github.com/quire-research/quire/config/awsconfig"
	"github.com/quire-research/quire/config/secret"
)

// BedrockOptions configures an Amazon Bedrock embedder.
type BedrockOptions struct {
	// Model is the model ID: amazon.titan-embed-text-v2:0,
	// cohere.embed-english-v3 or cohere.embed-multilingual-v3 (a
	// cross-region prefix such as "us." is allowed).
	Model string
	// Region is the AWS region; empty lets the SDK decide (AWS_REGION,
	// the profile), then awsconfig.DefaultRegion.
	Region string
	// Dimensions: 256, 512 or 1024 for Titan V2 (default 1024); 0 or 1024
	// for Cohere v3, whose vectors have 1,024.
	Dimensions int
	// Endpoint overrides the service URL (tests, VPC endpoints).
	Endpoint string
	// Credentials overrides the standard chain (environment, profile,
	// SSO, instance role); tests pass static fake ones.
	Credentials aws.CredentialsProvider
}

// The SDK client comes from config/awsconfig: it repeats only a broken
// connection, once. Throttling and server faults surface at once as
// ErrThrottled and ErrUnavailable so that a Batcher, which sees every
// batch in flight, backs off (search/backoff) and reports its retries.

type bedrockFamily int

const (
	titanV2 bedrockFamily = iota
	cohereV3
)

// Bedrock embeds with a model on Amazon Bedrock through InvokeModel.
type Bedrock struct {
	client  *bedrockruntime.Client
	model   string
	family  bedrockFamily
	dim     int
	service string
}

// Per-model request limits.
const (
	cohereMaxTexts = 96    // texts per request
	cohereMaxChars = 2048  // characters per text
	titanMaxChars  = 50000 // characters per text
)

// NewBedrock builds the client. It loads the AWS configuration but makes
// no request.
func NewBedrock(ctx context.Context, o BedrockOptions) (*Bedrock, error) {
	b := &Bedrock{model: o.Model}
	base := o.Model
	if i := strings.IndexByte(base, '.'); i >= 0 && i <= 4 && !strings.HasPrefix(base, "amazon.") && !strings.HasPrefix(base, "cohere.") {
		base = base[i+1:] // cross-region inference profile: us., eu., apac.
	}
	switch {
	case strings.HasPrefix(base, "amazon.titan-embed-text-v2"):
		b.family = titanV2
		switch o.Dimensions {
		case 0:
			b.dim = 1024
		case 256, 512, 1024:
			b.dim = o.Dimensions
		default:
			return nil, fmt.Errorf("model: Titan Text Embeddings V2 makes vectors of 256, 512 or 1024 dimensions, not %d: set embed.dimensions to one of them", o.Dimensions)
		}
	case strings.HasPrefix(base, "cohere.embed-english-v3"), strings.HasPrefix(base, "cohere.embed-multilingual-v3"):
		b.family = cohereV3
		if o.Dimensions != 0 && o.Dimensions != 1024 {
			return nil, fmt.Errorf("model: Cohere Embed v3 makes 1024-dimensional vectors, not %d: set embed.dimensions to 1024", o.Dimensions)
		}
		b.dim = 1024
	case o.Model == "":
		return nil, errors.New("no Bedrock embedding model set: name one in embed.model, e.g. amazon.titan-embed-text-v2:0")
	default:
		return nil, fmt.Errorf("Bedrock embedding model %q is not supported (use amazon.titan-embed-text-v2:0, cohere.embed-english-v3 or cohere.embed-multilingual-v3)", o.Model)
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			return nil, errors.New("the Bedrock endpoint must be an http:// or https:// URL with a host and no credentials")
		}
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: o.Region, Credentials: o.Credentials})
	if err != nil {
		return nil, err
	}
	b.service = "Amazon Bedrock (" + cfg.Region + ")"
	b.client = bedrockruntime.NewFromConfig(cfg, func(bo *bedrockruntime.Options) {
		if o.Endpoint != "" {
			bo.BaseEndpoint = aws.String(o.Endpoint)
		}
		if o.Credentials != nil {
			// Explicit credentials mean SigV4, even if a Bedrock API key
			// (AWS_BEARER_TOKEN_BEDROCK) is in the environment.
			bo.BearerAuthTokenProvider = nil
			bo.AuthSchemePreference = []string{"sigv4"}
		}
	})
	return b, nil
}

// Name is "bedrock:MODEL@DIM".
func (b *Bedrock) Name() string { return fmt.Sprintf("bedrock:%s@%d", b.model, b.dim) }

func (b *Bedrock) Dim() int { return b.dim }

// MaxBatch is the most texts one request carries: 1 for Titan, 96 for
// Cohere. New sizes the Batcher's batches by it.
func (b *Bedrock) MaxBatch() int {
	if b.family == cohereV3 {
		return cohereMaxTexts
	}
	return 1
}

// Embed sends one request per text for Titan and per 96 texts for
// Cohere, one after another; a Batcher runs them concurrently.
func (b *Bedrock) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += b.MaxBatch() {
		chunk := texts[start:min(start+b.MaxBatch(), len(texts))]
		var (
			vecs [][]float32
			err  error
		)
		if b.family == cohereV3 {
			vecs, err = b.cohere(ctx, chunk, kind)
		} else {
			var v []float32
			v, err = b.titan(ctx, chunk[0])
			vecs = [][]float32{v}
		}
		if err != nil {
			return nil, offsetIndex(err, start)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (b *Bedrock) titan(ctx context.Context, text string) ([]float32, error) {
	req := struct {
		InputText  string `json:"inputText"`
		Dimensions int    `json:"dimensions"`
		Normalize  bool   `json:"normalize"`
	}{clipRunes(text, titanMaxChars), b.dim, true}
	var resp struct {
		Embedding           []float32 `json:"embedding"`
		InputTextTokenCount int       `json:"inputTextTokenCount"`
	}
	if err := b.invoke(ctx, req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Embedding) != b.dim {
		return nil, fmt.Errorf("%s returned a %d-dimensional vector, want %d", b.service, len(resp.Embedding), b.dim)
	}
	if !Normalize(resp.Embedding) {
		return nil, &ZeroVectorError{Service: b.service}
	}
	return resp.Embedding, nil
}

func (b *Bedrock) cohere(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	req := struct {
		Texts     []string `json:"texts"`
		InputType string   `json:"input_type"`
		Truncate  string   `json:"truncate"`
	}{make([]string, len(texts)), "search_document", "END"}
	if kind == Query {
		req.InputType = "search_query"
	}
	for i, t := range texts {
		req.Texts[i] = clipRunes(t, cohereMaxChars)
	}
	var resp struct {
		Embeddings   json.RawMessage `json:"embeddings"`
		ID           string          `json:"id"`
		ResponseType string          `json:"response_type"`
	}
	if err := b.invoke(ctx, req, &resp); err != nil {
		return nil, err
	}
	var vecs [][]float32
	switch resp.ResponseType {
	case "embeddings_floats", "":
		if err := json.Unmarshal(resp.Embeddings, &vecs); err != nil {
			return nil, fmt.Errorf("%s sent malformed embeddings: %v", b.service, err)
		}
	case "embeddings_by_type": // {"float": [[...]]}, if embedding_types was set
		var byType struct {
			Float [][]float32 `json:"float"`
		}
		if err := json.Unmarshal(resp.Embeddings, &byType); err != nil {
			return nil, fmt.Errorf("%s sent malformed embeddings: %v", b.service, err)
		}
		vecs = byType.Float
	default:
		return nil, fmt.Errorf("%s sent embeddings of unknown type %q", b.service, resp.ResponseType)
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("%s returned %d embeddings for %d texts", b.service, len(vecs), len(texts))
	}
	for i, v := range vecs {
		if len(v) != b.dim {
			return nil, fmt.Errorf("%s returned a %d-dimensional vector, want %d", b.service, len(v), b.dim)
		}
		if !Normalize(vecs[i]) {
			return nil, &ZeroVectorError{Service: b.service, Index: i}
		}
	}
	return vecs, nil
}

func (b *Bedrock) invoke(ctx context.Context, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("cannot encode the Bedrock request: %w", err)
	}
	out, err := b.client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String(b.model),
		Body:        body,
		ContentType: aws.String("application/json"),
		Accept:      aws.String("application/json"),
	})
	if err != nil {
		return b.classify(ctx, err)
	}
	if err := json.Unmarshal(out.Body, resp); err != nil {
		return fmt.Errorf("%s sent a malformed response: %v", b.service, err)
	}
	return nil
}

// classify turns an SDK error into ErrThrottled, ErrAuth,
// ErrModelNotFound or a ServiceError with Bedrock's message.
func (b *Bedrock) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		switch {
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			return &ThrottleError{Service: b.service, Status: status}
		case unavailable(status):
			return &ServiceError{Service: b.service, Status: status, Kind: ErrUnavailable}
		}
		return fmt.Errorf("cannot reach %s: %w", b.service, b.redactor(ctx).Error(err))
	}
	code, msg := api.ErrorCode(), clip(b.redactor(ctx).String(api.ErrorMessage()))
	switch code {
	case "ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException", "TooManyRequestsException":
		return &ThrottleError{Service: b.service, Message: msg, Status: status}
	case "InternalServerException", "ModelTimeoutException":
		return &ServiceError{Service: b.service, Status: status, Code: code, Message: msg, Kind: ErrUnavailable}
	case "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException",
		"InvalidSignatureException", "IncompleteSignatureException", "MissingAuthenticationTokenException":
		return &ServiceError{Service: b.service, Status: status, Code: code, Message: msg, Kind: ErrAuth,
			Hint: fmt.Sprintf("check the AWS credentials and that they may call bedrock:InvokeModel on %s (model access must be granted in the Bedrock console)", b.model)}
	case "ResourceNotFoundException":
		return &ServiceError{Service: b.service, Status: status, Code: code, Message: msg, Kind: ErrModelNotFound,
			Hint: fmt.Sprintf("check that %s is offered in this region", b.model)}
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &ThrottleError{Service: b.service, Message: msg, Status: status}
	case unavailable(status):
		return &ServiceError{Service: b.service, Status: status, Code: code, Message: msg, Kind: ErrUnavailable}
	}
	return &ServiceError{Service: b.service, Status: status, Code: code, Message: msg}
}

// redactor keeps the credentials' secret parts (and a Bedrock API key)
// out of errors. The SDK caches credentials, so retrieving them again
// costs nothing; a chain that found none is given no time to search again.
func (b *Bedrock) redactor(ctx context.Context) *secret.Redactor {
	secrets := []string{os.Getenv("AWS_BEARER_TOKEN_BEDROCK")}
	if p := b.client.Options().Credentials; p != nil {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if c, err := p.Retrieve(ctx); err == nil {
			secrets = append(secrets, c.SecretAccessKey, c.SessionToken)
		}
	}
	return secret.New(secrets...)
}

// clipRunes cuts s to at most n characters, at a character boundary.
func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for c := 0; i < len(s) && c < n; c++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}
