package bedrock

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quire-research/quire/agent/llm"
)

// APIError is an exception Bedrock returned, in the HTTP response or as
// an exception frame in the event stream. Errors from Stream and Next wrap
// it together with the llm class it falls in.
type APIError struct {
	// Code is the exception name ("ThrottlingException").
	Code string
	// Message is Bedrock's explanation.
	Message string
	// Status is the HTTP status; 0 for an exception inside the stream.
	Status int
	// RequestID identifies the call to AWS support; may be empty.
	RequestID string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("bedrock: ")
	b.WriteString(e.Code)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	} else {
		b.WriteString(" in the stream")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// classify wraps an SDK error in the llm class it belongs to. inStream
// says the error came from reading the event stream, where anything that
// is neither an exception nor the connection is a malformed frame.
func (p *Provider) classify(err error, inStream bool) error {
	if errors.Is(err, llm.ErrTooLarge) {
		return fmt.Errorf("bedrock: %w", err) // a frameGuard's verdict
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e := &APIError{Code: ae.ErrorCode(), Message: p.secrets.Load().String(ae.ErrorMessage())}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			e.Status = re.HTTPStatusCode()
		}
		var rid interface{ ServiceRequestID() string }
		if errors.As(err, &rid) {
			e.RequestID = rid.ServiceRequestID()
		}
		return classifyAPI(e)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		// A body that is not Bedrock's (a proxy's HTML page): the status
		// still says whether waiting may help.
		switch st := re.HTTPStatusCode(); st {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return &llm.ThrottleError{Err: fmt.Errorf("bedrock: %s answered HTTP %d", p.endpoint, st), Reason: fmt.Sprintf("HTTP %d", st)}
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return &llm.ServerError{Err: fmt.Errorf("bedrock: %s answered HTTP %d", p.endpoint, st), Reason: fmt.Sprintf("HTTP %d", st)}
		}
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return fmt.Errorf("bedrock: the connection to %s broke: %w", p.endpoint, err)
	case inStream:
		// A bad CRC, a truncated prelude, an unknown message type, an event
		// whose JSON does not fit its shape.
		return fmt.Errorf("%w: bedrock: reading the event stream from %s: %w", llm.ErrProtocol, p.endpoint, err)
	default:
		return fmt.Errorf("bedrock: calling %s: %w", p.endpoint, p.secrets.Load().Error(err))
	}
}

// classifyAPI maps Bedrock's exception names; codes are compared without
// case because event stream frames spell them in lower camel case
// ("throttlingException").
func classifyAPI(e *APIError) error {
	msg := strings.ToLower(e.Message)
	switch strings.ToLower(e.Code) {
	case "throttlingexception", "serviceunavailableexception", "modelnotreadyexception", "toomanyrequestsexception":
		return &llm.ThrottleError{Err: e, Reason: e.Code}
	case "servicequotaexceededexception":
		// A rate quota passes with a pause; a daily or account one does not.
		if strings.Contains(msg, "too many") || strings.Contains(msg, "per minute") {
			return &llm.ThrottleError{Err: e, Reason: e.Code}
		}
	case "internalserverexception", "modeltimeoutexception":
		return &llm.ServerError{Err: e, Reason: e.Code}
	case "accessdeniedexception":
		if strings.Contains(msg, "access to the model") || strings.Contains(msg, "model access") {
			return fmt.Errorf("%w: %w", llm.ErrModel, e) // model access not granted in the console
		}
		return fmt.Errorf("%w: %w", llm.ErrAuth, e)
	case "unrecognizedclientexception", "invalidsignatureexception", "expiredtokenexception",
		"incompletesignatureexception", "missingauthenticationtokenexception",
		"invalidclienttokenid", "signaturedoesnotmatch":
		return fmt.Errorf("%w: %w", llm.ErrAuth, e)
	case "resourcenotfoundexception":
		return fmt.Errorf("%w: %w", llm.ErrModel, e)
	case "validationexception":
		if strings.Contains(msg, "model identifier") || strings.Contains(msg, "model id") ||
			strings.Contains(msg, "on-demand throughput") || strings.Contains(msg, "inference profile") {
			return fmt.Errorf("%w: %w", llm.ErrModel, e)
		}
	}
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return &llm.ThrottleError{Err: e, Reason: fmt.Sprintf("HTTP %d", e.Status)}
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		// A fault on AWS's side or a proxy's: often gone a moment later.
		return &llm.ServerError{Err: e, Reason: fmt.Sprintf("HTTP %d", e.Status)}
	}
	return e
}

// trim shortens text quoted in an error.
func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
