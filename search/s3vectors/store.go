package s3vectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quire-research/quire/search/backoff"
)

// The service's documented limits that shape the client's calls.
const (
	MaxDimension   = 4096
	MaxTopK        = 100
	MaxPutBatch    = 500
	MaxDeleteBatch = 500
	MaxGetBatch    = 100
	MaxKeyBytes    = 1024
	// MaxPayload is the request size the client stays under: the service
	// takes 20 MiB; the margin covers the SDK's encoding of what the
	// client estimated.
	MaxPayload = 18 << 20

	MaxMetadataBytes   = 40 << 10
	MaxFilterableBytes = 2 << 10
	MaxMetadataKeys    = 50

	// DefaultRequestsPerSecond and DefaultVectorsPerSecond are the
	// per-index write limits (PutVectors and DeleteVectors combined).
	DefaultRequestsPerSecond = 1000
	DefaultVectorsPerSecond  = 2500
)

// Distance metrics.
const (
	Cosine    = "cosine"
	Euclidean = "euclidean"
)

// Config names the index and how to reach it.
type Config struct {
	// Bucket and Index name the vector bucket and the index in it.
	Bucket, Index string
	// Region and Endpoint, when set, override the AWS configuration's
	// (Endpoint: a VPC endpoint or a test server).
	Region, Endpoint string
	// Distance is "cosine" (default) or "euclidean"; Create uses it, Open
	// checks the index has it when set.
	Distance string
	// Dimension is the embedder's; Create uses it, Open checks it when set.
	Dimension int

	// RequestsPerSecond and VectorsPerSecond pace writes (zero: the
	// service's limits, DefaultRequestsPerSecond and
	// DefaultVectorsPerSecond). Lower them when other writers share the
	// index.
	RequestsPerSecond, VectorsPerSecond float64
	// GetParallel bounds the GetVectors calls in flight (default 4).
	GetParallel int
	// Retry is the backoff on throttling and server faults; zero fields
	// take defaults suited to batch writes (8 retries, 200ms..10s).
	Retry backoff.Policy
	// Progress, when set, is called after each PutVectors call with the
	// totals so far (from several goroutines, one at a time).
	Progress func(PutStats)
}

// The metadata keys the store writes. Filterable keys hold what Quire's
// filters test, folded as the filters compare them; non-filterable keys
// (declared when the index is created) hold what only comes back.
const (
	metaYear       = "year"        // number
	metaFields     = "fields"      // lower-cased broad fields
	metaCategories = "categories"  // lower-cased category codes
	metaVenue      = "venue"       // as written
	metaVenueWords = "venue_words" // lower-cased words of the venue
	metaSource     = "source"      // lower-cased
	metaPartial    = "partial"     // true when filterable entries were dropped
	metaTitle      = "title"       // non-filterable
	metaID         = "id"          // non-filterable: the paper ID behind a hashed key
	metaShard      = "shard"       // number: a stable hash of the ID modulo Shards
)

// Shards is how many parts the "shard" metadata splits an index into. A
// query deeper than MaxTopK asks several parts at once, each for its own
// top 100 (Query), so the planner's depth-300 vector half is exact on
// S3 Vectors too.
const Shards = 16

// MaxDepth is the deepest Query goes: 11 parts of at most 100.
const MaxDepth = 1000

// shardOf is id's shard: FNV-1a, so it never changes between versions.
func shardOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % Shards)
}

// nonFilterable are the keys Create declares non-filterable.
func nonFilterable() []string { return []string{metaTitle, metaID} }

// Store is one S3 Vectors index. Its methods are safe for concurrent use.
type Store struct {
	cfg    Config
	client *s3vectors.Client
	dim    int
	metric string
	pace   *pacer
	retry  backoff.Policy
	// noLegacy is set once a deep query found no vector without a shard
	// (written before shards existed, or by another program): from then
	// on deep queries skip the part that asks for those.
	noLegacy atomic.Bool
}

