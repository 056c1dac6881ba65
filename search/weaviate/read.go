package weaviate

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/go-openapi/strfmt"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"
	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// find runs a filtered gRPC search on the papers at the configured
// consistency, retried on transient errors.
func (e *Engine) find(ctx context.Context, where *filters.WhereBuilder, limit int, props ...string) ([]graphql.SearchResult, error) {
	return e.findIn(ctx, e.o.Collection, where, limit, nil, props...)
}

func (e *Engine) findIn(ctx context.Context, coll string, where *filters.WhereBuilder, limit int, md *graphql.Metadata, props ...string) ([]graphql.SearchResult, error) {
	return e.searchIn(ctx, coll, where, limit, md, nil, props...)
}

// searchIn runs one gRPC search on collection coll: the first limit
// objects where allows (nil: any), ranked by "by" (nil: Weaviate's
// order), read with md and props, at the configured consistency and
// retried on transient errors.
func (e *Engine) searchIn(ctx context.Context, coll string, where *filters.WhereBuilder, limit int, md *graphql.Metadata,
	by func(*graphql.Search) *graphql.Search, props ...string) ([]graphql.SearchResult, error) {
	var out []graphql.SearchResult
	err := retry(ctx, "search "+coll, func(ctx context.Context) error {
		s := e.client.Experimental().Search().WithCollection(coll).WithLimit(limit).
			WithConsistencyLevel(e.o.Consistency).WithProperties(props...)
		if where != nil {
			s = s.WithWhere(where)
		}
		if md != nil {
			s = s.WithMetadata(md)
		}
		if by != nil {
			s = by(s)
		}
		var err error
		out, err = s.Do(ctx)
		return redact(err, e.o.APIKey)
	})
	return out, err
}

// paperOf rebuilds a paper from an object's properties.
func paperOf(m map[string]any) *corpus.Paper {
	return &corpus.Paper{
		ID:         str(m[pID]),
		Title:      str(m[pTitle]),
		Abstract:   str(m[pAbstract]),
		FullText:   str(m[pFullText]),
		Authors:    strs(m[pAuthors]),
		Year:       int(num(m[pYear])),
		Venue:      str(m[pVenue]),
		Fields:     strs(m[pFields]),
		Categories: strs(m[pCats]),
		Source:     str(m[pSource]),
		DOI:        str(m[pDOI]),
		URL:        str(m[pURL]),
		Pages:      ints(m[pPages]),
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

// ints reads an int array as gRPC returns it; nil when empty.
func ints(v any) []int {
	var out []int
	switch x := v.(type) {
	case *pb.ListValue:
		// Packed: 8 bytes per value, little-endian.
		b := x.GetIntValues().GetValues()
		for i := 0; i+8 <= len(b); i += 8 {
			out = append(out, int(int64(binary.LittleEndian.Uint64(b[i:]))))
		}
	case []int64:
		for _, n := range x {
			out = append(out, int(n))
		}
	case []any:
		for _, n := range x {
			out = append(out, int(num(n)))
		}
	}
	return out
}

// strs reads a text array as gRPC returns it; nil when empty, as
// corpus.Paper has it.
func strs(v any) []string {
	var s []string
	switch x := v.(type) {
	case *pb.ListValue:
		s = x.GetTextValues().GetValues()
	case []string:
		s = x
	case []any:
		for _, it := range x {
			if t, ok := it.(string); ok {
				s = append(s, t)
			}
		}
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// Meta object kinds.
const (
	kindCheckpoint = "checkpoint"
	kindModel      = "model"
)

// metaID is a meta object's UUID: kind and key name it.
func (e *Engine) metaID(kind, key string) strfmt.UUID {
	return objectID(e.meta + "\x00" + kind + "\x00" + key)
}

// writeCheckpoints stores cks in the meta collection.
func (e *Engine) writeCheckpoints(ctx context.Context, cks []search.Checkpoint) error {
	if len(cks) == 0 {
		return nil
	}
	var objs []*metaObject
	for _, ck := range cks {
		js, err := json.Marshal(ck)
		if err != nil {
			return err
		}
		objs = append(objs, &metaObject{kind: kindCheckpoint, key: ck.Source, value: string(js)})
	}
	return e.writeMeta(ctx, objs)
}

// metaObject is one checkpoint or model chunk.
type metaObject struct {
	kind, key, value string
	blob             []byte
}

func (e *Engine) writeMeta(ctx context.Context, objs []*metaObject) error {
	ms := make([]*models.Object, 0, len(objs))
	for _, o := range objs {
		props := map[string]any{mKind: o.kind, mKey: o.key, mValue: o.value}
		if o.blob != nil {
			props[mBlob] = base64.StdEncoding.EncodeToString(o.blob)
		}
		ms = append(ms, &models.Object{Class: e.meta, ID: e.metaID(o.kind, o.key), Properties: props})
	}
	return e.writeObjects(ctx, ms)
}

// metaWhere selects the meta objects of a kind, and of one key if key is
// not "".
func metaWhere(kind, key string) *filters.WhereBuilder {
	k := filters.Where().WithPath([]string{mKind}).WithOperator(filters.Equal).WithValueText(kind)
	if key == "" {
		return k
	}
	return filters.Where().WithOperator(filters.And).WithOperands([]*filters.WhereBuilder{
		k, filters.Where().WithPath([]string{mKey}).WithOperator(filters.Equal).WithValueText(key),
	})
}

// Checkpoint returns where the last run over source got to.
func (e *Engine) Checkpoint(ctx context.Context, source string) (search.Checkpoint, bool, error) {
	cks, err := e.checkpoints(ctx, source)
	if err != nil || len(cks) == 0 {
		return search.Checkpoint{}, false, err
	}
	return cks[0], true, nil
}

// checkpoints reads the checkpoint of source, or every one for "".
func (e *Engine) checkpoints(ctx context.Context, source string) ([]search.Checkpoint, error) {
	rs, err := e.findIn(ctx, e.meta, metaWhere(kindCheckpoint, source), 10_000, nil, mKey, mValue)
	if err != nil {
		return nil, err
	}
	var out []search.Checkpoint
	for _, r := range rs {
		var ck search.Checkpoint
		if err := json.Unmarshal([]byte(str(r.Properties[mValue])), &ck); err != nil {
			return nil, fmt.Errorf("weaviate: checkpoint %q in %s: %w", str(r.Properties[mKey]), e.meta, err)
		}
		out = append(out, ck)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

// Stats counts papers and vectors and lists the checkpoints.
func (e *Engine) Stats(ctx context.Context) (*search.Stats, error) {
	n, err := e.count(ctx, nil)
	if err != nil {
		return nil, err
	}
	st := &search.Stats{Engine: "weaviate", Path: e.o.URL + "/" + e.o.Collection, Papers: n}
	if emb := e.embedder(); emb != nil {
		st.Embedder = emb.Name()
		st.Calibration = e.calibrationStats(emb)
		if st.Vectors, err = e.count(ctx, withEmbedder(emb.Name())); err != nil {
			return nil, err
		}
		if st.PassageVectors, err = e.countPassages(ctx, withEmbedder(emb.Name())); err != nil {
			return nil, err
		}
	}
	if st.Checkpoints, err = e.checkpoints(ctx, ""); err != nil {
		return nil, err
	}
	return st, nil
}

// withEmbedder selects the papers whose vector the named embedder made.
func withEmbedder(name string) *filters.WhereBuilder {
	return filters.Where().WithPath([]string{pEmbedder}).WithOperator(filters.Equal).WithValueText(name)
}
