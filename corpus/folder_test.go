package corpus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const folderFixtures = "../testdata/folder"

// collect drains a source into papers and record errors; any other error
// fails the test.
func drainSource(t *testing.T, src Source, from Cursor) ([]Record, []*RecordError) {
	t.Helper()
	var recs []Record
	var bad []*RecordError
	for r, err := range src.Papers(context.Background(), from) {
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("fatal error: %v", err)
			}
			bad = append(bad, re)
			continue
		}
		recs = append(recs, r)
	}
	return recs, bad
}

func recordIDs(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Paper.ID
	}
	return out
}

func TestFolderFixtures(t *testing.T) {
	t.Parallel()
	f, err := NewFolder(folderFixtures, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 4 {
		t.Fatalf("Len = %d, want 4 (hidden directory and .csv skipped)", f.Len())
	}
	recs, bad := drainSource(t, f, Cursor{})

	wantIDs := []string{"cranfield-style", "nlp/summarisation-toml", "quire-fixture-001"}
	if got := recordIDs(recs); !slices.Equal(got, wantIDs) {
		t.Fatalf("ids = %q, want %q", got, wantIDs)
	}
	if len(bad) != 1 {
		t.Fatalf("got %d record errors, want 1: %v", len(bad), bad)
	}
	broken := filepath.Join(folderFixtures, "broken-front-matter.md")
	if bad[0].Pos != (Position{File: broken, Line: 5}) || bad[0].Cursor != (Cursor{Unit: 0, Line: 1}) {
		t.Errorf("broken front matter reported at %+v cursor %+v, want %s:5 cursor {0 1}", bad[0].Pos, bad[0].Cursor, broken)
	}
	if !strings.Contains(bad[0].Error(), "YAML front matter") {
		t.Errorf("error %q does not say what is wrong", bad[0])
	}

	txt, toml, yml := recs[0].Paper, recs[1].Paper, recs[2].Paper
	if txt.Title != "Boundary Layer Transition on a Swept Wing at Supersonic Speeds" ||
		!strings.HasPrefix(txt.Abstract, "Measurements of the transition point") ||
		!strings.HasSuffix(txt.Abstract, "compared with that of sweep.") {
		t.Errorf("plain text paper: title %q abstract %q", txt.Title, txt.Abstract)
	}
	if txt.Source != "folder" {
		t.Errorf("default source = %q, want the folder's name", txt.Source)
	}
	if !slices.Equal(toml.Authors, []string{"Ana Souza", "Kenji Watanabe", "Lena Fischer"}) ||
		toml.Year != 2021 || toml.Source != "fixtures" ||
		!slices.Equal(toml.Fields, []string{"Computer Science", "Medicine"}) ||
		!strings.HasPrefix(toml.Abstract, "Summaries of clinical trial reports") {
		t.Errorf("TOML paper decoded wrong: %+v", toml)
	}
	if yml.Title != "Learned Sparse Term Weights for Scientific Literature Search" ||
		yml.DOI != "10.5555/quire.fixture.001" || yml.Year != 2023 ||
		!slices.Equal(yml.Categories, []string{"cs.IR", "cs.CL"}) ||
		!strings.HasPrefix(yml.Abstract, "Keyword search remains") ||
		!strings.HasSuffix(yml.Abstract, "within a factor of two.") ||
		!strings.Contains(yml.FullText, "## 2 Method") {
		t.Errorf("YAML paper decoded wrong: %+v", yml)
	}

	for i, r := range recs {
		if r.Pos.Line != 0 || r.Cursor.Line != 1 {
			t.Errorf("record %d: pos %+v cursor %+v; a whole document has no line and Line 1 marks it consumed", i, r.Pos, r.Cursor)
		}
		if i > 0 && r.Bytes <= recs[i-1].Bytes {
			t.Errorf("Bytes not increasing: %d then %d", recs[i-1].Bytes, r.Bytes)
		}
	}
	if last := recs[len(recs)-1].Bytes; last != f.Size(context.Background()) {
		t.Errorf("last Bytes = %d, Size = %d", last, f.Size(context.Background()))
	}
}

func TestFolderResume(t *testing.T) {
	t.Parallel()
	f, err := NewFolder(folderFixtures, "x")
	if err != nil {
		t.Fatal(err)
	}
	all, _ := drainSource(t, f, Cursor{})
	for _, tc := range []struct {
		from Cursor
		want []string
	}{
		{Cursor{}, recordIDs(all)},
		{all[0].Cursor, recordIDs(all[1:])},
		{Cursor{Unit: 2}, recordIDs(all[1:])}, // unit 2 not yet read
		{Cursor{Unit: 2, Line: 1}, recordIDs(all[2:])},
		{Cursor{Unit: 9, Line: 1}, nil},
	} {
		got, _ := drainSource(t, f, tc.from)
		if !slices.Equal(recordIDs(got), tc.want) {
			t.Errorf("from %+v: got %q, want %q", tc.from, recordIDs(got), tc.want)
		}
	}
}

func TestFolderStops(t *testing.T) {
	t.Parallel()
	f, err := NewFolder(folderFixtures, "x")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range f.Papers(context.Background(), Cursor{}) {
		n++
		break
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range f.Papers(ctx, Cursor{}) {
		n++
	}
	if n != 1 {
		t.Errorf("got %d records, want 1: the consumer stopped, then ctx was cancelled", n)
	}
}

func TestNewFolderErrors(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "figure.png"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(empty, "missing"), filepath.Join(empty, "figure.png"), empty} {
		if _, err := NewFolder(dir, ""); err == nil {
			t.Errorf("NewFolder(%s) = nil error", dir)
		} else if !strings.Contains(err.Error(), dir) && !strings.Contains(err.Error(), "figure.png") {
			t.Errorf("error %q does not name the folder", err)
		}
	}
}

func TestFolderUnreadableDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", "# Good\n\nBody.\n")
	write("b.txt", "Title\n\ncaf\xe9 au lait\n")
	write("c.MD", "# Also good\n")
	f, err := NewFolder(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	recs, bad := drainSource(t, f, Cursor{})
	if !slices.Equal(recordIDs(recs), []string{"a", "c"}) {
		t.Errorf("ids = %q", recordIDs(recs))
	}
	if len(bad) != 1 || bad[0].Pos.Line != 3 || !strings.Contains(bad[0].Error(), "UTF-8 (first bad byte at column 4)") {
		t.Errorf("bad = %v, want b.txt:3 not valid UTF-8", bad)
	}
}

func TestDecodeDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc string
		want      Paper
	}{
		{
			name: "notes/plain.md",
			doc:  "# Title Here\n\nFirst paragraph\ncontinues.\n\nSecond.\n",
			want: Paper{ID: "notes/plain", Title: "Title Here", Abstract: "First paragraph continues."},
		},
		{
			name: "setext.md",
			doc:  "Setext Title\n============\n\n**Abstract.** Inline abstract\ntext here.\n\nMore body.\n",
			want: Paper{ID: "setext", Title: "Setext Title", Abstract: "Inline abstract text here."},
		},
		{
			// A heading-level abstract section spans paragraphs up to the
			// next heading; a "# comment" inside code is not a title.
			name: "section.md",
			doc:  "```\n# not a title\n```\n\n## Abstract\n\nOne.\n\nTwo.\n\n## Intro\n\nThree.\n",
			want: Paper{ID: "section", Title: "One.", Abstract: "One. Two."},
		},
		{
			name: "prose.txt",
			doc:  "On Groups\n\nAbstract algebra is a field of mathematics.\n",
			want: Paper{ID: "prose", Title: "On Groups", Abstract: "Abstract algebra is a field of mathematics."},
		},
		{
			name: "crlf.md",
			doc:  "\xEF\xBB\xBF---\r\ntitle: 'CRLF: Windows'\r\nauthor: Smith, J.; Doe, K.\r\ndate: 2020-05-01\r\nhugo: {draft: true}\r\n---\r\n# C#\r\n\r\nBody.\r\n",
			want: Paper{ID: "crlf", Title: "CRLF: Windows", Authors: []string{"Smith, J.", "Doe, K."}, Year: 2020, Abstract: "Body."},
		},
		{
			name: "numbers.md",
			doc:  "---\nid: 12345\nyear: \"May 1999\"\ncategories: cs.CL cs.AI\n---\nText only.\n",
			want: Paper{ID: "12345", Title: "Text only.", Year: 1999, Categories: []string{"cs.CL", "cs.AI"}},
		},
		{
			name: "toml.md",
			doc:  "+++\ntitle = \"T\"\nyear = 2001\n[extra]\ntitle = [1, 2]\n+++\n",
			want: Paper{ID: "toml", Title: "T", Year: 2001},
		},
	} {
		p, err := DecodeDocument(tc.name, []byte(tc.doc), "src")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		tc.want.Source = "src"
		p.FullText = ""
		tc.want.Normalize()
		if !samePaperFields(p, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, p, tc.want)
		}
	}
}

