package local

import (
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// The embedder sees the same terms as the BM25 half (English stop words
// removed, Porter stems), so its vocabulary lines up with what people type
// and what the index counts.
var (
	analyzerOnce sync.Once
	analyzerVal  analysis.Analyzer
	analyzerErr  error
)

func proseAnalyzer() (analysis.Analyzer, error) {
	analyzerOnce.Do(func() {
		c := registry.NewCache()
		analyzerVal, analyzerErr = c.DefineAnalyzer("quire_embed", map[string]any{
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
		})
	})
	return analyzerVal, analyzerErr
}

// terms returns the analysed terms of text in order, repeats included.
func terms(an analysis.Analyzer, text string) []string {
	ts := an.Analyze([]byte(text))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if len(t.Term) < 2 || len(t.Term) > 40 {
			continue
		}
		out = append(out, string(t.Term))
	}
	return out
}
