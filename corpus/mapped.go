package corpus

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldMap says where each Quire field lives in a JSON record: Quire field
// name → JSON key. A key may be a dotted path into nested objects
// ("journal.name"); through a list it applies to every element
// ("authorships.author.display_name") or picks one by index ("titles.0").
// A key that exists literally at the top level ("dc.title") wins over the
// path reading. Mapping a field to "" turns it off, fallbacks included.
type FieldMap map[string]string

// quireFields lists the field names a FieldMap may use, in decode order.
var quireFields = []string{"id", "title", "abstract", "authors", "year", "venue",
	"fields", "categories", "doi", "url", "source", "full_text"}

// defaultKeys are tried in order for fields the map leaves out; the first
// key present with a non-null value is used, and its type must fit.
var defaultKeys = map[string][]string{
	"id":         {"id", "_id", "paper_id", "doi"},
	"title":      {"title"},
	"abstract":   {"abstract", "text", "summary"},
	"authors":    {"authors", "author"},
	"year":       {"year", "publication_year", "date", "published"},
	"venue":      {"venue", "journal", "journal-ref", "container-title"},
	"fields":     {"fields"},
	"categories": {"categories", "subjects", "keywords"},
	"doi":        {"doi"},
	"url":        {"url", "link"},
	"full_text":  {"full_text", "body", "fulltext"},
}

// setters convert one raw JSON value into a Paper field.
var setters = map[string]func(p *Paper, raw []byte) error{
	"id":       func(p *Paper, raw []byte) (err error) { p.ID, err = idValue(raw); return err },
	"title":    func(p *Paper, raw []byte) (err error) { p.Title, err = textValue(raw, " "); return err },
	"abstract": func(p *Paper, raw []byte) (err error) { p.Abstract, err = textValue(raw, " "); return err },
	// Paragraph lists keep their breaks so the chunker can see them.
	"full_text": func(p *Paper, raw []byte) (err error) { p.FullText, err = textValue(raw, "\n\n"); return err },
	"authors":   func(p *Paper, raw []byte) (err error) { p.Authors, err = listValue(raw, splitAuthorList); return err },
	"year":      func(p *Paper, raw []byte) (err error) { p.Year, err = yearValue(raw); return err },
	"venue":     func(p *Paper, raw []byte) (err error) { p.Venue, err = textValue(raw, "; "); return err },
	"fields":    func(p *Paper, raw []byte) (err error) { p.Fields, err = listValue(raw, splitFieldList); return err },
	"categories": func(p *Paper, raw []byte) (err error) {
		p.Categories, err = listValue(raw, splitCategoryList)
		return err
	},
	"doi": func(p *Paper, raw []byte) error {
		s, err := firstToken(raw)
		p.DOI = trimDOIPrefix(s)
		return err
	},
	"url": func(p *Paper, raw []byte) (err error) { p.URL, err = firstToken(raw); return err },
	"source": func(p *Paper, raw []byte) error {
		s, err := textValue(raw, " ")
		if s = strings.TrimSpace(s); s != "" {
			p.Source = s
		}
		return err
	},
}

// firstToken reads a string (or list of strings) and keeps its first
// space-separated token: records with several DOIs or URLs list them so.
func firstToken(raw []byte) (string, error) {
	s, err := textValue(raw, " ")
	if f := strings.Fields(s); len(f) > 0 {
		return f[0], err
	}
	return "", err
}

type keyPath struct {
	key  string   // as written in the map
	path []string // key split on dots; nil when it has none
}

type mappedField struct {
	name string
	set  func(*Paper, []byte) error
	keys []keyPath
}

