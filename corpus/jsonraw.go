package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Walking already-validated JSON. encoding/json re-validates every value it
// decodes, so decoding a line into map[string]json.RawMessage and then each
// value again scans the long strings three times. The generic decoder
// instead validates a line once with json.Valid and then splits it with the
// walkers below, which trust their input's grammar. They still check every
// index, so on malformed input they return garbage, never panic.

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the value starting at data[i].
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(data)
	}
	for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// eachMember calls fn with each key (unquoted) and raw value of an object,
// stopping when fn returns false. The key aliases obj unless it had escapes.
func eachMember(obj []byte, fn func(key, val []byte) bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	for i = skipSpace(obj, i+1); i < len(obj) && obj[i] == '"'; {
		end := skipString(obj, i)
		key := obj[min(i+1, end):max(i+1, end-1)]
		if hasEscapeOrBadUTF8(key) {
			key = []byte(unquote(obj[i:end]))
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return
		}
		start := skipSpace(obj, i+1)
		end = skipValue(obj, start)
		if !fn(key, obj[start:end]) {
			return
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i = skipSpace(obj, i+1)
	}
}

// eachElement calls fn with each raw element of a list, stopping when fn
// returns false.
func eachElement(list []byte, fn func(val []byte) bool) {
	i := skipSpace(list, 0)
	if i >= len(list) || list[i] != '[' {
		return
	}
	for i = skipSpace(list, i+1); i < len(list) && list[i] != ']'; {
		end := skipValue(list, i)
		if end <= i || !fn(list[i:end]) {
			return
		}
		i = skipSpace(list, end)
		if i >= len(list) || list[i] != ',' {
			return
		}
		i = skipSpace(list, i+1)
	}
}

// member returns the raw value of key in obj; the last one wins when a key
// repeats, as with encoding/json.
func member(obj []byte, key string) []byte {
	var found []byte
	eachMember(obj, func(k, v []byte) bool {
		if string(k) == key {
			found = v
		}
		return true
	})
	return found
}

// unquote decodes a valid JSON string literal, quotes included.
func unquote(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return ""
	}
	body := raw[1 : len(raw)-1]
	if !hasEscapeOrBadUTF8(body) {
		return string(body)
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); {
		c := body[i]
		if c >= utf8.RuneSelf {
			// Invalid UTF-8 becomes U+FFFD, as encoding/json does.
			r, size := utf8.DecodeRune(body[i:])
			b.WriteRune(r)
			i += size
			continue
		}
		if c != '\\' || i+1 >= len(body) {
			b.WriteByte(c)
			i++
			continue
		}
		i += 2
		switch body[i-1] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			var r rune
			r, i = unquoteU(body, i)
			b.WriteRune(r)
		default: // '"', '\\', '/'
			b.WriteByte(body[i-1])
		}
	}
	return b.String()
}

// unquoteU decodes the \uXXXX escape whose hex digits start at body[i],
// joining a UTF-16 surrogate pair when a second escape follows.
func unquoteU(body []byte, i int) (rune, int) {
	r, ok := hex4(body, i)
	if !ok {
		return utf8.RuneError, min(i+4, len(body))
	}
	i += 4
	if utf16.IsSurrogate(r) {
		if i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
			if r2, ok := hex4(body, i+2); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, i + 6
				}
			}
		}
		return utf8.RuneError, i
	}
	return r, i
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(v), err == nil
}

func hasEscapeOrBadUTF8(b []byte) bool {
	return bytes.IndexByte(b, '\\') >= 0 || !utf8.Valid(b)
}

// checkObjectLine checks a whole line is valid JSON holding an object.
// Only on failure does it pay for encoding/json's detailed error.
func checkObjectLine(line []byte) error {
	if !json.Valid(line) {
		var v any
		return jsonError(json.Unmarshal(line, &v), nil)
	}
	if i := skipSpace(line, 0); i >= len(line) || line[i] != '{' {
		return fmt.Errorf("want a JSON object, got %s", kindOf(line))
	}
	return nil
}