func (c Config) withDefaults() Config {
	if c.Distance == "" {
		c.Distance = Cosine
	}
	if c.RequestsPerSecond <= 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if c.VectorsPerSecond <= 0 {
		c.VectorsPerSecond = DefaultVectorsPerSecond
	}
	if c.GetParallel <= 0 {
		c.GetParallel = 4
	}
	if c.Retry.Retries == 0 {
		c.Retry.Retries = 8
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = 200 * time.Millisecond
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = 10 * time.Second
	}
	if c.Retry.MaxRetryAfter == 0 {
		c.Retry.MaxRetryAfter = -1
	}
	return c
}

func (c Config) check() error {
	switch {
	case c.Bucket == "":
		return errors.New("s3vectors: no vector bucket named (set [vectors] bucket)")
	case c.Index == "":
		return errors.New("s3vectors: no index named (set [vectors] index)")
	case c.Distance != Cosine && c.Distance != Euclidean:
		return fmt.Errorf("s3vectors: distance %q is not %q or %q", c.Distance, Cosine, Euclidean)
	case c.Dimension < 0 || c.Dimension > MaxDimension:
		return fmt.Errorf("s3vectors: dimension %d is outside 1..%d, what S3 Vectors supports", c.Dimension, MaxDimension)
	}
	return nil
}

func newStore(cfg Config, awsCfg aws.Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	client := s3vectors.NewFromConfig(awsCfg, func(o *s3vectors.Options) {
		if cfg.Region != "" {
			o.Region = cfg.Region
		}
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	batch := min(float64(MaxPutBatch), cfg.VectorsPerSecond)
	return &Store{
		cfg: cfg, client: client, metric: cfg.Distance,
		pace:  newPacer(cfg.RequestsPerSecond, cfg.VectorsPerSecond, max(1, int(batch))),
		retry: cfg.Retry,
	}, nil
}

// Open opens an existing index, checking that it exists and, when cfg
// names them, that its dimension and distance metric are cfg's.
func Open(ctx context.Context, cfg Config, awsCfg aws.Config) (*Store, error) {
	s, err := newStore(cfg, awsCfg)
	if err != nil {
		return nil, err
	}
	var out *s3vectors.GetIndexOutput
	err = s.call(ctx, "GetIndex", func(ctx context.Context) (err error) {
		out, err = s.client.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: &s.cfg.Bucket, IndexName: &s.cfg.Index})
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w (create it with quire init --vectors s3vectors)", err)
	}
	if err != nil {
		return nil, err
	}
	ix := out.Index
	dim := int(aws.ToInt32(ix.Dimension))
	metric := string(ix.DistanceMetric)
	where := s.cfg.Bucket + "/" + s.cfg.Index
	if cfg.Dimension != 0 && dim != cfg.Dimension {
		return nil, fmt.Errorf("s3vectors: index %s holds %d-dimensional vectors; the embedder makes %d (use another index, or the embedder it was built with)", where, dim, cfg.Dimension)
	}
	if cfg.Distance != "" && metric != cfg.Distance {
		return nil, fmt.Errorf("s3vectors: index %s uses the %s distance, not %s as configured", where, metric, cfg.Distance)
	}
	var nf []string
	if ix.MetadataConfiguration != nil {
		nf = ix.MetadataConfiguration.NonFilterableMetadataKeys
	}
	for _, k := range nonFilterable() {
		if !slices.Contains(nf, k) {
			return nil, fmt.Errorf("s3vectors: index %s does not declare %q non-filterable metadata, so titles would count against the 2 KB filterable limit (create the index with quire init --vectors s3vectors)", where, k)
		}
	}
	s.dim, s.metric = dim, metric
	return s, nil
}

// Create makes the vector bucket and the index when they are missing,
// with cfg's dimension and distance and the non-filterable keys the store
// writes, then opens the index. It is idempotent: an index that exists is
// opened (and checked) as Open does.
func Create(ctx context.Context, cfg Config, awsCfg aws.Config) (*Store, error) {
	s, err := newStore(cfg, awsCfg)
	if err != nil {
		return nil, err
	}
	if cfg.Dimension == 0 {
		return nil, fmt.Errorf("s3vectors: creating index %s/%s needs the embedder's dimension", cfg.Bucket, cfg.Index)
	}
	err = s.call(ctx, "CreateVectorBucket", func(ctx context.Context) error {
		_, err := s.client.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: &s.cfg.Bucket})
		return err
	})
	if err != nil && !errors.Is(err, ErrConflict) {
		return nil, err
	}
	err = s.call(ctx, "CreateIndex", func(ctx context.Context) error {
		_, err := s.client.CreateIndex(ctx, &s3vectors.CreateIndexInput{
			VectorBucketName:      &s.cfg.Bucket,
			IndexName:             &s.cfg.Index,
			DataType:              types.DataTypeFloat32,
			Dimension:             aws.Int32(int32(cfg.Dimension)),
			DistanceMetric:        types.DistanceMetric(s.cfg.Distance),
			MetadataConfiguration: &types.MetadataConfiguration{NonFilterableMetadataKeys: nonFilterable()},
		})
		return err
	})
	if err != nil && !errors.Is(err, ErrConflict) {
		return nil, err
	}
	return Open(ctx, cfg, awsCfg)
}

