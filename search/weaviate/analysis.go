package weaviate

import (
	"strings"

	"github.com/quire-research/quire/search/highlight"
)

// Quire analyses prose itself and hands Weaviate the terms: the stems
// properties hold the title, abstract and full text as the embedded
// engine's English analyser makes them (Unicode words, possessives
// dropped, lower case, the English stop list, Porter stems), joined by
// spaces and indexed with Weaviate's "whitespace" tokenization. Queries,
// phrases and exclusions are analysed the same way before they are sent.
// Weaviate alone has no stemmer and splits words on every character that
// is not a letter or digit; measured on MED, BM25 nDCG@10 was 0.5607 on
// Weaviate's own "word" analysis and the embedded engine's 0.7909 with
// this one (TestHybridQuality).
var prose = highlight.English

// stems is text's analysed terms, space-joined, as stored.
func stems(text string) string {
	if text == "" {
		return ""
	}
	ts := prose.Analyze([]byte(text))
	var b strings.Builder
	b.Grow(len(text))
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(t.Term)
	}
	return b.String()
}

// terms is text's analysed terms, each once: what BM25 and the prose
// filters search for.
func terms(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range prose.Analyze([]byte(text)) {
		if w := string(t.Term); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
