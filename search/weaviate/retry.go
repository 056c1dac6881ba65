package weaviate

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quire-research/quire/search/backoff"
)

// writePolicy retries cluster calls through a node restart: a killed node
// is noticed by the others within seconds (gossip), and QUORUM writes pass
// again once it is marked down or back.
var writePolicy = backoff.Policy{
	Retries:       8,
	BaseDelay:     250 * time.Millisecond,
	MaxDelay:      5 * time.Second,
	MaxRetryAfter: -1,
}

// retry runs op with writePolicy; what names the call in the error.
func retry(ctx context.Context, what string, op func(context.Context) error) error {
	return backoff.Retry(ctx, writePolicy, func(ctx context.Context) error {
		err := op(ctx)
		if err != nil && transient(err) {
			return &transientErr{what: what, err: err}
		}
		return err
	})
}

// transientErr marks an error retry may cure, with a reason for the
// retry notices backoff sends to the context's listener.
type transientErr struct {
	what string
	err  error
}

func (t *transientErr) Error() string { return t.what + ": " + t.err.Error() }
func (t *transientErr) Unwrap() error { return t.err }
func (t *transientErr) Transient() (bool, time.Duration, string) {
	return true, 0, "weaviate: " + short(t.err.Error())
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// transient reports whether err may pass when tried again: a node down or
// restarting, a lost connection, a consistency level that cannot be met
// for now, HTTP 5xx or 429.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if s, ok := status.FromError(unwrapAll(err)); ok && s.Code() != codes.OK {
		switch s.Code() {
		case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.Internal, codes.Unknown, codes.DeadlineExceeded:
			return transientText(s.Message()) || s.Code() != codes.Unknown
		}
		return false
	}
	var we *fault.WeaviateClientError
	if errors.As(err, &we) {
		if we.StatusCode == 429 || we.StatusCode >= 500 {
			return true
		}
		// No status at all (the client reports 0 or -1): the request
		// failed on its way, as when a killed node never answers.
		if we.StatusCode <= 0 && we.DerivedFromError != nil {
			return transient(we.DerivedFromError) || transientText(we.Msg)
		}
		return transientText(we.Msg)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	return transientText(err.Error())
}

// transientText recognises Weaviate's messages for replicas that are down
// or cannot answer yet.
func transientText(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range []string{
		"consistency level", "connection refused", "connection reset", "broken pipe",
		"unavailable", "no such host", "eof", "timeout", "timed out", "broadcast",
		"replica", "not ready", "leader", "shard", "503", "502", "500",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// unwrapAll finds the innermost error of a chain of single wrappers, where
// a gRPC status hides behind fmt.Errorf.
func unwrapAll(err error) error {
	for {
		if _, ok := status.FromError(err); ok {
			return err
		}
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
