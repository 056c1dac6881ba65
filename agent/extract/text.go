package extract

import (
	"github.com/blevesearch/go-porterstemmer"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a sentence as a byte range of its text, so what is quoted is
// always exactly what the source says.
type Span struct{ Start, End int }

// abbreviations that end in a period without ending a sentence.
var abbrev = map[string]bool{
	"e.g": true, "i.e": true, "et al": true, "al": true, "fig": true, "figs": true, "eq": true,
	"eqs": true, "ref": true, "refs": true, "vs": true, "cf": true, "approx": true, "no": true,
	"vol": true, "dr": true, "mr": true, "ms": true, "prof": true, "sec": true, "tab": true,
	"resp": true, "ca": true, "etc": true, "st": true, "jr": true, "sr": true, "inc": true,
}

// Sentences splits text into sentences: at ". ", "? " and "! " followed by
// an upper-case letter, digit, quote or bracket (any letter in text with no
// capitals at all), and at blank lines. It
// does not split after common abbreviations, single initials or decimal
// points. Spans are trimmed of white space and never empty.
func Sentences(text string) []Span {
	// Some collections are lower-cased throughout ("... slipstream . the
	// ..."): there any letter may start a sentence.
	lower := strings.IndexFunc(text, unicode.IsUpper) < 0
	var out []Span
	start := 0
	emit := func(end int) {
		s, e := start, end
		for s < e && isSpaceByte(text[s]) {
			s++
		}
		for e > s && isSpaceByte(text[e-1]) {
			e--
		}
		if e > s {
			out = append(out, Span{s, e})
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\n' {
			// A blank line ends a paragraph.
			j := i + 1
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
				j++
			}
			if j < len(text) && text[j] == '\n' {
				emit(i)
				start = j + 1
				i = j
			}
			continue
		}
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		// Let closing quotes and brackets belong to the sentence.
		end := i + 1
		for end < len(text) && strings.IndexByte(`"')]`, text[end]) >= 0 {
			end++
		}
		if end >= len(text) || !isSpaceByte(text[end]) {
			continue
		}
		next := end
		for next < len(text) && isSpaceByte(text[next]) {
			next++
		}
		if next >= len(text) {
			break
		}
		r, _ := utf8.DecodeRuneInString(text[next:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune(`"'([`, r) || lower && unicode.IsLetter(r)) {
			continue
		}
		if c == '.' && noBreakBefore(text[start:i]) {
			continue
		}
		emit(end)
		start = next
		i = next - 1
	}
	emit(len(text))
	return out
}

// noBreakBefore reports whether the word before a period is an
// abbreviation or an initial.
func noBreakBefore(before string) bool {
	w := before
	if k := strings.LastIndexFunc(w, func(r rune) bool { return unicode.IsSpace(r) || r == '(' }); k >= 0 {
		w = w[k+1:]
	}
	lw := strings.ToLower(w)
	if abbrev[lw] || strings.HasSuffix(lw, "et al") {
		return true
	}
	// A single capital letter: an initial ("J. Smith").
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsUpper(r)
	}
	return false
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// stop words carry no topic and are dropped from terms.
var stop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be
	because been before being below between both but by can could did do does doing down during each
	few for from further had has have having he her here hers herself him himself his how i if in into
	is it its itself just me more most my myself no nor not of off on once only or other our ours
	out over own same she should so some such than that the their theirs them themselves then there
	these they this those through to too under until up very was we were what when where which while
	who whom why will with would you your yours however thus therefore may might must shall whether
	within without among upon via using used use based show shows shown study studies result results
	paper report reports reported find found effect effects associated`) {
		m[w] = true
	}
	return m
}()

// Terms lower-cases s, splits it into letter and digit runs, drops stop
// words and single letters, and strips common English suffixes so that
// "mutations" meets "mutation".
func Terms(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stop[w] || utf8.RuneCountInString(w) < 2 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stem is the Porter stemmer (the one bleve's English analyser uses), so
// "mutations" meets "mutated".
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	return porterstemmer.StemString(w)
}
