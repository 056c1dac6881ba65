package embedded

import (
	"sort"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// maxPassages is how many passages a hit carries (search.Hit.Passages).
const maxPassages = 3

// passages gives a hit's best passages with the query's words marked.
// ranked, when not empty, are the passages whose BM25 rescored the hit
// (rerank.go), so what is shown is what found the paper, and only they
// are analysed. A hit not rescored (a vector-only hit, one past the
// rescoring depth) has its full text cut here and each chunk scored by
// the query terms it holds (each distinct term counts more than a
// repeat, as in snippets). near, when not -1, is the passage whose vector
// found the paper: shown when no passage holds the query's words. (Put
// first always, it held a body sentence searched for less often than the
// passage with most of its words: 74 against 85 of 110, docs/passages.md.)
func (h *highlighter) passages(p *corpus.Paper, ranked []rankedChunk, near int) []search.Passage {
	if p.FullText == "" || len(h.terms) == 0 && near < 0 {
		return nil
	}
	if len(ranked) > 0 {
		out := make([]search.Passage, 0, len(ranked))
		for _, r := range ranked {
			text := p.FullText[r.Start:r.End]
			hits, _ := h.matches(text)
			out = append(out, h.passage(r.chunkRef, text, r.score, hits))
		}
		return out
	}
	var out []search.Passage
	cs := bodyChunks(p)
	for _, c := range cs {
		text := p.FullText[c.Start:c.End]
		hits, score := h.matches(text)
		if score > 0 {
			out = append(out, h.passage(c, text, score, hits))
		}
	}
	if len(out) == 0 && near >= 0 && near < len(cs) {
		c := cs[near]
		return []search.Passage{h.passage(c, p.FullText[c.Start:c.End], 0, nil)}
	}
	// Stable, so equal scores keep the passages in reading order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out[:min(len(out), maxPassages)]
}

// matches finds the query's terms in text, and counts each distinct one
// twice and each repeat once.
func (h *highlighter) matches(text string) ([]*analysis.Token, float64) {
	var hits []*analysis.Token
	seen := map[string]bool{}
	score := 0.0
	for _, t := range h.an.Analyze([]byte(text)) {
		if !h.terms[string(t.Term)] {
			continue
		}
		hits = append(hits, t)
		if !seen[string(t.Term)] {
			seen[string(t.Term)] = true
			score += 2
		} else {
			score++
		}
	}
	return hits, score
}

func (h *highlighter) passage(c chunkRef, text string, score float64, hits []*analysis.Token) search.Passage {
	start := 0
	if len(hits) > 0 {
		start = bestWindow(hits)
	}
	return search.Passage{Index: c.Index, Section: c.Section, Page: c.Page, PageEnd: c.PageEnd,
		Start: c.Start, End: c.End, Score: score, Text: cut(text, start, hits)}
}
