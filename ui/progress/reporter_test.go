package progress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// fakeClock is advanced by hand so rates, ETAs and throttling are exact.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// frames splits terminal output into the lines drawn after each erase.
func frames(out string) []string {
	parts := strings.Split(out, eraseLine)
	return parts[1:]
}

func newTTY(buf *bytes.Buffer, clk *fakeClock, total int64, opts ...Option) *Reporter {
	base := []Option{WithTTY(true), WithColor(false), WithWidth(100), WithClock(clk.now)}
	return New(buf, "ingest scifact", total, "papers", append(base, opts...)...)
}

func TestTTYLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := newTTY(&buf, clk, 10_000, WithWidth(120))
	r.SetNote("3 errors")
	r.Update(0, 0) // the first update draws at once: no rate yet

	// After 2 s (still the warm-up window) the rates are plain averages:
	// done 5,200 bytes / 2 s = 2,600/s; count 2,690 papers / 2 s = 1,345/s.
	// ETA = (10,000 - 5,200) / 2,600 = 1.85 s → 0:02.
	clk.advance(2 * time.Second)
	r.Update(5200, 2690)

	got := frames(buf.String())
	want := []string{
		"ingest scifact  [░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░]    0%  0 papers  3 errors",
		// 119 usable cells would leave 52 for the bar; it is capped at 40.
		// 5,200/10,000 fills round(0.52 × 40) = 21 cells.
		"ingest scifact  [█████████████████████░░░░░░░░░░░░░░░░░░░]   52%  2,690 papers  1,345/s  ETA 0:02  3 errors",
	}
	assertLines(t, got, want)
}

func assertLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d lines:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestTTYThrottle(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := newTTY(&buf, clk, 1000)
	r.Update(1, 1) // first update always draws
	for range 9 {  // 9 × 10 ms = 90 ms: all within the 100 ms throttle
		clk.advance(10 * time.Millisecond)
		r.Update(2, 2)
	}
	if n := len(frames(buf.String())); n != 1 {
		t.Fatalf("%d frames within 100 ms, want 1", n)
	}
	clk.advance(10 * time.Millisecond) // 100 ms since the first frame
	r.Update(3, 3)
	if n := len(frames(buf.String())); n != 2 {
		t.Fatalf("%d frames after 100 ms, want 2", n)
	}
	// One second of updates every millisecond draws ten more frames.
	for range 1000 {
		clk.advance(time.Millisecond)
		r.Add(0, 1)
	}
	if n := len(frames(buf.String())); n != 12 {
		t.Errorf("%d frames after 1.1 s, want 12", n)
	}
	if strings.Contains(buf.String(), "\n") {
		t.Error("live terminal output contains a newline")
	}
}

func TestTTYFitsWidth(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		width int
		want  string
	}{
		// The bar shrinks to fit: 79 usable cells - label 14 - "  [" and
		// "]  " 6 - the 47 cells from " 52%" to "3 errors" = 12.
		{80, "ingest scifact  [██████░░░░░░]   52%  2,690 papers  1,345/s  ETA 0:02  3 errors"},
		// No room for a 10-cell bar: drop it, keep everything else.
		{70, "ingest scifact   52%  2,690 papers  1,345/s  ETA 0:02  3 errors"},
		// Then the note, the ETA, the rate.
		{60, "ingest scifact   52%  2,690 papers  1,345/s  ETA 0:02"},
		{45, "ingest scifact   52%  2,690 papers  1,345/s"},
		{35, "ingest scifact   52%  2,690 papers"},
		// Finally a hard truncation to 19 cells.
		{20, "ingest scifact   5…"},
	} {
		var buf bytes.Buffer
		clk := newClock()
		r := newTTY(&buf, clk, 10_000, WithWidth(c.width))
		r.SetNote("3 errors")
		clk.advance(2 * time.Second)
		r.Update(5200, 2690)
		all := frames(buf.String())
		got := all[len(all)-1]
		if got != c.want {
			t.Errorf("width %d:\n got %q\nwant %q", c.width, got, c.want)
		}
		if w := ansi.StringWidth(got); w >= c.width {
			t.Errorf("width %d: line is %d cells wide, want < %d", c.width, w, c.width)
		}
	}
}

