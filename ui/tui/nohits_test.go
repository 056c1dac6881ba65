package tui

import (
	"strings"
	"testing"
)

// When no paper has the words, the results pane offers the engine's
// spellings for the whole line, filters kept, and Enter searches them.
func TestNoHitsSpellingSuggestion(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {140, 45}} {
		m, b := newTestModel(t, sz.w, sz.h)
		b.spell = map[string]string{"protien": "protein", "foldng": "folding"}
		typeText(t, m, "protien foldng year:2015..2024")
		s := screen(m)
		if !strings.Contains(s, "No paper has these words. Did you mean") ||
			!strings.Contains(s, "│  protein folding year:2015..2024 ") || !strings.Contains(s, "│  enter searches it ") {
			t.Fatalf("%dx%d: no suggestion shown:\n%s", sz.w, sz.h, s)
		}
		press(t, m, "enter")
		if got := m.bar.ed.Value(); got != "protein folding year:2015..2024" || m.results.total == 0 {
			t.Fatalf("%dx%d: enter gave %q with %d hits", sz.w, sz.h, got, m.results.total)
		}
		if strings.Contains(screen(m), "Did you mean") {
			t.Fatalf("%dx%d: suggestion still shown with hits", sz.w, sz.h)
		}
		// The reader beside the results previews the first hit, and
		// nothing once a search finds nothing.
		if sz.w >= 140 {
			if m.reader.id == "" || !strings.Contains(screen(m), "Reader · Advances in protein folding") {
				t.Fatalf("no preview of the first hit:\n%s", screen(m))
			}
			typeText(t, m, " qwzxv")
			if s := screen(m); m.reader.id != "" || strings.Contains(s, "Reader · Advances") {
				t.Fatalf("a preview beside no results:\n%s", s)
			}
		}
	}

	// A line edited since the search, or no spelling offered: the plain
	// message, and Enter leaves the line alone.
	m, b := newTestModel(t, 80, 24)
	b.spell = map[string]string{"protien": "protein"}
	typeText(t, m, "qwzxv")
	if s := screen(m); strings.Contains(s, "Did you mean") || !strings.Contains(s, "No results.") {
		t.Fatalf("no spelling offered, yet:\n%s", s)
	}
	press(t, m, "enter")
	if got := m.bar.ed.Value(); got != "qwzxv" {
		t.Fatalf("enter changed the line to %q", got)
	}
}

// When other words found papers, spellings are asked for only on Enter
// (not as each word is typed), which still moves to the hits at once; the
// offer is shown above them, and / then Enter searches it.
func TestSpellingCheckedOnEnter(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {140, 45}} {
		m, b := newTestModel(t, sz.w, sz.h)
		b.spell = map[string]string{"foldng": "folding"}
		typeText(t, m, "protein foldng")
		if m.results.total == 0 {
			t.Fatalf("%dx%d: the other word found nothing", sz.w, sz.h)
		}
		for _, r := range b.searches {
			if r.Spelling {
				t.Fatalf("%dx%d: spellings asked for while typing", sz.w, sz.h)
			}
		}
		if s := screen(m); strings.Contains(s, "Did you mean") {
			t.Fatalf("%dx%d: suggestion before Enter:\n%s", sz.w, sz.h, s)
		}
		press(t, m, "enter")
		s := screen(m)
		if m.focus != FocusResults || !strings.Contains(s, "│  Did you mean protein folding? ") ||
			!strings.Contains(s, "│  42 hits · / then enter searches it ") {
			t.Fatalf("%dx%d: no suggestion above the hits (focus %v):\n%s", sz.w, sz.h, m.focus, s)
		}
		if !strings.Contains(s, "Advances in protein folding") {
			t.Fatalf("%dx%d: the hits as typed are gone:\n%s", sz.w, sz.h, s)
		}
		// The cursor stays on screen below the offer.
		press(t, m, "G")
		if s := screen(m); !strings.Contains(s, "▸ ") {
			t.Fatalf("%dx%d: the cursor is off screen:\n%s", sz.w, sz.h, s)
		}
		press(t, m, "/")
		if s := screen(m); !strings.Contains(s, "│  42 hits · enter searches it ") {
			t.Fatalf("%dx%d: in the bar, no enter hint:\n%s", sz.w, sz.h, s)
		}
		press(t, m, "enter")
		if got := m.bar.ed.Value(); got != "protein folding" || m.results.total == 0 {
			t.Fatalf("%dx%d: enter gave %q with %d hits", sz.w, sz.h, got, m.results.total)
		}
		// The corrected line has nothing to offer: Enter goes to the hits.
		press(t, m, "enter")
		if m.focus != FocusResults || strings.Contains(screen(m), "Did you mean") {
			t.Fatalf("%dx%d: enter on a correct line left focus %v:\n%s", sz.w, sz.h, m.focus, screen(m))
		}
	}

	// Typing after the offer hides it; Enter checks the edited line anew.
	m, b := newTestModel(t, 80, 24)
	b.spell = map[string]string{"foldng": "folding"}
	typeText(t, m, "protein foldng")
	press(t, m, "enter", "/")
	if !strings.Contains(screen(m), "Did you mean") {
		t.Fatalf("no suggestion:\n%s", screen(m))
	}
	typeText(t, m, " advances")
	if got := m.bar.ed.Value(); got != "protein foldng advances" || m.results.total == 0 || strings.Contains(screen(m), "Did you mean") {
		t.Fatalf("offer kept for an edited line %q:\n%s", got, screen(m))
	}
	press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "│  Did you mean protein folding advances? ") {
		t.Fatalf("edited line not checked:\n%s", s)
	}
}
