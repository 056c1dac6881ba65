package corpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateUTF8(t *testing.T) {
	t.Parallel()
	s := "aé€😀b" // 1 + 2 + 3 + 4 + 1 bytes
	for n := 0; n <= len(s)+1; n++ {
		got := TruncateUTF8(s, n)
		if len(got) > n || !utf8.ValidString(got) || !strings.HasPrefix(s, got) {
			t.Errorf("TruncateUTF8(%q, %d) = %q", s, n, got)
		}
		if n < len(s) && len(got) < n-utf8.UTFMax+1 {
			t.Errorf("TruncateUTF8(%q, %d) = %q cut too much", s, n, got)
		}
	}
}

// TestCapFields: every field over its limit is cut and named in a warning
// worded the same for every record (so reports can count them).
func TestCapFields(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxTextBytes: 1024, MaxShortBytes: 64, MaxListItems: 3}
	p := Paper{ID: strings.Repeat("i", 60), Title: strings.Repeat("é", 100), Abstract: strings.Repeat("a", 5000),
		Authors: []string{"A", "B", strings.Repeat("c", 100), "D"}}
	warn, err := lim.Cap(&p)
	if err != nil || len(p.ID) != 60 {
		t.Errorf("the id was cut or refused: %v", err)
	}
	if len(p.Title) > 64 || !utf8.ValidString(p.Title) || len(p.Abstract) != 1024 || len(p.Authors) != 3 || len(p.Authors[2]) != 64 {
		t.Errorf("not cut: title %d, abstract %d, authors %d", len(p.Title), len(p.Abstract), len(p.Authors))
	}
	want := []string{"abstract: truncated to 1 KiB (ingest.max_field_bytes)", "title: truncated to 64 bytes (ingest.max_short_field_bytes)",
		"authors: cut to the first 3 (ingest.max_list_items)", "authors: an entry truncated to 64 bytes (ingest.max_short_field_bytes)"}
	if fmt.Sprint(warn) != fmt.Sprint(want) {
		t.Errorf("warnings %q\nwant %q", warn, want)
	}
}

// TestCapLongID: an id past the limit is refused, naming the field, never
// cut (two cut ids could collide).
func TestCapLongID(t *testing.T) {
	t.Parallel()
	path := writeTemp(t, "ids.jsonl", []byte(`{"id":"`+strings.Repeat("x", 5000)+`","title":"T"}`+"\n"+`{"id":"ok","title":"T"}`+"\n"))
	recs, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}, Cursor{})
	if len(recs) != 1 || recs[0].Paper.ID != "ok" {
		t.Errorf("records %v", recordIDs(recs))
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), path+":1: id: longer than 4 KiB") {
		t.Errorf("errors %v", errs)
	}
}

// writeGiantRecord writes a JSONL file whose second line holds an abstract
// of n bytes, without holding it in memory.
func writeGiantRecord(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "giant.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, `{"id":"small","title":"A small paper"}`)
	fmt.Fprint(w, `{"id":"giant","title":"A giant paper","abstract":"`)
	word := []byte("protein folding ")
	for i := 0; i < n; i += len(word) {
		w.Write(word)
	}
	fmt.Fprintln(w, `"}`)
	fmt.Fprintln(w, `{"id":"after","title":"The paper after"}`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// allocated runs fn and returns the bytes it allocated and the heap still
// in use after it, with the records it returns alive.
func allocated(fn func() []Record) (total, live uint64, recs []Record) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	recs = fn()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(recs)
	return after.TotalAlloc - before.TotalAlloc, after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc), recs
}

// TestGiantAbstractBounded: an 8 MiB abstract is cut to max_field_bytes
// with a warning naming file:line and the field; reading it allocates a
// small multiple of the line, and the kept record does not pin it.
func TestGiantAbstractBounded(t *testing.T) {
	const size = 8 << 20
	path := writeGiantRecord(t, size)
	src := &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}
	total, live, recs := allocated(func() []Record {
		recs, errs := jsonlCollect(t, src, Cursor{})
		if len(errs) > 0 {
			t.Errorf("errors %v", errs)
		}
		return recs
	})
	if len(recs) != 3 || recs[1].Paper.ID != "giant" {
		t.Fatalf("records %v", recordIDs(recs))
	}
	giant := recs[1]
	if len(giant.Paper.Abstract) > DefaultMaxTextBytes || len(giant.Paper.Abstract) < DefaultMaxTextBytes-32 {
		t.Errorf("abstract is %d bytes, want about %d", len(giant.Paper.Abstract), DefaultMaxTextBytes)
	}
	if len(giant.Warnings) != 1 || giant.Pos.String() != path+":2" || !strings.HasPrefix(giant.Warnings[0], "abstract: truncated to 1 MiB") {
		t.Errorf("warning at %s: %q", giant.Pos, giant.Warnings)
	}
	t.Logf("allocated %d MiB, %d MiB live after", total>>20, live>>20)
	if total > 6*size {
		t.Errorf("allocated %d MiB reading a %d MiB line", total>>20, size>>20)
	}
	if live > 4<<20 {
		t.Errorf("%d MiB still live: the cut abstract pins the original", live>>20)
	}
}

// TestGiantLineSkipped: a line past max_line_bytes is skipped with an
// error naming it, without gathering it in memory, and reading goes on.
func TestGiantLineSkipped(t *testing.T) {
	const size = 16 << 20
	path := writeGiantRecord(t, size)
	src := &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x"), Limits: Limits{MaxLineBytes: 4 << 20}}
	var errs []*RecordError
	total, _, recs := allocated(func() []Record {
		var recs []Record
		recs, errs = jsonlCollect(t, src, Cursor{})
		return recs
	})
	if got := strings.Join(recordIDs(recs), ","); got != "small,after" {
		t.Errorf("records %s, want small,after", got)
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), path+":2: line longer than 4 MiB") {
		t.Errorf("errors %v", errs)
	}
	t.Logf("allocated %d MiB", total>>20)
	if total > 24<<20 {
		t.Errorf("allocated %d MiB skipping a line over a 4 MiB limit", total>>20)
	}
}
