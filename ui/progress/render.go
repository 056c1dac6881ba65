package progress

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

const (
	minBar = 10 // narrower bars say nothing the percentage does not
	maxBar = 40
	sep    = "  "
)

// snapshot is what a line shows, taken under the Reporter's lock so the
// formatting below is pure and testable on its own.
type snapshot struct {
	label, unit, note string
	total, done       int64
	count             int64
	countRate         float64 // per second, < 0 when not known yet
	doneRate          float64
	elapsed           time.Duration
	avgRate           float64 // count per second since start, for final lines; < 0 when none
	noCount           bool    // work without a count: only time is shown
}

// fraction is done/total in [0, 1], or false when the total is unknown.
func (s snapshot) fraction() (float64, bool) {
	if s.total <= 0 {
		return 0, false
	}
	return min(max(float64(s.done)/float64(s.total), 0), 1), true
}

// percent rounds down so "100%" appears only when the work is complete.
func (s snapshot) percent() (string, bool) {
	f, ok := s.fraction()
	return strconv.Itoa(int(math.Floor(f*100))) + "%", ok
}

// eta is the remaining time at the smoothed rate of done, or false when
// there is no total, no rate yet, or a rate so low that a figure would lie.
func (s snapshot) eta() (time.Duration, bool) {
	if s.total <= 0 || s.doneRate <= 0 {
		return 0, false
	}
	secs := float64(max(s.total-s.done, 0)) / s.doneRate
	if secs > (100 * 24 * time.Hour).Seconds() {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

func (s snapshot) countText() string {
	if s.noCount {
		return ""
	}
	if s.unit == "" {
		return HumanCount(s.count)
	}
	return HumanNoun(s.count, strings.TrimSuffix(s.unit, "s"), s.unit) // units are plural nouns: "papers"
}

// plainLine is the periodic line for logs: single spaces, no padding, no
// escape sequences.
func plainLine(s snapshot) string {
	parts := []string{s.label + ":"}
	if p, ok := s.percent(); ok {
		parts = append(parts, p)
	}
	if c := s.countText(); c != "" {
		parts = append(parts, c)
		if s.countRate >= 0 {
			parts = append(parts, humanRate(s.countRate))
		}
	}
	if d, ok := s.eta(); ok {
		parts = append(parts, "eta "+HumanDuration(d))
	} else if s.total <= 0 {
		parts = append(parts, "elapsed "+HumanDuration(s.elapsed))
	}
	if s.note != "" {
		parts = append(parts, "("+s.note+")")
	}
	return strings.Join(parts, " ")
}

// ttyLine lays the live line out in width cells, leaving the last column
// free so the terminal never wraps. When space runs short it drops, in
// order, the bar, the note, the ETA and the rate, then truncates.
func ttyLine(s snapshot, width int, bar func(fraction float64, width int) string) string {
	avail := max(width-1, 1)
	if s.total <= 0 {
		// Without a total there is no bar to show that work goes on.
		s.label = spinner(s.elapsed) + " " + s.label
	}
	fields := ttyFields(s)
	text := strings.Join(fields.list(), sep)

	if f, ok := s.fraction(); ok {
		room := avail - ansi.StringWidth(s.label) - len(sep+"[]"+sep) - ansi.StringWidth(text)
		if room >= minBar {
			return s.label + sep + "[" + bar(f, min(room, maxBar)) + "]" + sep + text
		}
	}
	line := s.label + sep + text
	for _, drop := range []*string{&fields.note, &fields.eta, &fields.rate} {
		if ansi.StringWidth(line) <= avail {
			break
		}
		*drop = ""
		line = s.label + sep + strings.Join(fields.list(), sep)
	}
	return ansi.Truncate(line, avail, "…")
}

type lineFields struct{ pct, count, rate, eta, note string }

func ttyFields(s snapshot) lineFields {
	var f lineFields
	if p, ok := s.percent(); ok {
		f.pct = strings.Repeat(" ", 4-len(p)) + p // fixed width: no jitter
	}
	f.count = s.countText()
	if s.countRate >= 0 && f.count != "" {
		f.rate = humanRate(s.countRate)
	}
	if d, ok := s.eta(); ok {
		f.eta = "ETA " + clock(d)
	} else if s.total <= 0 {
		f.eta = "elapsed " + clock(s.elapsed)
	}
	f.note = s.note
	return f
}

func (f lineFields) list() []string {
	var out []string
	for _, v := range []string{f.pct, f.count, f.rate, f.eta, f.note} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// spinnerFrames turn once a second at the terminal's redraw pace.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinner picks the frame from the elapsed time, so it moves only when
// time does and tests with a fixed clock see a fixed frame.
func spinner(elapsed time.Duration) string {
	return spinnerFrames[int(max(elapsed, 0)/redrawEvery)%len(spinnerFrames)]
}

// plainBar draws the bar with block characters and no escape sequences.
// It rounds like bubbles' progress bar, so coloured and plain bars agree.
func plainBar(fraction float64, width int) string {
	full := max(0, min(width, int(math.Round(float64(width)*fraction))))
	return strings.Repeat("█", full) + strings.Repeat("░", width-full)
}

// outcome is how the work ended, for the final line.
type outcome int

const (
	finished outcome = iota
	stopped
	failed
)

// finalLine summarises the whole run: count, elapsed time and average rate
// when finished; count and percentage reached when stopped or failed.
func finalLine(s snapshot, how outcome, errText, hint string) string {
	var b strings.Builder
	b.WriteString(s.label + ": ")
	switch how {
	case finished:
		b.WriteString("done")
		if c := s.countText(); c != "" {
			b.WriteString(", " + c)
		}
		b.WriteString(" in " + HumanDuration(s.elapsed))
		if s.avgRate >= 0 && !s.noCount {
			b.WriteString(", " + humanRate(s.avgRate))
		}
	default:
		verb := "stopped"
		if how == failed {
			verb = "failed"
		}
		b.WriteString(verb)
		if c := s.countText(); c != "" {
			b.WriteString(" after " + c)
			if p, ok := s.percent(); ok {
				b.WriteString(" (" + p + ")")
			}
			b.WriteString(" in " + HumanDuration(s.elapsed))
		} else {
			b.WriteString(" after " + HumanDuration(s.elapsed))
		}
	}
	if s.note != "" {
		b.WriteString(" (" + s.note + ")")
	}
	if errText != "" {
		b.WriteString(": " + errText)
	}
	if how != finished && hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}