func TestUnknownTotal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := newTTY(&buf, clk, 0)
	clk.advance(4 * time.Second)
	r.Update(0, 10_000) // done means nothing without a total
	r.Finish()
	want := []string{
		// No bar without a total: a spinner shows the work goes on.
		"⠋ ingest scifact  10,000 papers  2,500/s  elapsed 0:04",
		"ingest scifact: done, 10,000 papers in 4s, 2,500/s\n",
	}
	assertLines(t, frames(buf.String()), want)

	var log bytes.Buffer
	clk = newClock()
	r = New(&log, "ingest arxiv", -1, "papers", WithTTY(false), WithClock(clk.now))
	clk.advance(4 * time.Second)
	r.Update(123, 10_000)
	if want := "ingest arxiv: 10,000 papers 2,500/s elapsed 4s\n"; log.String() != want {
		t.Errorf("log line = %q, want %q", log.String(), want)
	}
}

func TestLogLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "ingest scifact", 5183, "papers", WithTTY(false), WithClock(clk.now),
		WithInterval(5*time.Second))
	// 518.3 papers/s, one update a second for 10 s, then Finish.
	for i := range 10 {
		clk.advance(time.Second)
		r.Update(int64(i+1)*5183/10, int64(i+1)*5183/10)
	}
	r.Finish()
	// Lines at 1 s (first update), 6 s (5 s later) and the final one.
	// 518/5,183 is 9.99%: the percentage rounds down.
	// At 1 s: 518/1 s = 518/s, ETA (5183-518)/518 = 9.0 s → 9s.
	// At 6 s: 3109/6 s = 518.2/s, ETA 2074/518.2 = 4.0 s → 4s.
	want := "ingest scifact: 9% 518 papers 518/s eta 9s\n" +
		"ingest scifact: 59% 3,109 papers 518/s eta 4s\n" +
		"ingest scifact: done, 5,183 papers in 10s, 518/s\n"
	if buf.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", buf.String(), want)
	}
	if strings.Contains(buf.String(), "\x1b") || strings.Contains(buf.String(), "\r") {
		t.Error("log output contains escape sequences")
	}
}

// TestRateSmoothed checks the moving average after the warm-up: a burst
// moves the rate only part of the way, and the ETA follows the smoothed
// rate of done, not the count.
func TestRateSmoothed(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "gen", 1_000_000, "papers", WithTTY(false), WithClock(clk.now),
		WithInterval(time.Nanosecond))
	var done, count int64
	step := func(d time.Duration, dDone, dCount int64) {
		clk.advance(d)
		done += dDone
		count += dCount
		r.Update(done, count)
	}
	for range 5 { // warm-up: 100 papers/s, 1,000 bytes/s
		step(time.Second, 1000, 100)
	}
	// One second at 600 papers/s: α = 1 - e^(-1/5) = 0.18127;
	// rate = 100 + 0.18127 × (600 - 100) = 190.6/s, not 600/s.
	step(time.Second, 1000, 600)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	last := lines[len(lines)-1]
	// done rate stays 1,000/s: ETA (1,000,000 - 6,000) / 1,000 = 994 s.
	if want := "gen: 0% 1,100 papers 191/s eta 16m34s"; last != want {
		t.Errorf("line = %q, want %q", last, want)
	}
}

