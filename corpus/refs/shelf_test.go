package refs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
)

// shelf writes a Zotero-style export: a .bib at the top whose entries
// attach files/1/a.pdf (Zotero's desc:path:mime form) and one missing
// file, one bad entry, an unattached loose.pdf and a notes.md.
func shelf(t *testing.T) string {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("files/1/a.pdf", "text of a")
	write("loose.pdf", "text of loose")
	write("notes.md", "# Lab notes\n\nWhat we tried.\n")
	write("My Library.bib", `@article{smith2020,
  title = {Library Title of A},
  author = {Smith, Jane and Doe, John},
  year = {2020},
  keywords = {sparse models},
  file = {Full Text:files/1/a.pdf:application/pdf}
}

@article{broken,
  title = {No closing brace
`+"\n"+`@book{gone2019,
  title = {Attachment Gone},
  author = {Roe, Rick},
  year = {2019},
  file = {files/9/gone.pdf}
}
`)
	return dir
}

func fakePDF(_ context.Context, name string, data []byte) (corpus.Paper, []string, error) {
	return corpus.Paper{Title: "PDF title of " + name, FullText: string(data), Pages: []int{0}}, nil, nil
}

func readShelf(t *testing.T, s *Shelf, from corpus.Cursor) (recs []corpus.Record, errs []error) {
	for rec, err := range s.Papers(context.Background(), from) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, errs
}

func TestShelfTakesLibraryMetadataAndSkipsAttachedPDFs(t *testing.T) {
	dir := shelf(t)
	libs := Libraries(dir)
	if len(libs) != 1 || filepath.Base(libs[0]) != "My Library.bib" {
		t.Fatalf("libraries %q", libs)
	}
	s, err := OpenShelf(dir, libs, "")
	if err != nil {
		t.Fatal(err)
	}
	s.SetReaders(fakePDF, corpus.Limits{})
	if s.Dropped != 1 {
		t.Errorf("dropped %d attached PDFs, want 1 (a.pdf)", s.Dropped)
	}
	recs, errs := readShelf(t, s, corpus.Cursor{})
	var ids []string
	byID := map[string]corpus.Record{}
	for _, r := range recs {
		ids = append(ids, r.Paper.ID)
		byID[r.Paper.ID] = r
	}
	if want := []string{"smith2020", "gone2019", "loose", "notes"}; !slices.Equal(ids, want) {
		t.Fatalf("ids %q, want %q", ids, want)
	}
	a := byID["smith2020"].Paper
	if a.Title != "Library Title of A" || a.FullText != "text of a" || len(a.Authors) != 2 {
		t.Errorf("entry took %+v", a)
	}
	if w := strings.Join(byID["gone2019"].Warnings, "\n"); !strings.Contains(w, "gone.pdf") {
		t.Errorf("missing attachment not warned: %q", w)
	}
	if byID["loose"].Paper.FullText != "text of loose" {
		t.Errorf("loose.pdf %+v", byID["loose"].Paper)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "My Library.bib:") {
		t.Errorf("errors %v: want the broken entry with its line", errs)
	}
	// Cursors grow across the library and the folder, and resuming from
	// any record yields exactly the records after it.
	for i := 1; i < len(recs); i++ {
		if !recs[i].Cursor.After(recs[i-1].Cursor) {
			t.Errorf("cursor %v after %v", recs[i].Cursor, recs[i-1].Cursor)
		}
	}
	for i, r := range recs {
		rest, _ := readShelf(t, s, r.Cursor)
		var got []string
		for _, x := range rest {
			got = append(got, x.Paper.ID)
		}
		if want := ids[i+1:]; !slices.Equal(got, want) {
			t.Errorf("resume after %s: %q, want %q", r.Paper.ID, got, want)
		}
	}
}

func TestShelfOfOnlyAttachments(t *testing.T) {
	dir := shelf(t)
	for _, f := range []string{"loose.pdf", "notes.md"} {
		os.Remove(filepath.Join(dir, f))
	}
	s, err := OpenShelf(dir, Libraries(dir), "lab")
	if err != nil {
		t.Fatal(err)
	}
	s.SetReaders(fakePDF, corpus.Limits{})
	recs, _ := readShelf(t, s, corpus.Cursor{})
	if len(recs) != 2 || recs[0].Paper.Source != "lab" {
		t.Errorf("%d records; first %+v", len(recs), recs)
	}
}
