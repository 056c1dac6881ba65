package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONLBadRecords reads a file mixing good lines with every kind of bad
// one: each bad line is a *RecordError naming file:line (and the field when
// there is one), and the good records around it still arrive.
func TestJSONLBadRecords(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"id":"good1","title":"Fine","abstract":"A fine paper."}`,
		`{"id":"broken","title":`,
		`{"title":"No id at all","abstract":"x"}`,
		`{"id":"wrongtype","title":{"nested":true}}`,
		`{"id":"noabstract","title":"Only a title"}`,
		"{\"id\":\"latin1\",\"title\":\"caf\xe9\"}",
		`{"id":"badyear","title":"t","year":"sometime"}`,
		`{"id":"fraction","title":"t","year":2019.5}`,
		`[1,2,3]`,
		``,
		`{"id":"good2","title":"Also fine","abstract":"Another."}`,
	}
	path := writeTemp(t, "mixed.jsonl", []byte(strings.Join(lines, "\n")+"\n"))
	dec, err := MappedDecoder(nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{path}, Decode: dec}, Cursor{})

	var ids []string
	for _, r := range recs {
		ids = append(ids, r.Paper.ID)
	}
	if got := strings.Join(ids, ","); got != "good1,noabstract,good2" {
		t.Errorf("papers %s, want good1,noabstract,good2", got)
	}
	if w := recs[1].Warnings; len(w) != 1 || w[0] != "abstract: empty" {
		t.Errorf("noabstract warnings %q, want [abstract: empty]", w)
	}
	want := []struct {
		line  int64
		field string // "" when the problem is the whole line
		says  string
	}{
		{2, "", "invalid JSON"},
		{3, "id", "missing"},
		{4, "title", `JSON key "title"`},
		{6, "", "UTF-8"},
		{7, "year", "no 4-digit year"},
		{8, "year", "whole number"},
		{9, "", "JSON object"},
	}
	if len(errs) != len(want) {
		t.Fatalf("%d record errors, want %d: %v", len(errs), len(want), errs)
	}
	for i, w := range want {
		e := errs[i]
		prefix := fmt.Sprintf("%s:%d: ", path, w.line)
		if !strings.HasPrefix(e.Error(), prefix) || !strings.Contains(e.Error(), w.says) {
			t.Errorf("error %q: want prefix %q and %q", e, prefix, w.says)
		}
		if e.Cursor != (Cursor{Unit: 0, Line: w.line}) {
			t.Errorf("error %q: cursor %+v", e, e.Cursor)
		}
		var fe *FieldError
		if errors.As(e, &fe) != (w.field != "") || (fe != nil && fe.Field != w.field) {
			t.Errorf("error %q: field error %v, want field %q", e, fe, w.field)
		}
		if w.field != "" && !strings.HasPrefix(e.Error(), prefix+w.field+": ") {
			t.Errorf("error %q does not name field %s after the position", e, w.field)
		}
	}
}

// TestJSONLTruncatedGzip cuts a gzip stream: the records before the cut
// arrive, then an error says the input ends early.
func TestJSONLTruncatedGzip(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, `{"id":"p%d","title":"Paper %d","abstract":"Abstract number %d with some words."}`+"\n", i, i, i)
	}
	gz := gzipBytes(t, []byte(b.String()))
	path := writeTemp(t, "cut.jsonl.gz", gz[:len(gz)/2])
	recs, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}, Cursor{})
	if len(recs) < 100 || len(recs) >= 2000 {
		t.Fatalf("%d records before the cut", len(recs))
	}
	for i, r := range recs {
		if r.Paper.ID != fmt.Sprintf("p%d", i) {
			t.Fatalf("record %d is %s", i, r.Paper.ID)
		}
	}
	if len(errs) == 0 {
		t.Fatal("no error for a truncated gzip")
	}
	last := errs[len(errs)-1]
	if !strings.Contains(last.Error(), "ends early") || !strings.HasPrefix(last.Error(), path+":") {
		t.Errorf("last error %q should say the input ends early at file:line", last)
	}
}

// TestJSONLUnreadableFile: a missing file is reported and the next file is
// still read.
func TestJSONLUnreadableFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	good := writeTemp(t, "good.jsonl", []byte(`{"id":"a","title":"A"}`+"\n"))
	dir := t.TempDir() // not a regular file: named as such, never opened
	recs, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{missing, dir, good}, Decode: mustMapped(t, nil, "x")}, Cursor{})
	if len(recs) != 1 || recs[0].Paper.ID != "a" || recs[0].Cursor.Unit != 2 {
		t.Errorf("records %+v, want paper a from unit 2", recs)
	}
	if len(errs) != 2 {
		t.Fatalf("errors %v, want one per unreadable file", errs)
	}
	if !strings.HasPrefix(errs[0].Error(), missing+": ") || !errors.Is(errs[0], os.ErrNotExist) {
		t.Errorf("error %q should name %s and wrap ErrNotExist", errs[0], missing)
	}
	if !strings.HasPrefix(errs[1].Error(), dir+": ") || !strings.Contains(errs[1].Error(), "a directory") {
		t.Errorf("error %q should name %s as a directory", errs[1], dir)
	}
}

// TestJSONLResume: from Cursor{0, k} only lines after k arrive, across units.
func TestJSONLResume(t *testing.T) {
	t.Parallel()
	src := &JSONLFiles{Paths: []string{corpusFixture("arxiv-snapshot.jsonl"), corpusFixture("arxiv-snapshot.jsonl")}, Decode: ArxivDecoder("")}
	all, _ := jsonlCollect(t, src, Cursor{})
	if len(all) != 10 {
		t.Fatalf("%d records, want 10", len(all))
	}
	for k := int64(0); k <= 5; k++ {
		recs, errs := jsonlCollect(t, src, Cursor{Unit: 0, Line: k})
		if len(errs) > 0 || len(recs) != 10-int(k) {
			t.Fatalf("from line %d: %d records, %v", k, len(recs), errs)
		}
		for _, r := range recs {
			if r.Cursor.Unit == 0 && r.Cursor.Line <= k {
				t.Errorf("from line %d: got line %d again", k, r.Cursor.Line)
			}
		}
		if recs[0].Bytes <= 0 {
			t.Errorf("Bytes not counted")
		}
	}
	recs, _ := jsonlCollect(t, src, Cursor{Unit: 1, Line: 3})
	if len(recs) != 2 || recs[0].Pos.Line != 4 || recs[0].Cursor.Unit != 1 {
		t.Errorf("from unit 1 line 3: %+v", recs)
	}
}

func TestJSONLCancel(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, `{"id":"p%d","title":"t"}`+"\n", i)
	}
	path := writeTemp(t, "many.jsonl", []byte(b.String()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for _, err := range (&JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}).Papers(ctx, Cursor{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if n >= 1000 {
		t.Errorf("read all %d records after cancel", n)
	}
}
