package query

import (
	"strings"
	"unicode"
)

// String returns the canonical form: the free text, then each filter in
// order as [-]key:value,value with canonical keys and values quoted only
// when needed. Parse(q.String()) equals q for any q that Parse returned.
func (q Query) String() string {
	parts := make([]string, 0, 1+len(q.Filters))
	if q.Text != "" {
		parts = append(parts, q.Text)
	}
	for _, f := range q.Filters {
		if s := f.String(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// String returns the filter as typed in canonical form, e.g. -venue:arXiv
// or author:="Yang Liu" (Exact), for chips and facet clicks. It is "" for a filter with nothing to say.
func (f Filter) String() string {
	var vals []string
	if f.Key == KeyYear {
		// Min and Max are what the engine obeys, so they win over Values.
		if f.Min == 0 && f.Max == 0 {
			return ""
		}
		vals = []string{yearString(f.Min, f.Max)}
	} else {
		for _, v := range f.Values {
			vals = append(vals, QuoteValue(v))
		}
	}
	if len(vals) == 0 || f.Key == "" {
		return ""
	}
	neg, op := "", ":"
	if f.Negate {
		neg = "-"
	}
	if f.Exact && f.Key != KeyYear {
		op = ":="
	}
	return neg + f.Key + op + strings.Join(vals, ",")
}

// QuoteValue returns v as it must be typed after key: bare when it can be,
// else in double quotes with " and \ escaped. Completion uses it to insert
// a chosen value. A leading = is quoted so it is not read as key:=.
func QuoteValue(v string) string {
	if v != "" && v[0] != '=' && !strings.ContainsFunc(v, needsQuote) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for i := range len(v) {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

func needsQuote(r rune) bool {
	return r == ',' || r == '"' || unicode.IsSpace(r)
}

// ExactFilter returns the filter a facet click makes: exactly value on
// key, e.g. author:="Yang Liu" (a year value is its own range).
func ExactFilter(key, value string) Filter {
	if k, ok := canonicalKey(key); ok && k == KeyYear {
		return Filter{Key: KeyYear, Values: []string{value}}
	}
	return Filter{Key: key, Values: []string{value}, Exact: true}
}
