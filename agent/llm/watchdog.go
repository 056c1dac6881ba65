package llm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrTimeout is a provider that went quiet: no answer, or no more of it,
// within the timeouts. Text streamed before it stays with the caller.
var ErrTimeout = errors.New("the provider stopped sending")

// Timeouts bound how long a streamed request waits on the server. Zero
// fields take the defaults noted; negative ones turn that limit off.
type Timeouts struct {
	// Connect bounds opening the connection, TLS included (default 10s).
	Connect time.Duration
	// FirstByte bounds the wait from sending the request to the first
	// event of the answer: the time the model takes to read the prompt
	// (default 120s).
	FirstByte time.Duration
	// Idle bounds the silence between two events once the answer has
	// started (default 30s). Keep-alive comments count as data.
	Idle time.Duration
}

// Default timeouts.
const (
	DefaultConnectTimeout   = 10 * time.Second
	DefaultFirstByteTimeout = 120 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
)

// WithDefaults resolves zero fields; negative ones become 0 (no limit).
func (t Timeouts) WithDefaults() Timeouts {
	pick := func(v, def time.Duration) time.Duration {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0
		}
		return v
	}
	return Timeouts{
		Connect:   pick(t.Connect, DefaultConnectTimeout),
		FirstByte: pick(t.FirstByte, DefaultFirstByteTimeout),
		Idle:      pick(t.Idle, DefaultIdleTimeout),
	}
}

// StallError says which wait ran out. It matches ErrTimeout.
type StallError struct {
	// From names the server (its base URL, or "Bedrock in us-east-1").
	From string
	// After is the limit that ran out; Setting names it
	// ("llm.idle_timeout_seconds").
	After   time.Duration
	Setting string
	// Started is false when nothing of the answer had arrived.
	Started bool
}

func (e *StallError) Error() string {
	what := "the answer to start"
	if e.Started {
		what = "the rest of the answer"
	}
	return fmt.Sprintf("no data from %s for %s while waiting for %s (raise %s if the model is this slow)",
		e.From, e.After, what, e.Setting)
}

func (e *StallError) Is(target error) bool { return target == ErrTimeout }

// Watchdog cancels one streamed request when its server goes quiet: first
// for FirstByte until the answer's first event, then for Idle between
// events. It measures only time spent waiting on the server: a caller
// holding an event (Pause) is not counted against it.
type Watchdog struct {
	from   string
	t      Timeouts
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	timer   *time.Timer
	started bool // an event arrived: Idle applies
	stopped bool
	fired   *StallError
}

// NewWatchdog returns a context for the request, cancelled with a
// *StallError when the server stays quiet too long, and the watchdog
// itself, already counting FirstByte. from names the server in the
// error. Stop it when the request ends.
func NewWatchdog(ctx context.Context, from string, t Timeouts) (context.Context, *Watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &Watchdog{from: from, t: t.WithDefaults(), cancel: cancel}
	w.arm()
	return ctx, w
}

// arm starts the timer for the current phase; the lock is held or the
// watchdog is not yet shared.
func (w *Watchdog) arm() {
	d, setting := w.t.FirstByte, "llm.first_byte_timeout_seconds"
	if w.started {
		d, setting = w.t.Idle, "llm.idle_timeout_seconds"
	}
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if d <= 0 || w.fired != nil || w.stopped {
		return
	}
	started := w.started
	w.timer = time.AfterFunc(d, func() {
		w.mu.Lock()
		if w.fired == nil {
			w.fired = &StallError{From: w.from, After: d, Setting: setting, Started: started}
		}
		err := w.fired
		w.mu.Unlock()
		w.cancel(err)
	})
}

// Data says some bytes arrived (a keep-alive counts): the wait restarts.
func (w *Watchdog) Data() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil && w.fired == nil {
		w.arm()
	}
}

// Event says the answer has begun: from now on Idle applies.
func (w *Watchdog) Event() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		w.started = true
		w.arm()
	}
}

// Pause stops counting while the caller holds an event; Resume restarts
// the wait from zero.
func (w *Watchdog) Pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// Resume restarts the wait after Pause.
func (w *Watchdog) Resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.arm()
}

// Err is the *StallError if the watchdog fired, else nil.
func (w *Watchdog) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired == nil {
		return nil
	}
	return w.fired
}

// Stop ends the watchdog and releases its context.
func (w *Watchdog) Stop() {
	w.mu.Lock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
	w.cancel(context.Canceled)
}

// ErrTooLarge is a response past the client's own limits: one event
// larger than a protocol allows, or an answer far longer than max_tokens.
// Text streamed before it stays with the caller.
var ErrTooLarge = errors.New("the provider sent more than the limits allow")

// Answer size limits, in bytes of text and tool input.
const (
	// bytesPerToken is generous: English runs about 4 bytes a token, and
	// few tokens pass 16 even in scripts of 3-byte characters.
	bytesPerToken = 16
	// minAnswerLimit keeps a small max_tokens from cutting short a
	// tokenizer that counts differently.
	minAnswerLimit = 64 << 10
	// DefaultAnswerLimit applies when max_tokens is unset.
	DefaultAnswerLimit = 16 << 20
)

// AnswerLimit is the most answer text and tool input one call may stream
// for a max_tokens of maxTokens (0: unset): roughly that many tokens'
// worth, so a server that ignores max_tokens, or never stops, cannot fill
// memory.
func AnswerLimit(maxTokens int) int {
	if maxTokens <= 0 {
		return DefaultAnswerLimit
	}
	return max(minAnswerLimit, min(maxTokens, DefaultAnswerLimit)*bytesPerToken)
}

// LimitError reports an answer past AnswerLimit. It matches ErrTooLarge.
type LimitError struct {
	// From names the server; Limit is the bound in bytes and MaxTokens
	// the max_tokens it came from (0: unset).
	From      string
	Limit     int
	MaxTokens int
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%s sent more than %d KiB of answer", e.From, e.Limit>>10)
	if e.MaxTokens > 0 {
		s += fmt.Sprintf(", far more than max_tokens (%d) allows; it was stopped there", e.MaxTokens)
	} else {
		s += "; it was stopped there (set llm.max_tokens)"
	}
	return s
}

func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }
