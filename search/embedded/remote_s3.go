package embedded

import (
	"context"
	"fmt"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors"
	"github.com/quire-research/quire/search/vector"
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

// Put stores a passage's vector under s3vectors.PassageID, with its
// paper's metadata.
func (r *s3Remote) Put(ctx context.Context, papers []corpus.Paper, vecs []vector.Item) error {
	byID := make(map[string]*corpus.Paper, len(papers))
	for i := range papers {
		byID[papers[i].ID] = &papers[i]
	}
	items := make([]s3vectors.Item, len(vecs))
	for i, v := range vecs {
		p, _ := paperOf(v.ID)
		paper := byID[p]
		if paper == nil {
			return fmt.Errorf("%s: vector %s has no paper in the batch", r.name, showVectorID(v.ID))
		}
		items[i] = s3vectors.Item{Vec: v.Vec, Paper: paper}
		if v.ID != p {
			items[i].ID = toS3(v.ID)
		}
	}
	st, err := r.st.Put(ctx, items)
	if w := st.Warning(); w != "" && r.warn != nil {
		r.warn(w)
	}
	return err
}

func (r *s3Remote) Delete(ctx context.Context, ids []string) error {
	return r.st.Delete(ctx, mapIDs(ids, toS3))
}

// Query leaves what the translation could not express to the caller,
// which checks every result against the lexical half's allowed set.
func (r *s3Remote) Query(ctx context.Context, qv []float32, k int, q query.Query) ([]fusion.Item, error) {
	items, _, err := r.st.Query(ctx, qv, k, q)
	return fromS3Items(items), err
}

func (r *s3Remote) Exact(q query.Query) bool { return s3vectors.Translate(q).Exact }

func (r *s3Remote) Get(ctx context.Context, ids []string) (map[string][]float32, error) {
	got, err := r.st.Get(ctx, mapIDs(ids, toS3))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]float32, len(got))
	for id, v := range got {
		out[fromS3(id)] = v
	}
	return out, nil
}

func (r *s3Remote) Rank(ctx context.Context, qv []float32, ids []string, k int) ([]fusion.Item, error) {
	items, err := r.st.Rank(ctx, qv, mapIDs(ids, toS3), k)
	return fromS3Items(items), err
}

// toS3 is the ID the store keeps a vector under: a passage's is
// s3vectors.PassageID, whose separator is valid UTF-8 (passageSep is
// not, and would be hashed).
func toS3(id string) string {
	if p, n, ok := passageOf(id); ok {
		return s3vectors.PassageID(p, n)
	}
	return id
}

// fromS3 reads a stored ID back as the index names it.
func fromS3(id string) string {
	if p, n, ok := s3vectors.ParsePassage(id); ok {
		return passageID(p, n)
	}
	return id
}

func mapIDs(ids []string, f func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = f(id)
	}
	return out
}

func fromS3Items(items []fusion.Item) []fusion.Item {
	for i := range items {
		items[i].ID = fromS3(items[i].ID)
	}
	return items
}
