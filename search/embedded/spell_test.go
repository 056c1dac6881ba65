package embedded

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// Real query words of SciFact, each given one random typo (a letter
// dropped, added, changed, or two swapped), must mostly be corrected back:
// the suggestion's stem is the word's. A typo that is itself a word the
// index has is not one a spelling check can see, and is left out.
func TestSpellingQuality(t *testing.T) {
	t.Parallel()
	col, err := corpus.OpenBEIR(filepath.Join(sharedData(t), "scifact"))
	if err != nil {
		t.Fatal(err)
	}
	x := newTestIndex(t)
	ctx := context.Background()
	if _, err := search.Ingest(ctx, x, col.Corpus, search.IngestOptions{BatchSize: 2000}); err != nil {
		t.Fatal(err)
	}
	snap, err := x.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	ds := dicts{segs: snap.Segments(), open: map[string][]segment.TermDictionary{}}
	known := func(w string) bool {
		_, df, err := ds.most(x.stem(w))
		if err != nil {
			t.Fatal(err)
		}
		return df > 0
	}
	var words []string
	seen := map[string]bool{}
	for _, q := range col.Queries {
		for _, w := range strings.FieldsFunc(strings.ToLower(q.Text), func(r rune) bool { return r < 'a' || r > 'z' }) {
			if len(w) >= 5 && !seen[w] && x.stem(w) != "" && known(w) {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	r := rand.New(rand.NewPCG(4, 2))
	var right, wrong, none, isWord int
	var wrongs []string
	for _, w := range words {
		typo := typo(r, w)
		if known(typo) {
			isWord++
			continue
		}
		got, err := x.correct(ctx, snap, typo)
		switch {
		case err != nil:
			t.Fatal(err)
		case got == "":
			none++
		case x.stem(got) == x.stem(w):
			right++
		default:
			wrong++
			if len(wrongs) < 12 {
				wrongs = append(wrongs, w+"→"+typo+"→"+got)
			}
		}
	}
	n := right + wrong + none
	t.Logf("%d SciFact query words with one typo (%d more typos were words): %d corrected (%.1f%%), %d wrong, %d none; wrong: %s",
		n, isWord, right, 100*float64(right)/float64(n), wrong, none, strings.Join(wrongs, ", "))
	if n < 300 || float64(right) < 0.90*float64(n) {
		t.Errorf("%d of %d typos corrected, want 90%%", right, n)
	}
}

// typo makes one random edit to w, at a random place.
func typo(r *rand.Rand, w string) string {
	b := []rune(w)
	i := r.IntN(len(b))
	c := rune('a' + r.IntN(26))
	switch r.IntN(4) {
	case 0:
		return string(append(b[:i:i], b[i+1:]...))
	case 1:
		if i == len(b)-1 {
			i--
		}
		b[i], b[i+1] = b[i+1], b[i]
	case 2:
		for c == b[i] || !unicode.IsLetter(c) {
			c = rune('a' + r.IntN(26))
		}
		b[i] = c
	default:
		return string(b[:i]) + string(c) + string(b[i:])
	}
	return string(b)
}
