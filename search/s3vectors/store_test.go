package s3vectors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/backoff"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
)

const (
	testBucket = "quire-papers"
	testIndex  = "main"
)

func create(t *testing.T, srv *s3vtest.Server, cfg Config) *Store {
	t.Helper()
	cfg.Bucket, cfg.Index = cmp.Or(cfg.Bucket, testBucket), cmp.Or(cfg.Index, testIndex)
	if cfg.Retry.BaseDelay == 0 {
		cfg.Retry.BaseDelay = 5 * time.Millisecond
		cfg.Retry.MaxDelay = 50 * time.Millisecond
	}
	s, err := Create(context.Background(), cfg, srv.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		// The client never sends what the service would refuse.
		for _, c := range srv.Calls("") {
			if c.Status == 400 || c.Status == 413 {
				t.Errorf("the client sent a request the service refuses: %+v", c)
			}
		}
	})
	return s
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

func items(r *rand.Rand, n, dim int) []Item {
	out := make([]Item, n)
	for i := range out {
		out[i] = Item{Vec: randVec(r, dim), Paper: &corpus.Paper{ID: fmt.Sprintf("p%05d", i), Title: fmt.Sprint("Paper ", i), Year: 2000 + i%20}}
	}
	return out
}

func ids(its []Item) []string {
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.Paper.ID
	}
	return out
}

func sizes(calls []s3vtest.Call) []int {
	var out []int
	for _, c := range calls {
		out = append(out, c.Items)
	}
	return out
}

func TestCreateIsIdempotentAndOpenChecks(t *testing.T) {
	srv := s3vtest.New(t)
	ctx := context.Background()
	create(t, srv, Config{Dimension: 8})
	create(t, srv, Config{Dimension: 8}) // exists: opened
	if _, err := Open(ctx, Config{Bucket: testBucket, Index: testIndex, Dimension: 8}, srv.AWSConfig()); err != nil {
		t.Fatal(err)
	}
	// Endpoint and Region in Config win over the AWS configuration's.
	elsewhere := srv.AWSConfig()
	elsewhere.BaseEndpoint, elsewhere.Region = aws.String("http://127.0.0.1:9"), "eu-west-1"
	if _, err := Open(ctx, Config{Bucket: testBucket, Index: testIndex, Endpoint: srv.URL, Region: "us-east-1"}, elsewhere); err != nil {
		t.Fatalf("Config.Endpoint: %v", err)
	}
	_, err := Open(ctx, Config{Bucket: testBucket, Index: testIndex, Dimension: 16}, srv.AWSConfig())
	if err == nil || !strings.Contains(err.Error(), "quire-papers/main holds 8-dimensional vectors; the embedder makes 16") {
		t.Fatalf("dimension mismatch: %v", err)
	}
	_, err = Open(ctx, Config{Bucket: testBucket, Index: testIndex, Distance: Euclidean}, srv.AWSConfig())
	if err == nil || !strings.Contains(err.Error(), "cosine distance, not euclidean") {
		t.Fatalf("distance mismatch: %v", err)
	}
	_, err = Open(ctx, Config{Bucket: testBucket, Index: "absent"}, srv.AWSConfig())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "GetIndex on quire-papers/absent: NotFoundException") {
		t.Fatalf("missing index: %v", err)
	}
	if n := len(srv.Operations("GetIndex")); n != 7 {
		t.Fatalf("%d GetIndex calls; NotFound must not be retried", n)
	}
}

