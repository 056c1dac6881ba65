package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/quire-research/quire/corpus/corpustest"
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

// sharedData is ../shared/data, or a skip when it is absent.
func sharedData(t testing.TB) string { return corpustest.SharedData(t) }

func paperByID(recs []Record) map[string]Paper {
	m := make(map[string]Paper, len(recs))
	for _, r := range recs {
		m[r.Paper.ID] = r.Paper
	}
	return m
}
