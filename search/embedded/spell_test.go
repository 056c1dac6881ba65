package embedded

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
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

// BenchmarkNoHitsSpelling times a search whose two words are both
// mistyped (one random edit each) on a saved index: the empty search, its
// explanation and the spellings, and the count for the corrected query.
func BenchmarkNoHitsSpelling(b *testing.B) {
	dir := os.Getenv("QUIRE_BENCH_INDEX")
	if dir == "" {
		b.Skip("set QUIRE_BENCH_INDEX to an index built by 'quire bench --index DIR'")
	}
	x, err := Open(dir, Options{ReadOnly: true, LocalEmbedder: true})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	words := strings.Fields("network protein structure quantum learning expression matter climate")
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	// The first search reads the index from disk: not what is timed.
	if _, err := x.Search(ctx, search.Request{Query: query.Query{Text: "qwzxv"}}); err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	offered := 0
	for b.Loop() {
		text := typo(r, words[r.IntN(len(words))]) + " " + typo(r, words[r.IntN(len(words))])
		t0 := time.Now()
		res, err := x.Search(ctx, search.Request{Query: query.Query{Text: text}, Limit: 10})
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
		if res.Spelling != nil {
			offered++
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(offered)/float64(len(took)), "offered/op")
}
