package termtext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text\n\twith tab":                       "plain text\n\twith tab",
		"title \x1b]0;PWNED\x07 after":                 "title  after",        // OSC ended by BEL
		"a \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ b": "a link b",            // OSC ended by ST
		"clear \x1b[2J\x1b[H screen":                   "clear  screen",       // CSI
		"red \x1b[31;1mtext\x1b[0m":                    "red text",            // SGR
		"csi8 \u009b2J x":                              "csi8  x",             // 8-bit CSI
		"osc8 \u009d0;t\u009c x":                       "osc8  x",             // 8-bit OSC and ST
		"dcs \x1bPq#0;2\x1b\\ x":                       "dcs  x",              // DCS
		"charset \x1b(B x":                             "charset  x",          // ESC with an intermediate
		"save \x1b7 x":                                 "save  x",             // two-byte escape
		"bell\x07 bs\x08 del\x7f":                      "bell bs del",         // lone controls
		"over\rwrite":                                  "overwrite",           // CR would return to column 0
		"crlf\r\nline":                                 "crlf\nline",          // but CRLF is a newline
		"rtl \u202eesrever\u202c x":                    "rtl esrever x",       // bidi override
		"bad \xff utf8":                                "bad \ufffd utf8",     // invalid UTF-8
		"unicode café — 日本 ✓":                          "unicode café — 日本 ✓", // untouched
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Line("two\nlines\tand tab"); got != "two lines and tab" {
		t.Errorf("Line = %q", got)
	}
}

// TestWriterSplitSequences: a model streams its answer in pieces, and an
// escape sequence (or a UTF-8 rune) cut across two pieces is still
// removed (or kept) whole.
func TestWriterSplitSequences(t *testing.T) {
	t.Parallel()
	in := "answer \x1b]0;PWNED\x07 é [1]\x1b[2J done"
	for cut := 1; cut < len(in); cut++ {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, part := range []string{in[:cut], in[cut:]} {
			if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if got, want := buf.String(), "answer  é [1] done"; got != want {
			t.Errorf("cut at %d: %q, want %q", cut, got, want)
		}
	}
}

// TestJSONExact: JSON keeps its meaning and loses the raw C1 and bidi
// characters encoding/json leaves in.
func TestJSONExact(t *testing.T) {
	t.Parallel()
	title := "t \x1b]0;x\x07 \u009b2J \u202e r \x7f é"
	raw, err := json.Marshal(map[string]string{"title": title})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewJSONWriter(&buf)
	for i := range raw { // byte by byte: every boundary splits something
		if _, err := w.Write(raw[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\x7f"} {
		if strings.Contains(out, bad) {
			t.Errorf("JSON output holds %q: %q", bad, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["title"] != title {
		t.Errorf("round trip: %v, %q, want %q", err, back["title"], title)
	}
	if !strings.Contains(out, "é") {
		t.Errorf("JSON escaped ordinary text: %q", out)
	}
}
