package cli

import (
	"context"
	"errors"
	"time"

	"github.com/quire-research/quire/ui/progress"
)

// step is one report of long work, for a screen that draws its own
// progress (the app's first-run screen builds the demo through it).
type step struct {
	Phase string // what is being done: "ingest synthetic-20000.jsonl.gz", "learn embedder 2/4: tokenise"
	Unit  string // what Count counts ("papers"); "" when the phase counts nothing
	Done  int64  // of Total; Total ≤ 0 when unknown
	Total int64
	Count int64
	Note  string // e.g. "3 skipped"
	End   bool   // the phase is over: finished, or failed with Err
	Err   error
}

// bar is what long work reports to: a progress.Reporter drawing on
// stderr, or a stepBar feeding the app.
type bar interface {
	Update(done, count int64)
	SetNote(note string)
	Println(msg string)
	Finish()
	Fail(err error)
	FailFinal(err error)
	Abort()
	Discard()
}

// newBar starts the progress of one phase. A unit of "" means the phase
// counts nothing: the display is a spinner with the elapsed time. Every
// bar keeps itself alive, so a phase that goes quiet still shows time
// passing (and logs get a line each interval) instead of a frozen figure.
func (e *env) newBar(label string, total int64, unit string, opts ...progress.Option) bar {
	if e.steps != nil {
		return &stepBar{report: e.steps, s: step{Phase: label, Unit: unit, Total: total}}
	}
	if unit == "" {
		opts = append(opts, progress.WithoutCount())
	}
	r := progress.New(e.stderr, label, total, unit, opts...)
	r.KeepAlive()
	return r
}

// stepBar turns bar calls into steps.
type stepBar struct {
	report func(step)
	s      step
	ended  bool
}

func (b *stepBar) Update(done, count int64) {
	if !b.ended {
		b.s.Done, b.s.Count = done, count
		b.report(b.s)
	}
}
func (b *stepBar) SetNote(note string) { b.s.Note = note }
func (b *stepBar) Println(string)      {}
func (b *stepBar) Finish()             { b.end(nil) }
func (b *stepBar) Abort()              { b.end(context.Canceled) }
func (b *stepBar) Discard()            { b.end(nil) }
func (b *stepBar) FailFinal(err error) { b.Fail(err) }

func (b *stepBar) Fail(err error) {
	if err == nil {
		err = errors.New("failed")
	}
	b.end(err)
}

func (b *stepBar) end(err error) {
	if b.ended {
		return
	}
	b.ended = true
	b.s.End, b.s.Err = true, err
	b.report(b.s)
}

// syncPhases names the vector half's phases for people: label, unit.
var syncPhases = map[string][2]string{
	"train":              {"learn embedder 1/4: read papers", "papers"},
	"train:tokenise":     {"learn embedder 2/4: tokenise", "papers"},
	"train:word vectors": {"learn embedder 3/4: word vectors", ""},
	"train:decompose":    {"learn embedder 4/4: decompose", ""},
	"embed":              {"embed papers", "papers"},
	"compact":            {"drop deleted vectors", "vectors"},
	"probe":              {"probe vectors against BM25", "sentences"},
}

// phases shows a sequence of phases reported as (phase, done, total), one
// bar each: a new phase ends the one before.
type phases struct {
	e     *env
	hint  string
	name  string
	cur   bar
	shown bool
}

func (p *phases) report(phase string, done, total int) {
	if phase != p.name || p.cur == nil {
		p.finish(nil)
		label, unit := phase, ""
		if l, ok := syncPhases[phase]; ok {
			label, unit = l[0], l[1]
		}
		var opts []progress.Option
		if p.hint != "" {
			opts = append(opts, progress.WithResumeHint(p.hint))
		}
		if done > 0 && unit != "" {
			// Work found done when the phase starts (vectors already
			// stored) is shown but not counted in its rate.
			opts = append(opts, progress.WithResumed(int64(done), int64(done)))
		}
		p.name, p.cur = phase, p.e.newBar(label, int64(total), unit, opts...)
		p.shown = true
	}
	p.cur.Update(int64(done), int64(done))
}

// finish ends the current phase: finished when err is nil, else failed
// (or stopped, for a cancellation).
func (p *phases) finish(err error) {
	if p.cur == nil {
		return
	}
	if err != nil {
		p.cur.Fail(err)
	} else {
		p.cur.Finish()
	}
	p.cur = nil
}

// slowStep runs fn, showing a spinner with the elapsed time only if it
// takes longer than a second: most closes and flushes are instant and
// would only add noise.
func slowStep(e *env, label string, fn func() error) error {
	done := make(chan struct{})
	shown := make(chan bar, 1)
	go func() {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-done:
			shown <- nil
		case <-t.C:
			b := e.newBar(label, 0, "")
			b.Update(0, 0)
			shown <- b
		}
	}()
	err := fn()
	close(done)
	if b := <-shown; b != nil {
		if err != nil {
			b.Fail(err)
		} else {
			b.Finish()
		}
	}
	return err
}