func TestBatchSizes(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 8})
	ctx := context.Background()
	its := items(rand.New(rand.NewPCG(1, 2)), 1234, 8)
	st, err := s.Put(ctx, its)
	if err != nil {
		t.Fatal(err)
	}
	if got := sizes(srv.Operations("PutVectors")); !slices.Equal(got, []int{500, 500, 234}) && !slices.Equal(sortedCopy(got), []int{234, 500, 500}) {
		t.Fatalf("PutVectors batches %v, want 500, 500, 234", got)
	}
	if st.Vectors != 1234 || st.Batches != 3 || srv.Len(testBucket, testIndex) != 1234 {
		t.Fatalf("stats %+v, server holds %d", st, srv.Len(testBucket, testIndex))
	}
	var listed []string
	if err := s.List(ctx, func(ids []string) error { listed = append(listed, ids...); return nil }); err != nil {
		t.Fatal(err)
	}
	if pages := len(srv.Operations("ListVectors")); len(listed) != 1234 || pages != 2 || !slices.Equal(sortedStrings(listed), ids(its)) {
		t.Fatalf("List gave %d IDs in %d pages", len(listed), pages)
	}
	got, err := s.Get(ctx, ids(its[:250]))
	if err != nil || len(got) != 250 {
		t.Fatalf("Get: %v, %d vectors", err, len(got))
	}
	if !slices.Equal(got["p00007"], its[7].Vec) {
		t.Fatalf("Get returned %v for p00007, stored %v", got["p00007"], its[7].Vec)
	}
	if g := sortedCopy(sizes(srv.Operations("GetVectors"))); !slices.Equal(g, []int{50, 100, 100}) {
		t.Fatalf("GetVectors calls %v, want 100, 100, 50", g)
	}
	if err := s.Delete(ctx, ids(its)); err != nil {
		t.Fatal(err)
	}
	if d := sizes(srv.Operations("DeleteVectors")); !slices.Equal(d, []int{500, 500, 234}) || srv.Len(testBucket, testIndex) != 0 {
		t.Fatalf("DeleteVectors calls %v, %d left", d, srv.Len(testBucket, testIndex))
	}
	for _, c := range srv.Operations("") {
		if c.Status != 200 {
			t.Fatalf("the server refused a call: %+v", c)
		}
	}
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sortedCopy(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestPayloadSplit(t *testing.T) {
	t.Parallel() // slow: 2 M floats through the SDK's JSON
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 4096, Distance: Euclidean})
	its := items(rand.New(rand.NewPCG(3, 4)), 500, 4096)
	st, err := s.Put(context.Background(), its)
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.Operations("PutVectors")
	if len(calls) < 2 || st.Vectors != 500 {
		t.Fatalf("500 vectors of 4,096 went in %d calls (%+v); 20 MiB holds fewer", len(calls), st)
	}
	for _, c := range calls {
		if c.Status != 200 || c.Bytes > MaxPayload { // the estimate is never short
			t.Fatalf("call %+v", c)
		}
	}
}

func TestPacing(t *testing.T) {
	t.Parallel()
	srv := s3vtest.New(t)
	const rate = 1000.0
	srv.SetThrottle(s3vtest.Throttle{RequestsPerSecond: 20, VectorsPerSecond: rate})
	s := create(t, srv, Config{Dimension: 4, RequestsPerSecond: 20, VectorsPerSecond: rate})
	its := items(rand.New(rand.NewPCG(5, 6)), 2500, 4)
	start := time.Now()
	st, err := s.Put(context.Background(), its)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var ok, refused int
	for _, c := range srv.Operations("PutVectors") {
		if c.Status == 200 {
			ok += c.Items
		} else {
			refused++
		}
	}
	// The client's bucket starts with at most a tenth of a second or one
	// batch (500); the rest goes at the rate.
	if minimum := time.Duration((2500 - 500) / rate * float64(time.Second)); elapsed < minimum {
		t.Fatalf("2,500 vectors at %v/s took %v, under %v", rate, elapsed, minimum)
	}
	if ok != 2500 || st.Throttled != refused || refused > 1 {
		t.Fatalf("server accepted %d vectors, refused %d calls; stats %+v", ok, refused, st)
	}
	t.Logf("2,500 vectors at %v vectors/s: %v, %d batches, %d throttled", rate, elapsed.Round(time.Millisecond), st.Batches, st.Throttled)

	// A client configured faster than the index allows is throttled and
	// still finishes, counting what it retried.
	srv.SetThrottle(s3vtest.Throttle{VectorsPerSecond: 600})
	fast := create(t, srv, Config{Dimension: 4, Index: "fast", VectorsPerSecond: 1e6, Retry: backoff.Policy{BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second}})
	srv.ResetCalls()
	st, err = fast.Put(context.Background(), items(rand.New(rand.NewPCG(7, 8)), 1200, 4))
	if err != nil {
		t.Fatal(err)
	}
	refused = 0
	for _, c := range srv.Operations("PutVectors") {
		if c.Status == 429 {
			refused++
		}
	}
	if st.Vectors != 1200 || st.Throttled != refused || refused == 0 {
		t.Fatalf("stats %+v, server refused %d", st, refused)
	}
	t.Logf("unpaced client against an index taking 600 vectors/s: %d throttled retries", st.Throttled)
}

