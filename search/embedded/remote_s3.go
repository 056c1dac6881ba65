package embedded

import (
	"context"
	"fmt"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors"
)

// S3Remote is an S3 Vectors index as the index's remote vector half.
// Warn, when set, receives the one-line summary of metadata a Put had to
// drop to fit the service's limits (s3vectors.PutStats.Warning).
func S3Remote(st *s3vectors.Store, bucket, index string, warn func(string)) Remote {
	return &s3Remote{st: st, name: fmt.Sprintf("s3vectors %s/%s", bucket, index), warn: warn}
}

type s3Remote struct {
	st   *s3vectors.Store
	name string
	warn func(string)
}

func (r *s3Remote) Name() string { return r.name }
func (r *s3Remote) Dim() int     { return r.st.Dimension() }
func (r *s3Remote) MaxK() int    { return s3vectors.MaxDepth }

func (r *s3Remote) Put(ctx context.Context, papers []corpus.Paper, vecs [][]float32) error {
	items := make([]s3vectors.Item, len(papers))
	for i := range papers {
		items[i] = s3vectors.Item{Vec: vecs[i], Paper: &papers[i]}
	}
	st, err := r.st.Put(ctx, items)
	if w := st.Warning(); w != "" && r.warn != nil {
		r.warn(w)
	}
	return err
}

func (r *s3Remote) Delete(ctx context.Context, ids []string) error { return r.st.Delete(ctx, ids) }

// Query leaves what the translation could not express to the caller,
// which checks every result against the lexical half's allowed set.
func (r *s3Remote) Query(ctx context.Context, qv []float32, k int, q query.Query) ([]fusion.Item, error) {
	items, _, err := r.st.Query(ctx, qv, k, q)
	return items, err
}

func (r *s3Remote) Exact(q query.Query) bool { return s3vectors.Translate(q).Exact }

func (r *s3Remote) Get(ctx context.Context, ids []string) (map[string][]float32, error) {
	return r.st.Get(ctx, ids)
}

func (r *s3Remote) Rank(ctx context.Context, qv []float32, ids []string, k int) ([]fusion.Item, error) {
	return r.st.Rank(ctx, qv, ids, k)
}
