package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// byline is "first authors · year · venue".
func byline(p *corpus.Paper) string {
	var parts []string
	if a := authorsShort(p.Authors, 2); a != "" {
		parts = append(parts, a)
	}
	if p.Year != 0 {
		parts = append(parts, strconv.Itoa(p.Year))
	}
	if p.Venue != "" {
		parts = append(parts, p.Venue)
	}
	return strings.Join(parts, " · ")
}

func authorsShort(a []string, n int) string {
	if len(a) <= n {
		return strings.Join(a, ", ")
	}
	return strings.Join(a[:n], ", ") + " et al."
}

// markedLine renders a snippet on one line of w cells with its matches
// styled (bold and underlined, so they show without colour). The window
// starts a little before the first match so it is always visible.
func markedLine(st *Styles, sn search.Snippet, w int) string {
	if w <= 0 {
		return ""
	}
	text := sn.Text
	start := 0
	if len(sn.Marks) > 0 {
		m0 := sn.Marks[0][0]
		if m0 > 0 && m0 <= len(text) && ansi.StringWidth(text[:m0]) > w/3 {
			// Back up to a word boundary about 20 bytes before the match.
			start = max(0, m0-20)
			for start > 0 && start < m0 && text[start-1] != ' ' {
				start++
			}
		}
	}
	var b strings.Builder
	used := 0
	if start > 0 {
		b.WriteString("…")
		used = 1
	}
	last := start
	// Write plain text and marks until the line is full.
	write := func(s string, mark bool) bool {
		s = strings.ReplaceAll(s, "\n", " ")
		sw := ansi.StringWidth(s)
		full := false
		if used+sw > w {
			s = ansi.Truncate(s, w-used, "")
			sw = ansi.StringWidth(s)
			full = true
		}
		if mark {
			b.WriteString(st.Mark.Render(s))
		} else {
			b.WriteString(s)
		}
		used += sw
		return full
	}
	for _, m := range sn.Marks {
		if m[0] < last || m[1] > len(text) || m[0] >= m[1] {
			continue
		}
		if write(text[last:m[0]], false) {
			break
		}
		last = m[1]
		if write(text[m[0]:m[1]], true) {
			break
		}
	}
	if used < w && last < len(text) {
		write(text[last:], false)
	}
	if used < w {
		b.WriteString(strings.Repeat(" ", w-used))
	}
	return b.String()
}

// paneHeader is a pane's title row. The focused pane shows a marker and
// bold text, so focus does not depend on colour.
func paneHeader(st *Styles, title string, w int, focused bool) string {
	if focused {
		return fit(st.FocusBorder.Render("▌"+title), w)
	}
	return fit(st.Muted.Render(" "+title), w)
}

// wrap breaks plain text into lines of at most w cells.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
			for ansi.StringWidth(line) > w {
				out = append(out, ansi.Truncate(line, w, ""))
				line = ansi.TruncateLeft(line, w, "")
			}
		}
		out = append(out, line)
	}
	return out
}
