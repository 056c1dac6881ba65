package bedrockkb

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// The query language as a RetrievalFilter over the mapped metadata keys.
// The service compares values as stored, case included, and has no NOT,
// so each filter becomes what it can express exactly or is refused:
//
//	year:a..b        greaterThanOrEquals a, lessThanOrEquals b (numbers)
//	-year:a..b       orAll(lessThanOrEquals a-1, greaterThanOrEquals b+1)
//	id:v, key:=v     equals v (in [..] for a list of values)
//	source:v, doi:v  in [v as typed, lower, Title, UPPER] (doi without https://doi.org/)
//	-id:v, -source:v notEquals / notIn the same values
//	venue:v          stringContains each word of v, as typed
//	author:v         stringContains each word of v in a member of the list
//	field:v          listContains a case variant of v in fields or categories
//	category:v       listContains a case variant of v in categories
//	field:=v         listContains v in fields (category:=, author:= alike)
//
// Refused, each with an error naming it: phrases and -word (the service
// ranks by meaning and cannot require or exclude words), exclusions on a
// list key or by words (-author:, -field:, -venue:v; -venue:=v works), and
// filters on a field [engine.metadata] does not map.

// maxOperands is the most members an andAll or orAll takes.
const maxOperands = 5

// FilterError is a filter the knowledge base cannot apply.
type FilterError struct {
	Filter string // as typed in canonical form: -author:Doudna
	Why    string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("%s: the bedrock-kb engine cannot apply this filter: %s", e.Filter, e.Why)
}

// translate returns q's filters as one RetrievalFilter; nil when q has
// none.
func translate(q query.Query, keys Keys) (types.RetrievalFilter, error) {
	for _, ph := range q.Phrases {
		return nil, &FilterError{Filter: strconv.Quote(ph), Why: "a knowledge base ranks passages by meaning and cannot require a phrase; search without the quotes"}
	}
	if _, negs := hybrid.SplitNegated(q.Text); len(negs) > 0 {
		return nil, &FilterError{Filter: "-" + negs[0], Why: "a knowledge base cannot exclude words; drop the -word"}
	}
	var all []types.RetrievalFilter
	groups := map[string][]types.RetrievalFilter{}
	var order []string
	for _, f := range q.Filters {
		rf, err := filter(f, keys)
		if err != nil {
			return nil, err
		}
		switch {
		case f.Negate, query.MultiValued(f.Key):
			all = append(all, rf)
		default:
			// Repeated one-valued keys OR, as in the query language.
			if _, ok := groups[f.Key]; !ok {
				order = append(order, f.Key)
			}
			groups[f.Key] = append(groups[f.Key], rf)
		}
	}
	for _, k := range order {
		all = append(all, or(groups[k]...))
	}
	return and(all...), nil
}

// filter translates one filter: its values OR'ed, or excluded.
func filter(f query.Filter, keys Keys) (types.RetrievalFilter, error) {
	name := canonical(f)
	refuse := func(why string, args ...any) error { return &FilterError{Filter: name, Why: fmt.Sprintf(why, args...)} }
	field := keyField(f.Key)
	if f.Key == query.KeyField && !f.Exact {
		field = "fields" // and categories, below
	}
	key, mapped := keys[field]
	if f.Key == query.KeyField && !f.Exact {
		if _, cats := keys["categories"]; cats {
			mapped = true
		}
	}
	if !mapped {
		return nil, refuse("[engine.metadata] names no metadata key for %s", field)
	}
	if f.Key == query.KeyYear {
		return yearFilter(f, key), nil
	}
	if f.Negate {
		switch {
		case query.MultiValued(f.Key):
			return nil, refuse("Retrieve filters cannot exclude a value from a list (%s is a list)", key)
		case f.Key == query.KeyVenue && !f.Exact:
			return nil, refuse("exclusions match whole values only: write -venue:=\"Full Name\"")
		}
		vs := stringValues(f)
		if len(vs) == 1 {
			return &types.RetrievalFilterMemberNotEquals{Value: attr(key, vs[0])}, nil
		}
		return &types.RetrievalFilterMemberNotIn{Value: attr(key, vs)}, nil
	}
	var alts []types.RetrievalFilter
	for _, v := range f.Values {
		alts = append(alts, valueFilter(f.Key, v, f.Exact, keys))
	}
	if !query.MultiValued(f.Key) && (f.Exact || f.Key == query.KeyID || f.Key == query.KeySource || f.Key == query.KeyDOI) {
		// Whole values: one in [...] rather than an orAll of equals.
		vs := stringValues(f)
		if len(vs) == 1 {
			return &types.RetrievalFilterMemberEquals{Value: attr(key, vs[0])}, nil
		}
		return &types.RetrievalFilterMemberIn{Value: attr(key, vs)}, nil
	}
	return or(alts...), nil
}

// stringValues are the whole values a one-valued filter matches: as
// typed, and lower-cased where the language ignores case.
func stringValues(f query.Filter) []string {
	var out []string
	add := func(v string) {
		for _, have := range out {
			if have == v {
				return
			}
		}
		out = append(out, v)
	}
	for _, v := range f.Values {
		switch {
		case f.Exact || f.Key == query.KeyID:
			add(v)
		case f.Key == query.KeyDOI:
			v = strings.TrimPrefix(strings.TrimPrefix(v, "https://doi.org/"), "https://doi.org/")
			for _, x := range caseVariants(v) {
				add(x)
			}
		default:
			for _, x := range caseVariants(v) {
				add(x)
			}
		}
	}
	return out
}

