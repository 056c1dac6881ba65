package query

import (
	"reflect"
	"testing"
)

func mustParse(t *testing.T, s string) Query {
	t.Helper()
	q, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return q
}

func TestWithFilter(t *testing.T) {
	t.Parallel()
	base := mustParse(t, "crispr author:Doudna")
	tests := []struct {
		name string
		f    Filter
		want string
	}{
		{"alias and folding", Filter{Key: "V", Values: []string{" Cell  Reports ", "cell reports", ""}}, `crispr author:Doudna venue:"Cell Reports"`},
		{"negated", Filter{Key: "venue", Values: []string{"arXiv"}, Negate: true}, "crispr author:Doudna -venue:arXiv"},
		{"duplicate ignored", Filter{Key: "author", Values: []string{"doudna"}}, "crispr author:Doudna"},
		{"year from Min/Max", Filter{Key: "year", Min: 2018}, "crispr author:Doudna year:2018.."},
		{"year from Values", Filter{Key: "y", Values: []string{">=2018", "2010"}}, "crispr author:Doudna year:2018.. year:2010"},
		{"bad year ignored", Filter{Key: "year", Values: []string{"soon"}}, "crispr author:Doudna"},
		{"backwards year ignored", Filter{Key: "year", Min: 2022, Max: 2018}, "crispr author:Doudna"},
		{"empty year ignored", Filter{Key: "year"}, "crispr author:Doudna"},
		{"unknown key ignored", Filter{Key: "title", Values: []string{"x"}}, "crispr author:Doudna"},
		{"no values ignored", Filter{Key: "author"}, "crispr author:Doudna"},
	}
	for _, tt := range tests {
		if got := base.WithFilter(tt.f).String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestWithout(t *testing.T) {
	t.Parallel()
	q := mustParse(t, "x field:cs.CL,cs.CV -field:cs.CL venue:Nature year:2019 year:2020..")
	tests := []struct{ key, value, want string }{
		{"field", "cs.cl", "x field:cs.CV venue:Nature year:2019 year:2020.."},
		{"v", "Nature", "x field:cs.CL,cs.CV -field:cs.CL year:2019 year:2020.."},
		{"year", "2019..2019", "x field:cs.CL,cs.CV -field:cs.CL venue:Nature year:2020.."},
		{"year", ">=2020", "x field:cs.CL,cs.CV -field:cs.CL venue:Nature year:2019"},
		{"author", "nobody", "x field:cs.CL,cs.CV -field:cs.CL venue:Nature year:2019 year:2020.."},
		{"bogus", "x", "x field:cs.CL,cs.CV -field:cs.CL venue:Nature year:2019 year:2020.."},
	}
	for _, tt := range tests {
		if got := q.Without(tt.key, tt.value).String(); got != tt.want {
			t.Errorf("Without(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
	// A hand-built year filter without Values is still found by its range.
	hand := Query{Filters: []Filter{{Key: "year", Min: 2018, Max: 2022}}}
	if !hand.Has("year", "2018..2022") || hand.Without("y", "2018..2022").Filters != nil {
		t.Error("hand-built year filter not matched by range")
	}
	if got := mustParse(t, "venue:a").Without("venue", "a"); got.Filters != nil {
		t.Errorf("emptied query has Filters %#v, want nil", got.Filters)
	}
}

func TestToggle(t *testing.T) {
	t.Parallel()
	steps := []struct{ key, value, want string }{
		{"field", "cs.CL", "q field:cs.CL"},
		{"field", "cs.CV", "q field:cs.CL,cs.CV"},
		{"f", "CS.CL", "q field:cs.CV"},
		{"field", "cs.CV", "q"},
		{"year", "2019", "q year:2019"},
		{"year", "2020", "q year:2019 year:2020"},
		{"year", "2019..2019", "q year:2020"},
		{"venue", "arXiv", "q year:2020 venue:arXiv"},
		{"year", "later", "q year:2020 venue:arXiv"},
		{"bogus", "x", "q year:2020 venue:arXiv"},
	}
	q := mustParse(t, "q")
	for _, s := range steps {
		q = q.Toggle(s.key, s.value)
		if got := q.String(); got != s.want {
			t.Fatalf("Toggle(%q, %q) = %q, want %q", s.key, s.value, got, s.want)
		}
	}
	// Negated filters are not touched: the positive value is added beside it.
	if got := mustParse(t, "-venue:arXiv").Toggle("venue", "arXiv").String(); got != "-venue:arXiv venue:arXiv" {
		t.Errorf("toggle beside negation = %q", got)
	}
}

func TestHas(t *testing.T) {
	t.Parallel()
	q := mustParse(t, "author:Doudna,Zhang -venue:arXiv year:2018..2022")
	tests := []struct {
		key, value string
		want       bool
	}{
		{"author", "zhang", true},
		{"a", "Doudna", true},
		{"author", "Doud", false},
		{"venue", "arXiv", false}, // negated
		{"year", "2018..2022", true},
		{"y", "2018..2022", true},
		{"year", "2019", false},
		{"year", "nonsense", false},
		{"nope", "x", false},
	}
	for _, tt := range tests {
		if got := q.Has(tt.key, tt.value); got != tt.want {
			t.Errorf("Has(%q, %q) = %v, want %v", tt.key, tt.value, got, tt.want)
		}
	}
}

// The helpers return new queries: the receiver, including its slices'
// backing arrays, must not change.
func TestEditsDoNotAlias(t *testing.T) {
	t.Parallel()
	q := mustParse(t, `"a b" field:x,y author:z`)
	q.Filters = append(q.Filters[:0:0], q.Filters...)
	q.Filters[0].Values = append(make([]string, 0, 10), q.Filters[0].Values...) // spare capacity invites aliasing
	q.Filters = append(make([]Filter, 0, 10), q.Filters...)
	before := mustParse(t, `"a b" field:x,y author:z`)
	_ = q.Toggle("field", "w")
	_ = q.Toggle("field", "x")
	_ = q.Without("author", "z")
	_ = q.WithFilter(Filter{Key: "venue", Values: []string{"v"}})
	if !reflect.DeepEqual(q.Filters, before.Filters) || !reflect.DeepEqual(q.Phrases, before.Phrases) {
		t.Errorf("receiver changed: %#v", q)
	}
	if q.Filters[:cap(q.Filters)][2].Key != "" || q.Filters[0].Values[:cap(q.Filters[0].Values)][2] != "" {
		t.Error("an edit wrote into the receiver's spare capacity")
	}
}

// A facet click selects exactly the facet's value, and clicking again
// removes only that, leaving loose filters on the key alone.
func TestToggleExact(t *testing.T) {
	t.Parallel()
	q, err := Parse(`dark matter author:Liu`)
	if err != nil {
		t.Fatal(err)
	}
	on := q.ToggleExact("a", "Yang Liu")
	if got, want := on.String(), `dark matter author:Liu author:="Yang Liu"`; got != want {
		t.Fatalf("ToggleExact = %q, want %q", got, want)
	}
	if !on.HasExact("author", "Yang Liu") || on.HasExact("author", "yang liu") || q.HasExact("author", "Liu") {
		t.Fatalf("HasExact wrong on %q", on)
	}
	two := on.ToggleExact("author", "Wei Wang")
	if got, want := two.String(), `dark matter author:Liu author:="Yang Liu","Wei Wang"`; got != want {
		t.Fatalf("second ToggleExact = %q, want %q", got, want)
	}
	if got := two.ToggleExact("author", "Yang Liu").ToggleExact("author", "Wei Wang").String(); got != q.String() {
		t.Fatalf("toggling both off = %q, want %q", got, q.String())
	}
	if got, want := q.ToggleExact("year", "2019").String(), "dark matter author:Liu year:2019"; got != want {
		t.Fatalf("year ToggleExact = %q, want %q", got, want)
	}
	// The formatted click parses back to the same filter.
	f := ExactFilter("venue", "Phys. Rev. D")
	back, err := Parse(f.String())
	if err != nil || len(back.Filters) != 1 || !back.Filters[0].Exact || back.Filters[0].Values[0] != "Phys. Rev. D" {
		t.Fatalf("Parse(%q) = %+v, %v", f.String(), back, err)
	}
}

func TestSelects(t *testing.T) {
	q, err := Parse(`year:2018..2020 field:="Physics" -venue:nature author:smith`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, value string
		want       bool
	}{
		{KeyYear, "2019", true}, {KeyYear, "2021", false}, {KeyYear, "x", false},
		{"field", "Physics", true}, {"field", "Biology", false},
		{"venue", "nature", false}, // an exclusion selects nothing
		{"author", "Smith", true},  // loose values ignore case
	} {
		if got := q.Selects(c.key, c.value); got != c.want {
			t.Errorf("Selects(%s, %s) = %v, want %v", c.key, c.value, got, c.want)
		}
	}
}
