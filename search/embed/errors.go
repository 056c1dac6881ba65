package embed

import (
	"errors"
	"fmt"
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
)

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
	// Kind is ErrAuth, ErrModelNotFound or nil; errors.Is matches it.
	Kind error
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