// valueFilter matches one value of a positive filter.
func valueFilter(key, v string, exact bool, keys Keys) types.RetrievalFilter {
	variants := []string{v}
	if !exact {
		variants = caseVariants(v)
	}
	list := func(field string) []types.RetrievalFilter {
		k, ok := keys[field]
		if !ok {
			return nil
		}
		var out []types.RetrievalFilter
		for _, x := range variants {
			out = append(out, &types.RetrievalFilterMemberListContains{Value: attr(k, x)})
		}
		return out
	}
	switch {
	case key == query.KeyField && exact:
		return or(list("fields")...)
	case key == query.KeyField:
		return or(append(list("fields"), list("categories")...)...)
	case key == query.KeyCategory:
		return or(list("categories")...)
	case key == query.KeyAuthor && exact:
		return or(list("authors")...)
	case key == query.KeyAuthor, key == query.KeyVenue && !exact:
		ws := nameWords(v)
		k := keys[keyField(key)]
		if len(ws) == 0 {
			return &types.RetrievalFilterMemberEquals{Value: attr(k, v)}
		}
		var out []types.RetrievalFilter
		for _, w := range ws {
			out = append(out, &types.RetrievalFilterMemberStringContains{Value: attr(k, w)})
		}
		return and(out...)
	}
	return &types.RetrievalFilterMemberEquals{Value: attr(keys[keyField(key)], v)}
}

// caseVariants are the spellings a case-insensitive value is sent as: as
// typed, lower, Title and UPPER case. The service has no case-insensitive
// comparison; these cover how metadata is usually written (biology finds
// Biology), not mixed case (q-bio.gn does not find q-bio.GN).
func caseVariants(v string) []string {
	out := []string{v}
	for _, x := range []string{strings.ToLower(v), title(v), strings.ToUpper(v)} {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// title upper-cases the first letter of each word and lower-cases the
// rest.
func title(s string) string {
	b := []rune(strings.ToLower(s))
	start := true
	for i, r := range b {
		if start && unicode.IsLetter(r) {
			b[i] = unicode.ToUpper(r)
		}
		start = !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}
	return string(b)
}

func yearFilter(f query.Filter, key string) types.RetrievalFilter {
	if f.Negate {
		var out []types.RetrievalFilter
		if f.Min != 0 {
			out = append(out, &types.RetrievalFilterMemberLessThanOrEquals{Value: attr(key, f.Min-1)})
		}
		if f.Max != 0 {
			out = append(out, &types.RetrievalFilterMemberGreaterThanOrEquals{Value: attr(key, f.Max+1)})
		}
		return or(out...)
	}
	var out []types.RetrievalFilter
	if f.Min != 0 {
		out = append(out, &types.RetrievalFilterMemberGreaterThanOrEquals{Value: attr(key, f.Min)})
	}
	if f.Max != 0 {
		out = append(out, &types.RetrievalFilterMemberLessThanOrEquals{Value: attr(key, f.Max)})
	}
	return and(out...)
}

// nameWords splits a name into its runs of letters and digits, case kept.
func nameWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

func attr(key string, v any) types.FilterAttribute {
	return types.FilterAttribute{Key: aws.String(key), Value: document.NewLazyDocument(v)}
}

// and combines filters; nil ones drop out. The service takes 2 to 5
// members, so longer lists nest.
func and(fs ...types.RetrievalFilter) types.RetrievalFilter {
	return combine(fs, func(l []types.RetrievalFilter) types.RetrievalFilter {
		return &types.RetrievalFilterMemberAndAll{Value: l}
	})
}

func or(fs ...types.RetrievalFilter) types.RetrievalFilter {
	return combine(fs, func(l []types.RetrievalFilter) types.RetrievalFilter {
		return &types.RetrievalFilterMemberOrAll{Value: l}
	})
}

func combine(fs []types.RetrievalFilter, mk func([]types.RetrievalFilter) types.RetrievalFilter) types.RetrievalFilter {
	var keep []types.RetrievalFilter
	for _, f := range fs {
		if f != nil {
			keep = append(keep, f)
		}
	}
	switch {
	case len(keep) == 0:
		return nil
	case len(keep) == 1:
		return keep[0]
	case len(keep) <= maxOperands:
		return mk(keep)
	}
	head := keep[:maxOperands-1]
	return mk(append(head[:len(head):len(head)], combine(keep[maxOperands-1:], mk)))
}

// canonical is a filter as typed in canonical form, for errors.
func canonical(f query.Filter) string {
	return query.Query{Filters: []query.Filter{f}}.String()
}

// keyField is the paper field a filter key reads.
func keyField(key string) string {
	switch key {
	case query.KeyField:
		return "fields"
	case query.KeyCategory:
		return "categories"
	case query.KeyAuthor:
		return "authors"
	}
	return key // year, venue, source, id, doi
}
