package embed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quire-research/quire/search/backoff"
)

// BatchOptions tunes NewBatcher. Zero fields take the defaults noted.
type BatchOptions struct {
	// BatchSize is the number of texts per call to the inner embedder
	// (default 64).
	BatchSize int
	// Concurrency is the number of inner calls in flight (default 1).
	Concurrency int
	// Retries is how many times one batch is retried after ErrThrottled
	// or ErrUnavailable (default 6; negative for none). Each retry is
	// reported to the context's backoff.WithNotify listener.
	Retries int
	// BaseDelay is the first backoff ceiling (default 500ms); each retry
	// doubles it, up to MaxDelay (default 30s). The wait is drawn uniformly
	// from [0, ceiling] ("full jitter"), but never shorter than a
	// Retry-After the server sent.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 64
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	switch {
	case o.Retries == 0:
		o.Retries = 6
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.MaxDelay < o.BaseDelay {
		o.MaxDelay = o.BaseDelay
	}
	return o
}

// Batcher splits a call into batches, runs a bounded number of them at
// once and retries the ones the service throttled or failed on its side. Results keep the
// order of the input. It is safe for concurrent use; the limit applies
// per call to Embed.
type Batcher struct {
	inner Embedder
	opts  BatchOptions
	sleep func(context.Context, time.Duration) error // nil sleeps; replaced in tests
}

// NewBatcher wraps e. Batching does not change vectors, so the Batcher
// keeps e's Name.
func NewBatcher(e Embedder, o BatchOptions) *Batcher {
	return &Batcher{inner: e, opts: o.withDefaults()}
}

func (b *Batcher) Name() string { return b.inner.Name() }
func (b *Batcher) Dim() int     { return b.inner.Dim() }

// Unwrap returns the wrapped embedder.
func (b *Batcher) Unwrap() Embedder { return b.inner }

type batchResult struct {
	start int
	vecs  [][]float32
	err   error
}

// Embed embeds texts in batches. The first failure cancels the batches
// still running and is returned; a cancelled ctx returns at once, without
// waiting for inner calls that ignore it.
func (b *Batcher) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	size := b.opts.BatchSize
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	n := (len(texts) + size - 1) / size
	results := make(chan batchResult, n) // buffered: workers never block, so none leaks
	sem := make(chan struct{}, b.opts.Concurrency)
	out := make([][]float32, len(texts))
	launched, done := 0, 0
	for done < n {
		// Start batches while there is room, then wait for one to end.
		var semc chan struct{}
		if launched < n {
			semc = sem
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case semc <- struct{}{}:
			start := launched * size
			end := min(start+size, len(texts))
			launched++
			go func() {
				defer func() { <-sem }()
				vecs, err := b.embedBatch(ctx, texts[start:end], kind)
				results <- batchResult{start, vecs, offsetIndex(err, start)}
			}()
		case r := <-results:
			done++
			if r.err != nil {
				return nil, r.err
			}
			copy(out[r.start:], r.vecs)
		}
	}
	return out, nil
}

// embedBatch makes one inner call, retrying while it is throttled or
// the server fails on its side (backoff.Policy, shared with agent/llm).
// Ingestion is batch work, so any Retry-After is honoured.
func (b *Batcher) embedBatch(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	policy := backoff.Policy{
		Retries:       b.opts.Retries,
		BaseDelay:     b.opts.BaseDelay,
		MaxDelay:      b.opts.MaxDelay,
		MaxRetryAfter: -1,
		Retryable:     func(err error) bool { return errors.Is(err, ErrThrottled) || errors.Is(err, ErrUnavailable) },
		Sleep:         b.sleep,
	}
	if b.opts.Retries == 0 {
		policy.Retries = -1 // withDefaults made 0 mean none
	}
	var vecs [][]float32
	err := backoff.Retry(ctx, policy, func(ctx context.Context) error {
		var err error
		vecs, err = b.inner.Embed(ctx, texts, kind)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return err
		}
		if len(vecs) != len(texts) {
			return fmt.Errorf("%s returned %d vectors for %d texts", b.inner.Name(), len(vecs), len(texts))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vecs, nil
}

// ThrottleError is a throttled request, possibly with the pause the
// service asked for. It matches ErrThrottled with errors.Is.
type ThrottleError struct {
	// Service names who throttled ("openai server at localhost:11434").
	Service string
	// RetryAfter is the server's Retry-After, zero when it sent none.
	RetryAfter time.Duration
	// Message is the service's own explanation, if any.
	Message string
	// Status is the HTTP status, when there was one.
	Status int
}

func (e *ThrottleError) Error() string {
	s := e.Service + " is throttling requests"
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

func (e *ThrottleError) Unwrap() error { return ErrThrottled }

// Transient makes the error retryable by backoff.
func (e *ThrottleError) Transient() (bool, time.Duration, string) {
	if e.Status != 0 {
		return true, e.RetryAfter, fmt.Sprintf("HTTP %d", e.Status)
	}
	return true, e.RetryAfter, "throttled"
}
