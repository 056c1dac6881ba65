package pdf

import (
	"regexp"
	"strings"
)

// A table of contents is navigation, not body text: its entries repeat
// every heading's words, so a query a section answers would also match
// the contents, and the reader would open them instead of the section.

// leaderRe is a dot leader and the page number it leads to.
var leaderRe = regexp.MustCompile(`(?:\s?\.){4,}\s*(?:\d{1,4}|[ivxlc]{1,6})\b`)

var (
	wordRe    = regexp.MustCompile(`\pL{2,}`)
	entryNum  = regexp.MustCompile(`^\s*(?:[A-Z]|\d{1,2})(?:\.\d{1,2})*\.?\s`)
	pageAtEnd = regexp.MustCompile(`(?:\d{1,4}|[ivxlc]{1,6})$`)
)

// contentsParagraph says whether paragraph s is (part of) a table of
// contents: entries that each end in a dot leader and a page number,
// and nothing after the last one but entries without a leader (a
// chapter and its page). R prints a sparse matrix's zeros as dots
// (". . 1 . ."): those rows have dots inside the entries, or a
// one-word label, and are kept; so is a two-column page whose contents
// are interleaved with body text, which never ends in a page number.
func contentsParagraph(s string) bool {
	pieces := leaderRe.Split(s, -1)
	if len(pieces) < 2 {
		return false
	}
	entries, tail := pieces[:len(pieces)-1], strings.TrimSpace(pieces[len(pieces)-1])
	for _, e := range entries {
		if len(e) > 600 || strings.Contains(e, ". .") || !wordRe.MatchString(e) {
			return false
		}
	}
	if len(tail) > 150 || strings.Contains(tail, ". .") || tail != "" && !pageAtEnd.MatchString(tail) {
		return false
	}
	if len(entries) == 1 {
		return len(strings.Fields(entries[0])) >= 3 || entryNum.MatchString(entries[0])
	}
	return true
}

// contentsHeads name a table of contents, as refHeads a reference list.
var contentsHeads = map[string]bool{"contents": true, "table of contents": true}

// maxEntry bounds a paragraph read as one contents entry (entryRe).
const maxEntry = 200

// entryRe is one contents entry without a leader: a numbered chapter
// and its page ("3 Simulating a dataset 2").
var entryRe = regexp.MustCompile(`^(?:[A-Z]|\d{1,2}(?:\.\d{1,2})*)\.?\s+\S.{0,150}\s(?:\d{1,4}|[ivxlc]{1,6})$`)

// contentsEntry says whether s, a heading or paragraph under a
// "Contents" heading, is one entry of it.
func contentsEntry(s string) bool { return entryRe.MatchString(strings.TrimSpace(s)) }
