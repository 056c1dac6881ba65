package query

import (
	"slices"
	"strconv"
	"strings"
)

// The editing helpers back the search bar's chips and the facet toggles.
// They return a new Query and never modify the receiver's slices, so a
// model can keep the old query for comparison. Keys may be aliases and are
// matched ignoring case; values are matched ignoring case; year values are
// compared by range, so "2018..2022" and ">=2018" differ but "y:2019" and
// "year:2019..2019" do not.

// WithFilter returns q with f appended, after normalising it the way Parse
// would: canonical key, folded and deduplicated values, and for a year
// filter the range taken from Values if set, else from Min and Max. A
// filter with an unknown key, no usable value or a bad year is ignored, as
// is one equal to a filter already present.
func (q Query) WithFilter(f Filter) Query {
	add := normalize(f)
	if len(add) == 0 {
		return q
	}
	out := q.clone()
	for _, nf := range add {
		if !containsFilter(out.Filters, nf) {
			out.Filters = append(out.Filters, nf)
		}
	}
	return out
}

// Without returns q with value removed from every filter on key, positive
// or negated, dropping filters left empty. It is what a chip's close button
// does.
func (q Query) Without(key, value string) Query {
	key, value, ok := normalizeKV(key, value)
	if !ok {
		return q
	}
	return q.removeValue(key, value, false, true)
}

// Toggle adds value to the first positive filter on key, or removes it if
// a positive filter already has it: a facet click. Negated filters are left
// alone. A year value always gets a filter of its own (a Filter holds one
// range); repeated years combine with OR, so the effect is the same.
func (q Query) Toggle(key, value string) Query {
	key, value, ok := normalizeKV(key, value)
	if !ok {
		return q
	}
	return q.toggle(key, value, false)
}

// ToggleExact is Toggle for a facet value: it adds or removes exactly
// value (key:="value"), so the hits are the papers the facet counted. The
// value is kept as given, case and spacing included. Loose filters on the
// same key are left alone.
func (q Query) ToggleExact(key, value string) Query {
	key, ok := canonicalKey(key)
	if !ok || strings.TrimSpace(value) == "" {
		return q
	}
	if key == KeyYear {
		return q.Toggle(key, value)
	}
	return q.toggle(key, value, true)
}

func (q Query) toggle(key, value string, exact bool) Query {
	if q.has(key, value, exact) {
		return q.removeValue(key, value, exact, false)
	}
	if key == KeyYear {
		return q.WithFilter(Filter{Key: key, Values: []string{value}})
	}
	out := q.clone()
	for i, f := range out.Filters {
		if f.Key == key && !f.Negate && f.Exact == exact {
			out.Filters[i].Values = append(f.Values, value)
			return out
		}
	}
	out.Filters = append(out.Filters, Filter{Key: key, Values: []string{value}, Exact: exact})
	return out
}

// Has reports whether a positive filter on key includes value, exact or
// not (an exact filter only with value's exact spelling).
func (q Query) Has(key, value string) bool {
	key, value, ok := normalizeKV(key, value)
	if !ok {
		return false
	}
	return q.has(key, value, false)
}

// Selects reports whether a positive filter on a facet's key takes value,
// as a facet marks it selected: exactly for key:=, ignoring case
// otherwise, and for years within the filter's range.
func (q Query) Selects(key, value string) bool {
	if key != KeyYear {
		return q.Has(key, value)
	}
	y, err := strconv.Atoi(value)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(q.Filters, func(f Filter) bool {
		return f.Key == KeyYear && !f.Negate && (f.Min == 0 || f.Min <= y) && (f.Max == 0 || y <= f.Max)
	})
}

// HasExact reports whether a positive exact filter on key (key:=) holds
// exactly value: whether a facet value is selected.
func (q Query) HasExact(key, value string) bool {
	key, ok := canonicalKey(key)
	if !ok {
		return false
	}
	if key == KeyYear {
		return q.Has(key, value)
	}
	return q.has(key, value, true)
}

// has reports whether a positive filter on key holds value; exactOnly
// looks at exact filters only.
func (q Query) has(key, value string, exactOnly bool) bool {
	for _, f := range q.Filters {
		if f.Key == key && !f.Negate && (f.Exact || !exactOnly) && f.holds(value) {
			return true
		}
	}
	return false
}

