package embed

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

var (
	// ErrLocal is New's answer for provider "local": that embedder is
	// trained on the corpus and built by its own package, not here.
	ErrLocal = errors.New(`embed provider "local" is built by the local package`)
	// ErrAuth marks a service that refused the credentials (HTTP 401/403,
	// AccessDeniedException). Retrying will not help.
	ErrAuth = errors.New("the embedding service refused the credentials")
	// ErrModelNotFound marks a service that does not know the model.
	ErrModelNotFound = errors.New("the embedding service does not know the model")
	// ErrUnavailable marks a fault on the service's side that may pass
	// (HTTP 500, 502, 504); a Batcher retries it with backoff.
	ErrUnavailable = errors.New("the embedding service failed on its side")
)

// ZeroVectorError is an embedding service returning an all-zero (or
// non-finite) vector: it has no direction, so it would match nothing, or
// everything, and is never stored.
type ZeroVectorError struct {
	// Service names the service; Index is the input's position in the
	// texts given to Embed.
	Service string
	Index   int
}

func (e *ZeroVectorError) Error() string {
	return fmt.Sprintf("%s returned an all-zero or non-finite vector for input %d; it was not stored (is the text empty after the server's truncation, or the model broken?)", e.Service, e.Index)
}

// offsetIndex shifts the input index of a ZeroVectorError in err by
// start, for a caller that sent texts[start:].
func offsetIndex(err error, start int) error {
	var zv *ZeroVectorError
	if start == 0 || !errors.As(err, &zv) {
		return err
	}
	return &ZeroVectorError{Service: zv.Service, Index: zv.Index + start}
}

// ServiceError is a request the embedding service rejected. It never
// holds an API key: messages are scrubbed of the key before they are kept.
type ServiceError struct {
	// Service names the service ("openai server at localhost:11434").
	Service string
	// Status is the HTTP status, Code the service's error code if any.
	Status int
	Code   string
	// Message is the service's own explanation.
	Message string
	// Hint is a sentence for people on what to do.
	Hint string
	// Kind is ErrAuth, ErrModelNotFound, ErrUnavailable or nil;
	// errors.Is matches it.
	Kind error
	// RetryAfter is the pause the service asked for, if any.
	RetryAfter time.Duration
}

func (e *ServiceError) Error() string {
	s := e.Service
	switch {
	case e.Code != "" && e.Status != 0:
		s += fmt.Sprintf(" rejected the request (HTTP %d, %s)", e.Status, e.Code)
	case e.Code != "":
		s += " rejected the request (" + e.Code + ")"
	default:
		s += fmt.Sprintf(" rejected the request (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *ServiceError) Unwrap() error { return e.Kind }

// Transient makes server faults (Kind ErrUnavailable) retryable by
// backoff.
func (e *ServiceError) Transient() (bool, time.Duration, string) {
	if e.Kind != ErrUnavailable {
		return false, 0, ""
	}
	if e.Code != "" {
		return true, e.RetryAfter, e.Code
	}
	return true, e.RetryAfter, fmt.Sprintf("HTTP %d", e.Status)
}

// unavailable says whether an HTTP status is a server fault worth a retry.
func unavailable(status int) bool {
	return status == http.StatusInternalServerError || status == http.StatusBadGateway || status == http.StatusGatewayTimeout
}
