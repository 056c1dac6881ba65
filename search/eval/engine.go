package eval

import (
	"context"
	"strings"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// ForEngine adapts a search engine to Run. Test queries are plain text,
// never query language: a claim such as "IL-6: a review" must not become a
// filter, and a leading hyphen is not an exclusion.
func ForEngine(eng search.Engine) Searcher { return ForEngineMode(eng, "") }

// ForEngineMode is ForEngine in one search mode ("" for the engine's default).
func ForEngineMode(eng search.Engine, mode string) Searcher {
	return func(ctx context.Context, text string, k int) ([]string, error) {
		text = strings.ReplaceAll(" "+text, " -", " ")
		res, err := eng.Search(ctx, search.Request{Query: query.Query{Text: text}, Limit: k, Mode: mode})
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids, nil
	}
}
