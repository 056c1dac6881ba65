package bedrock

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/quire-research/quire/agent/llm"
)

// stream reads one ConverseStream response. Next, Current and Err belong
// to one goroutine; Close may be called from any.
type stream struct {
	p       *Provider
	ctx     context.Context
	cancel  context.CancelFunc
	in      *bedrockruntime.ConverseStreamInput
	retrier *llm.Retrier

	mu     sync.Mutex // guards es against Close
	es     *bedrockruntime.ConverseStreamEventStream
	closed bool

	wd     *llm.Watchdog // the current connection's; cancels it when Bedrock goes quiet
	paused bool          // the caller holds an event: the watchdog is not counting

	events    <-chan types.ConverseStreamOutput
	pending   []llm.Event
	cur       llm.Event
	err       error
	eof       bool
	delivered bool // an event reached the caller: no more retries

	// The answer's size so far (text and tool input), its limit and the
	// max_tokens it came from.
	answered, limit, maxTokens int

	// Per-connection state.
	stopped bool // messageStop arrived
	tools   map[int32]*toolUseBuffer
	count   int // events read on this connection
}

type toolUseBuffer struct {
	id, name string
	input    strings.Builder
}

// connect calls ConverseStream, retrying throttling and server faults. A
// Bedrock that does not answer within the first-byte timeout is not
// retried: the person has waited long enough.
func (s *stream) connect() error {
	for {
		ctx, wd := llm.NewWatchdog(s.ctx, s.p.endpoint, s.p.opts.Timeouts)
		out, err := s.p.newClient().ConverseStream(ctx, s.in)
		if stall := wd.Err(); stall != nil {
			if err == nil {
				out.GetStream().Close()
			}
			wd.Stop()
			return fmt.Errorf("bedrock: %w", stall)
		}
		if err == nil {
			es := out.GetStream()
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed {
				es.Close()
				wd.Stop()
				return context.Canceled
			}
			s.es, s.events = es, es.Events()
			s.wd, s.paused = wd, false
			s.stopped, s.tools, s.count = false, nil, 0
			return nil
		}
		wd.Stop()
		if ctxErr := s.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err = s.retrier.Wait(s.ctx, s.p.classify(err, false)); err != nil {
			return err
		}
	}
}

func (s *stream) Next() bool {
	if s.paused && s.wd != nil {
		s.wd.Resume()
		s.paused = false
	}
	for s.err == nil {
		if len(s.pending) > 0 {
			s.cur = s.pending[0]
			s.pending = s.pending[1:]
			s.delivered = true
			if s.wd != nil {
				s.wd.Event()
				s.wd.Pause()
				s.paused = true
			}
			return true
		}
		if s.eof {
			break
		}
		var err error
		select {
		case ev, ok := <-s.events:
			if ok {
				s.count++
				if s.wd != nil {
					s.wd.Data()
				}
				err = s.handle(ev)
			} else {
				err = s.ended()
			}
		case <-s.ctx.Done():
			err = s.ctx.Err()
		}
		if err == nil {
			continue
		}
		if ctxErr := s.ctx.Err(); ctxErr != nil {
			err = ctxErr
		} else if s.wd != nil && s.wd.Err() != nil {
			err = fmt.Errorf("bedrock: %w", s.wd.Err())
		} else if !s.delivered && llm.Transient(err) {
			// Nothing reached the caller yet, so starting over is invisible.
			s.closeStream(false)
			if err = s.retrier.Wait(s.ctx, err); err == nil {
				if err = s.connect(); err == nil {
					continue
				}
			}
		}
		s.err = err
	}
	s.closeStream(false)
	s.cancel()
	return false
}

func (s *stream) Current() llm.Event { return s.cur }
func (s *stream) Err() error         { return s.err }

// Close aborts the request at once; a Next waiting for an event returns
// false with context.Canceled.
func (s *stream) Close() error {
	s.cancel()
	s.closeStream(true)
	return nil
}

func (s *stream) closeStream(final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if final {
		s.closed = true
	}
	if s.es != nil {
		s.es.Close()
		s.es = nil
	}
	if s.wd != nil {
		s.wd.Stop()
	}
}

