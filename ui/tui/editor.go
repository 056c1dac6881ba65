package tui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// editor is a one-line text field: the search bar, the question prompt and
// the palette filter share it. It is deliberately small (no blinking, no
// suggestions) so views are deterministic and cheap.
type editor struct {
	runes []rune
	pos   int // cursor, in runes
}

func (e *editor) Value() string { return string(e.runes) }

func (e *editor) SetValue(s string) {
	e.runes = []rune(s)
	e.pos = len(e.runes)
}

// BytePos is the cursor as a byte offset into Value.
func (e *editor) BytePos() int { return len(string(e.runes[:e.pos])) }

// SetBytePos moves the cursor to byte offset b of Value.
func (e *editor) SetBytePos(b int) {
	e.pos = len([]rune(e.Value()[:min(max(b, 0), len(e.Value()))]))
}

// handle applies an editing key and reports whether the key was an editing
// key and whether the value changed.
func (e *editor) handle(msg tea.KeyPressMsg) (handled, changed bool) {
	switch msg.String() {
	case "left", "ctrl+b":
		e.pos = max(0, e.pos-1)
	case "right", "ctrl+f":
		e.pos = min(len(e.runes), e.pos+1)
	case "home", "ctrl+a":
		e.pos = 0
	case "end", "ctrl+e":
		e.pos = len(e.runes)
	case "alt+left", "ctrl+left", "alt+b":
		e.pos = e.wordStart()
	case "alt+right", "ctrl+right", "alt+f":
		e.pos = e.wordEnd()
	case "backspace", "ctrl+h":
		if e.pos == 0 {
			return true, false
		}
		e.runes = append(e.runes[:e.pos-1], e.runes[e.pos:]...)
		e.pos--
		return true, true
	case "delete", "ctrl+d":
		if e.pos == len(e.runes) {
			return true, false
		}
		e.runes = append(e.runes[:e.pos], e.runes[e.pos+1:]...)
		return true, true
	case "ctrl+w", "alt+backspace", "ctrl+backspace":
		s := e.wordStart()
		if s == e.pos {
			return true, false
		}
		e.runes = append(e.runes[:s], e.runes[e.pos:]...)
		e.pos = s
		return true, true
	case "ctrl+u":
		if len(e.runes) == 0 {
			return true, false
		}
		e.runes, e.pos = nil, 0
		return true, true
	case "ctrl+k":
		if e.pos == len(e.runes) {
			return true, false
		}
		e.runes = e.runes[:e.pos]
		return true, true
	default:
		t := printable(msg)
		if t == "" {
			return false, false
		}
		e.Insert(t)
		return true, true
	}
	return true, false
}

// printable returns the text a key types, or "" for a command key.
func printable(msg tea.KeyPressMsg) string {
	if msg.Mod&(tea.ModCtrl|tea.ModAlt|tea.ModSuper|tea.ModMeta|tea.ModHyper) != 0 {
		return ""
	}
	if msg.Text != "" {
		return msg.Text
	}
	if msg.Code == tea.KeySpace {
		return " "
	}
	return ""
}

func (e *editor) Insert(t string) {
	t = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, t)
	ins := []rune(t)
	out := make([]rune, 0, len(e.runes)+len(ins))
	out = append(out, e.runes[:e.pos]...)
	out = append(out, ins...)
	out = append(out, e.runes[e.pos:]...)
	e.runes = out
	e.pos += len(ins)
}

func (e *editor) wordStart() int {
	i := e.pos
	for i > 0 && unicode.IsSpace(e.runes[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(e.runes[i-1]) {
		i--
	}
	return i
}

func (e *editor) wordEnd() int {
	i := e.pos
	for i < len(e.runes) && unicode.IsSpace(e.runes[i]) {
		i++
	}
	for i < len(e.runes) && !unicode.IsSpace(e.runes[i]) {
		i++
	}
	return i
}

// view renders the field in width cells with the cursor shown as a
// reversed cell (when focused), scrolling horizontally to keep it visible.
func (e *editor) view(width int, focused bool, cursor func(...string) string, placeholder string) string {
	if width <= 0 {
		return ""
	}
	if len(e.runes) == 0 && !focused {
		return fit(placeholder, width)
	}
	if len(e.runes) == 0 && placeholder != "" {
		return cursor(" ") + fit(placeholder, width-1)
	}
	// Window of runes around the cursor that fits in width-1 cells.
	start := 0
	if w := ansi.StringWidth(string(e.runes[:e.pos])); w > width-2 {
		acc := 0
		start = e.pos
		for start > 0 && acc+runeWidth(e.runes[start-1]) <= width-2 {
			start--
			acc += runeWidth(e.runes[start])
		}
	}
	before := string(e.runes[start:e.pos])
	var at, after string
	if e.pos < len(e.runes) {
		at = string(e.runes[e.pos])
		after = string(e.runes[e.pos+1:])
	} else {
		at = " "
	}
	if !focused {
		return fit(before+at+after, width)
	}
	out := before + cursor(at)
	rest := width - ansi.StringWidth(before) - ansi.StringWidth(at)
	return out + fit(after, rest)
}

func runeWidth(r rune) int { return max(1, ansi.StringWidth(string(r))) }

// fit truncates s (which may hold ANSI styles) to w cells with an ellipsis
// and pads it with spaces to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}
