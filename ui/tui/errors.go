package tui

import (
	"context"
	"errors"
	"strings"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// humanError says what went wrong in a sentence people can act on.
func humanError(err error) string {
	var se *query.SyntaxError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoAnswerer):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: the back end took too long (" + err.Error() + ")"
	case errors.Is(err, search.ErrNotFound):
		return "that paper is not in the index (" + err.Error() + ")"
	case errors.As(err, &se):
		return "query: " + se.Error()
	}
	s := err.Error()
	return strings.ReplaceAll(s, "\n", " ")
}
