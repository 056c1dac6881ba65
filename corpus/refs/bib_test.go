package refs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
)

func TestParseBib(t *testing.T) {
	file := filepath.Join("testdata", "zotero.bib")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	entries, errs := ParseBib(file, data)
	if len(entries) != 2 {
		t.Fatalf("got %d entries, want 2: %+v (errors %v)", len(entries), entries, errs)
	}
	a := entries[0]
	if a.Paper.ID != "10.18637/jss.v067.i01" || a.Line != 3 {
		t.Errorf("ID/line = %q/%d", a.Paper.ID, a.Line)
	}
	if a.Paper.Title != "Fitting Linear Mixed-Effects Models Using lme4" {
		t.Errorf("title %q", a.Paper.Title)
	}
	if want := []string{"Douglas Bates", "Martin Mächler", "Ben Bolker"}; !slices.Equal(a.Paper.Authors, want) {
		t.Errorf("authors %q, want %q", a.Paper.Authors, want)
	}
	if a.Paper.Venue != "Journal of Statistical Software" || a.Paper.Year != 2015 {
		t.Errorf("venue/year %q/%d", a.Paper.Venue, a.Paper.Year)
	}
	if !slices.Equal(a.Paper.Categories, []string{"mixed models", "R"}) || !slices.Equal(a.Paper.Fields, []string{"Statistics"}) {
		t.Errorf("categories %q fields %q", a.Paper.Categories, a.Paper.Fields)
	}
	if !slices.Equal(a.Files, []string{"/abs/papers/lme4.pdf"}) {
		t.Errorf("files %q", a.Files)
	}

	b := entries[1]
	if b.Paper.ID != "Garcia2020" {
		t.Errorf("ID %q", b.Paper.ID)
	}
	if b.Paper.Title != "Café and Naïve Bayes — a study" {
		t.Errorf("title %q", b.Paper.Title)
	}
	if want := []string{"José García", "Søren Østergaard"}; !slices.Equal(b.Paper.Authors, want) {
		t.Errorf("authors %q", b.Paper.Authors)
	}
	if b.Paper.Venue != "Proc. Journal of Statistical Software" {
		t.Errorf("venue %q", b.Paper.Venue)
	}
	if !slices.Equal(b.Files, []string{filepath.Join("testdata", "rel", "garcia.pdf")}) {
		t.Errorf("files %q", b.Files)
	}

	wantLines := []int64{23, 28, 33}
	if len(errs) != len(wantLines) {
		t.Fatalf("errors %v, want %d", errs, len(wantLines))
	}
	for i, err := range errs {
		var re *corpus.RecordError
		if !errors.As(err, &re) || re.Pos.File != file || re.Pos.Line != wantLines[i] {
			t.Errorf("error %d = %v, want %s:%d", i, err, file, wantLines[i])
		}
	}
}

func TestLatex(t *testing.T) {
	for in, want := range map[string]string{
		`M{\"a}chler`:          "Mächler",
		`\c{c}a \v{s}`:         "ça š",
		`Erd\H{o}s`:            "Erdős",
		`\emph{Very} {BIG}`:    "Very BIG",
		`A \& B~C`:             "A & B C",
		`Gau\ss{} and \aa ngs`: "Gauß and ångs",
	} {
		if got := Latex(in); got != want {
			t.Errorf("Latex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBibValueClosedByItsEntry(t *testing.T) {
	src := "@article{a,\n  title = {Missing brace,\n  author = {Nobody},\n}\n\n@misc{b,\n  title = {Kept},\n}\n"
	entries, errs := ParseBib("lib.bib", []byte(src))
	if len(entries) != 1 || entries[0].Paper.Title != "Kept" || entries[0].Line != 6 {
		t.Fatalf("entries %+v, want only b at line 6", entries)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "lib.bib:1: @article a: not closed before the next entry at line 6: a value lacks its closing }") {
		t.Fatalf("errors %v", errs)
	}
}
