package embedded

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The stored passage bounds read back as encoding/json reads them, by the
// direct scan for what json.Marshal writes and by encoding/json for the
// rest; broken ones are errors.
func TestDecodeChunkRefs(t *testing.T) {
	cases := []struct {
		refs    []chunkRef
		scanned bool // the direct scan reads it
	}{
		{[]chunkRef{}, true},
		{[]chunkRef{{Index: 0, Start: 0, End: 812, Tokens: 130}}, true},
		{[]chunkRef{{Index: 3, Section: "2. Méthodes", Start: 9, End: 1200, Tokens: 140, Page: 2, PageEnd: 3}, {Index: 4, Start: 1100, End: 1900, Tokens: 120, Page: 3}}, true},
		{[]chunkRef{{Index: 1, Section: `Bounds "a" <b> & c\d`, Start: 1, End: 2, Tokens: 1}}, false},
		{[]chunkRef{{Index: 1, Section: "tab\there", Start: 1, End: 2, Tokens: 1}}, false},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.refs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeChunkRefs(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got, c.refs) {
			t.Errorf("%s: read %+v, want %+v", b, got, c.refs)
		}
		if _, ok := scanChunkRefs(b); ok != c.scanned {
			t.Errorf("%s: scanned %v, want %v", b, ok, c.scanned)
		}
	}
	for _, bad := range []string{``, `[`, `[{"i":1,"a":2`, `[{"i":x}]`, `[{"i":1}] trailing`, `{"i":1}`, `[{"i":1},]`} {
		if refs, err := decodeChunkRefs([]byte(bad)); err == nil {
			t.Errorf("%q read as %+v, want an error", bad, refs)
		}
	}
}
