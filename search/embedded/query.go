package embedded

import "strings"

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