// Close releases nothing today: the SDK client holds no resources beyond
// idle connections. It is there so callers treat the store as a resource.
func (s *Store) Close() error { return nil }

// Dimension is the index's vector dimension.
func (s *Store) Dimension() int { return s.dim }

// Distance is the index's distance metric.
func (s *Store) Distance() string { return s.metric }

// Sentinels that errors of the store match with errors.Is.
var (
	ErrNotFound     = errors.New("s3vectors: not found")
	ErrAccessDenied = errors.New("s3vectors: access denied")
	ErrConflict     = errors.New("s3vectors: already exists")
	ErrThrottled    = errors.New("s3vectors: throttled")
)

// Error is a failed call, naming the operation, bucket and index.
type Error struct {
	Op, Bucket, Index string
	// Code is the service's exception name ("TooManyRequestsException"),
	// "" when the call failed before an answer.
	Code    string
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "s3vectors: %s on %s/%s", e.Op, e.Bucket, e.Index)
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, ": %s (HTTP %d)", e.Code, e.Status)
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	case e.Status != 0:
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	default:
		b.WriteString(": " + e.Err.Error())
	}
	switch e.Code {
	case "AccessDeniedException":
		b.WriteString(" (check the IAM policy allows s3vectors:" + e.Op + " on the bucket)")
	case "NotFoundException":
		b.WriteString(" (check the bucket, index and region)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinels by the service's code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == "NotFoundException"
	case ErrAccessDenied:
		return e.Code == "AccessDeniedException" || e.Status == http.StatusForbidden
	case ErrConflict:
		return e.Code == "ConflictException"
	case ErrThrottled:
		return e.throttled()
	}
	return false
}

func (e *Error) throttled() bool {
	return e.Code == "TooManyRequestsException" || e.Status == http.StatusTooManyRequests
}

// Transient says throttling, timeouts and server faults may pass; access,
// validation and missing resources never do.
func (e *Error) Transient() (bool, time.Duration, string) {
	switch e.Code {
	case "TooManyRequestsException", "ServiceUnavailableException", "InternalServerException", "RequestTimeoutException":
		return true, 0, e.Code
	case "":
		switch e.Status {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true, 0, fmt.Sprintf("HTTP %d", e.Status)
		}
		// A connection closed under a response (aws-sdk-go-v2#2737): every
		// operation the store sends is idempotent, so sending it again is
		// safe.
		if msg := e.Err.Error(); strings.Contains(msg, "use of closed network connection") || strings.Contains(msg, "connection reset") {
			return true, 0, "connection closed"
		}
		return false, 0, ""
	}
	if e.Status >= 500 {
		return true, 0, e.Code
	}
	return false, 0, ""
}

// wrap turns an SDK error into an *Error.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Bucket: s.cfg.Bucket, Index: s.cfg.Index, Err: err}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	return e
}

// call runs one operation with the store's backoff; the returned error
// names the operation. Context errors come back as they are.
func (s *Store) call(ctx context.Context, op string, fn func(context.Context) error) error {
	return s.callCounting(ctx, op, nil, fn)
}

// callCounting is call, counting throttled retries in *throttled.
func (s *Store) callCounting(ctx context.Context, op string, throttled *int, fn func(context.Context) error) error {
	r := s.retry.Start()
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = s.wrap(op, err)
		if throttled != nil && errors.Is(err, ErrThrottled) {
			*throttled++
		}
		if err = r.Wait(ctx, err); err != nil {
			return err
		}
	}
}