func TestCancelDuringPacing(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 4, VectorsPerSecond: 100})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	st, err := s.Put(ctx, items(rand.New(rand.NewPCG(9, 10)), 2000, 4))
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Fatalf("Put returned %v after %v", err, time.Since(start))
	}
	if st.Vectors >= 2000 || st.Vectors != srv.Len(testBucket, testIndex) {
		t.Fatalf("stats say %d written, server holds %d", st.Vectors, srv.Len(testBucket, testIndex))
	}
}

func TestKeyHashing(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 4})
	ctx := context.Background()
	long := "doi:" + strings.Repeat("x", 1100)
	tricky := hashPrefix + "abc"
	exact := strings.Repeat("y", 1024)
	its := []Item{
		{Vec: []float32{1, 0, 0, 0}, Paper: &corpus.Paper{ID: long, Title: "Long"}},
		{Vec: []float32{0, 1, 0, 0}, Paper: &corpus.Paper{ID: tricky}},
		{Vec: []float32{0, 0, 1, 0}, Paper: &corpus.Paper{ID: exact}},
	}
	st, err := s.Put(ctx, its)
	if err != nil || st.HashedKeys != 2 {
		t.Fatalf("Put: %v, %+v", err, st)
	}
	keys := srv.Keys(testBucket, testIndex)
	if !slices.Contains(keys, exact) || len(keys) != 3 {
		t.Fatalf("keys %v", keys)
	}
	for _, k := range keys {
		if k != exact && (!strings.HasPrefix(k, hashPrefix) || srv.Metadata(testBucket, testIndex, k)["id"] == nil) {
			t.Fatalf("key %.40q... is not a hash with the ID kept", k)
		}
	}
	res, _, err := s.Query(ctx, []float32{1, 0.1, 0.01, 0}, 3, query.Query{})
	if err != nil || len(res) != 3 || res[0].ID != long || res[1].ID != tricky || res[2].ID != exact {
		t.Fatalf("Query: %v %v", err, res)
	}
	var listed []string
	if err := s.List(ctx, func(ids []string) error { listed = append(listed, ids...); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	if want := []string{long, tricky, exact}; !slices.Equal(listed, sortedStrings(want)) {
		t.Fatalf("List gave %d IDs", len(listed))
	}
	got, err := s.Get(ctx, []string{long, tricky, "absent"})
	if err != nil || len(got) != 2 || got[long][0] != 1 || got[tricky][1] != 1 {
		t.Fatalf("Get: %v %v", err, got)
	}
	if err := s.Delete(ctx, []string{long, tricky}); err != nil || srv.Len(testBucket, testIndex) != 1 {
		t.Fatalf("Delete: %v, %d left", err, srv.Len(testBucket, testIndex))
	}
}

func TestMetadataDropped(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 4})
	ctx := context.Background()
	var cats []string
	for i := range 300 {
		cats = append(cats, fmt.Sprintf("topic.%03d", i))
	}
	its := []Item{
		{Vec: []float32{1, 0, 0, 0}, Paper: &corpus.Paper{ID: "many-cats", Year: 2020, Categories: cats, Venue: "Nature"}},
		{Vec: []float32{0, 1, 0, 0}, Paper: &corpus.Paper{ID: "long-title", Year: 2020, Title: strings.Repeat("word ", 10000), Venue: "Nature"}},
		{Vec: []float32{0, 0, 1, 0}, Paper: &corpus.Paper{ID: "plain", Year: 2020, Categories: []string{"cs.CL"}, Venue: "Nature"}},
	}
	st, err := s.Put(ctx, its)
	if err != nil {
		t.Fatalf("Put failed where it must drop metadata: %v", err)
	}
	if st.DroppedVectors != 2 || st.Dropped["categories"] != 1 || st.Dropped["title"] != 1 || st.Warning() == "" {
		t.Fatalf("stats %+v", st)
	}
	m := srv.Metadata(testBucket, testIndex, "many-cats")
	if m["partial"] != true || m["categories"] != nil || m["venue"] != "Nature" || m["year"] != 2020.0 {
		t.Fatalf("many-cats stored %v", m)
	}
	if m := srv.Metadata(testBucket, testIndex, "long-title"); m["partial"] != nil || m["title"] != nil || m["venue"] != "Nature" {
		t.Fatalf("long-title stored %v", m)
	}
	// The paper that lost its categories still comes back for a category
	// filter, marked for the caller to check; the one that lost only its
	// title filters as any other.
	q, _ := query.Parse("category:cs.CL")
	res, tr, err := s.Query(ctx, []float32{1, 1, 1, 0}, 10, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"many-cats", "plain"}) || !slices.Equal(tr.Recheck, []string{"many-cats"}) {
		t.Fatalf("results %v, recheck %v", got, tr.Recheck)
	}
}

