package highlight

import (
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// A snippet is plain text: a heading loses its "## ", a line of R output
// escaped at extraction ("\## [1]") is shown as the PDF had it, and the
// marks after them still cover the matched words.
func TestSnippetDropsHashEscape(t *testing.T) {
	text := "## 2 The model\n\nThe fit gives\n\\## [1] 0.5012 model\n\\## [2] 0.7 model\nwhere \\# stays"
	var hits []*analysis.Token
	for off := 0; ; {
		i := strings.Index(text[off:], "model")
		if i < 0 {
			break
		}
		hits = append(hits, &analysis.Token{Start: off + i, End: off + i + len("model")})
		off += i + 1
	}
	s := cut(text, 0, hits)
	want := "2 The model\n\nThe fit gives\n## [1] 0.5012 model\n## [2] 0.7 model\nwhere \\# stays"
	if s.Text != want {
		t.Fatalf("snippet %q, want %q", s.Text, want)
	}
	if len(s.Marks) != 3 {
		t.Fatalf("marks %v, want 3", s.Marks)
	}
	for _, m := range s.Marks {
		if got := s.Text[m[0]:m[1]]; got != "model" {
			t.Errorf("mark %v covers %q, want model", m, got)
		}
	}
}
