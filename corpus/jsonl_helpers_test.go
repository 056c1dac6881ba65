package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// jsonlCollect drains a source, splitting records from *RecordError values
// and failing on any other error.
func jsonlCollect(t testing.TB, src Source, from Cursor) ([]Record, []*RecordError) {
	t.Helper()
	var recs []Record
	var errs []*RecordError
	for rec, err := range src.Papers(context.Background(), from) {
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("stream error is %T, want *RecordError: %v", err, err)
			}
			errs = append(errs, re)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, errs
}

// corpusFixture is a path under testdata/corpus.
func corpusFixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata", "corpus"}, parts...)...)
}

// writeTemp writes data to name in a fresh temp dir and returns its path.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sharedData finds the team's read-only test data: ../shared/data beside
// the module root. It skips the test when the data is not there.
func sharedData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory, so no ../shared/data to test against")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "README.md")); err != nil {
		t.Skipf("real test data not found at %s (it lives outside the repo); skipping", data)
	}
	return data
}

func paperByID(recs []Record) map[string]Paper {
	m := make(map[string]Paper, len(recs))
	for _, r := range recs {
		m[r.Paper.ID] = r.Paper
	}
	return m
}
