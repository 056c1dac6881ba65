package corpus

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits bound what one record may cost, so a hostile or broken record (a
// 50 MB abstract, a line that never ends) cannot make ingestion, the index
// or every query that shows it slow and huge. Fields past a limit are cut
// at a UTF-8 boundary and the record is kept with a warning; a line past
// MaxLineBytes is skipped with an error. A zero field means its default.
type Limits struct {
	// MaxLineBytes bounds one JSONL record as read, before decoding.
	MaxLineBytes int
	// MaxTextBytes bounds the abstract and the full text, each.
	MaxTextBytes int
	// MaxShortBytes bounds the title, venue, DOI and URL, and each author,
	// field and category.
	MaxShortBytes int
	// MaxListItems bounds the number of authors, fields and categories.
	MaxListItems int
}

// Default limits. Real abstracts are a few KB and the longest full texts a
// few hundred; collaboration papers list about 3,000 authors.
const (
	DefaultMaxLineBytes  = MaxLineBytes
	DefaultMaxTextBytes  = 1 << 20
	DefaultMaxShortBytes = 4 << 10
	DefaultMaxListItems  = 5000
)

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxLineBytes: DefaultMaxLineBytes, MaxTextBytes: DefaultMaxTextBytes,
		MaxShortBytes: DefaultMaxShortBytes, MaxListItems: DefaultMaxListItems}
}

// resolved fills zero or negative fields with their defaults.
func (l Limits) resolved() Limits {
	d := DefaultLimits()
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxShortBytes <= 0 {
		l.MaxShortBytes = d.MaxShortBytes
	}
	if l.MaxListItems <= 0 {
		l.MaxListItems = d.MaxListItems
	}
	return l
}

// Cap cuts every field of p that is over its limit and returns one warning
// per field cut, such as "abstract: truncated to 1 MiB
// (ingest.max_field_bytes)". The messages name no sizes of the record so
// that reports can count them by message. IDs are never cut, since two ids
// cut to the same prefix would overwrite each other: an id longer than
// MaxShortBytes is an error (a *FieldError), and the record is skipped.
func (l Limits) Cap(p *Paper) ([]string, error) {
	l = l.resolved()
	if len(p.ID) > l.MaxShortBytes {
		return nil, fieldErr("id", "longer than %s (ingest.max_short_field_bytes); ids are never cut", byteSize(l.MaxShortBytes))
	}
	var warn []string
	text := func(field string, s *string, limit int, key string) {
		if len(*s) > limit {
			// A copy, so the cut text does not pin the giant original.
			*s = strings.Clone(TruncateUTF8(*s, limit))
			warn = append(warn, fmt.Sprintf("%s: truncated to %s (ingest.%s)", field, byteSize(limit), key))
		}
	}
	text("abstract", &p.Abstract, l.MaxTextBytes, "max_field_bytes")
	text("full_text", &p.FullText, l.MaxTextBytes, "max_field_bytes")
	text("title", &p.Title, l.MaxShortBytes, "max_short_field_bytes")
	text("venue", &p.Venue, l.MaxShortBytes, "max_short_field_bytes")
	text("doi", &p.DOI, l.MaxShortBytes, "max_short_field_bytes")
	text("url", &p.URL, l.MaxShortBytes, "max_short_field_bytes")
	text("source", &p.Source, l.MaxShortBytes, "max_short_field_bytes")
	list := func(field string, items *[]string) {
		if len(*items) > l.MaxListItems {
			*items = (*items)[:l.MaxListItems]
			warn = append(warn, fmt.Sprintf("%s: cut to the first %d (ingest.max_list_items)", field, l.MaxListItems))
		}
		cut := false
		for i, s := range *items {
			if len(s) > l.MaxShortBytes {
				(*items)[i] = strings.Clone(TruncateUTF8(s, l.MaxShortBytes))
				cut = true
			}
		}
		if cut {
			warn = append(warn, fmt.Sprintf("%s: an entry truncated to %s (ingest.max_short_field_bytes)", field, byteSize(l.MaxShortBytes)))
		}
	}
	list("authors", &p.Authors)
	list("fields", &p.Fields)
	list("categories", &p.Categories)
	return warn, nil
}

// TruncateUTF8 returns the longest prefix of s of at most n bytes that does
// not end inside a UTF-8 sequence.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i := n
	// Step back over continuation bytes to the start of the rune at n; at
	// most utf8.UTFMax-1 of them belong to one rune.
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(s[i]); j++ {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		i = n // not valid UTF-8 here anyway: cut where asked
	}
	return s[:i]
}

// byteSize renders a limit for messages: "1 MiB", "4 KiB", "1000 bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
