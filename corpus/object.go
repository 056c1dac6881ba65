package corpus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
)

// This file serves sources that get objects one at a time (an S3 event
// queue) rather than by listing: it decodes one object the way S3Source
// would, and maps the object's own metadata onto its papers.

// ObjectKind says whether an object key is read at all, and whether as a
// whole document (.md, .markdown, .txt) rather than as JSONL (.jsonl,
// .json, .ndjson, optionally .gz, and bare .gz). It is S3Source's rule.
func ObjectKind(key string) (doc, ok bool) { return s3ObjectKind(key) }

// ObjectOptions say how DecodeObject reads an object.
type ObjectOptions struct {
	// Name is where the object is for messages, e.g. s3://bucket/key.
	Name string
	// DocName is a document's name inside its collection: its ID when the
	// front matter names none (see DecodeDocument).
	DocName string
	// Format is the JSONL layout; "" or "auto" detects it from the
	// object's first line.
	Format string
	// FieldMap is for the "jsonl" format; meta keys must be split off
	// first (see SplitFieldMap).
	FieldMap FieldMap
	// Source labels the papers; "" labels JSONL as OpenJSONL does and
	// documents with DocSource.
	Source, DocSource string
	Limits            Limits
}

// DecodeObject yields the papers of one object read from r, with the
// cursors of a one-unit source. Bad records are *RecordError values and
// the stream goes on; a broken body ends it with a *RecordError at the
// line where it broke.
func DecodeObject(ctx context.Context, key string, r io.Reader, o ObjectOptions) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		doc, ok := ObjectKind(key)
		if !ok {
			yield(Record{}, &RecordError{Pos: Position{File: o.Name}, Err: fmt.Errorf("not a paper object: want .jsonl, .json, .ndjson, .gz, .md, .markdown or .txt")})
			return
		}
		if doc {
			cur := Cursor{Line: 1}
			data, err := readDocumentBytes(r)
			if err != nil {
				yield(Record{}, &RecordError{Pos: Position{File: o.Name}, Cursor: cur, Err: err})
				return
			}
			label := o.Source
			if label == "" {
				label = o.DocSource
			}
			p, err := DecodeDocument(o.DocName, data, label)
			if err != nil {
				yield(Record{}, placeDocumentError(err, o.Name, cur))
				return
			}
			yield(documentRecord(p, o.Name, cur, int64(len(data)), o.Limits))
			return
		}
		dec, err := objectDecoder(r, key, o)
		if err != nil {
			yield(Record{}, &RecordError{Pos: Position{File: o.Name, Line: 1}, Err: err})
			return
		}
		scanJSONL(ctx, dec.r, unitScan{name: o.Name, dec: dec.decode, lim: o.Limits, yield: yield})
	}
}

type objectDecoding struct {
	r      io.Reader
	decode LineDecoder
}

// objectDecoder settles the object's JSONL format, peeking at its first
// line when it is to be detected; the peeked bytes are read again.
func objectDecoder(r io.Reader, key string, o ObjectOptions) (objectDecoding, error) {
	format := o.Format
	if format == "" || format == FormatAuto {
		in, err := Decompress(r)
		if err != nil {
			return objectDecoding{}, err
		}
		br := getReader(in)
		// Only the first line is needed; the buffer keeps it for the scan.
		line, _ := br.Peek(min(br.Size(), int(MaxLineBytes)))
		if i := strings.IndexByte(string(line), '\n'); i >= 0 {
			line = line[:i]
		}
		format = DetectFormat([]byte(strings.TrimSpace(string(line))))
		r = br
	}
	source := o.Source
	if source == "" {
		source = defaultLabel(format, key)
	}
	fm := o.FieldMap
	if format != FormatJSONL {
		fm = nil
	}
	f, err := NewFormat(format, fm, source)
	if err != nil {
		return objectDecoding{}, err
	}
	return objectDecoding{r: r, decode: f.Decode}, nil
}

// Object metadata in a field map: a key "x-amz-meta-NAME" names an S3
// user metadata entry and "tag:NAME" an object tag, rather than a JSON key.
const (
	MetaPrefix = "x-amz-meta-"
	TagPrefix  = "tag:"
)

// SplitFieldMap parts a field map into its JSON keys (for the decoders)
// and its object-metadata keys (for ApplyObjectMeta), so one [ingest]
// field_map serves both.
func SplitFieldMap(m FieldMap) (jsonKeys, meta FieldMap) {
	for field, key := range m {
		k := strings.ToLower(strings.TrimSpace(key))
		if strings.HasPrefix(k, MetaPrefix) || strings.HasPrefix(k, TagPrefix) {
			if meta == nil {
				meta = FieldMap{}
			}
			meta[field] = k
			continue
		}
		if jsonKeys == nil {
			jsonKeys = FieldMap{}
		}
		jsonKeys[field] = key
	}
	return jsonKeys, meta
}

// MetaWantsTags reports whether a metadata map reads object tags, which
// take a request of their own.
func MetaWantsTags(meta FieldMap) bool {
	for _, k := range meta {
		if strings.HasPrefix(k, TagPrefix) {
			return true
		}
	}
	return false
}

// ApplyObjectMeta sets the paper fields meta names from an object's user
// metadata (keys without the x-amz-meta- prefix, any case) and tags. A
// value present wins over what the object's text said, since it is the
// bucket owner's label; an absent or empty one leaves the field alone. A
// value of the wrong shape (a year that is not one) is a *FieldError
// naming the field and the metadata key.
func ApplyObjectMeta(p *Paper, meta FieldMap, userMeta, tags map[string]string) error {
	lower := func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[strings.ToLower(k)] = v
		}
		return out
	}
	um, tg := lower(userMeta), lower(tags)
	for _, field := range slices.Sorted(maps.Keys(meta)) {
		key := meta[field]
		var v string
		if name, ok := strings.CutPrefix(key, MetaPrefix); ok {
			v = um[name]
		} else if name, ok := strings.CutPrefix(key, TagPrefix); ok {
			v = tg[name]
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		set := setters[field]
		if set == nil {
			return fmt.Errorf("field map: unknown field %q (want one of %s)", field, strings.Join(quireFields, ", "))
		}
		raw, _ := json.Marshal(v)
		if err := set(p, raw); err != nil {
			return &FieldError{Field: field, Err: fmt.Errorf("object %s: %w", key, err)}
		}
	}
	p.Normalize()
	return nil
}
