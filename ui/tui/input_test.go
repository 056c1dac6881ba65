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

// A prompt with steps is offered as a workflow to run, and starts like a
// draft once its variables are given (the backend runs the steps).
func TestPaletteOffersWorkflowRun(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {140, 45}} {
		m, b := newTestModel(t, size[0], size[1])
		b.prompts = append(b.prompts, PromptInfo{Name: "roadmap", Mode: "draft", Workflow: true, Vars: []string{"product"},
			Variables: []VarInfo{{Name: "product", Required: true}}})
		m.prompts = b.prompts
		press(t, m, "enter", "ctrl+p")
		typeText(t, m, "roadmap")
		if s := screen(m); !strings.Contains(s, "Run workflow: roadmap") || strings.Contains(s, "Draft: roadmap") {
			t.Fatalf("%dx%d palette:\n%s", size[0], size[1], s)
		}
		press(t, m, "enter")
		typeText(t, m, "Quire")
		press(t, m, "enter")
		if len(b.drafts) != 1 || b.drafts[0].Prompt != "roadmap" || b.drafts[0].Vars["product"] != "Quire" {
			t.Fatalf("%dx%d: request %+v", size[0], size[1], b.drafts)
		}
	}
}
