package embedded

import "github.com/quire-research/quire/search/highlight"

// Bounds of the embedded engine's own; the limits every engine keeps are
// in search/limits.go.
const (
	// maxQueryTerms bounds the distinct analysed words of the free text;
	// each is looked up in three fields. (Lucene's clause limit is 1,024.)
	maxQueryTerms = 1024
	// maxPassages is how many passages a hit carries.
	maxPassages = highlight.MaxPassages
)
