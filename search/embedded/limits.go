package embedded

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// Bounds on what one search may cost. A pasted 100 KB query took 1.6 s
// and a 50 MB abstract made every query that showed it take seconds and
// gigabytes; these keep a search interactive whatever it is given.
const (
	// DefaultSearchTimeout applies when a request sets none.
	DefaultSearchTimeout = 10 * time.Second
	// maxQueryTerms bounds the distinct analysed words of the free text;
	// each is looked up in three fields. (Lucene's clause limit is 1,024.)
	maxQueryTerms = 1024
	// maxAbstractBytes and maxFullTextBytes cap the text a hit carries;
	// Get returns the whole paper. Snippets look only at the first
	// snippetScanBytes of the text.
	maxAbstractBytes = 64 << 10
	maxFullTextBytes = 1 << 20
	snippetScanBytes = 64 << 10
)

// checkRequest refuses requests beyond the limits with a message that
// says what to change. Parse enforces the same bounds on typed queries;
// this covers programs that build a Query themselves.
func checkRequest(req search.Request) error {
	if req.Limit < 0 || req.Offset < 0 {
		return fmt.Errorf("search: limit %d and offset %d must not be negative", req.Limit, req.Offset)
	}
	if w := req.Offset + req.Limit; w > search.MaxWindow {
		return fmt.Errorf("search: offset+limit is %d; results can be paged up to %d (narrow the query with filters instead)", w, search.MaxWindow)
	}
	if n := len(req.Query.Text); n > query.MaxQueryBytes {
		return fmt.Errorf("search: the query text is %d bytes; the limit is %d (shorten it, or search for its key words)", n, query.MaxQueryBytes)
	}
	items := 0
	for _, f := range req.Query.Filters {
		items += len(f.Values)
	}
	if items > query.MaxFilterItems {
		return fmt.Errorf("search: %d filter values; the limit is %d (narrow the query)", items, query.MaxFilterItems)
	}
	return nil
}

// timedOut turns the error of a search that ran out of time into one that
// says so; other errors pass through.
func timedOut(ctx context.Context, err error, timeout time.Duration) error {
	if timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("search timed out after %s (raise [search] timeout_seconds, or narrow the query): %w", timeout, err)
	}
	return err
}

// capHit trims the long texts a hit carries, so one giant record cannot
// make a result (or its JSON) huge. The reader loads the whole paper.
func capHit(h *search.Hit) {
	h.Paper.Abstract = truncateUTF8(h.Paper.Abstract, maxAbstractBytes)
	h.Paper.FullText = truncateUTF8(h.Paper.FullText, maxFullTextBytes)
}

// truncateUTF8 cuts s to at most n bytes at a character boundary, marking
// the cut with an ellipsis.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " …"
	cut := n - len(mark)
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + mark
}
