package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file holds the conversions shared by the JSONL decoders: turning one
// raw JSON value into the string, list or year a Paper field wants, and
// turning encoding/json errors into *FieldError values that name the field.
//
// Every raw value reaching these helpers has already been validated (by
// json.Valid or an outer json.Unmarshal), so they can trust its grammar.

// jsonKind is the kind of a raw JSON value, told from its first byte.
type jsonKind uint8

const (
	kindNull jsonKind = iota // null, or no value at all
	kindString
	kindNumber
	kindBool
	kindList
	kindObject
)

// String names the kind for messages: "want a string, got a list".
func (k jsonKind) String() string {
	return [...]string{"null", "a string", "a number", "true/false", "a list", "an object"}[k]
}

func kindOf(raw []byte) jsonKind {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return kindNull
	}
	switch raw[0] {
	case '"':
		return kindString
	case '{':
		return kindObject
	case '[':
		return kindList
	case 't', 'f':
		return kindBool
	case 'n':
		return kindNull
	}
	return kindNumber
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw []byte) bool { return kindOf(raw) == kindNull }

// rawString decodes a JSON string.
func rawString(raw []byte) (string, error) {
	if k := kindOf(raw); k != kindString {
		return "", fmt.Errorf("want a string, got %s", k)
	}
	return unquote(bytes.TrimSpace(raw)), nil
}

// scalarText renders a string or number as text, reporting whether raw was
// one; numbers keep their JSON spelling so an id 12345 stays "12345".
func scalarText(raw []byte) (string, bool) {
	switch kindOf(raw) {
	case kindString:
		return unquote(bytes.TrimSpace(raw)), true
	case kindNumber:
		return string(bytes.TrimSpace(raw)), true
	}
	return "", false
}

// idValue accepts a string or a number.
func idValue(raw []byte) (string, error) {
	if s, ok := scalarText(raw); ok || isNull(raw) {
		return s, nil
	}
	return "", fmt.Errorf("want a string or number, got %s", kindOf(raw))
}

// textValue accepts a string, a number, a list of those (joined with sep:
// CrossRef puts titles in one-element lists, some dumps split abstracts into
// sentences) or an object carrying a name ({"name": "Nature"}).
func textValue(raw []byte, sep string) (string, error) {
	if s, ok := scalarText(raw); ok || isNull(raw) {
		return s, nil
	}
	switch k := kindOf(raw); k {
	case kindList:
		var parts []string
		var err error
		eachElement(raw, func(it []byte) bool {
			if s, ok := scalarText(it); ok {
				parts = append(parts, s)
			} else if !isNull(it) {
				err = fmt.Errorf("want a list of strings, got a list holding %s", kindOf(it))
			}
			return err == nil
		})
		return strings.Join(parts, sep), err
	case kindObject:
		if name, ok := objectName(raw, 0); ok {
			return name, nil
		}
		return "", errors.New(`want a string, got an object without "name" or "display_name"`)
	default:
		return "", fmt.Errorf("want a string, got %s", k)
	}
}

// objectName finds the human name in an object: display_name or name as
// OpenAlex and most APIs spell it, given+family as CrossRef does, or the
// same one level down under "author" (OpenAlex authorships).
func objectName(raw []byte, depth int) (string, bool) {
	for _, k := range []string{"display_name", "name", "full_name"} {
		if s, ok := scalarText(member(raw, k)); ok && s != "" {
			return s, true
		}
	}
	given, _ := scalarText(member(raw, "given"))
	family, _ := scalarText(member(raw, "family"))
	if name := strings.TrimSpace(given + " " + family); name != "" {
		return name, true
	}
	if a := member(raw, "author"); depth == 0 && kindOf(a) == kindObject {
		return objectName(a, depth+1)
	}
	return "", false
}

// listValue accepts a list of strings, numbers or named objects, or one
// string that split cuts into items. Entries of a real JSON list are never
// split, so "Last, First" authors survive.
func listValue(raw []byte, split func(string) []string) ([]string, error) {
	if s, ok := scalarText(raw); ok {
		return split(s), nil
	}
	switch k := kindOf(raw); k {
	case kindNull:
		return nil, nil
	case kindObject:
		if name, ok := objectName(raw, 0); ok {
			return []string{name}, nil
		}
		return nil, errors.New(`want a list, got an object without "name" or "display_name"`)
	case kindList:
	default:
		return nil, fmt.Errorf("want a list or string, got %s", k)
	}
	var out []string
	var err error
	i := 0
	eachElement(raw, func(it []byte) bool {
		if err = listItem(it, &out); err != nil {
			err = fmt.Errorf("item %d: %w", i, err)
		}
		i++
		return err == nil
	})
	return out, err
}

func listItem(it []byte, out *[]string) error {
	if s, ok := scalarText(it); ok {
		*out = append(*out, s)
		return nil
	}
	switch k := kindOf(it); k {
	case kindNull:
	case kindObject:
		name, ok := objectName(it, 0)
		if !ok {
			return errors.New(`an object without "name" or "display_name"`)
		}
		*out = append(*out, name)
	default:
		return fmt.Errorf("want a string, got %s", k)
	}
	return nil
}

