// Package bedrock is the llm.Provider for Amazon Bedrock's ConverseStream
// API, through aws-sdk-go-v2. Credentials come from the SDK's standard
// chain (environment, shared config and SSO, container and instance roles)
// unless Options gives static ones.
//
// Retries. The client comes from config/awsconfig, whose SDK retryer only
// repeats a connection that broke before any response. Throttling and
// server faults (in the HTTP response, or sent inside the event stream
// before the first event has reached the caller, which no SDK retryer can
// see) go through one llm.Retrier with full jitter, a single budget
// (Options.MaxRetries) and retry notices. AWS_MAX_ATTEMPTS and the shared
// config's max_attempts do not raise this.
package bedrock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/config/awsconfig"
	"github.com/quire-research/quire/config/secret"
)

// Options configures New. Zero fields take the defaults noted.
type Options struct {
	// Model is the model or inference profile ID requests use when theirs
	// is empty, e.g. "anthropic.claude-3-5-haiku-20241022-v1:0". Required.
	Model string
	// Region is the AWS region; empty lets the SDK decide (AWS_REGION, the
	// shared config), then awsconfig.DefaultRegion.
	Region string
	// Profile is the shared config profile; empty uses AWS_PROFILE or the
	// default one.
	Profile string
	// EndpointURL replaces the regional endpoint (a VPC endpoint, a test
	// server).
	EndpointURL string
	// Credentials replaces the standard chain (static keys in tests).
	Credentials aws.CredentialsProvider
	// HTTPClient makes the requests (default: the SDK's).
	HTTPClient *http.Client

	// MaxRetries is how many times a throttled or failed request
	// (throttling, InternalServerException, HTTP 5xx) is tried again
	// (default 3; negative for none); see the package comment.
	MaxRetries int
	// BaseDelay and MaxDelay shape the backoff between retries; see
	// llm.Backoff (defaults 500ms and 20s).
	BaseDelay time.Duration
	MaxDelay  time.Duration

	// MaxTokens applies to requests that set none; 0 leaves it to the
	// model.
	MaxTokens int

	// Timeouts bound the waits on Bedrock: connecting (only for the
	// default HTTPClient), the start of the answer and the silence between
	// its events. Zero fields take llm's defaults.
	Timeouts llm.Timeouts
}

// Provider streams Converse responses. It is safe for concurrent use.
type Provider struct {
	opts Options
	// newClient makes a client per stream: smithy-go's event-stream codec
	// is shared by every stream of one client and is not safe for two at
	// once (a data race on its payload buffer, seen under -race).
	newClient func() *bedrockruntime.Client
	creds     aws.CredentialsProvider // checked before the first call
	// secrets holds the credentials' secret parts once retrieved, to keep
	// them out of errors.
	secrets  atomic.Pointer[secret.Redactor]
	region   string
	backoff  llm.Backoff
	endpoint string // for messages: the override or the region
}

var _ llm.Provider = (*Provider)(nil)

