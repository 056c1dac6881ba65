package query

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestCompletionAt(t *testing.T) {
	t.Parallel()
	// The cursor is where | is; it is removed before the call.
	tests := []struct {
		in   string
		want Completion
		ok   bool
	}{
		{"|", Completion{}, false},
		{"crispr |", Completion{}, false},
		{"cris|pr", Completion{}, false},
		{"crispr au|", Completion{Kind: CompleteKey, Prefix: "au", Start: 7, End: 9}, true},
		{"au|th", Completion{Kind: CompleteKey, Prefix: "au", Start: 0, End: 4}, true},
		{"-ven|", Completion{Kind: CompleteKey, Prefix: "ven", Start: 1, End: 4}, true},
		{"|-ven", Completion{}, false},
		{"jou|", Completion{Kind: CompleteKey, Prefix: "jou", Start: 0, End: 3}, true},
		{"YE|", Completion{Kind: CompleteKey, Prefix: "YE", Start: 0, End: 2}, true},
		{"auth|or:Doudna", Completion{Kind: CompleteKey, Prefix: "auth", Start: 0, End: 7}, true},
		{"author:|", Completion{Kind: CompleteValue, Key: "author", Prefix: "", Start: 7, End: 7}, true},
		{"a:Dou|", Completion{Kind: CompleteValue, Key: "author", Prefix: "Dou", Start: 2, End: 5}, true},
		{"author:Dou|dna x", Completion{Kind: CompleteValue, Key: "author", Prefix: "Dou", Start: 7, End: 13}, true},
		{`author:"Jennifer Dou|`, Completion{Kind: CompleteValue, Key: "author", Prefix: "Jennifer Dou", Start: 7, End: 20}, true},
		{`author:"Jennifer Dou|dna" x`, Completion{Kind: CompleteValue, Key: "author", Prefix: "Jennifer Dou", Start: 7, End: 24}, true},
		{"field:cs.CL,cs.C|", Completion{Kind: CompleteValue, Key: "field", Prefix: "cs.C", Start: 12, End: 16}, true},
		{"field:cs.CL,|", Completion{Kind: CompleteValue, Key: "field", Prefix: "", Start: 12, End: 12}, true},
		{"field:cs|.CL,cs.CV", Completion{Kind: CompleteValue, Key: "field", Prefix: "cs", Start: 6, End: 11}, true},
		{`field:"a,b",c|`, Completion{Kind: CompleteValue, Key: "field", Prefix: "c", Start: 12, End: 13}, true},
		{"-venue:arX|", Completion{Kind: CompleteValue, Key: "venue", Prefix: "arX", Start: 7, End: 10}, true},
		{"year:20|", Completion{Kind: CompleteValue, Key: "year", Prefix: "20", Start: 5, End: 7}, true},
		{"title:fo|", Completion{}, false},
		{"http://x|", Completion{}, false},
		{`"au|`, Completion{}, false},
		{"naïve a|", Completion{Kind: CompleteKey, Prefix: "a", Start: 7, End: 8}, true},
	}
	for _, tt := range tests {
		cursor := strings.Index(tt.in, "|")
		in := strings.Replace(tt.in, "|", "", 1)
		got, ok := CompletionAt(in, cursor)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CompletionAt(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCompletionAtClampsCursor(t *testing.T) {
	t.Parallel()
	for _, c := range []int{-5, 99} {
		if _, ok := CompletionAt("au", c); c == 99 && !ok {
			t.Errorf("cursor %d past the end should complete the last word", c)
		}
	}
	// A cursor inside a multi-byte character moves to its start.
	if got, ok := CompletionAt("a:é", 3); !ok || got.Prefix != "" {
		t.Errorf("got %+v, %v; want value completion with empty prefix", got, ok)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	want := []string{"year", "field", "category", "venue", "author", "source", "id", "doi"}
	if got := Keys(); !reflect.DeepEqual(got, want) {
		t.Errorf("Keys() = %v", got)
	}
	for _, k := range want {
		if KeyHelp(k) == "" {
			t.Errorf("no help for %s", k)
		}
		if !strings.Contains(docText(t), k+":") {
			t.Errorf("doc.go does not show %s:", k)
		}
		for _, a := range Aliases(k) {
			if !strings.Contains(docText(t), a) {
				t.Errorf("doc.go does not mention alias %s of %s", a, k)
			}
		}
	}
	if KeyHelp("nope") != "" || KeyHelp("Y") != KeyHelp("year") {
		t.Error("KeyHelp lookup")
	}
	if got := MatchKeys("c"); !reflect.DeepEqual(got, []string{"category"}) {
		t.Errorf("MatchKeys(c) = %v", got)
	}
	if got := MatchKeys("a"); !reflect.DeepEqual(got, []string{"author"}) {
		t.Errorf("MatchKeys(a) = %v", got)
	}
	if got := MatchKeys("S"); !reflect.DeepEqual(got, []string{"source"}) {
		t.Errorf("MatchKeys(S) = %v", got)
	}
	if got := MatchKeys(""); len(got) != len(want) {
		t.Errorf("MatchKeys(\"\") = %v", got)
	}
	if !MultiValued("authors") || MultiValued("venue") || MultiValued("year") {
		t.Error("MultiValued")
	}
	// Aliases returns a copy.
	a := Aliases("author")
	a[0] = "x"
	if Aliases("author")[0] == "x" {
		t.Error("Aliases exposes the table")
	}
}

func docText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
