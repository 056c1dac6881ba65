package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ratingBackend keeps ratings on the fake's saved conversations.
type ratingBackend struct {
	*fakeBackend
	rated []string
	edits []string
}

func (r *ratingBackend) Rate(_ context.Context, id string, draft bool, rating int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.convs {
		if c.ID == id && !draft {
			c.Turns[len(c.Turns)-1].Rating = rating
		}
	}
	r.rated = append(r.rated, id)
	return nil
}

func (r *ratingBackend) KeepEdit(_ context.Context, id string, draft bool, edited string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.edits = append(r.edits, id+": "+edited)
	return nil
}

// The rating keys mark the answer's saved turn; the mark comes back when
// the conversation is opened again; the same key twice clears it.
func TestRatingMarksTheTurn(t *testing.T) {
	rb := &ratingBackend{fakeBackend: newFakeBackend(40)}
	m, _ := newTestModel(t, 100, 30, func(o *Options) { o.Backend = rb })
	press(t, m, "enter")
	rb.script = turnScript("c1", "Folding improved [1].", 1)
	press(t, m, "a")
	typeText(t, m, "what improved?")
	press(t, m, "enter")
	rb.convs = append(rb.convs, &Conversation{ID: "c1", Title: "what improved?",
		Turns: []ConversationTurn{{Question: "what improved?", Answer: "Folding improved [1]."}}})
	if m.focus != FocusAnswer || m.answer.saved != "c1" {
		t.Fatalf("focus %v saved %q", m.focus, m.answer.saved)
	}
	press(t, m, "+")
	if m.answer.rating != 1 || len(rb.rated) != 1 || rb.convs[0].Turns[0].Rating != 1 {
		t.Fatalf("rating %d, backend %v %+v", m.answer.rating, rb.rated, rb.convs[0].Turns)
	}
	if !strings.Contains(m.status, "rated good") {
		t.Errorf("status %q", m.status)
	}

	// Reopen: the saved rating is back on the pane.
	press(t, m, "ctrl+n")
	drain(t, m, send(m, convOpenedMsg{conv: rb.convs[0]}))
	if m.answer.rating != 1 || m.answer.saved != "c1" {
		t.Fatalf("after reopening: rating %d saved %q", m.answer.rating, m.answer.saved)
	}
	press(t, m, "-")
	press(t, m, "-")
	if m.answer.rating != 0 || rb.convs[0].Turns[0].Rating != 0 {
		t.Fatalf("toggle: rating %d stored %d", m.answer.rating, rb.convs[0].Turns[0].Rating)
	}
}

// Without a saved run there is nothing to rate, and the user is told why.
func TestRatingNeedsASavedRun(t *testing.T) {
	rb := &ratingBackend{fakeBackend: newFakeBackend(40)}
	m, _ := newTestModel(t, 100, 30, func(o *Options) { o.Backend = rb })
	m.focus = FocusAnswer
	press(t, m, "+")
	if len(rb.rated) != 0 || !m.statusErr {
		t.Fatalf("rated %v status %q", rb.rated, m.status)
	}
}

// An $EDITOR rewrite of a saved answer is kept with the run; an
// unchanged file stores nothing.
func TestEditIsKeptWithTheRun(t *testing.T) {
	rb := &ratingBackend{fakeBackend: newFakeBackend(40)}
	m, _ := newTestModel(t, 100, 30, func(o *Options) { o.Backend = rb })
	press(t, m, "enter")
	rb.script = turnScript("c1", "Folding improved [1].", 1)
	press(t, m, "a")
	typeText(t, m, "what improved?")
	press(t, m, "enter")
	for _, text := range []string{m.answer.text, "Folding improved a lot [1]."} {
		path := filepath.Join(t.TempDir(), "edit.md")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		drain(t, m, send(m, editedMsg{pane: FocusAnswer, path: path}))
	}
	if len(rb.edits) != 1 || rb.edits[0] != "c1: Folding improved a lot [1]." || m.answer.text != "Folding improved a lot [1]." {
		t.Fatalf("edits %q text %q", rb.edits, m.answer.text)
	}
}

// R on a finished draft runs the same request again, naming the saved
// draft it replaces; while a draft streams, R only says to wait.
func TestRegenerateDraft(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	press(t, m, "enter")
	b.script = turnScript("d1", "First take [1].", 1)
	press(t, m, "ctrl+p")
	typeText(t, m, "lit-review")
	press(t, m, "enter")
	if m.focus != FocusDraft || m.draft.saved != "d1" || len(b.drafts) != 1 {
		t.Fatalf("focus %v saved %q drafts %d", m.focus, m.draft.saved, len(b.drafts))
	}
	b.script = turnScript("d1", "Second take [1].", 1)
	press(t, m, "R")
	if len(b.drafts) != 2 {
		t.Fatalf("R sent %d draft requests", len(b.drafts))
	}
	first, again := b.drafts[0], b.drafts[1]
	if again.Prompt != first.Prompt || again.Query != first.Query || again.Regenerate != "d1" || first.Regenerate != "" {
		t.Fatalf("regenerated %+v from %+v", again, first)
	}
	if !strings.Contains(m.draft.text, "Second take") {
		t.Errorf("pane shows %q", m.draft.text)
	}
	m.draft.streaming = true
	press(t, m, "R")
	if len(b.drafts) != 2 || !strings.Contains(m.status, "wait for the draft") {
		t.Errorf("R while streaming: %d requests, status %q", len(b.drafts), m.status)
	}
}
