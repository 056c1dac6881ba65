package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is a run of input between white space; white space inside double
// quotes does not split it.
type token struct {
	start, end int // byte span in the input
	openQuote  int // offset of a quote never closed, or -1
}

// scan splits s into tokens. It never fails: an unterminated quote runs to
// the end of the input and is recorded, so completion can work on partial
// input while Parse reports it.
func scan(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		t := token{start: i, openQuote: -1}
		i, t.openQuote = scanToken(s, i)
		t.end = i
		toks = append(toks, t)
	}
	return toks
}

// scanToken returns where the token starting at i ends and the offset of
// an unterminated quote (or -1).
func scanToken(s string, i int) (end, openQuote int) {
	quote := -1
	for i < len(s) {
		if quote >= 0 {
			switch {
			case isEscape(s, i):
				i += 2
			case s[i] == '"':
				quote = -1
				i++
			default:
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		if r == '"' {
			quote = i
		}
		i += size
	}
	return i, quote
}

// isEscape reports whether s[i:] starts with \" or \\, the only escapes
// inside quotes. Any other backslash is literal, so Windows paths and LaTeX
// survive quoting.
func isEscape(s string, i int) bool {
	return s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\')
}

// segment is one comma-separated item of a filter value.
type segment struct {
	start, end int    // raw byte span, quotes included
	text       string // unquoted and unescaped
	quoted     bool   // some part of it was quoted
}

// splitItems cuts s[start:end] at commas outside quotes. Quoted and bare
// parts of one item join, as in a shell: a"b c"d is `ab cd`.
func splitItems(s string, start, end int) []segment {
	var items []segment
	var b strings.Builder
	cur := segment{start: start}
	inQuote := false
	for i := start; i < end; {
		switch {
		case inQuote && isEscape(s, i):
			b.WriteByte(s[i+1])
			i += 2
			continue
		case s[i] == '"':
			inQuote = !inQuote
			cur.quoted = true
		case s[i] == ',' && !inQuote:
			cur.end, cur.text = i, b.String()
			items = append(items, cur)
			b.Reset()
			cur = segment{start: i + 1}
		default:
			b.WriteByte(s[i])
		}
		i++
	}
	cur.end, cur.text = end, b.String()
	return append(items, cur)
}

// quotedParts returns the unescaped contents of each quoted part of a token.
func quotedParts(tok string) []string {
	var parts []string
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(tok); i++ {
		switch {
		case inQuote && isEscape(tok, i):
			b.WriteByte(tok[i+1])
			i++
		case tok[i] == '"':
			if inQuote {
				parts = append(parts, b.String())
				b.Reset()
			}
			inQuote = !inQuote
		case inQuote:
			b.WriteByte(tok[i])
		}
	}
	return parts
}

// fold trims s and folds runs of white space into one space.
func fold(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
