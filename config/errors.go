package config

import (
	"errors"
	"strconv"
	"strings"
)

// Error is a configuration problem together with where the bad value came
// from, so the message tells people what to edit.
//
// Error() reads like a compiler message:
//
//	/home/ada/.config/quire/config.toml:7: search.limt: unknown key (did you mean search.limit?)
//	QUIRE_SEARCH_LIMIT: search.limit: "ten" is not a whole number
//	search.limit: 0 is outside 1..10000
type Error struct {
	// Source is the file path or environment variable the value came from;
	// empty for defaults, flags and values set in code.
	Source string
	// Line is the 1-based line in Source when Source is a file and the line
	// is known, else 0.
	Line int
	// Key is the setting, e.g. "search.limit"; empty when the problem is the
	// whole file (unreadable, bad syntax before any key).
	Key string
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// joinErrors returns nil, the single error, or all of them joined (one per
// line) so callers print every problem at once.
func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}
