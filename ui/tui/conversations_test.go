package tui

import (
	"strings"
	"testing"
)

// turnScript answers with text and ends saved as conversation id.
func turnScript(id, text string, n int) []timedEvent {
	return []timedEvent{
		{0, Event{Kind: EventSources, Sources: []Source{{N: 1, ID: "p00" + string(rune('0'+n)), Title: "Source of turn " + string(rune('0'+n))}}}},
		{0, Event{Kind: EventDelta, Text: text}},
		{0, Event{Kind: EventDone, ID: id}},
	}
}

// A second question continues the first: it names the conversation, and
// the pane shows both turns and scrolls through them.
func TestFollowUpContinuesTheConversation(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	press(t, m, "enter")
	b.script = turnScript("c1", "Folding improved a lot [1].\n\n"+strings.Repeat("More detail on folding.\n\n", 30), 1)
	press(t, m, "a")
	typeText(t, m, "what improved?")
	press(t, m, "enter")
	if m.answer.conv != "c1" || b.asks[0].Conversation != "" {
		t.Fatalf("first turn: conv %q request %+v", m.answer.conv, b.asks[0])
	}

	b.script = turnScript("c1", "Benchmarks moved [1].", 2)
	press(t, m, "a")
	if !strings.Contains(screen(m), "Follow-up (turn 2)") {
		t.Fatalf("the question line does not say it follows up:\n%s", screen(m))
	}
	typeText(t, m, "and benchmarks?")
	press(t, m, "enter")
	if len(b.asks) != 2 || b.asks[1].Conversation != "c1" {
		t.Fatalf("follow-up request %+v", b.asks)
	}
	if len(m.answer.turns) != 1 || m.answer.turns[0].question != "what improved?" || !strings.Contains(m.answer.turns[0].text, "Folding improved") {
		t.Fatalf("turns %+v", m.answer.turns)
	}
	// The newest turn is on screen; the first is above it, one page up.
	s := screen(m)
	if !strings.Contains(s, "Benchmarks moved") || !strings.Contains(s, "2. and benchmarks?") {
		t.Fatalf("second turn not shown:\n%s", s)
	}
	press(t, m, "home")
	s = screen(m)
	if !strings.Contains(s, "1. what improved?") || !strings.Contains(s, "Folding improved a lot") {
		t.Fatalf("scrolling up does not reach the first turn:\n%s", s)
	}

	// ctrl+n starts afresh.
	press(t, m, "ctrl+n")
	b.script = turnScript("c2", "Fresh.", 3)
	press(t, m, "a")
	typeText(t, m, "new topic")
	press(t, m, "enter")
	if b.asks[2].Conversation != "" || len(m.answer.turns) != 0 || m.answer.conv != "c2" {
		t.Fatalf("new conversation: request %+v turns %d conv %q", b.asks[2], len(m.answer.turns), m.answer.conv)
	}
}

// The conversations list opens, renames, deletes and resumes saved
// conversations.
func TestConversationsListOpenRenameDeleteResume(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	b.convs = []*Conversation{
		{ID: "c1", Title: "protein folding", Turns: []ConversationTurn{
			{Question: "what improved?", Answer: "Folding improved [1].", Sources: []Source{{N: 1, ID: "p000", Title: "Folding"}}},
			{Question: "and benchmarks?", Answer: "Benchmarks moved [1].", Sources: []Source{{N: 1, ID: "p005", Title: "Benchmarks"}}},
		}},
		{ID: "c2", Title: "gene editing", Turns: []ConversationTurn{{Question: "off-target?", Answer: "Rare."}}},
	}
	press(t, m, "enter", "C")
	s := screen(m)
	if m.overlay != overlayConversations || !strings.Contains(s, "protein folding") || !strings.Contains(s, "gene editing") {
		t.Fatalf("list not shown:\n%s", s)
	}

	// Rename the second.
	press(t, m, "down", "r")
	if m.overlay != overlayInput || m.input.ed.Value() != "gene editing" {
		t.Fatalf("rename line: overlay %v value %q", m.overlay, m.input.ed.Value())
	}
	press(t, m, "ctrl+u")
	typeText(t, m, "Renamed talk")
	press(t, m, "enter")
	if b.convs[1].Title != "Renamed talk" || m.overlay != overlayConversations || !strings.Contains(screen(m), "Renamed talk") {
		t.Fatalf("rename: %q overlay %v\n%s", b.convs[1].Title, m.overlay, screen(m))
	}

	// Delete it: d asks, d again deletes.
	press(t, m, "d")
	if len(b.convs) != 2 || !strings.Contains(screen(m), "again to delete") {
		t.Fatalf("the first d deleted without asking:\n%s", screen(m))
	}
	press(t, m, "d")
	if len(b.convs) != 1 || strings.Contains(screen(m), "Renamed talk") {
		t.Fatalf("delete: %d left\n%s", len(b.convs), screen(m))
	}

	// Open the first and follow it up.
	press(t, m, "up", "enter")
	if m.Focused() != FocusAnswer || m.answer.conv != "c1" || len(m.answer.turns) != 1 || m.answer.text != "Benchmarks moved [1]." {
		t.Fatalf("resume: focus %v conv %q turns %d text %q", m.Focused(), m.answer.conv, len(m.answer.turns), m.answer.text)
	}
	if s := screen(m); !strings.Contains(s, "what improved?") || !strings.Contains(s, "Benchmarks moved") {
		t.Fatalf("resumed conversation not shown:\n%s", s)
	}
	b.script = turnScript("c1", "Yes.", 3)
	press(t, m, "a")
	typeText(t, m, "anything else?")
	press(t, m, "enter")
	if b.asks[0].Conversation != "c1" || len(m.answer.turns) != 2 {
		t.Fatalf("follow-up of a resumed conversation: %+v turns %d", b.asks[0], len(m.answer.turns))
	}
}

// After a follow-up has streamed, its own question heads the pane: at
// 80x24 the pane used to fall back to the first turn, the new answer
// below the fold.
func TestFollowUpEndsOnItsOwnTurn(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	press(t, m, "enter")
	b.script = turnScript("c1", "Folding improved a lot [1].\n\n"+strings.Repeat("More detail on folding.\n\n", 30), 1)
	press(t, m, "a")
	typeText(t, m, "what improved?")
	press(t, m, "enter")
	b.script = turnScript("c1", "Benchmarks moved [1].", 2)
	press(t, m, "a")
	typeText(t, m, "and benchmarks?")
	press(t, m, "enter")
	if m.answer.streaming {
		t.Fatal("the follow-up is still streaming")
	}
	s := screen(m)
	if !strings.Contains(s, "2. and benchmarks?") || !strings.Contains(s, "Benchmarks moved") {
		t.Fatalf("the follow-up is not on screen once it ends:\n%s", s)
	}
	press(t, m, "up")
	if s := screen(m); !strings.Contains(s, "More detail on folding") {
		t.Fatalf("scrolling up from the new turn does not reach the first:\n%s", s)
	}
}
