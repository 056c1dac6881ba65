package embedded

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

func TestFacetColumnRoundTrip(t *testing.T) {
	t.Parallel()
	names := []string{"", "x", "y", "z"}
	for _, tc := range []struct {
		name  string
		col   column
		docs  int
		multi bool
	}{
		{"single", column{vals: []uint32{3, 0, 1, 3}}, 4, false},
		{"multi", column{vals: []uint32{2, 1, 3, 2}, offs: []uint32{0, 2, 2, 4}}, 3, true},
		{"empty multi", column{offs: make([]uint32, 4)}, 3, true},
	} {
		b := encodeColumn(tc.col, names, tc.docs, 1234, tc.multi)
		d := newDict()
		got, err := decodeColumn(b, tc.docs, 1234, tc.multi, d)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// Ids are the new dictionary's, so compare by name.
		var want, have []string
		for i, v := range tc.col.vals {
			want = append(want, names[v])
			have = append(have, d.snapshot()[got.vals[i]])
		}
		if !slices.Equal(want, have) || !slices.Equal(tc.col.offs, got.offs) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, have, got.offs, want, tc.col.offs)
		}
		// Every damage is refused, never misread.
		for cut := range len(b) {
			if _, err := decodeColumn(b[:cut], tc.docs, 1234, tc.multi, newDict()); !errors.Is(err, errFacetFile) {
				t.Fatalf("%s: truncated to %d bytes: %v", tc.name, cut, err)
			}
		}
		for i := range b {
			bad := slices.Clone(b)
			bad[i] ^= 1
			if _, err := decodeColumn(bad, tc.docs, 1234, tc.multi, newDict()); !errors.Is(err, errFacetFile) {
				t.Fatalf("%s: byte %d flipped: %v", tc.name, i, err)
			}
		}
		if _, err := decodeColumn(b, tc.docs+1, 1234, tc.multi, newDict()); !errors.Is(err, errFacetFile) {
			t.Errorf("%s: a segment of another size: %v", tc.name, err)
		}
		if _, err := decodeColumn(b, tc.docs, 1235, tc.multi, newDict()); !errors.Is(err, errFacetFile) {
			t.Errorf("%s: another segment file: %v", tc.name, err)
		}
		if _, err := decodeColumn(b, tc.docs, 1234, !tc.multi, newDict()); !errors.Is(err, errFacetFile) {
			t.Errorf("%s: the other kind of facet: %v", tc.name, err)
		}
	}
}

// TestSavedColumnsAreRead plants a valid column file that names an author
// differently: a read-only open must count from the file, not rebuild.
func TestSavedColumnsAreRead(t *testing.T) {
	t.Parallel()
	dir := savedFixture(t)
	files, err := filepath.Glob(filepath.Join(dir, facetDir, "*."+search.FacetAuthor))
	if err != nil || len(files) == 0 {
		t.Fatalf("author columns: %v %v", files, err)
	}
	fi := facetIndex(search.FacetAuthor)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := newDict()
		docs, segBytes := binaryHeader(b)
		col, err := decodeColumn(b, docs, segBytes, true, d)
		if err != nil {
			t.Fatal(err)
		}
		names := d.snapshot()
		for i, n := range names {
			if n == "Feng Zhang" {
				names[i] = "F. Zhang (from the file)"
			}
		}
		if err := os.WriteFile(f, encodeColumn(col, names, docs, segBytes, facetSpecs[fi].multi), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := readOnlyAuthors(t, dir)
	if !slices.Contains(got, "F. Zhang (from the file)") || slices.Contains(got, "Feng Zhang") {
		t.Errorf("authors counted %v: the saved column was not used", got)
	}
}

// binaryHeader reads the document count and segment file size of an
// encoded column.
func binaryHeader(b []byte) (int, int64) {
	r := facetReader{b: b[12:]}
	return int(r.u64()), int64(r.u64())
}

// TestSaveRemovesStaleColumns checks a save drops the files of segments
// the index no longer has, and leftovers of interrupted writes, and keeps
// everything else.
func TestSaveRemovesStaleColumns(t *testing.T) {
	t.Parallel()
	dir := savedFixture(t)
	fdir := filepath.Join(dir, facetDir)
	kept, _ := filepath.Glob(filepath.Join(fdir, "*"))
	planted := []string{"00000000deadbeef.author", ".tmp-123"}
	for _, n := range append(planted, "notes.txt") {
		if err := os.WriteFile(filepath.Join(fdir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reopenWritable(t, dir)
	for _, n := range planted {
		if _, err := os.Stat(filepath.Join(fdir, n)); err == nil {
			t.Errorf("%s survived the save", n)
		}
	}
	for _, p := range append(kept, filepath.Join(fdir, "notes.txt")) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}

// savedFixture writes the fixture papers to a new index and closes it,
// which saves its facet columns; it returns the index's folder.
func savedFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "idx")
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, x, &search.Batch{Upserts: slices.Clone(fixture)})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStaleColumnsIgnored recreates an index under an old facets/ folder:
// the new index's first segment has the old one's id and document count,
// and its saved columns must not be used.
func TestStaleColumnsIgnored(t *testing.T) {
	t.Parallel()
	dir := savedFixture(t)
	old := filepath.Join(t.TempDir(), "facets")
	if err := os.Rename(filepath.Join(dir, facetDir), old); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	papers := slices.Clone(fixture)
	for i := range papers {
		papers[i].Authors = []string{"New Author " + papers[i].ID}
	}
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, x, &search.Batch{Upserts: papers})
	if err := x.Flush(closeTimeout); err != nil {
		t.Fatal(err)
	}
	x.opts.ReadOnly = true // close without saving columns of its own
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old, filepath.Join(dir, facetDir)); err != nil {
		t.Fatal(err)
	}
	got := readOnlyAuthors(t, dir)
	for _, v := range got {
		if !strings.HasPrefix(v, "New Author ") {
			t.Errorf("author %q counted from the old index's columns", v)
		}
	}
	if len(got) != len(papers) {
		t.Errorf("authors %v, want %d new ones", got, len(papers))
	}
}

// TestSaveRewritesBadColumns damages one saved file and truncates another:
// the next read-write close writes both again.
func TestSaveRewritesBadColumns(t *testing.T) {
	t.Parallel()
	dir := savedFixture(t)
	files, _ := filepath.Glob(filepath.Join(dir, facetDir, "*"))
	if len(files) < 2 {
		t.Fatalf("saved files %v", files)
	}
	want, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(want)
	bad[len(bad)/2] ^= 0x10
	if err := os.WriteFile(files[0], bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(files[1], 20); err != nil {
		t.Fatal(err)
	}
	reopenWritable(t, dir)
	got, err := os.ReadFile(files[0])
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("damaged file not rewritten as it was (%v)", err)
	}
	if fi, err := os.Stat(files[1]); err != nil || fi.Size() <= 20 {
		t.Errorf("truncated file not rewritten: %v %v", fi, err)
	}
}

// readOnlyAuthors opens the index at dir read-only and lists the authors
// its facet counts name.
func readOnlyAuthors(t *testing.T, dir string) []string {
	t.Helper()
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	res, err := ro.Search(context.Background(), search.Request{Facets: []string{search.FacetAuthor}, FacetSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range res.Facets[0].Values {
		got = append(got, v.Value)
	}
	return got
}

// reopenWritable opens the index at dir read-write and closes it, which
// saves its facet columns.
func reopenWritable(t *testing.T, dir string) {
	t.Helper()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
}