func TestErrorsAndRetries(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 2})
	ctx := context.Background()
	one := []Item{{Vec: []float32{1, 0}, Paper: &corpus.Paper{ID: "a"}}}

	srv.ResetCalls()
	srv.FailNext("PutVectors", 1, 403, "AccessDeniedException")
	_, err := s.Put(ctx, one)
	if !errors.Is(err, ErrAccessDenied) || len(srv.Operations("PutVectors")) != 1 ||
		!strings.Contains(err.Error(), "PutVectors on quire-papers/main: AccessDeniedException (HTTP 403)") {
		t.Fatalf("access denied: %v, %d calls", err, len(srv.Operations("PutVectors")))
	}
	srv.ResetCalls()
	srv.FailNext("PutVectors", 2, 503, "ServiceUnavailableException")
	srv.FailNext("PutVectors", 1, 500, "InternalServerException")
	srv.FailNext("PutVectors", 1, 429, "TooManyRequestsException")
	st, err := s.Put(ctx, one)
	if err != nil || st.Retries != 4 || st.Throttled != 1 || len(srv.Operations("PutVectors")) != 5 {
		t.Fatalf("transient faults: %v, %+v", err, st)
	}
	srv.ResetCalls()
	srv.FailNext("QueryVectors", 100, 503, "ServiceUnavailableException")
	_, _, err = s.Query(ctx, []float32{1, 0}, 5, query.Query{})
	if err == nil || !strings.Contains(err.Error(), "gave up after 8 retries") || len(srv.Operations("QueryVectors")) != 9 {
		t.Fatalf("persistent faults: %v, %d calls", err, len(srv.Operations("QueryVectors")))
	}
	srv.ClearFaults()
	if _, err := s.Put(ctx, []Item{{Vec: []float32{0, 0}, Paper: &corpus.Paper{ID: "zero"}}}); err == nil || !strings.Contains(err.Error(), `paper "zero": an all-zero vector`) {
		t.Fatalf("zero vector: %v", err)
	}
	if _, err := s.Put(ctx, []Item{{Vec: []float32{1, 2, 3}, Paper: &corpus.Paper{ID: "d3"}}}); err == nil || !strings.Contains(err.Error(), `paper "d3": the vector has 3 values; index quire-papers/main holds 2`) {
		t.Fatalf("dimension: %v", err)
	}
}

