package progress

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/progress"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"

	"github.com/quire-research/quire/ui/termtext"
)

const (
	// redrawEvery throttles terminal redraws: faster is invisible and
	// costs terminal bandwidth on every update.
	redrawEvery     = 100 * time.Millisecond
	defaultInterval = 5 * time.Second
	defaultWidth    = 80

	// eraseLine returns to column 0 and clears the line, so a shorter
	// line leaves no remnant of a longer one.
	eraseLine = "\r\x1b[2K"
)

// Reporter shows the progress of one piece of work. Create it with New; all
// methods are safe for concurrent use.
type Reporter struct {
	mu     sync.Mutex
	w      io.Writer
	cfg    config
	label  string
	unit   string
	total  int64
	start  time.Time
	done   int64
	count  int64
	note   string
	drawn  bool
	last   time.Time // of the last draw
	closed bool
	stop   chan struct{} // closed with the Reporter, ends KeepAlive

	doneRate, countRate rate

	tty     bool
	bar     *progress.Model // nil without colour
	profile colorprofile.Profile
	termFD  int // of w when it is a terminal, for its width; else -1
}

// Option configures a Reporter.
type Option func(*config)

type config struct {
	tty, color    *bool
	width         int
	interval      time.Duration
	now           func() time.Time
	hint          string
	done0, count0 int64
	noCount       bool
}

// WithTTY forces the terminal (true) or log (false) display instead of
// detecting whether w is a terminal.
func WithTTY(tty bool) Option { return func(c *config) { c.tty = &tty } }

// WithColor forces the coloured bar on or off instead of following
// NO_COLOR and the terminal's colour support. Forced colour is 24-bit.
// Colour only ever applies to the terminal display.
func WithColor(on bool) Option { return func(c *config) { c.color = &on } }

// WithWidth fixes the terminal width instead of asking the terminal.
func WithWidth(cells int) Option { return func(c *config) { c.width = cells } }

// WithInterval sets how often a line is printed when w is not a terminal
// (default 5 s).
func WithInterval(d time.Duration) Option { return func(c *config) { c.interval = d } }

// WithClock replaces time.Now, for deterministic tests.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithResumeHint adds advice to the line printed when the work stops or
// fails, e.g. "run again to resume".
func WithResumeHint(hint string) Option { return func(c *config) { c.hint = hint } }

// WithResumed starts from work already done by an earlier run: it is shown
// but counts neither in the rate nor in the ETA.
func WithResumed(done, count int64) Option {
	return func(c *config) { c.done0, c.count0 = done, count }
}

// WithoutCount is for work that has nothing to count (a decomposition, a
// flush): lines show only the elapsed time, with a spinner on a terminal,
// and the final line says how long it took.
func WithoutCount() Option { return func(c *config) { c.noCount = true } }

// New returns a Reporter writing to w (usually os.Stderr) for work named
// label, total units of done long (≤ 0 if unknown), counting unit ("papers").
// It prints nothing until the first update.
func New(w io.Writer, label string, total int64, unit string, opts ...Option) *Reporter {
	cfg := config{interval: defaultInterval, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if w == nil {
		w = io.Discard
	}
	r := &Reporter{
		w: w, cfg: cfg, label: termtext.Line(label), unit: unit, total: total,
		start: cfg.now(), done: cfg.done0, count: cfg.count0,
		stop: make(chan struct{}),
	}
	r.doneRate = newRate(r.start, cfg.done0)
	r.countRate = newRate(r.start, cfg.count0)
	r.detect()
	return r
}

// detect decides between terminal and log display and whether to colour,
// honouring the With options first, then NO_COLOR and TERM=dumb (where
// erasing a line does not work).
func (r *Reporter) detect() {
	f, isFile := r.w.(*os.File)
	isTerm := isFile && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
	r.termFD = -1
	if isTerm {
		r.termFD = int(f.Fd())
	}
	r.tty = isTerm
	if r.cfg.tty != nil {
		r.tty = *r.cfg.tty
	}

	r.profile = colorprofile.Env(os.Environ())
	if os.Getenv("NO_COLOR") != "" { // no-color.org: any non-empty value
		r.profile = min(r.profile, colorprofile.ASCII)
	}
	if r.cfg.color != nil {
		r.profile = colorprofile.ASCII
		if *r.cfg.color {
			r.profile = colorprofile.TrueColor
		}
	}
	if r.tty && r.profile > colorprofile.ASCII {
		r.bar = newBar()
	}
}

func newBar() *progress.Model {
	opts := []progress.Option{
		progress.WithoutPercentage(),
		// Full blocks rather than bubbles' half blocks: the same glyphs as
		// the plain bar, so colour is the only difference.
		progress.WithFillCharacters('█', '░'),
		progress.WithDefaultBlend(),
	}
	m := progress.New(opts...)
	return &m
}

// Update sets the amount done (against the total) and the count (shown with
// its rate). Both are absolute.
func (r *Reporter) Update(done, count int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done, r.count = done, count
	r.tick()
}

// Add increases done and count, for workers that each report their own
// share.
func (r *Reporter) Add(done, count int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done += done
	r.count += count
	r.tick()
}

// SetNote sets a short remark shown at the end of the line from the next
// draw on, e.g. "312 errors"; "" removes it. It does not draw by itself, so
// setting a note just before an Update costs no extra line.
func (r *Reporter) SetNote(note string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.note = termtext.Line(note)
}

// Refresh redraws if it is time to, without changing anything: call it from
// a ticker when updates may pause, so the rate decays and logs show life.
func (r *Reporter) Refresh() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tick()
}

