package tui

import (
	"strings"
	"testing"
	"time"
)

// A basket left from yesterday is announced at start, shown in its pane,
// and kept out of answers until the user asks for it.
func TestRestoredBasketStaysOutOfAnswersUntilAsked(t *testing.T) {
	dir := t.TempDir()
	yesterday := testClock.Add(-24 * time.Hour)
	m, _ := newTestModel(t, 100, 30, func(o *Options) { o.StateDir = dir; o.Now = func() time.Time { return yesterday } })
	typeText(t, m, "protein")
	press(t, m, "enter", "space", "space")
	if err := m.SaveSession(); err != nil {
		t.Fatal(err)
	}

	m, b := newTestModel(t, 100, 30, func(o *Options) { o.StateDir = dir })
	s := screen(m)
	if !strings.Contains(s, "basket: 2 papers from yesterday") || !strings.Contains(s, "ctrl+x clears") {
		t.Fatalf("no notice of the restored basket:\n%s", s)
	}
	b.script = answerScript(0)
	press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "basket 2 from yesterday") {
		t.Fatalf("status bar does not date the basket:\n%s", s)
	}

	// a: the results only.
	press(t, m, "a")
	typeText(t, m, "what improved?")
	if !strings.Contains(screen(m), "basket off (2 papers; tab switches)") {
		t.Fatalf("the question line does not say the basket is off:\n%s", screen(m))
	}
	press(t, m, "enter")
	if len(b.asks) != 1 || len(b.asks[0].Basket) != 0 {
		t.Fatalf("the restored basket leaked into the answer: %+v", b.asks)
	}

	// tab in the question line switches it on.
	press(t, m, "esc", "a")
	typeText(t, m, "and the basket?")
	press(t, m, "tab")
	if !strings.Contains(screen(m), "basket on") {
		t.Fatalf("tab did not switch the basket on:\n%s", screen(m))
	}
	press(t, m, "enter")
	if len(b.asks) != 2 || strings.Join(b.asks[1].Basket, ",") != "p000,p005" {
		t.Fatalf("asked for the basket, got %+v", b.asks[1])
	}

	// A asks about the basket directly, and the basket pane's a does too.
	press(t, m, "esc", "A")
	typeText(t, m, "why?")
	press(t, m, "enter")
	if len(b.asks) != 3 || len(b.asks[2].Basket) != 2 {
		t.Fatalf("A: %+v", b.asks[2])
	}
	press(t, m, "esc", "B")
	if m.Focused() != FocusBasket {
		t.Fatalf("B: focus %v", m.Focused())
	}
	press(t, m, "a")
	typeText(t, m, "from the pane?")
	press(t, m, "enter")
	if len(b.asks) != 4 || len(b.asks[3].Basket) != 2 {
		t.Fatalf("a in the basket pane: %+v", b.asks[3])
	}

	// ctrl+x clears it.
	press(t, m, "esc", "ctrl+x")
	if m.basket.Len() != 0 || !strings.Contains(screen(m), "basket cleared (2 papers)") {
		t.Fatalf("ctrl+x: %d left\n%s", m.basket.Len(), screen(m))
	}
}

// Sources that came from the basket say so in the answer pane.
func TestAnswerMarksBasketSources(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	b.script = answerScript(0)
	b.script[0].ev.Sources[0].Basket = true
	press(t, m, "enter")
	m.askInput(false)
	typeText(t, m, "why?")
	press(t, m, "enter")
	s := screen(m)
	if !strings.Contains(s, "[1] Advances in protein folding, part 0 · from your basket") ||
		strings.Contains(s, "part 5 · from your basket") {
		t.Fatalf("basket sources not marked:\n%s", s)
	}
}

// Papers an agent's tools add to the basket appear in the basket pane,
// with their titles, marked as the agent's.
func TestAgentBasketEventFillsThePane(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	b.script = []timedEvent{
		{0, Event{Kind: EventToolCall, Text: "basket_add"}},
		{0, Event{Kind: EventBasket, Basket: []string{"p003", "p007"}}},
		{0, Event{Kind: EventDelta, Text: "Done."}},
		{0, Event{Kind: EventDone}},
	}
	press(t, m, "enter")
	m.askInput(false)
	typeText(t, m, "collect papers")
	press(t, m, "enter")
	if got := strings.Join(m.BasketIDs(), ","); got != "p003,p007" {
		t.Fatalf("basket %q", got)
	}
	press(t, m, "esc", "B")
	s := screen(m)
	for _, want := range []string{"Basket · 2 papers", "Advances in language models, part 7", "added by the agent"} {
		if !strings.Contains(s, want) {
			t.Errorf("basket pane lacks %q:\n%s", want, s)
		}
	}
}
