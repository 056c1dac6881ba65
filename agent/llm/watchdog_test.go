package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWatchdogPhases(t *testing.T) {
	t.Parallel()
	ctx, wd := NewWatchdog(context.Background(), "http://srv/v1", Timeouts{FirstByte: 60 * time.Millisecond, Idle: 60 * time.Millisecond})
	defer wd.Stop()
	// Data keeps it alive past the first-byte timeout.
	for range 4 {
		time.Sleep(30 * time.Millisecond)
		wd.Data()
	}
	if ctx.Err() != nil {
		t.Fatal("fired although data kept arriving")
	}
	wd.Event()
	wd.Pause() // the caller holds the event for longer than Idle
	time.Sleep(150 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatal("fired while paused")
	}
	wd.Resume()
	<-ctx.Done()
	err := context.Cause(ctx)
	if !errors.Is(err, ErrTimeout) || !errors.Is(wd.Err(), ErrTimeout) || !strings.Contains(err.Error(), "no data from http://srv/v1 for 60ms while waiting for the rest of the answer") {
		t.Fatalf("cause %v", err)
	}
}

func TestWatchdogOff(t *testing.T) {
	t.Parallel()
	ctx, wd := NewWatchdog(context.Background(), "x", Timeouts{FirstByte: -1, Idle: -1})
	time.Sleep(30 * time.Millisecond)
	if ctx.Err() != nil || wd.Err() != nil {
		t.Fatal("a watchdog with its bounds off fired")
	}
	wd.Stop()
	if wd.Err() != nil {
		t.Error("Stop is not a stall")
	}
	if d := (Timeouts{}).WithDefaults(); d.Connect != DefaultConnectTimeout || d.FirstByte != DefaultFirstByteTimeout || d.Idle != DefaultIdleTimeout {
		t.Errorf("defaults %+v", d)
	}
}

func TestAnswerLimit(t *testing.T) {
	t.Parallel()
	if AnswerLimit(0) != DefaultAnswerLimit || AnswerLimit(10) != minAnswerLimit || AnswerLimit(100_000) != 100_000*bytesPerToken {
		t.Errorf("AnswerLimit: %d %d %d", AnswerLimit(0), AnswerLimit(10), AnswerLimit(100_000))
	}
}
