package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"year", "year", 0}, {"", "abc", 3}, {"abc", "", 3},
		{"yaer", "year", 1}, // a swap is one edit
		{"serach", "search", 1},
		{"auhtor", "author", 1},
		{"venu", "venue", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3},      // OSA, not unrestricted Damerau: no edit of a swapped pair
		{"année", "annee", 1}, // runes, not bytes
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", c.b, c.a, got, c.want)
		}
	}
}