// ended handles the event channel closing: a clean end after messageStop,
// or an error. The SDK reports a connection cut between frames, or inside
// one, as a clean end of stream, so a missing messageStop is the sign.
func (s *stream) ended() error {
	s.mu.Lock()
	es := s.es
	s.mu.Unlock()
	var err error
	if es != nil {
		err = es.Err()
	}
	if err != nil {
		return s.p.classify(err, true)
	}
	if !s.stopped {
		return fmt.Errorf("bedrock: the stream from %s ended after %d events, before messageStop: %w", s.p.endpoint, s.count, io.ErrUnexpectedEOF)
	}
	s.eof = true
	return nil
}

// handle maps one stream event.
func (s *stream) handle(ev types.ConverseStreamOutput) error {
	switch v := ev.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		// Only says the role is assistant.
	case *types.ConverseStreamOutputMemberContentBlockStart:
		if tu, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
			if s.tools == nil {
				s.tools = map[int32]*toolUseBuffer{}
			}
			s.tools[aws.ToInt32(v.Value.ContentBlockIndex)] = &toolUseBuffer{id: aws.ToString(tu.Value.ToolUseId), name: aws.ToString(tu.Value.Name)}
		}
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := v.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			if err := s.grow(len(d.Value)); err != nil {
				return err
			}
			if d.Value != "" {
				s.pending = append(s.pending, llm.Event{Kind: llm.EventText, Text: d.Value})
			}
		case *types.ContentBlockDeltaMemberToolUse:
			b := s.tools[aws.ToInt32(v.Value.ContentBlockIndex)]
			if b == nil {
				return fmt.Errorf("%w: bedrock: tool input for block %d, which no contentBlockStart opened", llm.ErrProtocol, aws.ToInt32(v.Value.ContentBlockIndex))
			}
			if err := s.grow(len(aws.ToString(d.Value.Input))); err != nil {
				return err
			}
			b.input.WriteString(aws.ToString(d.Value.Input))
		}
		// Reasoning, citations and images are not shown by Quire.
	case *types.ConverseStreamOutputMemberContentBlockStop:
		idx := aws.ToInt32(v.Value.ContentBlockIndex)
		if b := s.tools[idx]; b != nil {
			delete(s.tools, idx)
			return s.emitToolUse(b)
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		// Blocks the model never closed are still delivered.
		keys := make([]int32, 0, len(s.tools))
		for k := range s.tools {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := s.emitToolUse(s.tools[k]); err != nil {
				return err
			}
		}
		s.tools = nil
		s.stopped = true
		s.pending = append(s.pending, llm.Event{Kind: llm.EventStop, StopReason: stopReason(v.Value.StopReason)})
	case *types.ConverseStreamOutputMemberMetadata:
		if u := v.Value.Usage; u != nil {
			s.pending = append(s.pending, llm.Event{Kind: llm.EventUsage, Usage: llm.Usage{
				InputTokens: int(aws.ToInt32(u.InputTokens)), OutputTokens: int(aws.ToInt32(u.OutputTokens)),
			}})
		}
	}
	// types.UnknownUnionMember: an event newer than this SDK; skip it.
	return nil
}

// grow counts n more bytes of answer against the limit.
func (s *stream) grow(n int) error {
	s.answered += n
	if s.answered > s.limit {
		return fmt.Errorf("bedrock: %w", &llm.LimitError{From: s.p.endpoint, Limit: s.limit, MaxTokens: s.maxTokens})
	}
	return nil
}

func (s *stream) emitToolUse(b *toolUseBuffer) error {
	input := strings.TrimSpace(b.input.String())
	if input == "" {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		return fmt.Errorf("%w: bedrock: tool use %q input is not JSON: %q", llm.ErrProtocol, b.name, trim(input))
	}
	s.pending = append(s.pending, llm.Event{Kind: llm.EventToolUse, ToolUse: &llm.ToolUse{ID: b.id, Name: b.name, Input: json.RawMessage(input)}})
	return nil
}

// stopReason normalises Bedrock's stop reasons; ones llm has no name for
// pass through.
func stopReason(r types.StopReason) llm.StopReason {
	switch r {
	case types.StopReasonEndTurn:
		return llm.StopEnd
	case types.StopReasonToolUse:
		return llm.StopToolUse
	case types.StopReasonMaxTokens, types.StopReasonModelContextWindowExceeded:
		return llm.StopMaxTokens
	case types.StopReasonStopSequence:
		return llm.StopSequence
	case types.StopReasonContentFiltered, types.StopReasonGuardrailIntervened:
		return llm.StopFiltered
	default:
		return llm.StopReason(r)
	}
}
