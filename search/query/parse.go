package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Query is a parsed search-bar input.
type Query struct {
	// Text is the free text: every token that is not a filter, verbatim
	// (quotes, -negations and all), joined by single spaces. It includes
	// the phrases, so an engine that ignores Phrases still searches them.
	Text string
	// Phrases are the contents of the quoted parts of Text, white space
	// folded, for phrase boosts. Parts of -negated words are left out: they
	// exclude rather than boost.
	Phrases []string
	// Filters restrict the results, in input order. See Filter for how
	// they combine.
	Filters []Filter
}

// Filter is one key:value restriction.
//
// The values of one Filter are alternatives (OR); a negated Filter excludes
// papers matching any of them. Different keys combine with AND. Several
// positive Filters on the same key combine with AND when a paper can have
// several values for it (author, field, category: see MultiValued) and with
// OR when it has only one (year, venue, source, id, doi), since AND there
// could never match.
//
// Key "field" matches a paper's broad fields and its categories, so
// field:q-bio.GN and field:Biology both work; "category" matches categories
// only. Value matching (case, prefixes) is the engine's business.
type Filter struct {
	// Key is canonical: year, field, category, venue, author, source, id, doi.
	Key string
	// Values are alternatives, trimmed and white space folded. A year filter
	// holds exactly one, the canonical form of its range ("2018..2022"), so
	// chips and facet toggles can treat every filter alike.
	Values []string
	// Negate excludes matching papers (-key:value).
	Negate bool
	// Min and Max bound a year filter, inclusive; 0 leaves that side open.
	Min, Max int
	// Exact (key:="Value") matches whole values exactly as the facets list
	// them, case included, instead of the words of a value anywhere in the
	// field: author:="Yang Liu" is that author, not papers by a Liu and a
	// Yang. Exact values are kept as typed (not folded). Year filters are
	// never Exact: a year is exact already.
	Exact bool
}

// SyntaxError reports input that cannot be parsed.
type SyntaxError struct {
	Pos    int    // byte offset in the input, for placing the cursor
	Column int    // 1-based column counted in characters, for people
	Msg    string // e.g. `year: "20x8" is not a year (...)`
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
}

func syntaxError(input string, pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{
		Pos:    pos,
		Column: utf8.RuneCountInString(input[:pos]) + 1,
		Msg:    fmt.Sprintf(format, args...),
	}
}

// Limits on what Parse accepts, so one pasted document cannot make a
// search slow: a 100 KB query took 1.6 s. Real queries are far below them.
const (
	MaxQueryBytes  = 16 << 10
	MaxFilterItems = 1024 // values over all filters
)

// Parse reads the query language described in the package documentation.
// Errors are *SyntaxError.
func Parse(s string) (Query, error) {
	if len(s) > MaxQueryBytes {
		return Query{}, &SyntaxError{Pos: 0, Column: 1, Msg: fmt.Sprintf(
			"the query is %d bytes; the limit is %d (shorten it, or search for its key words)", len(s), MaxQueryBytes)}
	}
	var q Query
	var text []string
	items := 0
	for _, t := range scan(s) {
		if t.openQuote >= 0 {
			return Query{}, syntaxError(s, t.openQuote, `unterminated quote (add a closing ")`)
		}
		filters, isFilter, err := parseFilter(s, t)
		if err != nil {
			return Query{}, err
		}
		if isFilter {
			for _, f := range filters {
				if items += len(f.Values); items > MaxFilterItems {
					return Query{}, syntaxError(s, t.start, "more than %d filter values (narrow the query)", MaxFilterItems)
				}
			}
			q.Filters = append(q.Filters, filters...)
			continue
		}
		raw := s[t.start:t.end]
		text = append(text, raw)
		if !strings.HasPrefix(raw, "-") {
			q.Phrases = appendPhrases(q.Phrases, raw)
		}
	}
	q.Text = strings.Join(text, " ")
	return q, nil
}

func appendPhrases(dst []string, tok string) []string {
	for _, p := range quotedParts(tok) {
		if p = fold(p); p != "" {
			dst = append(dst, p)
		}
	}
	return dst
}

// filterKey splits a token into negation, the key as typed, its
// canonical form and the offset of its value. ok is false for anything
// that is not a known key followed by a colon, which keeps "COVID-19:
// review" and URLs as text; word is still set when the token is a word of
// letters and a colon, for spelling suggestions.
func filterKey(s string, t token) (neg bool, word, key string, valueStart int, ok bool) {
	body := t.start
	if s[body] == '-' {
		neg, body = true, body+1
	}
	colon := strings.IndexByte(s[body:t.end], ':')
	if colon <= 0 || !isKeyWord(s[body:body+colon]) {
		return false, "", "", 0, false
	}
	word = s[body : body+colon]
	key, ok = canonicalKey(word)
	return neg, word, key, body + colon + 1, ok
}

