package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// A retry of the provider shows in the pane and the status line instead
// of a plain "Thinking…", until the text arrives.
func TestRetryShownInsteadOfThinking(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	b.script = []timedEvent{
		{0, Event{Kind: EventRetry, Retry: &Retry{Attempt: 2, Max: 4, Wait: 2 * time.Second, Reason: "HTTP 429"}}},
		{time.Hour, Event{Kind: EventDelta, Text: "Late."}},
	}
	press(t, m, "enter")
	m.askInput(false)
	typeText(t, m, "why?")
	cmd := send(m, keyMsg("enter"))
	msg := runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(streamOpenMsg); return ok })
	pullCmd := send(m, msg)
	send(m, pullCmd()) // the retry
	s := screen(m)
	want := "retrying in 2s (HTTP 429, attempt 2 of 4)"
	if strings.Count(s, want) != 2 || strings.Contains(s, "Thinking") {
		t.Fatalf("want %q in the pane and the status line:\n%s", want, s)
	}
	drain(t, m, send(m, keyMsg("esc")))
}

// Inline markers are styled; one that matches no source is marked where
// it stands; n and N move between markers (scrolling to them) and enter
// reads the cited paper.
func TestCitationMarkersStyledAndNavigable(t *testing.T) {
	m, b := newTestModel(t, 100, 24)
	text := "Folding improved [1] and [99] says nothing.\n\n" + strings.Repeat("Filler paragraph.\n\n", 30) + "Benchmarks moved [2].\n"
	b.script = []timedEvent{
		{0, Event{Kind: EventSources, Sources: []Source{{N: 1, ID: "p000", Title: "Folding"}, {N: 2, ID: "p005", Title: "Benchmarks"}}}},
		{0, Event{Kind: EventDelta, Text: text}},
		{0, Event{Kind: EventWarning, Text: "citation [99] matches no source sent (there were 2)"}},
		{0, Event{Kind: EventDone}},
	}
	press(t, m, "enter")
	m.askInput(false)
	typeText(t, m, "what improved?")
	press(t, m, "enter", "home")
	raw := m.Render()
	good, bad := m.styles.Key.Render("[1]"), m.styles.Error.Strikethrough(true).Render("[99]")
	if good == "[1]" || bad == "[99]" {
		t.Fatal("the test styles render plain: nothing to tell apart")
	}
	if !strings.Contains(raw, good) || !strings.Contains(raw, bad) {
		t.Fatalf("markers not styled in place:\n%q", raw)
	}

	press(t, m, "n")
	if m.answer.citeAt != 1 || !strings.Contains(m.status, "[1] Folding") {
		t.Fatalf("n: at %d status %q", m.answer.citeAt, m.status)
	}
	press(t, m, "n")
	if m.answer.citeAt != 2 || !m.statusErr || !strings.Contains(m.status, "[99] matches no source sent") {
		t.Fatalf("n onto the bad marker: at %d status %q", m.answer.citeAt, m.status)
	}
	press(t, m, "enter")
	if m.Focused() != FocusAnswer || !strings.Contains(m.status, "[99] matches no source") {
		t.Fatalf("enter on a bad marker: focus %v status %q", m.Focused(), m.status)
	}
	press(t, m, "n") // [2] is far below: the pane scrolls to it
	if m.answer.citeAt != 3 || !strings.Contains(screen(m), "Benchmarks moved [2]") {
		t.Fatalf("n to [2]: at %d\n%s", m.answer.citeAt, screen(m))
	}
	if !strings.Contains(m.Render(), m.styles.Selected.Render("[2]")) {
		t.Fatal("the highlighted marker is not selected-styled")
	}
	press(t, m, "enter")
	if m.Focused() != FocusReader || m.reader.id != "p005" {
		t.Fatalf("enter on [2]: focus %v id %q", m.Focused(), m.reader.id)
	}
	press(t, m, "esc", "N", "N", "enter")
	if m.reader.id != "p000" {
		t.Fatalf("N N enter: %q", m.reader.id)
	}
}