// removeValue drops value from the filters on key (exact ones only when
// asked, negated ones too when asked) and drops the filters it empties.
func (q Query) removeValue(key, value string, exactOnly, negatedToo bool) Query {
	out := Query{Text: q.Text, Phrases: slices.Clone(q.Phrases)}
	for _, f := range q.Filters {
		f.Values = slices.Clone(f.Values)
		if f.Key == key && (negatedToo || !f.Negate) && (f.Exact || !exactOnly) {
			if key == KeyYear && f.holds(value) {
				continue
			}
			f.Values = slices.DeleteFunc(f.Values, f.same(value))
			if len(f.Values) == 0 {
				continue
			}
		}
		out.Filters = append(out.Filters, f)
	}
	return out
}

// holds reports whether f includes a normalised value. A year filter is
// judged by Min and Max, which the engine obeys, not by Values.
func (f Filter) holds(value string) bool {
	if f.Key == KeyYear {
		return (f.Min != 0 || f.Max != 0) && yearString(f.Min, f.Max) == value
	}
	return slices.ContainsFunc(f.Values, f.same(value))
}

// same returns the test for values equal to value in f: exact filters
// compare exactly, others ignoring case and spacing.
func (f Filter) same(value string) func(string) bool {
	if f.Exact {
		return func(v string) bool { return v == value }
	}
	return func(v string) bool { return sameValue(v, value) }
}

// normalizeKV canonicalises a key and a value of it; year values become
// their canonical range so any spelling of a range finds it.
func normalizeKV(key, value string) (string, string, bool) {
	key, ok := canonicalKey(key)
	value = fold(value)
	if !ok || value == "" {
		return "", "", false
	}
	if key == KeyYear {
		lo, hi, msg := parseYears(value)
		if msg != "" {
			return "", "", false
		}
		value = yearString(lo, hi)
	}
	return key, value, true
}

// normalize turns a hand-built filter into the filters Parse would produce.
func normalize(f Filter) []Filter {
	key, ok := canonicalKey(f.Key)
	if !ok {
		return nil
	}
	if key == KeyYear {
		return normalizeYear(f)
	}
	var vals []string
	seen := make(map[string]bool)
	for _, v := range f.Values {
		k := v
		if !f.Exact {
			v = fold(v)
			k = foldCase(v)
		}
		if strings.TrimSpace(v) != "" && !seen[k] {
			seen[k] = true
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	return []Filter{{Key: key, Values: vals, Negate: f.Negate, Exact: f.Exact}}
}

func normalizeYear(f Filter) []Filter {
	var out []Filter
	if len(f.Values) == 0 {
		if (f.Min == 0 && f.Max == 0) || f.Min < 0 || f.Max < 0 || f.Min > maxYear || f.Max > maxYear ||
			(f.Max != 0 && f.Min > f.Max) {
			return nil
		}
		return []Filter{yearFilter(f.Min, f.Max, f.Negate)}
	}
	for _, v := range f.Values {
		lo, hi, msg := parseYears(fold(v))
		if msg != "" {
			return nil // a bad range would silently widen the query
		}
		if nf := yearFilter(lo, hi, f.Negate); !containsFilter(out, nf) {
			out = append(out, nf)
		}
	}
	return out
}

// containsFilter reports whether list has a filter equal to f.
func containsFilter(list []Filter, f Filter) bool {
	return slices.ContainsFunc(list, func(g Filter) bool {
		if g.Key != f.Key || g.Negate != f.Negate || g.Exact != f.Exact || g.Min != f.Min || g.Max != f.Max {
			return false
		}
		if f.Exact {
			return slices.Equal(g.Values, f.Values)
		}
		return slices.EqualFunc(g.Values, f.Values, sameValue)
	})
}

// clone copies q deeply enough that appending to or editing the copy's
// filters cannot reach q's backing arrays.
func (q Query) clone() Query {
	out := Query{Text: q.Text, Phrases: slices.Clone(q.Phrases)}
	if q.Filters != nil {
		out.Filters = make([]Filter, len(q.Filters))
		for i, f := range q.Filters {
			f.Values = slices.Clone(f.Values)
			out.Filters[i] = f
		}
	}
	return out
}
