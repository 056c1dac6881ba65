package s3vectors_test

import (
	"context"
	"fmt"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
)

// cleanups stands in for a *testing.T outside a test.
type cleanups []func()

func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }

func Example() {
	var done cleanups
	defer func() {
		for _, f := range done {
			f()
		}
	}()
	srv := s3vtest.New(&done) // in production: awsconfig.Load
	ctx := context.Background()

	store, err := s3vectors.Create(ctx, s3vectors.Config{Bucket: "team-papers", Index: "quire", Dimension: 3}, srv.AWSConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	st, err := store.Put(ctx, []s3vectors.Item{
		{Vec: []float32{1, 0, 0}, Paper: &corpus.Paper{ID: "2101.00001", Year: 2021, Categories: []string{"cs.CL"}}},
		{Vec: []float32{0.8, 0.6, 0}, Paper: &corpus.Paper{ID: "2101.00002", Year: 2019, Categories: []string{"cs.CL"}}},
		{Vec: []float32{0, 0, 1}, Paper: &corpus.Paper{ID: "2101.00003", Year: 2022, Categories: []string{"cs.CV"}}},
	})
	fmt.Println(st.Vectors, "vectors in", st.Batches, "call", err)

	q, _ := query.Parse("category:cs.CL -author:Turing")
	hits, tr, err := store.Query(ctx, []float32{1, 0, 0}, 10, q)
	for _, h := range hits {
		fmt.Printf("%s %.2f\n", h.ID, h.Score)
	}
	fmt.Println("exact:", tr.Exact, "check:", tr.Residual.String(), err)
	// Output:
	// 3 vectors in 1 call <nil>
	// 2101.00001 1.00
	// 2101.00002 0.80
	// exact: false check: -author:Turing <nil>
}
