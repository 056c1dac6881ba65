package embedded

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// A query none of whose words any paper has is most often mistyped. The
// term dictionaries hold every word the index knows, as stems, so a typed
// word's candidates come two ways: its spellings one edit away (a letter
// dropped, added, changed or two swapped), stemmed and looked up, which
// finds "inference" for "infrence" although their stems, infer and
// infrenc, are four edits apart; and the stems up to two edits from its
// stem, which the dictionaries' automaton walks from the first letter on
// (typos rarely touch it, and the walk then reads one letter's terms).
// The fewest edits win, then the most papers.

// maxCorrected bounds the words looked up for one query.
const maxCorrected = 8

// spellFields are the prose fields whose words a correction may take:
// title and abstract (one field) and the full text.
var spellFields = []string{fText, fBody}

// corrections proposes a spelling for each word of text that no paper
// has and the index has a near spelling of. Negated words are left out:
// a typo there removes nothing.
func (x *Index) corrections(ctx context.Context, snap *scorch.IndexSnapshot, text string) ([]search.Correction, error) {
	var out []search.Correction
	seen := map[string]bool{}
	for _, tok := range strings.Fields(text) {
		if strings.HasPrefix(tok, "-") {
			continue
		}
		for _, w := range strings.FieldsFunc(tok, notWordRune) {
			if seen[w] || len(seen) >= maxCorrected {
				continue
			}
			seen[w] = true
			to, err := x.correct(ctx, snap, w)
			if err != nil {
				return nil, err
			}
			if to != "" {
				out = append(out, search.Correction{Word: w, To: to})
			}
		}
	}
	return out, nil
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// spelling is a candidate correction: a stem, the field with most papers
// having it, their number, and the edits from the typed word.
type spelling struct {
	term, field string
	edits       int
	df          uint64
}

// better ranks by edits, then papers. (Ranking by the stems' edits
// before papers corrected 13 fewer of TestSpellingQuality's 703.)
func (a spelling) better(b spelling) bool {
	return a.edits < b.edits || a.edits == b.edits && (a.df > b.df || a.df == b.df && a.term < b.term)
}

// correct returns the word to try for w, or "" when w is known, is a stop
// word, is too short to guess from, or has no near spelling.
func (x *Index) correct(ctx context.Context, snap *scorch.IndexSnapshot, w string) (string, error) {
	typed := strings.ToLower(w)
	stem := x.stem(typed)
	n := utf8.RuneCountInString(w)
	if stem == "" || n < 4 || strings.ContainsFunc(stem, unicode.IsDigit) {
		return "", nil
	}
	ds := dicts{segs: snap.Segments(), open: map[string][]segment.TermDictionary{}}
	if _, df, err := ds.most(stem); err != nil || df > 0 {
		return "", err // a paper has the word
	}
	best := map[string]spelling{} // by stem
	offer := func(c spelling) {
		if b, ok := best[c.term]; !ok || c.better(b) {
			best[c.term] = c
		}
	}
	looked := map[string]bool{stem: true}
	for _, e := range oneEdit(typed) {
		t := x.stem(e)
		if t == "" || looked[t] {
			continue
		}
		looked[t] = true
		field, df, err := ds.most(t)
		if err != nil {
			return "", err
		}
		if df > 0 {
			offer(spelling{t, field, 1, df})
		}
	}
	fuzz := 1
	if n >= 6 {
		fuzz = 2
	}
	first, _ := utf8.DecodeRuneInString(stem)
	for _, field := range spellFields {
		terms, fa, err := fuzzyTerms(snap, field, stem, fuzz, string(first))
		if err != nil {
			return "", err
		}
		for _, t := range terms {
			ok, dist := fa.MatchAndDistance(t)
			if !ok || dist == 0 {
				continue
			}
			df, err := ds.df(field, []byte(t))
			if err != nil {
				return "", err
			}
			if df > 0 { // else only deleted papers have it
				offer(spelling{t, field, int(dist), df})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	cands := slices.Collect(maps.Values(best))
	slices.SortFunc(cands, func(a, b spelling) int {
		if a.better(b) {
			return -1
		}
		if b.better(a) {
			return 1
		}
		return 0
	})
	for _, c := range cands[:min(len(cands), maxSurfaces)] {
		to, err := ds.surface(x, c.field, c.term, typed)
		if err != nil {
			return "", err
		}
		// A short stem one edit away can still be far from any word a
		// paper spells with it: "cohing" stems like "coing", to co,
		// which only "co" has. ("sevttings" to set is kept: "settings".)
		if 2*utf8.RuneCountInString(c.term) >= n || levenshtein(to, typed) <= max(2, n/2) {
			return to, nil
		}
	}
	return "", nil
}

// dicts reads the spelling fields' dictionaries of one snapshot, each
// opened once: a word's one-edit spellings are hundreds of lookups.
type dicts struct {
	segs []*scorch.SegmentSnapshot
	open map[string][]segment.TermDictionary
}

// dict opens field's dictionary in every segment, once.
func (ds *dicts) dict(field string) ([]segment.TermDictionary, error) {
	if d, ok := ds.open[field]; ok {
		return d, nil
	}
	d := make([]segment.TermDictionary, len(ds.segs))
	for i, ss := range ds.segs {
		var err error
		if d[i], err = ss.Segment().Dictionary(field); err != nil {
			return nil, err
		}
	}
	ds.open[field] = d
	return d, nil
}

// df counts the live papers whose field has term.
func (ds *dicts) df(field string, term []byte) (uint64, error) {
	d, err := ds.dict(field)
	if err != nil {
		return 0, err
	}
	var n uint64
	for i, ss := range ds.segs {
		// Most spellings tried are in no segment: a lookup in the
		// dictionary's FST is cheaper than building a postings list.
		has, err := d[i].Contains(term)
		if err != nil {
			return 0, err
		}
		if !has {
			continue
		}
		pl, err := d[i].PostingsList(term, ss.Deleted(), nil)
		if err != nil {
			return 0, err
		}
		n += pl.Count()
	}
	return n, nil
}

// most is the spelling field where most papers have term, and their number.
func (ds *dicts) most(term string) (string, uint64, error) {
	var field string
	var best uint64
	for _, f := range spellFields {
		df, err := ds.df(f, []byte(term))
		if err != nil {
			return "", 0, err
		}
		if df > best {
			field, best = f, df
		}
	}
	return field, best, nil
}

// maxSurfaces bounds the candidates spelt as words, and surfaceDocs the
// papers read for each.
const (
	maxSurfaces = 5
	surfaceDocs = 10
)

// stem is what the prose analyser makes of one word: "" for a stop word.
func (x *Index) stem(w string) string {
	toks := x.an.prose.Analyze([]byte(w))
	if len(toks) != 1 {
		return ""
	}
	return string(toks[0].Term)
}

// fuzzyTerms lists the field's terms within fuzz edits of term that begin
// with prefix, and the automaton that tells their distance.
func fuzzyTerms(snap *scorch.IndexSnapshot, field, term string, fuzz int, prefix string) ([]string, index.FuzzyAutomaton, error) {
	fd, fa, err := snap.FieldDictFuzzyAutomaton(field, term, fuzz, prefix)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	var terms []string
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, nil, err
		}
		if e == nil {
			return terms, fa, nil
		}
		terms = append(terms, e.Term)
	}
}

// oneEdit lists the spellings one edit from w: a letter dropped, two
// neighbours swapped, a letter changed or added (a to z, and w's own).
func oneEdit(w string) []string {
	r := []rune(w)
	letters := []rune("abcdefghijklmnopqrstuvwxyz")
	for _, c := range r {
		if !slices.Contains(letters, c) && unicode.IsLetter(c) {
			letters = append(letters, c)
		}
	}
	var out []string
	edit := func(parts ...[]rune) {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(string(p))
		}
		out = append(out, b.String())
	}
	for i := range len(r) + 1 {
		head, tail := r[:i], r[i:]
		if len(tail) > 0 {
			edit(head, tail[1:])
		}
		if len(tail) > 1 {
			edit(head, []rune{tail[1], tail[0]}, tail[2:])
		}
		for _, c := range letters {
			if len(tail) > 0 && c != tail[0] {
				edit(head, []rune{c}, tail[1:])
			}
			edit(head, []rune{c}, tail)
		}
	}
	return out
}

// surface returns a word that the prose analyser turns into term, as
// papers that have it spell it (the dictionaries hold stems: "curv" is
// offered as "curves"): of their spellings, the one nearest typed. It
// falls back to the stem.
func (ds *dicts) surface(x *Index, field, term, typed string) (string, error) {
	papers, err := ds.papers(field, []byte(term), surfaceDocs)
	if err != nil {
		return "", err
	}
	// Porter's stems begin their words but for the last letter (therapi,
	// therapy; gener, general).
	prefix := term
	if r, size := utf8.DecodeLastRuneInString(term); utf8.RuneCountInString(term) > 3 && r != utf8.RuneError {
		prefix = term[:len(term)-size]
	}
	best, bestD := term, -1
	tried := map[string]bool{}
	for _, p := range papers {
		texts := []string{p.Title, p.Abstract}
		if field == fBody {
			texts = append(texts, p.FullText)
		}
		for _, s := range texts {
			for _, w := range wordsFrom(strings.ToLower(s), prefix) {
				if tried[w] {
					continue
				}
				tried[w] = true
				if x.stem(w) != term {
					continue
				}
				// Nearest, then nearest in length ("curves", not
				// "curve", for "curvsz").
				d := 2 * levenshtein(w, typed)
				if len(w) != len(typed) {
					d++
				}
				if bestD < 0 || d < bestD {
					best, bestD = w, d
				}
			}
		}
	}
	return best, nil
}

// wordsFrom lists the words of s that begin with prefix: a scan for the
// prefix, not a tokenisation of a forty-page text.
func wordsFrom(s, prefix string) []string {
	var out []string
	for off := 0; ; {
		i := strings.Index(s[off:], prefix)
		if i < 0 {
			return out
		}
		i += off
		end := i + len(prefix)
		off = end
		if r, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && !notWordRune(r) {
			continue
		}
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if notWordRune(r) {
				break
			}
			end += size
		}
		out = append(out, s[i:end])
		off = end
	}
}

// papers reads up to n live papers whose field has term, the first in
// the index's order: any will do to spell a word.
func (ds *dicts) papers(field string, term []byte, n int) ([]corpus.Paper, error) {
	d, err := ds.dict(field)
	if err != nil {
		return nil, err
	}
	var out []corpus.Paper
	for i, ss := range ds.segs {
		pl, err := d[i].PostingsList(term, ss.Deleted(), nil)
		if err != nil {
			return nil, err
		}
		it := pl.Iterator(false, false, false, nil)
		for len(out) < n {
			pst, err := it.Next()
			if err != nil {
				return nil, err
			}
			if pst == nil {
				break
			}
			r, err := readStored(ss, pst.Number())
			if err != nil {
				return nil, err
			}
			p, err := r.paper(scored{seg: i, local: pst.Number()}.where())
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// levenshtein counts the edits between a and b, by runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := range ra {
		cur[0] = i + 1
		for j := range rb {
			sub := prev[j]
			if ra[i] != rb[j] {
				sub++
			}
			cur[j+1] = min(sub, prev[j+1]+1, cur[j]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
