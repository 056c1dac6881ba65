package embedded

import (
	"sort"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// maxPassages is how many passages a hit carries (search.Hit.Passages).
const maxPassages = 3

// passages picks a hit's best passages at query time: the paper's full text
// is cut by the default chunker and each chunk is scored by the query terms
// it holds (each distinct term counts more than a repeat, as in snippets).
// This is a stop-gap until passages are indexed in both halves (issue 20):
// it does not change which papers are found or their order. best, when
// not empty, is the passage whose BM25 scored the paper (rerank.go): it
// comes first, so the passage shown is the one that found the paper.
func (h *highlighter) passages(p *corpus.Paper, best string) []search.Passage {
	if p.FullText == "" || len(h.terms) == 0 {
		return nil
	}
	var out []search.Passage
	for _, c := range corpus.ChunkPaper(p, corpus.ChunkOptions{}) {
		if c.Start < 0 || c.End > len(p.FullText) || c.Start >= c.End || p.FullText[c.Start:c.End] != c.Text {
			continue // the title+abstract chunk of a paper without body text
		}
		text := c.Text
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
		if score == 0 {
			continue
		}
		start := 0
		if len(hits) > 0 {
			start = bestWindow(hits)
		}
		out = append(out, search.Passage{Index: c.Index, Section: c.Section, Page: c.Page,
			PageEnd: c.PageEnd, Start: c.Start, End: c.End, Score: score, Text: cut(text, start, hits)})
	}
	// Stable, so equal scores keep the passages in reading order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if best != "" {
		for i := range out {
			if p.FullText[out[i].Start:out[i].End] == best {
				ps := out[i]
				copy(out[1:i+1], out[:i])
				out[0] = ps
				break
			}
		}
	}
	if len(out) > maxPassages {
		out = out[:maxPassages]
	}
	return out
}
