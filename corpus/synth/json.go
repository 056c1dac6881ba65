package synth

import (
	"strconv"
	"unicode/utf8"

	"github.com/quire-research/quire/corpus"
)

// appendPaperJSON encodes a paper as encoding/json would with corpus.Paper's
// tags (empty fields left out), without reflection: at benchmark scale the
// encoder is most of the cost of writing a corpus.
func appendPaperJSON(b []byte, p *corpus.Paper) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, p.ID)
	b = appendStringField(b, "title", p.Title)
	b = appendStringField(b, "abstract", p.Abstract)
	b = appendListField(b, "authors", p.Authors)
	if p.Year != 0 {
		b = append(b, `,"year":`...)
		b = strconv.AppendInt(b, int64(p.Year), 10)
	}
	b = appendStringField(b, "venue", p.Venue)
	b = appendListField(b, "fields", p.Fields)
	b = appendListField(b, "categories", p.Categories)
	b = appendStringField(b, "doi", p.DOI)
	b = appendStringField(b, "url", p.URL)
	b = appendStringField(b, "source", p.Source)
	b = appendStringField(b, "full_text", p.FullText)
	return append(b, '}')
}

func appendStringField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

func appendListField(b []byte, key string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// jsonEscape marks the ASCII bytes a JSON string must escape.
var jsonEscape = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// appendString quotes s as a JSON string. Valid UTF-8 passes through with
// one table lookup a byte; invalid bytes become U+FFFD as encoding/json
// makes them.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		return appendInvalidString(b, s)
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; jsonEscape[c] {
			b = append(b, s[start:i]...)
			b = appendEscape(b, c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\t':
		return append(b, '\\', 't')
	case '\r':
		return append(b, '\\', 'r')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// appendInvalidString is the slow path for text with invalid UTF-8, which
// the generator never makes.
func appendInvalidString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case size == 1 && jsonEscape[s[i]]:
			b = appendEscape(b, s[i])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
