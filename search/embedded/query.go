package embedded

import (
	"strings"

	"github.com/quire-research/quire/search/query"
)

// bodyBoost keeps long full texts from outranking a matching abstract.
const bodyBoost = 0.3

// splitNegated pulls "-word" exclusions out of free text.
func splitNegated(text string) (string, []string) {
	var keep, negs []string
	for _, w := range strings.Fields(text) {
		if len(w) > 1 && w[0] == '-' {
			negs = append(negs, w[1:])
			continue
		}
		keep = append(keep, w)
	}
	return strings.Join(keep, " "), negs
}

// restrictionOf is q without its free text: its filters, phrases and
// exclusions. ok is false when q has none, so every paper is allowed. Two
// queries with the same restriction allow the same papers.
func restrictionOf(q query.Query) (r query.Query, ok bool) {
	_, negs := splitNegated(q.Text)
	r = q
	r.Text = ""
	for _, n := range negs {
		r.Text += " -" + n
	}
	return r, len(q.Filters) > 0 || len(q.Phrases) > 0 || len(negs) > 0
}
