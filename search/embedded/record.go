package embedded

import (
	"bytes"
	"encoding/json"
	"fmt"

	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/quire-research/quire/corpus"
)

// A paper is stored in two parts: its record without the full text, as
// JSON (fSrc), and the full text itself, raw, in the stored body field
// (mapping.go). Passage rescoring then reads one passage of the body and
// decodes no JSON record; when the body sat inside the JSON, decoding it
// took half of a hybrid query's CPU at 2,000 full-text papers. Records
// written before the split hold the full text in fSrc, and read the same.

// stored is what a segment keeps of one paper.
type stored struct {
	src, chunks, origin []byte
	body                string // "" for a record stored before the split
}

// storedFields reads a document's stored fields (a scorch segment snapshot).
type storedFields interface {
	VisitDocument(num uint64, visitor segment.StoredFieldValueVisitor) error
}

// readStored reads doc's stored parts.
func readStored(ss storedFields, doc uint64) (stored, error) {
	var r stored
	err := ss.VisitDocument(doc, func(field string, _ byte, value []byte, _ []uint64) bool {
		switch field {
		case fSrc:
			r.src = bytes.Clone(value)
		case fBody:
			r.body = string(value)
		case fChunks:
			r.chunks = bytes.Clone(value)
		case fOrigin:
			r.origin = bytes.Clone(value)
		}
		return true
	})
	return r, err
}

// paper decodes the record, with the full text when it was read. where
// names the record in an error.
func (r stored) paper(where string) (corpus.Paper, error) {
	var p corpus.Paper
	if r.src == nil {
		return p, fmt.Errorf("%s: no stored record", where)
	}
	if err := json.Unmarshal(r.src, &p); err != nil {
		return p, fmt.Errorf("%s: stored record: %w", where, err)
	}
	if r.body != "" {
		p.FullText = r.body
	}
	return p, nil
}

// withoutBody is p as stored in fSrc.
func withoutBody(p *corpus.Paper) *corpus.Paper {
	if p.FullText == "" {
		return p
	}
	c := *p
	c.FullText = ""
	return &c
}