// tick samples the rates and draws when the throttle allows.
func (r *Reporter) tick() {
	if r.closed {
		return
	}
	now := r.cfg.now()
	r.doneRate.observe(now, r.done)
	r.countRate.observe(now, r.count)
	every := r.cfg.interval
	if r.tty {
		every = redrawEvery
	}
	if r.drawn && now.Sub(r.last) < every {
		return
	}
	r.drawn, r.last = true, now
	if r.tty {
		r.write(eraseLine + ttyLine(r.snapshot(now), r.width(), r.renderBar))
	} else {
		r.write(plainLine(r.snapshot(now)) + "\n")
	}
}

// KeepAlive redraws on its own (every 100 ms on a terminal, every interval
// in logs) until the Reporter ends, so the elapsed time, the spinner and
// the decaying rate keep moving while the work reports nothing. It is the one part of a Reporter that runs in the
// background; Finish, Fail, Abort and Discard stop it.
func (r *Reporter) KeepAlive() {
	every := r.cfg.interval
	if r.tty {
		every = redrawEvery
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				r.Refresh()
			}
		}
	}()
}

// Finish prints the final state on its own line: the count, the elapsed
// time and the average rate. Later calls to any method do nothing, so a
// deferred Abort after Finish is harmless.
func (r *Reporter) Finish() { r.close(finished, "") }

// Abort prints that the work stopped, how far it got, and the resume hint.
func (r *Reporter) Abort() { r.close(stopped, "") }

// Fail prints that the work failed with err. A cancellation
// (context.Canceled) reads as Abort, as does a nil err.
func (r *Reporter) Fail(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		r.Abort()
		return
	}
	r.close(failed, termtext.Line(err.Error()))
}

// FailFinal is Fail without the resume hint: for a failure that running
// again would only repeat (damaged input), whose error says what to do.
func (r *Reporter) FailFinal(err error) {
	r.mu.Lock()
	r.cfg.hint = ""
	r.mu.Unlock()
	r.Fail(err)
}

func (r *Reporter) close(how outcome, errText string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	close(r.stop)
	line := finalLine(r.snapshot(r.cfg.now()), how, errText, r.cfg.hint) + "\n"
	if r.tty {
		line = eraseLine + line
	}
	r.write(line)
}

func (r *Reporter) snapshot(now time.Time) snapshot {
	s := snapshot{
		label: r.label, unit: r.unit, note: r.note,
		total: r.total, done: r.done, count: r.count,
		countRate: -1, doneRate: -1, avgRate: -1,
		elapsed: now.Sub(r.start), noCount: r.cfg.noCount,
	}
	if v, ok := r.countRate.get(); ok {
		s.countRate = v
	}
	if v, ok := r.doneRate.get(); ok {
		s.doneRate = v
	}
	// A rate only for work done in this run: a no-op over papers already
	// there would otherwise boast a million papers a second.
	if s.elapsed > 0 && r.count > r.cfg.count0 {
		s.avgRate = float64(r.count-r.cfg.count0) / s.elapsed.Seconds()
	}
	return s
}

// width asks the terminal each time, so a resized window is followed.
func (r *Reporter) width() int {
	if r.cfg.width > 0 {
		return r.cfg.width
	}
	if r.termFD >= 0 {
		if w, _, err := term.GetSize(r.termFD); err == nil && w > 0 {
			return w
		}
	}
	return defaultWidth
}

// renderBar colours the bar with bubbles' static renderer, downsampled to
// the terminal's colour profile, or falls back to plain blocks.
func (r *Reporter) renderBar(fraction float64, width int) string {
	if r.bar == nil {
		return plainBar(fraction, width)
	}
	r.bar.SetWidth(width)
	var b strings.Builder
	cw := colorprofile.Writer{Forward: &b, Profile: r.profile}
	if _, err := cw.WriteString(r.bar.ViewAs(fraction)); err != nil {
		return plainBar(fraction, width)
	}
	return b.String()
}

// write ignores errors: progress is advisory and must never fail the work.
func (r *Reporter) write(s string) {
	_, _ = io.WriteString(r.w, s)
}

// Println prints a message on its own line above the progress line (which
// is redrawn below it on a terminal), e.g. a bad record during ingest.
func (r *Reporter) Println(msg string) {
	msg = termtext.Clean(msg) // bad records quote their input
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tty {
		r.write(eraseLine + msg + "\n")
		if r.drawn && !r.closed {
			r.write(ttyLine(r.snapshot(r.cfg.now()), r.width(), r.renderBar))
		}
		return
	}
	r.write(msg + "\n")
}

// Discard ends the reporter without a final line, clearing the progress
// line on a terminal: for work whose outcome is reported another way.
func (r *Reporter) Discard() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	close(r.stop)
	if r.tty && r.drawn {
		r.write(eraseLine)
	}
}
