package vector

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDocNumbersMatchCode keeps the package doc honest: the thresholds it
// states are the ones the code uses (it once said 20,000 and 1/20 while the
// code had moved to 200,000 and 1/8).
func TestDocNumbersMatchCode(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(b)), " ")
	doc = strings.ReplaceAll(doc, " // ", " ")
	o := Options{}.withDefaults()
	for _, want := range []string{
		"Options.ExactBelow (default " + commas(o.ExactBelow) + ")",
		"under " + commas(o.FilterScanBelow) + " or 1/" + strconv.Itoa(filterExactRatio) + " of the index",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("doc.go does not say %q; the code's defaults changed, update the doc", want)
		}
	}
}

// commas writes n as the doc does: 200,000.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