// New loads the AWS configuration (awsconfig.Load) and returns a Provider. It makes no
// request; missing credentials show on the first Stream as llm.ErrAuth.
func New(ctx context.Context, o Options) (*Provider, error) {
	if o.Model == "" {
		return nil, errors.New("bedrock: no model: set llm.model to a Bedrock model or inference profile ID")
	}
	o.Timeouts = o.Timeouts.WithDefaults()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: o.Region, Profile: o.Profile, Credentials: o.Credentials})
	if err != nil {
		return nil, fmt.Errorf("bedrock: %w", err)
	}
	endpoint := o.EndpointURL
	if endpoint == "" {
		endpoint = "Bedrock in " + cfg.Region
	}
	configure := func(bo *bedrockruntime.Options) {
		if o.EndpointURL != "" {
			bo.BaseEndpoint = aws.String(o.EndpointURL)
		}
		if o.HTTPClient != nil {
			// Set here, not through config.WithHTTPClient, which fails when
			// AWS_CA_BUNDLE is set and the client is not the SDK's own.
			bo.HTTPClient = o.HTTPClient
		}
		if bo.HTTPClient == nil {
			connect := o.Timeouts.Connect
			bo.HTTPClient = awshttp.NewBuildableClient().
				WithDialerOptions(func(d *net.Dialer) { d.Timeout = connect }).
				WithTransportOptions(func(t *http.Transport) { t.TLSHandshakeTimeout = connect })
		}
		bo.HTTPClient = detachedBody{inner: bo.HTTPClient, from: endpoint}
	}
	newClient := func() *bedrockruntime.Client { return bedrockruntime.NewFromConfig(cfg, configure) }
	return &Provider{
		opts:      o,
		newClient: newClient,
		creds:     cfg.Credentials,
		region:    cfg.Region,
		backoff:   llm.Backoff{Retries: o.MaxRetries, BaseDelay: o.BaseDelay, MaxDelay: o.MaxDelay},
		endpoint:  endpoint,
	}, nil
}

// detachedBody hands the transport its own copy of the request body.
//
// smithy-go closes the request body as soon as Client.Do returns, and its
// closed body answers WriteTo with io.EOF. When the response arrives
// before net/http's writer has made its final read of the body (it reads
// once more for EOF after Content-Length bytes), that io.EOF becomes a
// write error and the transport closes the connection under the event
// stream, which then ends mid-answer. On loopback this happened in about
// one stream in ten; over a network it is rarer but possible. Request
// bodies here are a few kilobytes of JSON, so the copy is cheap.
//
// It also guards every event stream response with a frameGuard.
type detachedBody struct {
	inner bedrockruntime.HTTPClient
	from  string
}

func (c detachedBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		r.ContentLength = int64(len(b))
	}
	resp, err := c.inner.Do(r)
	if err == nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vnd.amazon.eventstream") {
		resp.Body = &frameGuard{ReadCloser: resp.Body, from: c.from, max: maxFrame}
	}
	return resp, err
}

// Name is "bedrock".
func (p *Provider) Name() string { return "bedrock" }

// Model is the default model ID.
func (p *Provider) Model() string { return p.opts.Model }

// Region is the AWS region requests go to.
func (p *Provider) Region() string { return p.region }

