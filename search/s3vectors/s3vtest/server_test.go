package s3vtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"github.com/aws/smithy-go"
)

func setup(t *testing.T, dim int, metric string) (*Server, *s3vectors.Client) {
	t.Helper()
	srv := New(t)
	c := s3vectors.NewFromConfig(srv.AWSConfig())
	ctx := context.Background()
	if _, err := c.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateIndex(ctx, &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String("bkt"), IndexName: aws.String("idx"), DataType: types.DataTypeFloat32,
		Dimension: aws.Int32(int32(dim)), DistanceMetric: types.DistanceMetric(metric),
		MetadataConfiguration: &types.MetadataConfiguration{NonFilterableMetadataKeys: []string{"title"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func vec(dim int, seed float32) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = seed + float32(i)*0.001
	}
	return v
}

func put(key string, v []float32, meta map[string]any) types.PutInputVector {
	p := types.PutInputVector{Key: aws.String(key), Data: &types.VectorDataMemberFloat32{Value: v}}
	if meta != nil {
		p.Metadata = document.NewLazyDocument(meta)
	}
	return p
}

// wantCode checks err is the service exception code with a message
// containing want.
func wantCode(t *testing.T, err error, code, want string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), want) {
		t.Fatalf("got %s %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, want)
	}
}

func TestLimits(t *testing.T) {
	srv, c := setup(t, 4, "cosine")
	ctx := context.Background()
	ix := func() (*string, *string) { return aws.String("bkt"), aws.String("idx") }
	putN := func(vs []types.PutInputVector) error {
		b, i := ix()
		_, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: b, IndexName: i, Vectors: vs})
		return err
	}
	many := func(n int) []types.PutInputVector {
		var vs []types.PutInputVector
		for i := range n {
			vs = append(vs, put(fmt.Sprint("k", i), vec(4, 1), nil))
		}
		return vs
	}
	keys := func(n int) []string {
		var ks []string
		for i := range n {
			ks = append(ks, fmt.Sprint("k", i))
		}
		return ks
	}
	if err := putN(many(500)); err != nil {
		t.Fatalf("500 vectors: %v", err)
	}
	wantCode(t, putN(many(501)), "ValidationException", "less than or equal to 500")
	wantCode(t, putN([]types.PutInputVector{}), "ValidationException", "greater than or equal to 1")
	wantCode(t, putN([]types.PutInputVector{put(strings.Repeat("x", 1025), vec(4, 1), nil)}), "ValidationException", "between 1 and 1024")
	if err := putN([]types.PutInputVector{put(strings.Repeat("é", 1024), vec(4, 1), nil)}); err != nil {
		t.Fatalf("a 1,024-character key: %v", err)
	}
	wantCode(t, putN([]types.PutInputVector{put("d", vec(5, 1), nil)}), "ValidationException", "dimension 5 does not match index dimension 4")
	wantCode(t, putN([]types.PutInputVector{put("z", make([]float32, 4), nil)}), "ValidationException", "zero vectors")
	big := map[string]any{"a": strings.Repeat("x", 2100)}
	wantCode(t, putN([]types.PutInputVector{put("m", vec(4, 1), big)}), "ValidationException", "filterable metadata")
	if err := putN([]types.PutInputVector{put("m", vec(4, 1), map[string]any{"title": strings.Repeat("x", 30000)})}); err != nil {
		t.Fatalf("30 KB of non-filterable metadata: %v", err)
	}
	wantCode(t, putN([]types.PutInputVector{put("m", vec(4, 1), map[string]any{"title": strings.Repeat("x", 41000)})}), "ValidationException", "exceeding the limit of 40960")
	keys51 := map[string]any{}
	for i := range 51 {
		keys51[fmt.Sprint("k", i)] = 1
	}
	wantCode(t, putN([]types.PutInputVector{put("m", vec(4, 1), keys51)}), "ValidationException", "51 metadata keys")
	wantCode(t, putN([]types.PutInputVector{put("m", vec(4, 1), map[string]any{"o": map[string]any{"x": 1}})}), "ValidationException", "metadata values must be")

	b, i := ix()
	_, err := c.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: b, IndexName: i, Keys: keys(101)})
	wantCode(t, err, "ValidationException", "less than or equal to 100")
	out, err := c.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: b, IndexName: i, Keys: keys(100), ReturnData: true})
	if err != nil || len(out.Vectors) != 100 {
		t.Fatalf("GetVectors of 100: %v, %d vectors", err, len(out.Vectors))
	}
	_, err = c.ListVectors(ctx, &s3vectors.ListVectorsInput{VectorBucketName: b, IndexName: i, MaxResults: aws.Int32(1001)})
	wantCode(t, err, "ValidationException", "between 1 and 1000")
	pages, listed := 0, 0
	for p := s3vectors.NewListVectorsPaginator(c, &s3vectors.ListVectorsInput{VectorBucketName: b, IndexName: i, MaxResults: aws.Int32(200)}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed += len(out.Vectors)
	}
	if pages != 3 || listed != 502 {
		t.Fatalf("ListVectors listed %d in %d pages, want 502 in 3", listed, pages)
	}
	_, err = c.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{VectorBucketName: b, IndexName: i, Keys: keys(501)})
	wantCode(t, err, "ValidationException", "less than or equal to 500")

	query := func(k int32, f any) error {
		in := &s3vectors.QueryVectorsInput{VectorBucketName: b, IndexName: i, TopK: aws.Int32(k), QueryVector: &types.VectorDataMemberFloat32{Value: vec(4, 1)}}
		if f != nil {
			in.Filter = document.NewLazyDocument(f)
		}
		_, err := c.QueryVectors(ctx, in)
		return err
	}
	if err := query(100, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, query(101, nil), "ValidationException", "less than or equal to 100")
	wantCode(t, query(0, nil), "ValidationException", "greater than or equal to 1")
	wantCode(t, query(5, map[string]any{"title": "x"}), "ValidationException", "non-filterable")
	wantCode(t, query(5, map[string]any{"a": map[string]any{"$regex": "x"}}), "ValidationException", "unsupported operator $regex")
	wantCode(t, query(5, map[string]any{"a": map[string]any{"$gt": "x"}}), "ValidationException", "takes a number")
	wantCode(t, query(5, map[string]any{"$and": []any{}}), "ValidationException", "non-empty array")

	for _, dim := range []int32{0, 4097} {
		_, err = c.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: b, IndexName: aws.String("other"),
			DataType: types.DataTypeFloat32, Dimension: aws.Int32(dim), DistanceMetric: types.DistanceMetricCosine})
		wantCode(t, err, "ValidationException", "dimension")
	}
	_, err = c.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: b, IndexName: i,
		DataType: types.DataTypeFloat32, Dimension: aws.Int32(4), DistanceMetric: types.DistanceMetricCosine})
	wantCode(t, err, "ConflictException", "already exists")
	_, err = c.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: b, IndexName: aws.String("nope")})
	wantCode(t, err, "NotFoundException", "nope")
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("the SDK did not decode %T as NotFoundException", err)
	}
	_, err = c.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String("nobucket"), IndexName: i})
	wantCode(t, err, "NotFoundException", "nobucket")
	if got := srv.Len("bkt", "idx"); got != 502 {
		t.Fatalf("the index holds %d vectors, want 502 (rejected requests must write nothing)", got)
	}
}

