package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// gzipMemberBytes gzips lines first..last-1 as one member. Stored (level 0)
// blocks keep the text as it is, so a flipped byte garbles one character
// and inflates without complaint: only the checksum can catch it.
func gzipMemberBytes(t testing.TB, first, last, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i < last; i++ {
		fmt.Fprintf(zw, `{"id":"p%d","title":"Paper %d","abstract":"Abstract number %d about proteins."}`+"\n", i, i, i)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// flipInText changes the first "proteins" in a stored member to "prodeins".
func flipInText(t testing.TB, member []byte) {
	t.Helper()
	i := bytes.Index(member, []byte("proteins"))
	if i < 0 {
		t.Fatal("no text to flip: the member is not stored")
	}
	member[i+3] ^= 't' ^ 'd'
}

func damagedErrors(t *testing.T, errs []*RecordError) []*DamagedError {
	t.Helper()
	var out []*DamagedError
	for _, re := range errs {
		var de *DamagedError
		if !errors.As(re, &de) {
			t.Errorf("unexpected error %v", re)
			continue
		}
		if !errors.Is(re, ErrDamaged) || !errors.Is(re, gzip.ErrChecksum) {
			t.Errorf("%v should match ErrDamaged and gzip.ErrChecksum", re)
		}
		out = append(out, de)
	}
	return out
}

// TestGzipDamagedMemberWithheld: a local file whose middle member fails its
// checksum yields every record of the good members, none of the damaged
// one, and one error naming the member and its lines.
func TestGzipDamagedMemberWithheld(t *testing.T) {
	t.Parallel()
	bad := gzipMemberBytes(t, 10, 20, gzip.NoCompression)
	flipInText(t, bad)
	data := append(append(gzipMemberBytes(t, 0, 10, gzip.DefaultCompression), bad...), gzipMemberBytes(t, 20, 30, gzip.DefaultCompression)...)
	path := writeTemp(t, "damaged.jsonl.gz", data)
	recs, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}, Cursor{})
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.Paper.ID)
		if strings.Contains(r.Paper.Abstract, "prodeins") {
			t.Errorf("garbled record %s was yielded", r.Paper.ID)
		}
	}
	want := []string{}
	for i := range 30 {
		if i < 10 || i >= 20 {
			want = append(want, fmt.Sprintf("p%d", i))
		}
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("records %v\nwant %v", ids, want)
	}
	des := damagedErrors(t, errs)
	if len(des) != 1 {
		t.Fatalf("damage errors %v, want one", errs)
	}
	de := des[0]
	if de.Member != 2 || de.FirstLine != 11 || de.LastLine != 20 || de.Withheld != 10 || de.Released != 0 {
		t.Errorf("damage %+v, want member 2, lines 11-20 withheld, none released", de)
	}
	if !strings.HasPrefix(errs[0].Error(), path+":11: ") || !strings.Contains(errs[0].Error(), "lines 11–20") {
		t.Errorf("message %q should name %s:11 and lines 11–20", errs[0], path)
	}
}

// TestGzipDamagedSingleMember: the usual single-member file with one
// flipped byte yields nothing at all, whatever the compression level.
func TestGzipDamagedSingleMember(t *testing.T) {
	t.Parallel()
	for _, level := range []int{gzip.NoCompression, gzip.BestSpeed, gzip.DefaultCompression} {
		data := gzipMemberBytes(t, 0, 500, level)
		if level == gzip.NoCompression {
			flipInText(t, data)
		} else {
			data[len(data)/2] ^= 0x10
		}
		path := writeTemp(t, "one.jsonl.gz", data)
		recs, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}, Cursor{})
		if len(recs) != 0 {
			t.Errorf("level %d: %d records yielded from a damaged member", level, len(recs))
		}
		if len(errs) == 0 || !errors.Is(errs[len(errs)-1], ErrDamaged) {
			t.Errorf("level %d: errors %v, want a damaged-input error", level, errs)
		}
	}
}

// TestGzipDamagedStreamed: input that cannot be read twice (S3) yields
// records as they come; the damage error then lists exactly the lines and
// the ids that were yielded from the damaged member.
func TestGzipDamagedStreamed(t *testing.T) {
	t.Parallel()
	good := gzipMemberBytes(t, 0, 5, gzip.DefaultCompression)
	bad := gzipMemberBytes(t, 5, 3005, gzip.NoCompression)
	flipInText(t, bad)
	var recs []Record
	var errs []*RecordError
	yield := func(r Record, err error) bool {
		if err != nil {
			errs = append(errs, err.(*RecordError))
		} else {
			recs = append(recs, r)
		}
		return true
	}
	scanJSONL(context.Background(), bytes.NewReader(append(good, bad...)), unitScan{name: "s3://b/x.gz", dec: mustMapped(t, nil, "x"), yield: yield})
	des := damagedErrors(t, errs)
	if len(des) != 1 {
		t.Fatalf("errors %v, want one damage error", errs)
	}
	de := des[0]
	released := int64(len(recs) - 5)
	if de.Released != released || de.Released == 0 || de.Released+de.Withheld != 3000 {
		t.Fatalf("damage %+v with %d records yielded from the member; want them all listed", de, released)
	}
	if de.ReleasedFirst != 6 || de.ReleasedLast != 5+released || len(de.ReleasedIDs) != min(int(released), maxListedIDs) || de.ReleasedIDs[0] != "p5" {
		t.Errorf("released lines %d–%d ids %v", de.ReleasedFirst, de.ReleasedLast, de.ReleasedIDs[:3])
	}
	if !strings.Contains(de.Error(), "may be garbled") || !strings.Contains(de.Error(), "p5, p6") {
		t.Errorf("message %q should list the ids read", de)
	}
}