func samePaperFields(a, b Paper) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Abstract == b.Abstract &&
		slices.Equal(a.Authors, b.Authors) && a.Year == b.Year && a.Venue == b.Venue &&
		slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Categories, b.Categories) &&
		a.DOI == b.DOI && a.URL == b.URL && a.Source == b.Source && a.FullText == b.FullText
}

func TestDecodeDocumentErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc   string
		line  int64
		field string // "" when the error is not about one field
		msg   string
	}{
		{"---\ntitle: x\n", 1, "", "never closed"},
		{"+++\ntitle = x\n+++\n", 2, "", "TOML front matter"},
		{"---\ntitle: x\nauthors:\n  nested: map\n---\n", 3, "authors", "want a list or text, got a mapping"},
		{"+++\nid = \"a\"\ntitle = [\"a\", \"b\"]\n+++\n", 3, "title", "want text, got a list"},
		// A nested list is named as such, not as a mapping.
		{"---\ntitle: x\nauthors: [[a, b]]\n---\n", 3, "authors", "want a list or text, got a list holding a list"},
		{"---\ntitle: [[a]]\n---\n", 2, "title", "want text, got a list holding a list"},
		{"+++\ntitle = \"x\"\nauthors = [[\"a\"]]\n+++\n", 3, "authors", "got a list holding a list"},
		{"+++\ntitle = \"x\"\n[authors]\nname = \"a\"\n+++\n", 2, "authors", "got a table"},
		{"---\ntitle: x\nyear: 1066\n---\n", 3, "year", "out of range"},
		{"---\ntitle: x\ndate: soon\n---\n", 3, "year", "holds no 4-digit year"},
		{"---\n- a\n- b\n---\n", 2, "", "key: value"},
		{"---\n---\n\n", 0, "title", "no title, abstract or text"},
		{"ok\n\xff\n", 2, "", "not valid UTF-8"},
	} {
		_, err := DecodeDocument("doc.md", []byte(tc.doc), "")
		var re *RecordError
		if !errors.As(err, &re) {
			t.Errorf("%q: err = %v, want a *RecordError", tc.doc, err)
			continue
		}
		if re.Pos != (Position{File: "doc.md", Line: tc.line}) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %q at %+v, want %q at line %d", tc.doc, err, re.Pos, tc.msg, tc.line)
		}
		var fe *FieldError
		if got := errors.As(err, &fe); got != (tc.field != "") || got && fe.Field != tc.field {
			t.Errorf("%q: field error %v, want field %q", tc.doc, fe, tc.field)
		}
	}
}
