// Package termtext makes untrusted text safe to print on a terminal.
//
// Paper titles, abstracts, author lists, file names and model output are
// data. Printed raw, an escape sequence inside them is obeyed by the
// terminal: an OSC sequence renames the window or writes the clipboard,
// "ESC [2J" clears the screen, a lone "\r" overwrites the line. Every
// path that prints such text, in the command line and in the app, goes
// through Clean, Line or a Writer, which remove escape sequences (CSI,
// OSC, DCS, SOS, PM, APC, and two-byte escapes, in their 7-bit and 8-bit
// forms), C0 and C1 control characters other than newline and tab, DEL,
// and the bidirectional overrides that reorder what is displayed.
// Invalid UTF-8 becomes U+FFFD.
package termtext

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Clean returns s without escape sequences or control characters; it
// keeps newlines and tabs, and a "\r\n" becomes "\n".
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var c cleaner
	return string(c.clean(nil, []byte(s)))
}

// Line is Clean for one-line fields (titles, names, labels): newlines,
// carriage returns and tabs become spaces as well.
func Line(s string) string {
	s = Clean(s)
	if strings.ContainsAny(s, "\n\t") {
		s = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\t' {
				return ' '
			}
			return r
		}, s)
	}
	return s
}

// isPlain is the fast path: printable ASCII and newlines or tabs only.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x7f || b < 0x20 && b != '\n' && b != '\t' {
			return false
		}
	}
	return true
}

// Writer cleans a stream written in pieces, such as a model's answer
// arriving token by token: a sequence split across two writes is still
// removed whole.
type Writer struct {
	w io.Writer
	c cleaner
}

// NewWriter returns a Writer that cleans what it passes on to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write cleans p and writes the result. It reports len(p) on success, as
// the bytes removed were consumed.
func (w *Writer) Write(p []byte) (int, error) {
	out := w.c.clean(nil, p)
	if len(out) > 0 {
		if _, err := w.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// state is where the cleaner stands inside an escape sequence.
type state int

const (
	text   state = iota
	esc          // after ESC
	csi          // in a control sequence, until a final byte 0x40–0x7e
	str          // in OSC/DCS/SOS/PM/APC, until BEL or ST
	strEsc       // ESC seen inside a string: ST if '\' follows
)

// cleaner carries state across calls, and the bytes of a UTF-8 rune cut
// in two by a write boundary.
type cleaner struct {
	st      state
	partial []byte
	cr      bool // a '\r' was seen: dropped, or "\n" if one follows
}

func (c *cleaner) clean(dst, p []byte) []byte {
	if len(c.partial) > 0 {
		p = append(c.partial, p...)
		c.partial = nil
	}
	for len(p) > 0 {
		r, n := utf8.DecodeRune(p)
		if r == utf8.RuneError && n <= 1 {
			if !utf8.FullRune(p) {
				c.partial = append([]byte(nil), p...)
				return dst
			}
			// Invalid byte: it is not text, and in a sequence it is noise.
			if c.st == text {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			}
			p = p[1:]
			continue
		}
		p = p[n:]
		dst = c.rune(dst, r)
	}
	return dst
}

func (c *cleaner) rune(dst []byte, r rune) []byte {
	switch c.st {
	case esc:
		switch r {
		case '[':
			c.st = csi
		case ']', 'P', 'X', '^', '_':
			c.st = str
		default:
			if r >= 0x20 && r <= 0x2f {
				return dst // an intermediate byte: the final one follows
			}
			// A two-byte escape (ESC 7, ESC c …) or an intermediate: both
			// end here; a stray ESC before text loses only itself.
			c.st = text
			if r < 0x20 || r > 0x7e {
				return c.rune(dst, r)
			}
		}
		return dst
	case csi:
		if r >= 0x40 && r <= 0x7e {
			c.st = text
		} else if r < 0x20 || r > 0x7e {
			// Not part of a well-formed sequence: end it and look again.
			c.st = text
			return c.rune(dst, r)
		}
		return dst
	case str:
		switch r {
		case 0x07, 0x9c: // BEL or 8-bit ST
			c.st = text
		case 0x1b:
			c.st = strEsc
		}
		return dst
	case strEsc:
		c.st = str
		if r == '\\' {
			c.st = text
		}
		return dst
	}
	if c.cr {
		c.cr = false
		if r == '\n' {
			return append(dst, '\n')
		}
	}
	switch {
	case r == 0x1b:
		c.st = esc
	case r == 0x9b:
		c.st = csi
	case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f:
		c.st = str
	case r == '\r':
		c.cr = true
	case r == '\n' || r == '\t':
		dst = append(dst, byte(r))
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		// Other controls: bell, backspace, form feed, C1 …
	case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
		// Bidirectional embeddings, overrides and isolates.
	default:
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// JSON makes JSON from encoding/json safe for a terminal without changing
// its meaning: encoding/json escapes C0 controls but passes DEL, C1
// controls (U+0080–U+009F, an 8-bit CSI among them) and bidirectional
// overrides through raw. These can only occur inside strings, where a \u
// escape denotes the same character.
func JSON(b []byte) []byte {
	if !needsJSONEscape(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if jsonUnsafe(r) {
			out = append(out, fmt.Sprintf(`\u%04x`, r)...)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

func jsonUnsafe(r rune) bool {
	return r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// needsJSONEscape is the fast path: DEL, or a lead byte of a C1 control
// (0xC2) or of a bidi control (0xE2).
func needsJSONEscape(b []byte) bool {
	for _, c := range b {
		if c == 0x7f || c == 0xc2 || c == 0xe2 {
			return true
		}
	}
	return false
}

// JSONWriter applies JSON to a stream of JSON text.
type JSONWriter struct {
	w    io.Writer
	hold []byte // the start of a rune whose other bytes are in the next write
}

// NewJSONWriter returns a JSONWriter writing to w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: w} }

func (j *JSONWriter) Write(p []byte) (int, error) {
	b := append(j.hold, p...)
	j.hold = nil
	// Hold back a rune cut in two by the write boundary.
	if i := lastRuneStart(b); i >= 0 && !utf8.FullRune(b[i:]) {
		j.hold = append([]byte(nil), b[i:]...)
		b = b[:i]
	}
	if _, err := j.w.Write(JSON(b)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// lastRuneStart is the index of the last byte that starts a rune, or -1.
func lastRuneStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return -1
}
