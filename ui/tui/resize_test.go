package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The reader is rendered again for the new width when the window
// changes size, so its lines fit the pane instead of being cut, and the
// screen is repainted whole once that render lands.
func TestReaderRerendersOnResize(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	typeText(t, m, "protein")
	press(t, m, "enter", "enter")
	if m.reader.width != m.layout.Detail.W {
		t.Fatalf("reader width %d, pane %d", m.reader.width, m.layout.Detail.W)
	}
	send(m, tea.WindowSizeMsg{Width: 140, Height: 45})
	msg := m.renderReader()()
	cmd := send(m, msg)
	if cmd == nil || fmt.Sprintf("%T", cmd()) != fmt.Sprintf("%T", tea.ClearScreen()) {
		t.Error("the reader's render for the new size did not repaint the screen")
	}
	// Another paper at the same size is no resize: no repaint.
	m.reader.seq++
	m.reader.id = "p001"
	if cmd := send(m, m.renderReader()()); cmd != nil {
		t.Errorf("a new paper at the same width repainted the screen (%T)", cmd())
	}
	m.reader.seq++
	m.reader.id = "p000"
	send(m, m.renderReader()())
	if m.reader.width != m.layout.Detail.W {
		t.Fatalf("after resize: reader rendered for %d, pane %d", m.reader.width, m.layout.Detail.W)
	}
	for i, l := range m.reader.lines {
		if w := ansi.StringWidth(l); w > m.layout.Detail.W {
			t.Fatalf("line %d is %d wide in a %d pane: %q", i, w, m.layout.Detail.W, ansi.Strip(l))
		}
	}
	if s := screen(m); strings.Count(s, "…\n") > 3 {
		t.Errorf("reader lines cut after resize:\n%s", s)
	}
}