func TestPayloadLimit(t *testing.T) {
	_, c := setup(t, 4096, "euclidean")
	var vs []types.PutInputVector
	for i := range 500 {
		v := make([]float32, 4096)
		for j := range v {
			v[j] = 0.12345678 + float32(j)*1e-7
		}
		vs = append(vs, put(fmt.Sprint("k", i), v, nil))
	}
	_, err := c.PutVectors(context.Background(), &s3vectors.PutVectorsInput{VectorBucketName: aws.String("bkt"), IndexName: aws.String("idx"), Vectors: vs})
	wantCode(t, err, "ValidationException", "payload size exceeds")
}

func TestThrottleAndFaults(t *testing.T) {
	srv, c := setup(t, 2, "cosine")
	srv.SetThrottle(Throttle{RequestsPerSecond: 3, VectorsPerSecond: 1000})
	ctx := context.Background()
	in := &s3vectors.PutVectorsInput{VectorBucketName: aws.String("bkt"), IndexName: aws.String("idx"),
		Vectors: []types.PutInputVector{put("a", []float32{1, 2}, nil)}}
	var throttled int
	for range 6 {
		if _, err := c.PutVectors(ctx, in); err != nil {
			var tm *types.TooManyRequestsException
			if !errors.As(err, &tm) {
				t.Fatalf("got %v, want TooManyRequestsException", err)
			}
			throttled++
		}
	}
	if throttled != 3 {
		t.Fatalf("%d of 6 immediate writes throttled at 3 requests/s, want 3", throttled)
	}
	srv.SetThrottle(Throttle{})
	srv.FailNext("GetIndex", 2, 503, "ServiceUnavailableException")
	for i := range 3 {
		_, err := c.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String("bkt"), IndexName: aws.String("idx")})
		if (i < 2) != (err != nil) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := len(srv.Calls("GetIndex")); n != 3 {
		t.Fatalf("%d GetIndex calls recorded, want 3", n)
	}
}

