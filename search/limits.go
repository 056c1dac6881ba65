package search

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/quire-research/quire/search/query"
)

// Bounds every engine keeps on what one search may cost. A pasted 100 KB
// query took 1.6 s and a 50 MB abstract made every query that showed it
// take seconds and gigabytes; these keep a search interactive whatever it
// is given.
const (
	// DefaultTimeout applies when a request sets none.
	DefaultTimeout = 10 * time.Second
	// MaxHitAbstract and MaxHitFullText cap the text a hit carries (in
	// bytes); Get returns the whole paper.
	MaxHitAbstract = 64 << 10
	MaxHitFullText = 1 << 20
)

// Check refuses a request beyond the limits with a message that says what
// to change. Parse enforces the same bounds on typed queries; this covers
// programs that build a Query themselves.
func (r Request) Check() error {
	if r.Limit < 0 || r.Offset < 0 {
		return fmt.Errorf("search: limit %d and offset %d must not be negative", r.Limit, r.Offset)
	}
	if w := r.Offset + r.Limit; w > MaxWindow {
		return fmt.Errorf("search: offset+limit is %d; results can be paged up to %d (narrow the query with filters instead)", w, MaxWindow)
	}
	if n := len(r.Query.Text); n > query.MaxQueryBytes {
		return fmt.Errorf("search: the query text is %d bytes; the limit is %d (shorten it, or search for its key words)", n, query.MaxQueryBytes)
	}
	items := 0
	for _, f := range r.Query.Filters {
		items += len(f.Values)
	}
	if items > query.MaxFilterItems {
		return fmt.Errorf("search: %d filter values; the limit is %d (narrow the query)", items, query.MaxFilterItems)
	}
	return nil
}

// Bounded checks req and runs it within its timeout (DefaultTimeout when
// it sets none, no bound when negative); a search that runs out fails
// with an error saying so.
func Bounded(ctx context.Context, req Request, run func(context.Context) (*Result, error)) (*Result, error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	timeout := req.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := run(ctx)
	if err != nil && timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("search timed out after %s (raise [search] timeout_seconds, or narrow the query): %w", timeout, err)
	}
	return res, err
}

// Cap trims the long texts a hit carries, so one giant record cannot make
// a result (or its JSON) huge. The reader loads the whole paper.
func (h *Hit) Cap() {
	h.Paper.Abstract = TruncateUTF8(h.Paper.Abstract, MaxHitAbstract)
	h.Paper.FullText = TruncateUTF8(h.Paper.FullText, MaxHitFullText)
}

// TruncateUTF8 cuts s to at most n bytes at a character boundary, marking
// the cut with an ellipsis.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " …"
	cut := n - len(mark)
	if cut < 0 { // no room for the mark
		cut, n = max(n, 0), 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if n == 0 {
		return s[:cut]
	}
	return s[:cut] + mark
}
