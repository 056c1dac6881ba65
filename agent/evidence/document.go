package evidence

import (
	"fmt"
	"regexp"
	"strings"
)

// SourceList lists sources as markdown items, "- [n] Title (year) — `id`",
// with the passage's section and pages when known, marking the ones that
// came from the user's basket.
func SourceList(srcs []Source) string {
	var b strings.Builder
	for _, s := range srcs {
		extra := ""
		if w := s.Passage(); w != "" {
			extra = " · " + w
		}
		if s.Basket {
			extra += " · basket"
		}
		fmt.Fprintf(&b, "- [%d] %s — `%s`%s\n", s.N, s.Label(), s.PaperID, extra)
	}
	return b.String()
}

// Passage is Where for a source that is a located passage, "" for a
// whole-paper source (its abstract), so source lists name only what helps
// find the text.
func (s Source) Passage() string {
	if generic[s.Section] && s.Page <= 0 {
		return ""
	}
	return s.Where()
}

// generic are the section labels of whole-paper sources, not worth listing.
var generic = map[string]bool{"abstract": true, "full text": true, "abstract and full text": true}

var sourcesHeading = regexp.MustCompile(`(?m)^##\s+Sources\s*$`)

// Document is a streamed draft as one markdown file: its text, one final
// newline, then a "## Sources" section unless the text already has one.
// The app shows it, exports it, and `quire draft` prints it, byte for byte.
//
// The text is always a prefix of the document up to its trailing newlines,
// so a printer may stream the text (holding back trailing newlines) and end
// with Document(text, srcs)[len(written):].
func Document(text string, srcs []Source) string {
	doc := strings.TrimRight(text, "\n")
	if doc == "" && len(srcs) == 0 {
		return ""
	}
	if doc != "" {
		doc += "\n"
	}
	if len(srcs) == 0 || sourcesHeading.MatchString(text) {
		return doc
	}
	if doc != "" {
		doc += "\n"
	}
	return doc + "## Sources\n\n" + SourceList(srcs)
}
