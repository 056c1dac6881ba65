package cli

import (
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

// Only an engine that expands BM25 queries is said to (Weaviate leans on
// vectors without an expansion round).
func TestProbeLineSaysWhatTheEngineDoes(t *testing.T) {
	for _, tc := range []struct {
		c    search.Calibration
		want string
		not  string
	}{
		{search.Calibration{Probes: 40, Lean: true, Expands: true}, "leans on vectors and expands BM25 queries", ""},
		{search.Calibration{Probes: 40, Lean: true}, "leans on vectors", "expands"},
		{search.Calibration{Probes: 40}, "leans on BM25", "vectors"},
	} {
		got := probeLine(&tc.c)
		if !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
			t.Errorf("%+v: %q, want %q without %q", tc.c, got, tc.want, tc.not)
		}
	}
}
