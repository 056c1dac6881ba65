package refs

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Combining marks for LaTeX accent commands.
var accents = map[byte]rune{
	'\'': '\u0301', '`': '\u0300', '^': '\u0302', '"': '\u0308', '~': '\u0303',
	'=': '\u0304', '.': '\u0307', 'u': '\u0306', 'v': '\u030C', 'H': '\u030B',
	'c': '\u0327', 'k': '\u0328', 'r': '\u030A',
}

var symbols = map[string]string{
	"ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
	"aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "&": "&",
	"%": "%", "$": "$", "_": "_", "#": "#", "textendash": "–", "textemdash": "—",
}

// Latex decodes accents and symbols to Unicode (NFC), drops grouping braces
// and collapses white space.
func Latex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' || c == '}':
		case c == '~':
			b.WriteByte(' ')
		case c == '-' && strings.HasPrefix(s[i:], "---"):
			b.WriteString("—")
			i += 2
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			b.WriteString("–")
			i++
		case c == '\\' && i+1 < len(s):
			i++
			if m, ok := accents[s[i]]; ok && (!isLetter(s[i]) || i+1 < len(s) && !isLetter(s[i+1])) {
				// \'e, \'{e}, \"{\i}, \c c
				j := i + 1
				for j < len(s) && (s[j] == '{' || s[j] == ' ') {
					j++
				}
				if j < len(s) && s[j] == '\\' && j+1 < len(s) && (s[j+1] == 'i' || s[j+1] == 'j') {
					j++ // dotless i/j take the accent as plain i/j
				}
				if j < len(s) {
					b.WriteByte(s[j])
					b.WriteRune(m)
					i = j
					if i+1 < len(s) && s[i+1] == '}' {
						i++
					}
					continue
				}
			}
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			if j == i {
				j = i + 1 // one-character command like \&
			}
			name := s[i:j]
			if sym, ok := symbols[name]; ok {
				b.WriteString(sym)
			}
			// Unknown commands (\emph, \textit) vanish; their braced
			// argument stays as text.
			i = j - 1
			if j < len(s) && s[j] == ' ' && isLetter(name[0]) {
				i = j
			}
		default:
			b.WriteByte(c)
		}
	}
	return norm.NFC.String(strings.Join(strings.Fields(b.String()), " "))
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