// Stream sends req and returns once Bedrock has accepted it, retrying
// throttling on the way. Errors are classified into llm.ErrAuth,
// llm.ErrModel, llm.ErrThrottled and llm.ErrProtocol where they fit.
func (p *Provider) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	in, err := p.input(req)
	if err != nil {
		return nil, err
	}
	if err := p.checkCredentials(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &stream{p: p, ctx: ctx, cancel: cancel, in: in, retrier: p.backoff.Start()}
	s.maxTokens = cmp.Or(req.MaxTokens, p.opts.MaxTokens)
	s.limit = llm.AnswerLimit(s.maxTokens)
	if err := s.connect(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// checkCredentials turns a chain that finds nothing into llm.ErrAuth with
// advice, instead of the SDK's "get identity" error. The SDK caches
// credentials, so this costs nothing after the first call.
func (p *Provider) checkCredentials(ctx context.Context) error {
	bearer := os.Getenv("AWS_BEARER_TOKEN_BEDROCK")
	if bearer != "" {
		p.secrets.Store(secret.New(bearer))
		return nil // a Bedrock API key replaces SigV4 credentials
	}
	if p.creds == nil {
		return fmt.Errorf("%w: bedrock: no AWS credentials configured", llm.ErrAuth)
	}
	creds, err := p.creds.Retrieve(ctx)
	if err == nil {
		p.secrets.Store(secret.New(creds.SecretAccessKey, creds.SessionToken))
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("%w: bedrock: no usable AWS credentials (set AWS_PROFILE, run aws sso login, or set AWS_ACCESS_KEY_ID): %v", llm.ErrAuth, err)
	}
	return nil
}

// input maps req to a ConverseStream request.
func (p *Provider) input(req llm.Request) (*bedrockruntime.ConverseStreamInput, error) {
	in := &bedrockruntime.ConverseStreamInput{ModelId: aws.String(req.Model)}
	if req.Model == "" {
		in.ModelId = aws.String(p.opts.Model)
	}
	if req.System != "" {
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: req.System}}
	}
	for i, m := range req.Messages {
		msg, err := message(m)
		if err != nil {
			return nil, fmt.Errorf("bedrock: message %d: %w", i, err)
		}
		if len(msg.Content) == 0 {
			continue // Bedrock rejects empty turns
		}
		// Bedrock wants roles to alternate; merge a repeated one.
		if n := len(in.Messages); n > 0 && in.Messages[n-1].Role == msg.Role {
			in.Messages[n-1].Content = append(in.Messages[n-1].Content, msg.Content...)
			continue
		}
		in.Messages = append(in.Messages, msg)
	}
	if len(req.Tools) > 0 {
		tc := &types.ToolConfiguration{}
		for _, t := range req.Tools {
			schema, err := decodeJSON(t.Schema, map[string]any{"type": "object", "properties": map[string]any{}})
			if err != nil {
				return nil, fmt.Errorf("bedrock: tool %q schema: %w", t.Name, err)
			}
			spec := types.ToolSpecification{
				Name:        aws.String(t.Name),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)},
			}
			if t.Description != "" {
				spec.Description = aws.String(t.Description)
			}
			tc.Tools = append(tc.Tools, &types.ToolMemberToolSpec{Value: spec})
		}
		in.ToolConfig = tc
	}
	maxTokens := req.MaxTokens
	if maxTokens == 0 {
		maxTokens = p.opts.MaxTokens
	}
	if maxTokens > 0 || req.Temperature != nil || len(req.Stop) > 0 {
		ic := &types.InferenceConfiguration{StopSequences: req.Stop}
		if maxTokens > 0 {
			ic.MaxTokens = aws.Int32(int32(min(maxTokens, 1<<31-1)))
		}
		if req.Temperature != nil {
			ic.Temperature = aws.Float32(float32(*req.Temperature))
		}
		in.InferenceConfig = ic
	}
	return in, nil
}

// message maps one turn; empty text parts are dropped, as Bedrock rejects
// blank text blocks.
func message(m llm.Message) (types.Message, error) {
	var out types.Message
	switch m.Role {
	case llm.RoleUser:
		out.Role = types.ConversationRoleUser
	case llm.RoleAssistant:
		out.Role = types.ConversationRoleAssistant
	default:
		return out, fmt.Errorf("unknown role %q", m.Role)
	}
	for _, part := range m.Parts {
		switch {
		case part.ToolUse != nil:
			input, err := decodeJSON(part.ToolUse.Input, map[string]any{})
			if err != nil {
				return out, fmt.Errorf("tool use %q input: %w", part.ToolUse.ID, err)
			}
			out.Content = append(out.Content, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
				ToolUseId: aws.String(part.ToolUse.ID),
				Name:      aws.String(part.ToolUse.Name),
				Input:     document.NewLazyDocument(input),
			}})
		case part.ToolResult != nil:
			r := types.ToolResultBlock{
				ToolUseId: aws.String(part.ToolResult.ToolUseID),
				Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: part.ToolResult.Content}},
			}
			if part.ToolResult.IsError {
				r.Status = types.ToolResultStatusError
			}
			out.Content = append(out.Content, &types.ContentBlockMemberToolResult{Value: r})
		case strings.TrimSpace(part.Text) != "":
			out.Content = append(out.Content, &types.ContentBlockMemberText{Value: part.Text})
		}
	}
	return out, nil
}

// decodeJSON parses raw for a lazy document; empty or null gives def.
func decodeJSON(raw json.RawMessage, def any) (any, error) {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return def, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}