// MappedDecoder returns a decoder for JSONL whose keys are described by m;
// fields m leaves out fall back to common key names (see defaultKeys).
// Source is the label given to papers unless the map points "source" at a
// key with a value. It fails on a field name Quire does not know.
func MappedDecoder(m FieldMap, source string) (LineDecoder, error) {
	plan, err := planFields(m)
	if err != nil {
		return nil, err
	}
	return func(line []byte) (Paper, error) {
		if err := checkObjectLine(line); err != nil {
			return Paper{}, err
		}
		var members [24]rawMember // on the stack for typical records
		obj := members[:0]
		eachMember(line, func(k, v []byte) bool {
			obj = append(obj, rawMember{k, v})
			return true
		})
		p := Paper{Source: source}
		for i := range plan {
			f := &plan[i]
			raw, key := lookup(obj, f.keys)
			if raw == nil {
				continue
			}
			if err := f.set(&p, raw); err != nil {
				return Paper{}, wrapField(f.name, key, err)
			}
		}
		if p.URL == "" && p.DOI != "" {
			p.URL = "https://doi.org/" + p.DOI
		}
		return p, nil
	}, nil
}

func planFields(m FieldMap) ([]mappedField, error) {
	for name := range m {
		if setters[name] == nil {
			return nil, fmt.Errorf("field map: unknown field %q (want one of %s)", name, strings.Join(quireFields, ", "))
		}
	}
	plan := make([]mappedField, 0, len(quireFields))
	for _, name := range quireFields {
		keys := defaultKeys[name]
		if k, ok := m[name]; ok {
			keys = nil
			if k = strings.TrimSpace(k); k != "" {
				keys = []string{k}
			}
		}
		if len(keys) == 0 {
			continue
		}
		f := mappedField{name: name, set: setters[name]}
		for _, k := range keys {
			kp := keyPath{key: k}
			if strings.Contains(k, ".") {
				kp.path = strings.Split(k, ".")
			}
			f.keys = append(f.keys, kp)
		}
		plan = append(plan, f)
	}
	return plan, nil
}

type rawMember struct{ key, val []byte }

// get returns the value of key, the last one when a key repeats (as
// encoding/json does), and whether it is there.
func get(obj []rawMember, key string) ([]byte, bool) {
	for i := len(obj) - 1; i >= 0; i-- {
		if string(obj[i].key) == key {
			return obj[i].val, true
		}
	}
	return nil, false
}

// lookup returns the value of the first key present and not null.
func lookup(obj []rawMember, keys []keyPath) ([]byte, string) {
	for _, k := range keys {
		raw, ok := get(obj, k.key)
		if !ok && k.path != nil {
			top, _ := get(obj, k.path[0])
			raw = walk(top, k.path[1:])
		}
		if !isNull(raw) {
			return raw, k.key
		}
	}
	return nil, ""
}

// walk follows path into raw. Through a list it maps the rest of the path
// over the elements and returns a JSON list of the non-null results, unless
// the segment is an index.
func walk(raw []byte, path []string) []byte {
	if len(path) == 0 || isNull(raw) {
		return raw
	}
	switch kindOf(raw) {
	case kindObject:
		return walk(member(raw, path[0]), path[1:])
	case kindList:
		if i, err := strconv.Atoi(path[0]); err == nil {
			var found []byte
			n := 0
			eachElement(raw, func(v []byte) bool {
				if n == i {
					found = v
				}
				n++
				return n <= i
			})
			return walk(found, path[1:])
		}
		out := []byte{'['}
		eachElement(raw, func(it []byte) bool {
			if v := walk(it, path); !isNull(v) {
				if len(out) > 1 {
					out = append(out, ',')
				}
				out = append(out, v...)
			}
			return true
		})
		return append(out, ']')
	}
	return nil
}

// ParseFieldMap parses "title=t,abstract=summary,venue=journal.name". An
// empty key ("venue=") turns the field off. Keys cannot contain commas.
func ParseFieldMap(spec string) (FieldMap, error) {
	m := FieldMap{}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, key, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("field map: %q: want field=key", item)
		}
		if !slices.Contains(quireFields, name) {
			return nil, fmt.Errorf("field map: unknown field %q (want one of %s)", name, strings.Join(quireFields, ", "))
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("field map: field %q mapped twice", name)
		}
		m[name] = strings.TrimSpace(key)
	}
	return m, nil
}
