package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func yr(lo, hi int) Filter { return yearFilter(lo, hi, false) }

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Query
	}{
		{"", Query{}},
		{"   \t\n ", Query{}},
		{"crispr   off-target\tcas9", Query{Text: "crispr off-target cas9"}},
		{
			`crispr off-target year:2018..2022 field:q-bio.GN author:"Doudna" -venue:arXiv`,
			Query{Text: "crispr off-target", Filters: []Filter{
				yr(2018, 2022),
				{Key: "field", Values: []string{"q-bio.GN"}},
				{Key: "author", Values: []string{"Doudna"}},
				{Key: "venue", Values: []string{"arXiv"}, Negate: true},
			}},
		},
		// Phrases stay in Text and are listed, folded; negated ones are not.
		{
			`"off  target" effects -"mouse model" a"b c"d`,
			Query{Text: `"off  target" effects -"mouse model" a"b c"d`, Phrases: []string{"off target", "b c"}},
		},
		{`"" x`, Query{Text: `"" x`}},
		{`"say \"hi\""`, Query{Text: `"say \"hi\""`, Phrases: []string{`say "hi"`}}},
		// Free-text negation is text.
		{"-mouse -", Query{Text: "-mouse -"}},
		// Aliases and case.
		{"Y:2019 F:cs.CL CAT:cs.CV c:x journal:Cell v:Nature Authors:Lee a:Kim src:arxiv ID:1 DOI:10.1/2 fields:bio categories:q", Query{Filters: []Filter{
			yr(2019, 2019),
			{Key: "field", Values: []string{"cs.CL"}},
			{Key: "category", Values: []string{"cs.CV"}},
			{Key: "category", Values: []string{"x"}},
			{Key: "venue", Values: []string{"Cell"}},
			{Key: "venue", Values: []string{"Nature"}},
			{Key: "author", Values: []string{"Lee"}},
			{Key: "author", Values: []string{"Kim"}},
			{Key: "source", Values: []string{"arxiv"}},
			{Key: "id", Values: []string{"1"}},
			{Key: "doi", Values: []string{"10.1/2"}},
			{Key: "field", Values: []string{"bio"}},
			{Key: "category", Values: []string{"q"}},
		}}},
		// Unknown keys, one-letter aliases with nothing after them, escaped
		// colons and URLs are text.
		{
			`COVID-19: review http://x.org/a:b title:foo foo:bar y: Part A: yaer\:2025 author\: "yaer:2025"`,
			Query{Text: `COVID-19: review http://x.org/a:b title:foo foo:bar y: Part A: yaer\:2025 author\: "yaer:2025"`, Phrases: []string{"yaer:2025"}},
		},
		// Exact values: kept as typed, case and spaces, deduplicated exactly.
		{
			`author:="Yang Liu" -venue:="Phys. Rev. D" category:=cs.CL,cs.CL,CS.CL author:="Yang  Liu ",x year:=2019 a:="=x"`,
			Query{Filters: []Filter{
				{Key: "author", Values: []string{"Yang Liu"}, Exact: true},
				{Key: "venue", Values: []string{"Phys. Rev. D"}, Negate: true, Exact: true},
				{Key: "category", Values: []string{"cs.CL", "CS.CL"}, Exact: true},
				{Key: "author", Values: []string{"Yang  Liu ", "x"}, Exact: true},
				yr(2019, 2019),
				{Key: "author", Values: []string{"=x"}, Exact: true},
			}},
		},
		{`"year:2019" au"thor:x"`, Query{Text: `"year:2019" au"thor:x"`, Phrases: []string{"year:2019", "thor:x"}}},
		// Lists, quoting, folding, dedupe, empty items.
		{
			`field:cs.CL,cs.CV author:"Doudna, J",Zhang, author:"  Jennifer   Doudna " venue:nature,Nature`,
			Query{Filters: []Filter{
				{Key: "field", Values: []string{"cs.CL", "cs.CV"}},
				{Key: "author", Values: []string{"Doudna, J", "Zhang"}},
				{Key: "author", Values: []string{"Jennifer Doudna"}},
				{Key: "venue", Values: []string{"nature"}},
			}},
		},
		{`author:Jennifer" Doudna"`, Query{Filters: []Filter{{Key: "author", Values: []string{"Jennifer Doudna"}}}}},
		{`doi:"a\"b\\c\d"`, Query{Filters: []Filter{{Key: "doi", Values: []string{`a"b\c\d`}}}}},
		{`id:arXiv:1706.03762`, Query{Filters: []Filter{{Key: "id", Values: []string{"arXiv:1706.03762"}}}}},
		{`-author:a,b`, Query{Filters: []Filter{{Key: "author", Values: []string{"a", "b"}, Negate: true}}}},
		// Year forms.
		{"year:2019", Query{Filters: []Filter{yr(2019, 2019)}}},
		{"year:2018..2022", Query{Filters: []Filter{yr(2018, 2022)}}},
		{"year:2018..", Query{Filters: []Filter{yr(2018, 0)}}},
		{"year:..2015", Query{Filters: []Filter{yr(0, 2015)}}},
		{"year:>=2018", Query{Filters: []Filter{yr(2018, 0)}}},
		{"year:>2018", Query{Filters: []Filter{yr(2019, 0)}}},
		{"year:<2015", Query{Filters: []Filter{yr(0, 2014)}}},
		{"year:<=2015", Query{Filters: []Filter{yr(0, 2015)}}},
		{"year:2019..2019", Query{Filters: []Filter{yr(2019, 2019)}}},
		{`year:"2019"`, Query{Filters: []Filter{yr(2019, 2019)}}},
		{"year:2018,2020..2021,2018", Query{Filters: []Filter{yr(2018, 2018), yr(2020, 2021)}}},
		{"-year:..2000", Query{Filters: []Filter{yearFilter(0, 2000, true)}}},
		{"year:1", Query{Filters: []Filter{yr(1, 1)}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{`crispr year:20x8`, 12, `column 13: year: "20x8" is not a year (use 2019, 2018..2022, >=2018)`},
		{`year:2022..2018`, 5, `column 6: year: 2022..2018 runs backwards (use 2018..2022)`},
		{`year:2018,abc`, 10, `column 11: year: "abc" is not a year (use 2019, 2018..2022, >=2018)`},
		{`year:..`, 5, `column 6: year: ".." is not a year`},
		{`year:>=`, 5, `column 6: year: ">=" is not a year`},
		{`year:0`, 5, `column 6: year: "0" is not a year`},
		{`year:12345`, 5, `column 6: year: "12345" is not a year`},
		{`year:-2019`, 5, `column 6: year: "-2019" is not a year`},
		{`year:2018...2020`, 5, `column 6: year: "2018...2020" is not a year`},
		{`year:<1`, 5, `column 6: year: <1 leaves no years`},
		{`year:>9999`, 5, `column 6: year: >9999 leaves no years`},
		{`crispr "off target`, 7, `column 8: unterminated quote (add a closing ")`},
		{`author:"Doudna`, 7, `column 8: unterminated quote`},
		{`x "a \" b`, 2, `column 3: unterminated quote`},
		{`author:""`, 7, `column 8: author: empty value`},
		{`-field:,`, 7, `column 8: field: empty value`},
		{`naïve year:x`, 12, `column 12: year: "x" is not a year`}, // columns count characters
		// Misspelled keys and empty values are mistakes, not words.
		{`transformer yaer:2025`, 12, `column 13: unknown filter yaer: — did you mean year:? (write yaer\: to search the word)`},
		{`-auhtor:Doudna`, 0, `column 1: unknown filter auhtor: — did you mean author:?`},
		{`Categroy:cs.CL`, 0, `column 1: unknown filter Categroy: — did you mean category:?`},
		{`x venu:Cell`, 2, `column 3: unknown filter venu: — did you mean venue:?`},
		{`do:10.1/x`, 0, `column 1: unknown filter do: — did you mean doi:?`},
		{`crispr author:`, 7, `column 8: author: needs a value, e.g. author:Doudna (write author\: to search the word)`},
		{`-year:`, 0, `column 1: year: needs a value`},
		{`id:`, 0, `column 1: id: needs a value, e.g. id:2101.00001`},
		{`a:=`, 0, `column 1: author: needs a value`},
		{`author:=""`, 8, `column 9: author: empty value`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			continue
		}
		if se.Pos != tt.pos || !strings.HasPrefix(se.Error(), tt.msg) {
			t.Errorf("Parse(%q) = pos %d %q; want pos %d %q", tt.in, se.Pos, se.Error(), tt.pos, tt.msg)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"  crispr   cas9 ", "crispr cas9"},
		{"Y:>2017 crispr F:cs.CL,cs.CV -V:arXiv", "crispr year:2018.. field:cs.CL,cs.CV -venue:arXiv"},
		{`a:"Jennifer  Doudna" a:"Doudna, J" doi:"a\"b"`, `author:"Jennifer Doudna" author:"Doudna, J" doi:"a\"b"`},
		{`year:<=2015 year:2019..2019`, `year:..2015 year:2019`},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := q.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFilterString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    Filter
		want string
	}{
		{Filter{Key: "year", Min: 2018, Max: 2022, Values: []string{"stale"}}, "year:2018..2022"},
		{Filter{Key: "year"}, ""},
		{Filter{Key: "author"}, ""},
		{Filter{Key: "venue", Values: []string{"a b", `c\d`, ""}, Negate: true}, `-venue:"a b",c\d,""`},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestQuoteValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"cs.CL":      "cs.CL",
		"a b":        `"a b"`,
		"a,b":        `"a,b"`,
		`say "x"`:    `"say \"x\""`,
		`C:\data`:    `C:\data`,
		`C:\my data`: `"C:\\my data"`,
		"":           `""`,
		"tab\there":  "\"tab\there\"",
	} {
		if got := QuoteValue(in); got != want {
			t.Errorf("QuoteValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`crispr off-target year:2018..2022 field:q-bio.GN author:"Doudna" -venue:arXiv`,
		`"off target" -"mouse model" x"a b"y author:"a\\b","c\"d" title:x COVID-19: y:`,
		`author:="Yang Liu",x -venue:="=a",b,"c d " category:="cs.CL" author:"=b" yaer\:1 y:=2019`,
		"naïve\u00a0bayes\u2003author:Ünal",
		`doi:a"b,c"d,e`,
	} {
		assertRoundTrip(t, in)
	}
}

func assertRoundTrip(t *testing.T, in string) {
	t.Helper()
	q, err := Parse(in)
	if err != nil {
		return
	}
	s := q.String()
	q2, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) ok, but Parse(String() = %q): %v", in, s, err)
	}
	if !reflect.DeepEqual(q, q2) {
		t.Fatalf("round trip of %q via %q:\n got %#v\nwant %#v", in, s, q2, q)
	}
	if s2 := q2.String(); s2 != s {
		t.Fatalf("String not stable for %q: %q then %q", in, s, s2)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`crispr off-target year:2018..2022 field:q-bio.GN author:"Doudna" -venue:arXiv`,
		`"a \" b" -x y:>2019 a:"b,c",d, -f:,x`,
		`year:..2015 year:<=2 "unterminated`,
		"COVID-19: review http://x.org/ author: \u00a0\xff",
		`doi:"\\" c:"\"" id:a:b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// Every cursor position of short inputs; a sample of long ones, to
		// keep the harness linear.
		step := max(1, len(in)/64)
		for c := -1; c <= len(in)+1; c += step {
			comp, ok := CompletionAt(in, c)
			if ok && (comp.Start < 0 || comp.Start > comp.End || comp.End > len(in)) {
				t.Fatalf("CompletionAt(%q, %d) = bad span %+v", in, c, comp)
			}
		}
		q, err := Parse(in)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(in) {
				t.Fatalf("Parse(%q): bad error %#v", in, err)
			}
			return
		}
		assertRoundTrip(t, in)
		// Every filter Parse makes is already normalised.
		for _, fl := range q.Filters[:min(len(q.Filters), 16)] {
			if again := q.WithFilter(fl); !reflect.DeepEqual(again, q) {
				t.Fatalf("WithFilter(%+v) changed %q", fl, in)
			}
		}
	})
}
