package search

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quire-research/quire/search/query"
)

// maxExplained bounds the extra counts an empty result costs: one per
// filter, for at most this many filters.
const maxExplained = 8

// ExplainNoHits says why q found nothing: the first filter whose removal
// alone brings hits back, with their number; failing that (several filters
// each empty the result), the filter that, added to the words one by one
// in the order typed, removed the last matches. count returns how many hits a
// query has; engines count in the request's mode, so the numbers are what
// the user would see.
func ExplainNoHits(q query.Query, count func(query.Query) (uint64, error)) (*NoHits, error) {
	fs := q.Filters[:min(len(q.Filters), maxExplained)]
	for i, f := range fs {
		without := q
		without.Filters = slices.Delete(slices.Clone(q.Filters), i, i+1)
		n, err := count(without)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return &NoHits{Filter: f.String(), Without: n,
				Message: fmt.Sprintf("no hits: %s removed the last matches (%d without it)", f, n)}, nil
		}
	}
	words := q
	words.Filters = nil
	n, err := count(words)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		msg := "no hits: no paper matches the words of the query"
		if q.Text == "" {
			msg = "no hits: the index has no papers"
		}
		return &NoHits{Message: msg}, nil
	}
	if len(fs) == 0 {
		// The words match papers, yet the search found none: a mode that
		// does not search by words (a vector search for words the
		// embedder does not know finds nothing near them).
		papers := fmt.Sprintf("%d papers hold", n)
		if n == 1 {
			papers = "1 paper holds"
		}
		return &NoHits{Without: n, Message: "no hits in this mode: " + papers + " the query's words (bm25 or hybrid finds them)"}, nil
	}
	for i, f := range fs {
		next := words
		next.Filters = fs[:i+1]
		m, err := count(next)
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return &NoHits{Filter: f.String(), Without: n,
				Message: fmt.Sprintf("no hits: %s removed the last matches (%d with the filters before it)", f, n)}, nil
		}
		n = m
	}
	return &NoHits{Message: "no hits: the filters together leave no paper"}, nil
}

// Spelling is a query's words corrected to spellings the index has.
type Spelling struct {
	Corrections []Correction `json:"corrections"`
	// Text is the query's free text corrected (Corrected), and Hits how
	// many papers it finds under the query's filters.
	Text string `json:"text"`
	Hits uint64 `json:"hits"`
}

// Correction is one word of a query as typed and the word to try instead.
type Correction struct {
	Word string `json:"word"`
	To   string `json:"to"`
}

// Corrected returns text with each correction's word replaced, where it
// stands as a whole word, by its replacement; so a search bar's whole
// line, filters included, can be corrected, not only the query's words.
func (s *Spelling) Corrected(text string) string {
	for _, c := range s.Corrections {
		text = replaceWord(text, c.Word, c.To)
	}
	return text
}

// replaceWord replaces the first whole-word occurrence of word in text.
func replaceWord(text, word, to string) string {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for off := 0; word != ""; {
		i := strings.Index(text[off:], word)
		if i < 0 {
			break
		}
		i += off
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len(word):])
		if (i == 0 || !isWord(before)) && (i+len(word) == len(text) || !isWord(after)) {
			return text[:i] + to + text[i+len(word):]
		}
		off = i + len(word)
	}
	return text
}

// Line says s in one line for people: did you mean "…"? (N hits).
func (s *Spelling) Line() string {
	hits := "hits"
	if s.Hits == 1 {
		hits = "hit"
	}
	return fmt.Sprintf("did you mean %q? (%d %s)", s.Text, s.Hits, hits)
}