func TestFinalLines(t *testing.T) {
	t.Parallel()
	run := func(end func(r *Reporter)) string {
		var buf bytes.Buffer
		clk := newClock()
		r := New(&buf, "ingest scifact", 2000, "papers", WithTTY(false), WithClock(clk.now),
			WithResumeHint("run again to resume"))
		clk.advance(3 * time.Second)
		r.SetNote("3 errors")
		r.Update(1040, 1234)
		buf.Reset()
		end(r)
		end(r) // idempotent
		r.Update(2000, 2000)
		r.Abort()
		return buf.String()
	}
	for _, c := range []struct {
		name string
		end  func(*Reporter)
		want string
	}{
		{"finish", (*Reporter).Finish, "ingest scifact: done, 1,234 papers in 3s, 411/s (3 errors)\n"},
		{"abort", (*Reporter).Abort,
			"ingest scifact: stopped after 1,234 papers (52%) in 3s (3 errors); run again to resume\n"},
		{"cancel", func(r *Reporter) { r.Fail(fmt.Errorf("ingest: %w", context.Canceled)) },
			"ingest scifact: stopped after 1,234 papers (52%) in 3s (3 errors); run again to resume\n"},
		{"fail", func(r *Reporter) { r.Fail(errors.New("disk full")) },
			"ingest scifact: failed after 1,234 papers (52%) in 3s (3 errors): disk full; run again to resume\n"},
	} {
		if got := run(c.end); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestTTYFinalLineClearsBar(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := newTTY(&buf, clk, 100)
	clk.advance(time.Second)
	r.Update(100, 100)
	r.Finish()
	out := buf.String()
	if !strings.HasSuffix(out, eraseLine+"ingest scifact: done, 100 papers in 1s, 100/s\n") {
		t.Errorf("output %q does not end with an erased line and the final state", out)
	}
}

func TestResumed(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "ingest", 1000, "papers", WithTTY(false), WithClock(clk.now),
		WithResumed(500, 5000))
	clk.advance(2 * time.Second)
	r.Update(600, 5200) // 100 bytes and 200 papers in 2 s this run
	r.Finish()
	// ETA (1000 - 600) / 50 = 8 s; average over this run 200 / 2 s.
	want := "ingest: 60% 5,200 papers 100/s eta 8s\n" +
		"ingest: done, 5,200 papers in 2s, 100/s\n"
	if buf.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestColourBar(t *testing.T) {
	t.Parallel()
	var plain, colour bytes.Buffer
	clk := newClock()
	p := newTTY(&plain, clk, 1000)
	c := newTTY(&colour, clk, 1000, WithColor(true))
	clk.advance(time.Second)
	p.Update(300, 3)
	c.Update(300, 3)
	if !strings.Contains(colour.String(), "\x1b[38;2;") {
		t.Errorf("coloured output has no 24-bit colour: %q", colour.String())
	}
	if got, want := ansi.Strip(colour.String()), ansi.Strip(plain.String()); got != want {
		t.Errorf("coloured bar without colour =\n%q\nwant the plain bar\n%q", got, want)
	}
}

// TestNoColor is not parallel: it sets NO_COLOR for the process.
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	t.Setenv("COLORTERM", "truecolor")
	t.Setenv("TERM", "xterm-256color")
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "ingest", 1000, "papers", WithTTY(true), WithWidth(80), WithClock(clk.now))
	r.Update(500, 5)
	if out := strings.ReplaceAll(buf.String(), eraseLine, ""); strings.Contains(out, "\x1b") {
		t.Errorf("NO_COLOR output has escape sequences: %q", out)
	}
	if !strings.Contains(buf.String(), "█") {
		t.Errorf("NO_COLOR output lost the bar: %q", buf.String())
	}
}

func TestNotATerminal(t *testing.T) {
	t.Parallel()
	// A bytes.Buffer is not a terminal: detection picks log lines.
	var buf bytes.Buffer
	r := New(&buf, "eval", 10, "queries")
	r.Update(1, 1)
	r.Finish()
	if strings.Contains(buf.String(), "\x1b") || strings.Count(buf.String(), "\n") != 2 {
		t.Errorf("output to a buffer = %q, want two plain lines", buf.String())
	}
}

func TestConcurrentAdd(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := New(&buf, "gen", 8000, "papers", WithTTY(true), WithWidth(80))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				r.Add(1, 1)
			}
		})
	}
	stop := make(chan struct{})
	ticker := sync.WaitGroup{}
	ticker.Go(func() { // a redraw ticker running alongside the workers
		for {
			select {
			case <-stop:
				return
			default:
				r.Refresh()
			}
		}
	})
	wg.Wait()
	close(stop)
	ticker.Wait()
	r.Finish()
	if !strings.Contains(buf.String(), "done, 8,000 papers") {
		t.Errorf("final line lost updates: %q", buf.String()[max(0, buf.Len()-120):])
	}
}

func TestNilWriter(t *testing.T) {
	t.Parallel()
	r := New(nil, "x", 1, "")
	r.Update(1, 1)
	r.Finish()
}

