package query

import (
	"fmt"
	"slices"
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

// Parse reads the query language described in the package documentation.
// Errors are *SyntaxError.
func Parse(s string) (Query, error) {
	var q Query
	var text []string
	for _, t := range scan(s) {
		if t.openQuote >= 0 {
			return Query{}, syntaxError(s, t.openQuote, `unterminated quote (add a closing ")`)
		}
		filters, isFilter, err := parseFilter(s, t)
		if err != nil {
			return Query{}, err
		}
		if isFilter {
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

// filterKey splits a token into negation, canonical key and the offset of
// its value. ok is false for anything that is not a known key followed by
// a colon, which keeps "COVID-19: review" and URLs as text.
func filterKey(s string, t token) (neg bool, key string, valueStart int, ok bool) {
	body := t.start
	if s[body] == '-' {
		neg, body = true, body+1
	}
	colon := strings.IndexByte(s[body:t.end], ':')
	if colon <= 0 || !isKeyWord(s[body:body+colon]) {
		return false, "", 0, false
	}
	key, ok = canonicalKey(s[body : body+colon])
	return neg, key, body + colon + 1, ok
}

// parseFilter turns a key:value token into filters (a year list gives one
// per range). A known key with nothing after the colon is text: the user is
// probably still typing, or wrote prose like "Part A: results".
func parseFilter(s string, t token) ([]Filter, bool, error) {
	neg, key, vs, ok := filterKey(s, t)
	if !ok || vs == t.end {
		return nil, false, nil
	}
	var values []string
	var positions []int
	seen := make(map[string]bool)
	for _, it := range splitItems(s, vs, t.end) {
		v := fold(it.text)
		if k := foldCase(v); v != "" && !seen[k] {
			seen[k] = true
			values = append(values, v)
			positions = append(positions, it.start)
		}
	}
	if len(values) == 0 {
		return nil, true, syntaxError(s, vs, "%s: empty value", key)
	}
	if key != KeyYear {
		return []Filter{{Key: key, Values: values, Negate: neg}}, true, nil
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

// containsFold reports whether list holds v ignoring case.
func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return sameValue(x, v) })
}
