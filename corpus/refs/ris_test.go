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

func TestParseRIS(t *testing.T) {
	file := filepath.Join("testdata", "lib.ris")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	entries, errs := ParseRIS(file, data)
	if len(entries) != 2 {
		t.Fatalf("got %d entries (%v), want 2", len(entries), errs)
	}
	a := entries[0].Paper
	if a.ID != "10.18637/jss.v027.i08" || a.Year != 2008 || a.Venue != "Journal of Statistical Software" {
		t.Errorf("paper %+v", a)
	}
	if !slices.Equal(a.Authors, []string{"Achim Zeileis", "Christian Kleiber"}) || !slices.Equal(a.Categories, []string{"count data"}) {
		t.Errorf("authors %q categories %q", a.Authors, a.Categories)
	}
	if !slices.Equal(entries[0].Files, []string{filepath.Join("testdata", "pdfs", "countreg.pdf")}) {
		t.Errorf("files %q", entries[0].Files)
	}
	b := entries[1].Paper
	if !strings.HasPrefix(b.ID, "ris:") || b.Title != "A report without a DOI" || b.Year != 1999 {
		t.Errorf("paper %+v", b)
	}
	// The hashed ID is stable.
	again, _ := ParseRIS(file, data)
	if again[1].Paper.ID != b.ID {
		t.Errorf("ID not stable: %q vs %q", again[1].Paper.ID, b.ID)
	}
	var re *corpus.RecordError
	if len(errs) != 1 || !errors.As(errs[0], &re) || re.Pos.Line != 12 {
		t.Errorf("errors %v, want one at line 12", errs)
	}
}