// TestStallDecays: when updates stop, Refresh keeps sampling, so the rate
// falls and the ETA grows instead of freezing at the last good figure.
func TestStallDecays(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "gen", 10_000, "papers", WithTTY(false), WithClock(clk.now),
		WithInterval(time.Nanosecond)) // a line per call
	for i := range int64(6) { // 100/s for 6 s: past the warm-up
		clk.advance(time.Second)
		r.Update((i+1)*100, (i+1)*100)
	}
	for range 10 { // stalled for 10 s
		clk.advance(time.Second)
		r.Refresh()
	}
	// Ten samples of 0/s each keep e^(-1/5) of the rate: 100 × e^-2 = 13.5/s
	// ETA (10,000 - 600) / 13.5 = 694.6 s → 11m35s.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := "gen: 6% 600 papers 14/s eta 11m35s"; lines[len(lines)-1] != want {
		t.Errorf("line after stall = %q, want %q", lines[len(lines)-1], want)
	}
}

func TestColourDownsampled(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := newTTY(&buf, clk, 1000, WithColor(true))
	r.profile = colorprofile.ANSI256 // as detected for TERM=xterm-256color
	r.Update(500, 5)
	if out := buf.String(); !strings.Contains(out, "\x1b[38;5;") || strings.Contains(out, "38;2;") {
		t.Errorf("256-colour output = %q, want 38;5 colours only", out)
	}
}

// TestStepWithoutCount: work with neither a total nor a count (training a
// model's decomposition) shows a turning spinner and the elapsed time,
// never "0 papers" or a rate, and ends with how long it took.
func TestStepWithoutCount(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "learn embedder 4/4: decompose", 0, "", WithTTY(true), WithColor(false), WithWidth(80),
		WithClock(clk.now), WithoutCount())
	r.Refresh()
	clk.advance(3100 * time.Millisecond)
	r.Refresh()
	clk.advance(2 * time.Second)
	r.Finish()
	want := []string{
		"⠋ learn embedder 4/4: decompose  elapsed 0:00",
		"⠙ learn embedder 4/4: decompose  elapsed 0:03",
		"learn embedder 4/4: decompose: done in 5s\n",
	}
	assertLines(t, frames(buf.String()), want)

	var log bytes.Buffer
	clk = newClock()
	r = New(&log, "decompose", 0, "", WithTTY(false), WithClock(clk.now), WithoutCount(),
		WithResumeHint("run again"))
	clk.advance(7 * time.Second)
	r.Refresh()
	clk.advance(time.Second)
	r.Abort()
	if want := "decompose: elapsed 7s\ndecompose: stopped after 8s; run again\n"; log.String() != want {
		t.Errorf("log = %q, want %q", log.String(), want)
	}
}

// TestKeepAlive: without any update a kept-alive Reporter still prints a
// line each interval, and stops once finished.
func TestKeepAlive(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	r := New(w, "word vectors", 0, "", WithTTY(false), WithInterval(5*time.Millisecond), WithoutCount())
	r.KeepAlive()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := strings.Count(buf.String(), "\n")
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines in 5 s from a kept-alive reporter, want 3 or more", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Finish()
	mu.Lock()
	after := buf.Len()
	mu.Unlock()
	time.Sleep(30 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if buf.Len() != after {
		t.Errorf("output grew after Finish: %q", buf.String()[after:])
	}
	if !strings.Contains(buf.String(), "word vectors: elapsed") || !strings.Contains(buf.String(), "word vectors: done in ") {
		t.Errorf("output = %q", buf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestNoRateWithoutWork: a run that found everything done reports no
// rate; "5,183 papers in 6ms, 795,629/s" was a no-op boasting.
func TestNoRateWithoutWork(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "embed papers", 5183, "papers", WithTTY(false), WithClock(clk.now), WithResumed(5183, 5183))
	clk.advance(6 * time.Millisecond)
	r.Update(5183, 5183)
	r.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := "embed papers: done, 5,183 papers in 6ms"; lines[len(lines)-1] != want {
		t.Errorf("final line = %q, want %q", lines[len(lines)-1], want)
	}
}

func TestOneUnitIsSingular(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, "ingest paper.pdf", 10, "papers", WithTTY(false), WithClock(clk.now))
	clk.advance(2 * time.Second)
	r.Update(10, 1)
	buf.Reset()
	r.Finish()
	if got := buf.String(); !strings.HasPrefix(got, "ingest paper.pdf: done, 1 paper in 2s") {
		t.Errorf("final line %q", got)
	}
}