func TestFilterSemantics(t *testing.T) {
	meta := map[string]any{"year": 2019.0, "cats": []any{"cs.cl", "cs.lg"}, "venue": "Nature", "flag": true}
	cases := []struct {
		filter string
		want   bool
	}{
		{`{"venue": "Nature"}`, true},
		{`{"venue": {"$eq": "nature"}}`, false},
		{`{"cats": {"$eq": "cs.lg"}}`, true}, // any element, as AWS documents
		{`{"cats": "cs.cv"}`, false},
		{`{"cats": {"$ne": "cs.lg"}}`, false},
		{`{"cats": {"$ne": "cs.cv"}}`, true},
		{`{"cats": {"$in": ["cs.cv", "cs.cl"]}}`, true},
		{`{"cats": {"$nin": ["cs.cv", "cs.cl"]}}`, false},
		{`{"cats": {"$nin": ["cs.cv"]}}`, true},
		{`{"missing": {"$nin": ["x"]}}`, true},
		{`{"missing": {"$ne": "x"}}`, true},
		{`{"missing": {"$eq": "x"}}`, false},
		{`{"missing": {"$exists": false}}`, true},
		{`{"year": {"$exists": true}}`, true},
		{`{"year": {"$gte": 2019, "$lt": 2020}}`, true},
		{`{"year": {"$gt": 2019}}`, false},
		{`{"year": {"$lte": 2018}}`, false},
		{`{"year": 2019}`, true},
		{`{"flag": true, "venue": "Nature"}`, true},
		{`{"$and": [{"year": {"$gte": 2010}}, {"venue": "Science"}]}`, false},
		{`{"$or": [{"year": {"$gte": 2030}}, {"venue": "Nature"}]}`, true},
		{`{"$or": [{"year": {"$gte": 2030}}, {"$and": [{"venue": "Nature"}, {"cats": "cs.cv"}]}]}`, false},
		{`{"venue": {"$gt": 1}}`, false},
	}
	for _, c := range cases {
		f, err := ParseFilter([]byte(c.filter), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		if got := f.Match(meta); got != c.want {
			t.Errorf("%s matched %v, want %v", c.filter, got, c.want)
		}
	}
}

func TestSearchIsExact(t *testing.T) {
	for _, metric := range []string{"cosine", "euclidean"} {
		srv, c := setup(t, 3, metric)
		ctx := context.Background()
		var vs []types.PutInputVector
		pts := [][]float32{{1, 0, 0}, {0, 1, 0}, {0.9, 0.1, 0}, {2, 0, 0}, {0, 0, 1}}
		for i, p := range pts {
			vs = append(vs, put(fmt.Sprint("p", i), p, map[string]any{"i": float64(i)}))
		}
		if _, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String("bkt"), IndexName: aws.String("idx"), Vectors: vs}); err != nil {
			t.Fatal(err)
		}
		out, err := c.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String("bkt"), IndexName: aws.String("idx"),
			TopK: aws.Int32(3), QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1, 0, 0}}, ReturnDistance: true, ReturnMetadata: true,
			Filter: document.NewLazyDocument(map[string]any{"i": map[string]any{"$ne": 0}})})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range out.Vectors {
			got = append(got, fmt.Sprintf("%s:%.3f", *v.Key, *v.Distance))
		}
		want := map[string]string{
			"cosine":    "[p3:0.000 p2:0.006 p1:1.000]",
			"euclidean": "[p2:0.141 p3:1.000 p1:1.414]",
		}[metric]
		if fmt.Sprint(got) != want || out.DistanceMetric != types.DistanceMetric(metric) {
			t.Errorf("%s: %v (%s), want %s", metric, got, out.DistanceMetric, want)
		}
		_ = srv
	}
}
