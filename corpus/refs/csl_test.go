package refs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/quire-research/quire/corpus"
)

func TestParseCSL(t *testing.T) {
	file := filepath.Join("testdata", "zotero.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	entries, errs := ParseCSL(file, data)
	if len(entries) != 2 {
		t.Fatalf("got %d entries (%v), want 2", len(entries), errs)
	}
	a := entries[0].Paper
	if a.ID != "smith2020" || a.Year != 2020 || a.Venue != "Nature" || entries[0].Line != 2 {
		t.Errorf("paper %+v line %d", a, entries[0].Line)
	}
	if !slices.Equal(a.Authors, []string{"Ann Smith", "WHO"}) || !slices.Equal(a.Categories, []string{"genetics", "malaria"}) {
		t.Errorf("authors %q categories %q", a.Authors, a.Categories)
	}
	if entries[1].Paper.ID != "10.1/xyz" || !slices.Equal(entries[1].Files, []string{filepath.Join("testdata", "pdfs", "x.pdf")}) {
		t.Errorf("second %+v", entries[1])
	}
	var re *corpus.RecordError
	if len(errs) != 1 || !errors.As(errs[0], &re) || re.Pos.Line != 12 {
		t.Errorf("errors %v, want one at line 12", errs)
	}
	if _, errs := ParseCSL(file, []byte(`{"not":"an array"}`)); len(errs) != 1 {
		t.Errorf("object input: errors %v", errs)
	}
}