// bruteForce ranks vecs against q as the service's exact search would.
func bruteForce(metric string, q []float32, vecs map[string][]float32, k int) []fusion.Item {
	var out []fusion.Item
	for id, v := range vecs {
		out = append(out, fusion.Item{ID: id, Score: scoreOf(metric, distance(metric, q, v))})
	}
	slices.SortFunc(out, func(a, b fusion.Item) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) })
	return out[:min(k, len(out))]
}

func TestExactSearch(t *testing.T) {
	for _, metric := range []string{Cosine, Euclidean} {
		srv := s3vtest.New(t)
		s := create(t, srv, Config{Dimension: 16, Distance: metric})
		r := rand.New(rand.NewPCG(11, 12))
		its := items(r, 600, 16)
		if metric == Euclidean {
			for i := range its {
				for j := range its[i].Vec {
					its[i].Vec[j] *= float32(1 + r.Float64()) // not unit length
				}
			}
		}
		if _, err := s.Put(context.Background(), its); err != nil {
			t.Fatal(err)
		}
		vecs := map[string][]float32{}
		for _, it := range its {
			vecs[it.Paper.ID] = it.Vec
		}
		for range 5 {
			q := randVec(r, 16)
			got, tr, err := s.Query(context.Background(), q, 150, query.Query{})
			if err != nil || !tr.Exact || tr.Filter != nil {
				t.Fatalf("%v %+v", err, tr)
			}
			want := bruteForce(metric, q, vecs, 150)
			if len(got) != 150 {
				t.Fatalf("%s: %d results for k=150, want the top 150", metric, len(got))
			}
			for i := range want {
				if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-5 {
					t.Fatalf("%s: result %d is %+v, brute force says %+v", metric, i, got[i], want[i])
				}
			}
			local, err := s.Rank(context.Background(), q, ids(its[:300]), 20)
			wantLocal := bruteForce(metric, q, func() map[string][]float32 {
				m := map[string][]float32{}
				for _, it := range its[:300] {
					m[it.Paper.ID] = it.Vec
				}
				return m
			}(), 20)
			if err != nil || len(local) != 20 {
				t.Fatalf("Rank: %v, %d", err, len(local))
			}
			for i := range wantLocal {
				if local[i].ID != wantLocal[i].ID || local[i].Score != wantLocal[i].Score {
					t.Fatalf("Rank %d: %+v, want %+v", i, local[i], wantLocal[i])
				}
			}
		}
	}
}

// A query deeper than the service's topK fans out over shards (one call
// per part, each for its own top 100, and one for old vectors without a
// shard) and returns the exact top k; filters still apply to every part.
func TestDeepQuery(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 16})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	its := items(r, 900, 16)
	if _, err := s.Put(ctx, its[:700]); err != nil {
		t.Fatal(err)
	}
	// The last 200 as an index written before shards existed holds them.
	var old []types.PutInputVector
	for _, it := range its[700:] {
		old = append(old, types.PutInputVector{Key: aws.String(it.Paper.ID), Data: &types.VectorDataMemberFloat32{Value: it.Vec},
			Metadata: document.NewLazyDocument(map[string]any{metaYear: it.Paper.Year})})
	}
	if _, err := s.client.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex), Vectors: old}); err != nil {
		t.Fatal(err)
	}
	all, recent := map[string][]float32{}, map[string][]float32{}
	for _, it := range its {
		all[it.Paper.ID] = it.Vec
		if it.Paper.Year >= 2010 {
			recent[it.Paper.ID] = it.Vec
		}
	}
	yq, err := query.Parse("year:2010..2019")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q     query.Query
		vecs  map[string][]float32
		k     int
		calls int
	}{{query.Query{}, all, 300, 5}, {query.Query{}, all, 100, 1}, {yq, recent, 250, 5}} {
		before := len(srv.Operations("QueryVectors"))
		q := randVec(r, 16)
		got, _, err := s.Query(ctx, q, c.k, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(srv.Operations("QueryVectors")[before:]); n != c.calls {
			t.Errorf("k=%d: %d QueryVectors calls, want %d", c.k, n, c.calls)
		}
		want := bruteForce(Cosine, q, c.vecs, c.k)
		if len(got) != len(want) {
			t.Fatalf("k=%d: %d results, want %d", c.k, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("k=%d: result %d is %s, brute force says %s", c.k, i, got[i].ID, want[i].ID)
			}
		}
	}
}

