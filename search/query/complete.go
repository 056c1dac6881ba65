package query

import (
	"strings"
	"unicode/utf8"
)

// CompletionKind says what a Completion completes.
type CompletionKind int

const (
	// CompleteKey: the cursor is in a word that starts a filter key. List
	// MatchKeys(Prefix) and replace Start:End with the chosen "key:".
	CompleteKey CompletionKind = iota + 1
	// CompleteValue: the cursor is in the value of a filter on Key. List
	// values (from facets) starting with Prefix and replace Start:End with
	// QuoteValue(chosen).
	CompleteValue
)

// Completion describes what can be completed at the cursor.
type Completion struct {
	Kind CompletionKind
	// Key is the canonical key whose value is being typed; "" for CompleteKey.
	Key string
	// Prefix is what was typed before the cursor, unquoted for values.
	Prefix string
	// Start and End are the byte span of the input to replace: the whole
	// key including its colon, or the whole list item including its quotes,
	// even where they extend past the cursor.
	Start, End int
}

// CompletionAt returns the completion for input with the cursor at byte
// offset cursor, and false when the cursor is in free text, in white space
// or in a word no key starts with. Unterminated quotes are fine: the user is
// still typing.
func CompletionAt(input string, cursor int) (Completion, bool) {
	cursor = max(0, min(cursor, len(input)))
	for cursor > 0 && cursor < len(input) && !utf8.RuneStart(input[cursor]) {
		cursor--
	}
	for _, t := range scan(input) {
		if t.start <= cursor && cursor <= t.end {
			return completeToken(input, t, cursor)
		}
	}
	return Completion{}, false
}

func completeToken(s string, t token, cursor int) (Completion, bool) {
	body := t.start
	if s[body] == '-' {
		body++
	}
	if cursor < body {
		return Completion{}, false
	}
	keyEnd := t.end
	colon := strings.IndexByte(s[body:t.end], ':')
	if colon >= 0 {
		keyEnd = body + colon
	}
	word := s[body:keyEnd]
	if !isKeyWord(word) {
		return Completion{}, false
	}
	if colon >= 0 && cursor > keyEnd {
		return completeValue(s, word, keyEnd+1, t.end, cursor)
	}
	if len(MatchKeys(word)) == 0 {
		return Completion{}, false
	}
	end := keyEnd
	if colon >= 0 {
		end++ // replace the colon too, as the chosen key brings its own
	}
	return Completion{Kind: CompleteKey, Prefix: s[body:cursor], Start: body, End: end}, true
}

// completeValue finds the list item under the cursor in s[start:end].
func completeValue(s, word string, start, end, cursor int) (Completion, bool) {
	key, ok := canonicalKey(word)
	if !ok {
		return Completion{}, false
	}
	for _, it := range splitItems(s, start, end) {
		if it.start <= cursor && cursor <= it.end {
			typed := splitItems(s, it.start, cursor)[0].text
			return Completion{Kind: CompleteValue, Key: key, Prefix: typed, Start: it.start, End: it.end}, true
		}
	}
	return Completion{}, false
}