// parseFilter turns a key:value token into filters (a year list gives one
// per range). A known key with nothing after the colon is an error (it
// searched the key's name as a word, which nobody meant), except for the
// one-letter aliases, which prose such as "Part A: results" uses. A word
// close to a key (yaer:2025) is an error with a suggestion; key\: or
// quotes keep either one as text.
func parseFilter(s string, t token) ([]Filter, bool, error) {
	neg, word, key, vs, ok := filterKey(s, t)
	if !ok {
		if word != "" && vs < t.end {
			if near := nearestKey(word); near != "" {
				return nil, true, syntaxError(s, t.start, "unknown filter %s: — did you mean %s:? (write %s\\: to search the word)", word, near, word)
			}
		}
		return nil, false, nil
	}
	exact := vs < t.end && s[vs] == '='
	if exact {
		vs++
	}
	if vs == t.end {
		if !exact && len(word) == 1 {
			return nil, false, nil
		}
		return nil, true, syntaxError(s, t.start, "%s: needs a value, e.g. %s (write %s\\: to search the word)", key, example(key), word)
	}
	var values []string
	var positions []int
	seen := make(map[string]bool)
	for _, it := range splitItems(s, vs, t.end) {
		v, k := fold(it.text), foldCase(fold(it.text))
		if exact && key != KeyYear {
			v, k = it.text, it.text
		}
		if strings.TrimSpace(v) != "" && !seen[k] {
			seen[k] = true
			values = append(values, v)
			positions = append(positions, it.start)
		}
	}
	if len(values) == 0 {
		return nil, true, syntaxError(s, vs, "%s: empty value", key)
	}
	if key != KeyYear {
		return []Filter{{Key: key, Values: values, Negate: neg, Exact: exact}}, true, nil
	}
	return yearFilters(s, values, positions, neg)
}

// yearFilters makes one filter per distinct range: 2019 and 2019..2019
// are the same filter.
func yearFilters(s string, values []string, positions []int, neg bool) ([]Filter, bool, error) {
	filters := make([]Filter, 0, len(values))
	seen := make(map[[2]int]bool)
	for i, v := range values {
		lo, hi, msg := parseYears(v)
		if msg != "" {
			return nil, true, syntaxError(s, positions[i], "year: %s", msg)
		}
		if !seen[[2]int{lo, hi}] {
			seen[[2]int{lo, hi}] = true
			filters = append(filters, yearFilter(lo, hi, neg))
		}
	}
	return filters, true, nil
}

func yearFilter(lo, hi int, neg bool) Filter {
	return Filter{Key: KeyYear, Values: []string{yearString(lo, hi)}, Negate: neg, Min: lo, Max: hi}
}

// Years accepted in filters; 0 is reserved for "open".
const (
	minYear = 1
	maxYear = 9999
)

// parseYears reads a year or range into inclusive bounds (0 = open). On
// failure msg says what is wrong and shows the accepted forms.
func parseYears(v string) (lo, hi int, msg string) {
	bad := fmt.Sprintf("%q is not a year (use 2019, 2018..2022, >=2018)", v)
	if a, b, ok := strings.Cut(v, ".."); ok {
		if a == "" && b == "" {
			return 0, 0, bad
		}
		var okA, okB bool
		lo, okA = yearOrOpen(a)
		hi, okB = yearOrOpen(b)
		if !okA || !okB {
			return 0, 0, bad
		}
		if hi != 0 && lo > hi {
			return 0, 0, fmt.Sprintf("%s runs backwards (use %s)", v, yearString(hi, lo))
		}
		return lo, hi, ""
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		rest, ok := strings.CutPrefix(v, op)
		if !ok {
			continue
		}
		y, ok := year(rest)
		if !ok {
			return 0, 0, bad
		}
		return comparison(op, y, v)
	}
	y, ok := year(v)
	if !ok {
		return 0, 0, bad
	}
	return y, y, ""
}

func comparison(op string, y int, v string) (lo, hi int, msg string) {
	switch op {
	case ">=":
		return y, 0, ""
	case "<=":
		return 0, y, ""
	case ">":
		if y == maxYear {
			return 0, 0, fmt.Sprintf("%s leaves no years", v)
		}
		return y + 1, 0, ""
	default: // "<"
		if y == minYear {
			return 0, 0, fmt.Sprintf("%s leaves no years", v)
		}
		return 0, y - 1, ""
	}
}

func yearOrOpen(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	return year(s)
}

// year accepts 1 to 4 ASCII digits naming a year from 1 to 9999.
func year(s string) (int, bool) {
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(s)
	return n, n >= minYear
}

// yearString is the canonical form of a range: 2019, 2018..2022, 2018.., ..2015.
func yearString(lo, hi int) string {
	switch {
	case lo == hi:
		return strconv.Itoa(lo)
	case hi == 0:
		return strconv.Itoa(lo) + ".."
	case lo == 0:
		return ".." + strconv.Itoa(hi)
	}
	return strconv.Itoa(lo) + ".." + strconv.Itoa(hi)
}

// foldCase maps values that differ only in case to one key, the way a
// user reads "Doudna" and "doudna" as one author. Every comparison of
// values goes through it so parsing and editing agree, and long value lists
// deduplicate in linear time.
func foldCase(v string) string {
	return strings.ToLower(strings.ToUpper(v))
}

// sameValue compares filter values ignoring case.
func sameValue(a, b string) bool { return foldCase(a) == foldCase(b) }