// Once a deep query finds no vector without a shard, later ones skip
// that part: 4 calls for depth 300.
func TestDeepQuerySkipsLegacyPart(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 16})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	if _, err := s.Put(ctx, items(r, 500, 16)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{5, 4, 4} {
		before := len(srv.Operations("QueryVectors"))
		got, _, err := s.Query(ctx, randVec(r, 16), 300, query.Query{})
		if err != nil || len(got) != 300 {
			t.Fatalf("query %d: %d results, %v", i, len(got), err)
		}
		if n := len(srv.Operations("QueryVectors")[before:]); n != want {
			t.Errorf("query %d: %d QueryVectors calls, want %d", i, n, want)
		}
	}
}

// Passage vectors are stored under PassageID with their paper's
// filterable metadata, so a filter allows them as it allows the paper;
// IDs that would read as another paper's passage are refused.
func TestPassageVectors(t *testing.T) {
	for _, c := range []struct {
		paper string
		n     int
	}{{"p1", 0}, {"doi:10.1/a:b", 12}, {"", 3}} {
		p, n, ok := ParsePassage(PassageID(c.paper, c.n))
		if !ok || p != c.paper || n != c.n {
			t.Fatalf("ParsePassage(PassageID(%q, %d)) = %q, %d, %v", c.paper, c.n, p, n, ok)
		}
	}
	for _, id := range []string{"p1", "quire-passage:", "quire-passage:x:p1", "quire-passage:-1:p1", "quire-passage:3"} {
		if _, _, ok := ParsePassage(id); ok {
			t.Fatalf("ParsePassage(%q) read a passage", id)
		}
	}
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 4})
	ctx := context.Background()
	old := &corpus.Paper{ID: "old", Title: "Old", Year: 1990}
	young := &corpus.Paper{ID: "young", Title: "Young", Year: 2020}
	its := []Item{
		{Vec: []float32{0, 0, 0, 1}, Paper: old},
		{Vec: []float32{1, 0, 0, 0}, Paper: old, ID: PassageID("old", 0)},
		{Vec: []float32{0, 0, 1, 0}, Paper: young},
		{Vec: []float32{0.9, 0.1, 0, 0}, Paper: young, ID: PassageID("young", 0)},
	}
	if _, err := s.Put(ctx, its); err != nil {
		t.Fatal(err)
	}
	if m := srv.Metadata(testBucket, testIndex, PassageID("old", 0)); m["year"] != float64(1990) || m["title"] != nil {
		t.Fatalf("passage metadata %v", m)
	}
	q, err := query.Parse("year:2000..")
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := s.Query(ctx, []float32{1, 0, 0, 0}, 2, q)
	if err != nil || len(res) != 2 || res[0].ID != PassageID("young", 0) || res[1].ID != "young" {
		t.Fatalf("filtered query: %v %v", err, res)
	}
	for _, bad := range []Item{
		{Vec: []float32{1, 0, 0, 0}, Paper: &corpus.Paper{ID: PassageID("x", 1)}},
		{Vec: []float32{1, 0, 0, 0}, Paper: old, ID: PassageID("young", 1)},
		{Vec: []float32{1, 0, 0, 0}, Paper: old, ID: "old#1"},
	} {
		if _, err := s.Put(ctx, []Item{bad}); err == nil || !strings.Contains(err.Error(), "passage") {
			t.Fatalf("Put(%q of %q): %v, want a refusal naming passages", bad.ID, bad.Paper.ID, err)
		}
	}
	if err := s.Delete(ctx, []string{PassageID("old", 0)}); err != nil || srv.Len(testBucket, testIndex) != 3 {
		t.Fatalf("Delete: %v, %d left", err, srv.Len(testBucket, testIndex))
	}
}
