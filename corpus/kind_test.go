package corpus

import (
	"strings"
	"testing"
)

// TestErrorKindGroups: bad lines of one kind at different byte offsets,
// columns and lines fall in one group, named without numbers.
func TestErrorKindGroups(t *testing.T) {
	t.Parallel()
	data := strings.Join([]string{
		`{"id":"a","title":"ok"}`,
		`{"id":"b",`,
		`{"id":"c","title":"x" "y"}`,
		`{"id":"d","title":"x","abstract":"lots of words here" 7}`,
		"{\"id\":\"e\",\"title\":\"\xff\"}",
		"{\"id\":\"f\",\"title\":\"ok \xfe\"}",
		`{"id":"g","year":"soon","title":"x"}`,
		`{"id":"h","year":"never","title":"x"}`,
	}, "\n")
	path := writeTemp(t, "bad.jsonl", []byte(data))
	_, errs := jsonlCollect(t, &JSONLFiles{Paths: []string{path}, Decode: mustMapped(t, nil, "x")}, Cursor{})
	counts := map[string]int{}
	for _, e := range errs {
		counts[ErrorKind(e)]++
	}
	want := map[string]int{"invalid JSON": 3, "not valid UTF-8": 2, "year": 2}
	if len(counts) != len(want) {
		t.Fatalf("kinds %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("kind %q counted %d, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
}
