package refs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/pdf"
)

func TestAttachFake(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pdf")
	bad := filepath.Join(dir, "bad.pdf")
	os.WriteFile(good, []byte("good"), 0o644)
	os.WriteFile(bad, []byte("bad"), 0o644)
	read := func(_ context.Context, name string, data []byte) (corpus.Paper, []string, error) {
		if string(data) == "bad" {
			return corpus.Paper{}, nil, errors.New("damaged")
		}
		return corpus.Paper{Title: "PDF title", FullText: "body of " + string(data), Pages: []int{0}}, nil, nil
	}
	e := Entry{Paper: corpus.Paper{Title: "Library title"}, Files: []string{filepath.Join(dir, "missing.pdf"), bad, good}}
	ws := Attach(context.Background(), &e, read)
	if e.Paper.Title != "Library title" || e.Paper.FullText != "body of good" || len(e.Paper.Pages) != 1 {
		t.Errorf("paper %+v", e.Paper)
	}
	if len(ws) != 2 || !strings.Contains(ws[0], "missing.pdf") || !strings.Contains(ws[1], "damaged") {
		t.Errorf("warnings %q", ws)
	}
}

// TestZoteroBibRealPDFs points a Zotero-style .bib at real vignette PDFs and
// checks the library metadata wins while the text comes from the PDF.
func TestZoteroBibRealPDFs(t *testing.T) {
	dir := "/work/shared/data/r-vignettes-pdf/pdfs"
	names := []string{"Formula--Formula.pdf"} // one: starting PDFium under -race costs most of the time
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Skipf("r-vignettes-pdf data absent (%v); see /work/shared/data/README", err)
		}
	}
	var bib strings.Builder
	for i, n := range names {
		fmt.Fprintf(&bib, "@article{key%d,\n  title = {Library Title {%d}},\n  author = {M{\\\"u}ller, Anna},\n  year = {2010},\n  file = {Full Text PDF:%s:application/pdf},\n}\n\n", i, i, filepath.Join(dir, n))
	}
	file := filepath.Join(t.TempDir(), "lib.bib")
	entries, errs := ParseBib(file, []byte(bib.String()))
	if len(errs) > 0 || len(entries) != len(names) {
		t.Fatalf("entries %d errors %v", len(entries), errs)
	}
	ctx := context.Background()
	ex, err := pdf.New(ctx, pdf.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	for i := range entries {
		e := &entries[i]
		ws := Attach(ctx, e, ex.Paper)
		if e.Paper.Title != fmt.Sprintf("Library Title %d", i) || e.Paper.Authors[0] != "Anna Müller" {
			t.Errorf("%s: metadata not the library's: %q %q", e.Files[0], e.Paper.Title, e.Paper.Authors)
		}
		if len(strings.Fields(e.Paper.FullText)) < 500 || len(e.Paper.Pages) < 2 {
			t.Errorf("%s: text %d words, %d pages (warnings %q)", e.Files[0], len(strings.Fields(e.Paper.FullText)), len(e.Paper.Pages), ws)
		}
	}
}