// yearValue accepts a whole number, a string holding a year ("2019",
// "2019-05-01", "Mon, 2 Apr 2007 19:18:42 GMT") or a CrossRef date object
// {"date-parts": [[2019, 5, 1]]}. Empty strings and null mean unknown.
func yearValue(raw []byte) (int, error) {
	raw = bytes.TrimSpace(raw)
	switch k := kindOf(raw); k {
	case kindNull:
		return 0, nil
	case kindNumber:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || math.Abs(f) > 1e6 {
			return 0, fmt.Errorf("%s is not a year", raw)
		}
		if f != math.Trunc(f) {
			return 0, fmt.Errorf("%s is not a whole number", raw)
		}
		return int(f), nil
	case kindString:
		s := unquote(raw)
		if strings.TrimSpace(s) == "" {
			return 0, nil
		}
		if y, ok := firstYearIn(s); ok {
			return y, nil
		}
		return 0, fmt.Errorf("%q holds no 4-digit year", clip(s, 40))
	case kindObject:
		if y := firstElement(firstElement(member(raw, "date-parts"))); kindOf(y) == kindNumber {
			return yearValue(y)
		}
	}
	return 0, fmt.Errorf("want a year, got %s", kindOf(raw))
}

// firstElement is the first element of a JSON list, or nil.
func firstElement(list []byte) []byte {
	var first []byte
	eachElement(list, func(v []byte) bool { first = v; return false })
	return first
}

// firstYearIn returns the first run of exactly four ASCII digits in s.
func firstYearIn(s string) (int, bool) {
	for i := 0; i < len(s); {
		if !isDigitByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigitByte(s[j]) {
			j++
		}
		if j-i == 4 {
			y, _ := strconv.Atoi(s[i:j])
			return y, true
		}
		i = j
	}
	return 0, false
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 { // stay on a rune boundary
		n--
	}
	return s[:n] + "…"
}

// trimDOIPrefix strips the resolver prefixes DOIs often carry.
func trimDOIPrefix(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return strings.TrimSpace(s[len(p):])
		}
	}
	return s
}

// splitCategoryList cuts "a, b; c" on separators when there are any, else
// "cs.CL cs.AI" or "68T45 05C80" on white space when every word looks like
// a code; otherwise the string is one category ("Mathematics - Combinatorics",
// "machine learning").
func splitCategoryList(s string) []string {
	if strings.ContainsAny(s, ",;") {
		return splitOnAny(s, ",;")
	}
	words := strings.Fields(s)
	for _, w := range words {
		if ArxivField(w) == "" && !strings.ContainsAny(w, ".0123456789") {
			return []string{strings.TrimSpace(s)}
		}
	}
	return words
}

// splitFieldList cuts on commas and semicolons only: "Computer Science" is
// one field.
func splitFieldList(s string) []string { return splitOnAny(s, ",;") }

func splitOnAny(s, seps string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitAuthorList cuts an author string. Semicolons win when present
// ("Smith, J.; Doe, K."). Otherwise it cuts on " and ", then on commas,
// except that "Smith, John and Doe, Jane" (every part one comma, no
// initials before it) is kept in BibTeX's Last, First form. Commas inside
// parentheses (arXiv affiliations, "A. Name (MIT, USA)") never cut. A lone
// "Smith, John" is ambiguous and comes out as two names; give authors as a
// JSON list to avoid that.
func splitAuthorList(s string) []string {
	if strings.Contains(s, ";") {
		return splitOutsideParens(s, ";")
	}
	parts := splitOutsideParens(strings.ReplaceAll(s, "\n", " "), " and ")
	if len(parts) > 1 {
		bibtex := true
		for _, p := range parts {
			// A surname holds no initials: "A. Name, B. Name" is two names.
			last, _, _ := strings.Cut(p, ",")
			if strings.Count(p, ",") != 1 || strings.Contains(last, ".") {
				bibtex = false
				break
			}
		}
		if bibtex {
			return parts
		}
	}
	var out []string
	for _, p := range parts {
		for _, q := range splitOutsideParens(p, ",") {
			// "A, B, and C": the serial comma leaves "and C".
			q = strings.TrimSpace(strings.TrimPrefix(q, "and "))
			if q != "" {
				out = append(out, q)
			}
		}
	}
	return out
}

// splitOutsideParens splits s on sep where sep is not inside (), [] or {}.
func splitOutsideParens(s, sep string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 && strings.HasPrefix(s[i:], sep) {
				if p := strings.TrimSpace(s[start:i]); p != "" {
					out = append(out, p)
				}
				i += len(sep) - 1
				start = i + 1
			}
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

// jsonError turns an encoding/json error from decoding a whole line into
// something a person can act on. Type errors become a *FieldError naming
// the Quire field (looked up by top-level JSON key in fields) and the key.
func jsonError(err error, fields map[string]string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("want a JSON object, got %s", jsonKindName(te.Value))
		}
		top, _, _ := strings.Cut(te.Field, ".")
		field := fields[top]
		if field == "" {
			field = top
		}
		return &FieldError{Field: field, Err: fmt.Errorf("JSON key %q: want %s, got %s", te.Field, goKindName(te.Type.Kind().String()), jsonKindName(te.Value))}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON: %s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	return fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKindName(v string) string {
	switch {
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case v == "bool":
		return "true/false"
	case strings.HasPrefix(v, "number"):
		return "a number"
	}
	return "a " + v
}

func goKindName(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true/false"
	}
	return "a number"
}

// wrapField names a Quire field and the JSON key for a conversion error.
func wrapField(field, key string, err error) error {
	return &FieldError{Field: field, Err: fmt.Errorf("JSON key %q: %w", key, err)}
}
