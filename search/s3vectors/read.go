package s3vectors

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"golang.org/x/sync/errgroup"

	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
)

// scoreOf turns the service's distance into Quire's similarity, higher
// is better: cosine similarity (1 − d) for cosine, and 1 − d²/2 for
// euclidean, which is the cosine similarity when vectors are unit length
// (as Quire's embedders make them) and falls with d whatever they are.
func scoreOf(metric string, d float64) float64 {
	if metric == Euclidean {
		return 1 - d*d/2
	}
	return 1 - d
}

// distance is the service's distance, computed locally.
func distance(metric string, a, b []float32) float64 {
	var dot, na, nb, sq float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		sq += (x - y) * (x - y)
	}
	if metric == Euclidean {
		return math.Sqrt(sq)
	}
	if na == 0 || nb == 0 {
		return 1
	}
	return 1 - dot/math.Sqrt(na*nb)
}

// Query returns the k stored vectors nearest to qv that pass the S3
// translation of q's filters (a Restriction's Query), best first, scored
// as similarities, and what the translation could express. When it is
// not Exact the results are a superset: the caller checks them against
// Translated.Residual (and Recheck against all of q), and may get fewer
// than k once it has; Rank over the allowed IDs avoids that when they
// are few.
//
// The service returns at most MaxTopK per call. Deeper, Query splits the
// shards into ceil(k/100)+1 parts and asks each for its own top 100 in
// parallel: the union holds the true top k unless one part holds more
// than 100 of them (for k = 300 and 4 parts, 75 expected, 100 is 3.3
// standard deviations out), at one query's cost per part. Vectors
// without a shard (written before shards existed) are asked for in one
// more part, until an unfiltered deep query finds none.
func (s *Store) Query(ctx context.Context, qv []float32, k int, q query.Query) ([]fusion.Item, Translated, error) {
	t := Translate(q)
	if len(qv) != s.dim {
		return nil, t, fmt.Errorf("s3vectors: the query vector has %d values; index %s/%s holds %d", len(qv), s.cfg.Bucket, s.cfg.Index, s.dim)
	}
	if k <= 0 {
		return nil, t, nil
	}
	var filter any
	if t.Filter != nil {
		// Papers stored with partial metadata pass, for the caller to
		// check: a filter on a dropped key would lose them.
		filter = map[string]any{"$or": []any{
			t.Filter, map[string]any{metaPartial: map[string]any{"$eq": true}},
		}}
	}
	parts := shardParts(k)
	legacy := len(parts) > 1 && !s.noLegacy.Load()
	if legacy {
		parts = append(parts, map[string]any{metaShard: map[string]any{"$exists": false}})
	}
	results := make([][]queried, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	for i, part := range parts {
		g.Go(func() (err error) {
			f := filter
			if part != nil {
				f = andFilter(filter, part)
			}
			results[i], err = s.queryOnce(gctx, qv, min(k, MaxTopK), f)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, t, err
	}
	if legacy && len(results[len(results)-1]) == 0 && t.Filter == nil {
		s.noLegacy.Store(true)
	}
	var all []queried
	for _, r := range results {
		all = append(all, r...)
	}
	if len(parts) > 1 {
		slices.SortStableFunc(all, func(a, b queried) int { return cmp.Compare(b.item.Score, a.item.Score) })
	}
	items := make([]fusion.Item, 0, min(len(all), k))
	for _, r := range all[:min(len(all), k)] {
		if r.partial {
			t.Recheck = append(t.Recheck, r.item.ID)
		}
		items = append(items, r.item)
	}
	return items, t, nil
}

// shardParts are the shard filters of a query for k results: one nil
// part (no shard filter) when one call is deep enough.
func shardParts(k int) []map[string]any {
	if k <= MaxTopK {
		return []map[string]any{nil}
	}
	n := min((k+MaxTopK-1)/MaxTopK+1, Shards)
	groups := make([][]any, n)
	for sh := range Shards {
		groups[sh%n] = append(groups[sh%n], sh)
	}
	parts := make([]map[string]any, n)
	for i, g := range groups {
		parts[i] = map[string]any{metaShard: map[string]any{"$in": g}}
	}
	return parts
}

// andFilter joins two filters; a may be nil.
func andFilter(a any, b map[string]any) any {
	if a == nil {
		return b
	}
	return map[string]any{"$and": []any{a, b}}
}

// queried is one QueryVectors result.
type queried struct {
	item    fusion.Item
	partial bool
}

// queryOnce is one QueryVectors call.
func (s *Store) queryOnce(ctx context.Context, qv []float32, k int, filter any) ([]queried, error) {
	in := &s3vectors.QueryVectorsInput{
		VectorBucketName: &s.cfg.Bucket, IndexName: &s.cfg.Index,
		QueryVector: &types.VectorDataMemberFloat32{Value: qv},
		TopK:        ptr(int32(k)),
		// Metadata carries the IDs behind hashed keys and the partial
		// marks; it is a few hundred bytes per result.
		ReturnDistance: true, ReturnMetadata: true,
	}
	if filter != nil {
		in.Filter = document.NewLazyDocument(filter)
	}
	var out *s3vectors.QueryVectorsOutput
	err := s.call(ctx, "QueryVectors", func(ctx context.Context) (err error) {
		out, err = s.client.QueryVectors(ctx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	res := make([]queried, 0, len(out.Vectors))
	for _, v := range out.Vectors {
		meta := decodeMeta(v.Metadata)
		id, err := s.idOf(ptrVal(v.Key), meta)
		if err != nil {
			return nil, err
		}
		p, _ := meta[metaPartial].(bool)
		res = append(res, queried{fusion.Item{ID: id, Score: scoreOf(s.metric, float64(ptrVal(v.Distance)))}, p})
	}
	return res, nil
}

func ptr[T any](v T) *T { return &v }

func ptrVal[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func decodeMeta(d document.Interface) map[string]any {
	if d == nil {
		return nil
	}
	var m map[string]any
	if err := d.UnmarshalSmithyDocument(&m); err != nil {
		return nil
	}
	return m
}

// idOf maps a key back to its paper ID.
func (s *Store) idOf(key string, meta map[string]any) (string, error) {
	if !isHashed(key) {
		return key, nil
	}
	id, _ := meta[metaID].(string)
	if id == "" {
		return "", fmt.Errorf("s3vectors: index %s/%s: vector %s has a hashed key but no %q metadata (written by something other than Quire?)", s.cfg.Bucket, s.cfg.Index, key, metaID)
	}
	return id, nil
}

// Get returns the stored vectors of those ids that have one, fetched by
// GetVectors in calls of at most 100 keys, several in flight.
func (s *Store) Get(ctx context.Context, ids []string) (map[string][]float32, error) {
	byKey := make(map[string]string, len(ids))
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		k, _ := keyOf(id)
		if _, ok := byKey[k]; !ok {
			byKey[k] = id
			keys = append(keys, k)
		}
	}
	out := make(map[string][]float32, len(keys))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.GetParallel)
	for chunk := range slices.Chunk(keys, MaxGetBatch) {
		g.Go(func() error {
			var res *s3vectors.GetVectorsOutput
			err := s.call(gctx, "GetVectors", func(ctx context.Context) (err error) {
				res, err = s.client.GetVectors(ctx, &s3vectors.GetVectorsInput{
					VectorBucketName: &s.cfg.Bucket, IndexName: &s.cfg.Index, Keys: chunk, ReturnData: true,
				})
				return err
			})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, v := range res.Vectors {
				id, ok := byKey[ptrVal(v.Key)]
				if f, isF32 := v.Data.(*types.VectorDataMemberFloat32); ok && isF32 {
					out[id] = f.Value
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return out, nil
}

// Rank scores the stored vectors of ids against qv locally (GetVectors,
// then the index's own distance) and returns the best k, best first (all
// when k <= 0), scored as Query scores. For an allowed set of a few
// hundred papers it finds every one, where a filtered top-100 Query may
// return fewer after post-filtering; see docs/s3vectors.md for where it
// pays.
func (s *Store) Rank(ctx context.Context, qv []float32, ids []string, k int) ([]fusion.Item, error) {
	if len(qv) != s.dim {
		return nil, fmt.Errorf("s3vectors: the query vector has %d values; index %s/%s holds %d", len(qv), s.cfg.Bucket, s.cfg.Index, s.dim)
	}
	vecs, err := s.Get(ctx, ids)
	if err != nil {
		return nil, err
	}
	items := make([]fusion.Item, 0, len(vecs))
	for id, v := range vecs {
		items = append(items, fusion.Item{ID: id, Score: scoreOf(s.metric, distance(s.metric, qv, v))})
	}
	slices.SortFunc(items, func(a, b fusion.Item) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) })
	if k > 0 && len(items) > k {
		items = items[:k]
	}
	return items, nil
}

// List calls fn with the paper IDs stored in the index, a page (at most
// 1,000) at a time, in the service's order, until fn returns an error or
// the index is listed; for resuming a copy into the index.
func (s *Store) List(ctx context.Context, fn func(ids []string) error) error {
	var token *string
	for {
		var out *s3vectors.ListVectorsOutput
		err := s.call(ctx, "ListVectors", func(ctx context.Context) (err error) {
			out, err = s.client.ListVectors(ctx, &s3vectors.ListVectorsInput{
				VectorBucketName: &s.cfg.Bucket, IndexName: &s.cfg.Index,
				MaxResults: ptr(int32(1000)), NextToken: token,
				// Metadata only to map hashed keys back; titles come along.
				ReturnMetadata: true,
			})
			return err
		})
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(out.Vectors))
		for _, v := range out.Vectors {
			id, err := s.idOf(ptrVal(v.Key), decodeMeta(v.Metadata))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return nil
		}
		token = out.NextToken
	}
}
