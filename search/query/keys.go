package query

import (
	"strings"

	"github.com/quire-research/quire/config/suggest"
)

// Canonical filter keys.
const (
	KeyYear     = "year"
	KeyField    = "field"
	KeyCategory = "category"
	KeyVenue    = "venue"
	KeyAuthor   = "author"
	KeySource   = "source"
	KeyID       = "id"
	KeyDOI      = "doi"
)

// keyInfo describes one key. The table is built by a function, not held in
// a package variable, so nothing global can be mutated.
type keyInfo struct {
	name    string
	aliases []string
	multi   bool // a paper can have several values (see MultiValued)
	help    string
}

func keyTable() []keyInfo {
	return []keyInfo{
		{KeyYear, []string{"y"}, false, "publication year: year:2019, year:2018..2022, year:>=2018, year:..2015"},
		{KeyField, []string{"fields", "f"}, true, `broad field or category: field:q-bio.GN, field:"Computer Science"`},
		{KeyCategory, []string{"categories", "cat", "c"}, true, "subject category code only: category:cs.CL,cs.CV"},
		{KeyVenue, []string{"journal", "v"}, false, `journal or conference: venue:Nature, venue:"Cell Reports"`},
		{KeyAuthor, []string{"authors", "a"}, true, `author name: author:Doudna, author:"Jennifer Doudna"`},
		{KeySource, []string{"src"}, false, "collection the paper came from: source:arxiv"},
		{KeyID, nil, false, "paper identifier: id:2101.00001"},
		{KeyDOI, nil, false, "digital object identifier: doi:10.1038/nature12373"},
	}
}

// lookupKey finds a key by its name or an alias, ignoring ASCII case.
func lookupKey(name string) (keyInfo, bool) {
	for _, k := range keyTable() {
		if asciiEqualFold(name, k.name) {
			return k, true
		}
		for _, a := range k.aliases {
			if asciiEqualFold(name, a) {
				return k, true
			}
		}
	}
	return keyInfo{}, false
}

// canonicalKey maps a key or alias to its canonical name.
func canonicalKey(name string) (string, bool) {
	k, ok := lookupKey(name)
	return k.name, ok
}

// Keys returns the canonical keys in the order help should list them.
func Keys() []string {
	t := keyTable()
	out := make([]string, len(t))
	for i, k := range t {
		out[i] = k.name
	}
	return out
}

// KeyHelp returns a one-line description of key (or alias) with examples,
// or "" for an unknown key.
func KeyHelp(key string) string {
	k, _ := lookupKey(key)
	return k.help
}

// Aliases returns the short or alternative spellings of key.
func Aliases(key string) []string {
	k, _ := lookupKey(key)
	return append([]string(nil), k.aliases...)
}

// MultiValued reports whether a paper can carry several values of key
// (author, field, category). Positive filters repeated on such a key must
// all match (AND); on a single-valued key any may match (OR).
func MultiValued(key string) bool {
	k, _ := lookupKey(key)
	return k.multi
}

// MatchKeys returns the canonical keys whose name or an alias starts with
// prefix (ignoring case), for key completion.
func MatchKeys(prefix string) []string {
	var out []string
	for _, k := range keyTable() {
		for _, name := range append([]string{k.name}, k.aliases...) {
			if len(prefix) <= len(name) && asciiEqualFold(prefix, name[:len(prefix)]) {
				out = append(out, k.name)
				break
			}
		}
	}
	return out
}

// asciiEqualFold compares ignoring ASCII case only: strings.EqualFold would
// also fold the Kelvin sign into "k" and similar surprises.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isKeyWord reports whether s could be (the start of) a key: ASCII letters.
func isKeyWord(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) < 0
}

// example is a short value of key for error messages.
func example(key string) string {
	switch key {
	case KeyYear:
		return "year:2019"
	case KeyField:
		return "field:cs.CL"
	case KeyCategory:
		return "category:cs.CL"
	case KeyVenue:
		return `venue:Nature`
	case KeyAuthor:
		return `author:Doudna`
	case KeySource:
		return "source:arxiv"
	case KeyID:
		return "id:2101.00001"
	case KeyDOI:
		return "doi:10.1038/nature12373"
	}
	return key + ":value"
}

// nearestKey returns the canonical key that word is probably a misspelling
// of, or "". Only names and aliases of four letters or more (and the
// three-letter doi) are candidates, within an edit distance that grows
// with their length, at most 2: yaer finds year and auhtor author, while
// short words such as foo or car stay text.
func nearestKey(word string) string {
	w := strings.ToLower(word)
	best, bestD := "", 3
	for _, k := range keyTable() {
		for _, name := range append([]string{k.name}, k.aliases...) {
			if len(name) < 3 || len(name) == 3 && name != KeyDOI {
				continue
			}
			d := suggest.Distance(w, name)
			if d <= min(2, (len(name)-1)/2) && d < bestD {
				best, bestD = k.name, d
			}
		}
	}
	return best
}
