package bedrockkb

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// APIError is an exception the service returned.
type APIError struct {
	Code    string // "ThrottlingException"
	Message string
	Status  int
	// hint says what to do about it, for people.
	hint string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("bedrock-kb: %s (HTTP %d)", e.Code, e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.hint != "" {
		msg += "; " + e.hint
	}
	return msg
}

// Transient: throttling and server faults may pass (backoff.Transient).
func (e *APIError) Transient() (bool, time.Duration, string) {
	switch e.Code {
	case "ThrottlingException", "ServiceQuotaExceededException", "InternalServerException",
		"BadGatewayException", "DependencyFailedException", "ServiceUnavailableException":
		return true, 0, e.Code
	}
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, 0, fmt.Sprintf("HTTP %d", e.Status)
	}
	return false, 0, ""
}

// ErrAccessDenied marks refusals of the credentials, which no retry
// mends.
var ErrAccessDenied = errors.New("access denied")

// classify turns an SDK error into an APIError with advice; other errors
// (the connection, the context) pass through.
func (e *Engine) classify(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			return &APIError{Code: "HTTP error", Status: re.HTTPStatusCode(), Message: "an answer that is not the service's (a proxy?)"}
		}
		return fmt.Errorf("bedrock-kb: calling %s: %w", e.Describe(), err)
	}
	x := &APIError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		x.Status = re.HTTPStatusCode()
	}
	switch x.Code {
	case "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException", "InvalidSignatureException":
		x.hint = fmt.Sprintf("the AWS credentials in use may not call bedrock:Retrieve on %s (check the role's policy, AWS_PROFILE, or that the SSO session is fresh)", e.Describe())
		return fmt.Errorf("%w: %w", ErrAccessDenied, x)
	case "ResourceNotFoundException":
		x.hint = fmt.Sprintf("is [engine] knowledge_base_id (%s) right, and is it in region %s ([engine] region)?", e.o.KnowledgeBaseID, e.o.Region)
	case "ValidationException":
		x.hint = "the knowledge base refused the request as sent"
	}
	return x
}
