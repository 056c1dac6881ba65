package tui

import (
	"strings"
	"testing"
)

// The variable line shows each variable's description and default; empty
// input sends "" (the backend applies the default) and a required one
// without a default is asked again.
func TestPromptVariablesShowDescriptionAndDefault(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	b.prompts = append(b.prompts, PromptInfo{Name: "brief", Mode: "draft", Vars: []string{"audience", "product"},
		Variables: []VarInfo{
			{Name: "audience", Description: "who reads it", Default: "research team"},
			{Name: "product", Description: "what is announced", Required: true},
		}})
	m.prompts = b.prompts
	press(t, m, "enter", "ctrl+p")
	typeText(t, m, "brief")
	press(t, m, "enter")
	s := screen(m)
	for _, want := range []string{"brief · audience (1 of 2)", "default: research team", "who reads it", "keeps the default “research team”"} {
		if !strings.Contains(s, want) {
			t.Errorf("the variable line lacks %q:\n%s", want, s)
		}
	}
	press(t, m, "enter") // empty: the default
	if s := screen(m); !strings.Contains(s, "brief · product (2 of 2)") || !strings.Contains(s, "what is announced") {
		t.Fatalf("second variable:\n%s", s)
	}
	press(t, m, "enter") // empty and required: asked again
	if m.overlay != overlayInput || len(b.drafts) != 0 || !strings.Contains(m.status, "product needs a value") {
		t.Fatalf("empty required value accepted: overlay %v drafts %d status %q", m.overlay, len(b.drafts), m.status)
	}
	typeText(t, m, "Quire")
	press(t, m, "enter")
	if len(b.drafts) != 1 || b.drafts[0].Vars["audience"] != "" || b.drafts[0].Vars["product"] != "Quire" {
		t.Fatalf("draft request %+v", b.drafts)
	}
}
