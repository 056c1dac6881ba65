package agent

import (
	"context"
	"strings"
	"testing"
)

// Regenerating a saved draft replaces it under the same ID and keeps every
// earlier generation, with its rating and edit, as an alternative.
func TestRegenerateKeepsAlternatives(t *testing.T) {
	t.Parallel()
	store := NewStore(t.TempDir())
	a := New(testIndex(t), nil, Options{Store: store})
	draft := func(regen string) string {
		t.Helper()
		st, err := a.Draft(context.Background(), DraftRequest{Prompt: "prfaq", Query: "dark matter halos", Regenerate: regen})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := Collect(st)
		if err != nil {
			t.Fatal(err)
		}
		return evs[len(evs)-1].Done.ID
	}
	id := draft("")
	if err := store.Rate(KindDraft, id, -1); err != nil {
		t.Fatal(err)
	}
	if err := store.KeepEdit(KindDraft, id, "my rewrite"); err != nil {
		t.Fatal(err)
	}
	first, err := store.Load(KindDraft, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := draft(id); got != id {
		t.Fatalf("regenerated draft saved as %s, want %s", got, id)
	}
	if got := draft(id); got != id {
		t.Fatalf("second regeneration saved as %s", got)
	}
	r, err := store.Load(KindDraft, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Turns) != 1 || !r.Created.Equal(first.Created) {
		t.Fatalf("%d turns, created %v (was %v)", len(r.Turns), r.Created, first.Created)
	}
	alts := r.Turns[0].Alternatives
	if len(alts) != 2 {
		t.Fatalf("%d alternatives, want 2", len(alts))
	}
	if a0 := alts[0]; a0.Answer != first.Turns[0].Answer || a0.Rating != -1 || a0.Edited != "my rewrite" {
		t.Errorf("first generation kept as %+v", a0)
	}
	if r.Turns[0].Rating != 0 || r.Turns[0].Edited != "" {
		t.Errorf("the new draft inherited rating %d / edit %q", r.Turns[0].Rating, r.Turns[0].Edited)
	}
	st, err := a.Draft(context.Background(), DraftRequest{Prompt: "prfaq", Query: "x", Regenerate: "no-such-draft"})
	if err == nil {
		_, err = Collect(st)
	}
	if err == nil || !strings.Contains(err.Error(), "regenerate") {
		t.Errorf("regenerating a missing draft: %v", err)
	}
}
