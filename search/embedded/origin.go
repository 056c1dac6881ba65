package embedded

import (
	"context"
	"encoding/json"

	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/quire-research/quire/search"
)

// Each paper written by an ingest keeps where it was read (stored only,
// never searched), so a resumed run can tell a duplicate ID whose first
// copy an earlier run wrote from the same record read again.
const fOrigin = "_origin"

var _ search.OriginReader = (*Index)(nil)

func addOrigin(d *document.Document, o search.Origin) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	d.AddField(document.NewTextFieldWithIndexingOptions(fOrigin, nil, b, index.StoreField))
	return nil
}

// Origins returns the stored origins of those ids that are live papers.
func (x *Index) Origins(ctx context.Context, ids []string) (map[string]search.Origin, error) {
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	out := map[string]search.Origin{}
	for _, ss := range snap.Segments() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		docs, err := ss.DocNumbers(ids)
		if err != nil {
			return nil, err
		}
		for it := docs.Iterator(); it.HasNext(); {
			doc := uint64(it.Next())
			id, err := ss.DocID(doc)
			if err != nil {
				return nil, err
			}
			var raw []byte
			err = ss.VisitDocument(doc, func(field string, _ byte, value []byte, _ []uint64) bool {
				if field == fOrigin {
					raw = append([]byte(nil), value...)
					return false
				}
				return true
			})
			if err != nil {
				return nil, err
			}
			var o search.Origin
			if raw != nil && json.Unmarshal(raw, &o) == nil {
				out[string(id)] = o
			}
		}
	}
	return out, nil
}
