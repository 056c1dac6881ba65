// Package s3vtest is an in-process Amazon S3 Vectors for tests: an
// httptest server speaking the REST-JSON protocol the aws-sdk-go-v2
// s3vectors client serialises (POST /PutVectors, /QueryVectors, ...), with
// the service's documented limits and errors, so a client that exceeds a
// limit fails here the way it would in AWS.
//
// What it implements: vector buckets and indexes (create, get, delete),
// PutVectors, GetVectors, DeleteVectors, ListVectors and QueryVectors with
// exact (brute-force) cosine or euclidean search and the metadata filter
// language ($eq $ne $gt $gte $lt $lte $in $nin $exists $and $or; $eq on an
// array matches any element, as AWS documents). Limits (Limits) answer
// ValidationException (HTTP 400) with messages in AWS's style; a missing
// bucket or index NotFoundException (404); an existing one
// ConflictException (409); a write beyond the configured per-index rate
// TooManyRequestsException (429). Requests are not authenticated: the SDK
// signs with whatever static credentials the test gives it.
//
// Where AWS does not document a behaviour the fake chooses MongoDB's:
// $ne and $nin match vectors without the key, and $nin on an array matches
// when no element is listed. Metadata sizes are measured as the JSON
// encoding of each key and value, which is at least what AWS counts.
package s3vtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/quire-research/quire/config/awsconfig"
)

// The documented limits (Amazon S3 User Guide, "Limitations and
// restrictions" for S3 Vectors).
const (
	MaxPayload          = 20 << 20 // request body bytes
	MinDimension        = 1
	MaxDimension        = 4096
	MaxTopK             = 100
	MaxPutVectors       = 500
	MaxDeleteKeys       = 500
	MaxGetKeys          = 100
	MaxListResults      = 1000
	MaxKeyLength        = 1024 // characters
	MaxMetadataBytes    = 40 << 10
	MaxFilterableBytes  = 2 << 10
	MaxMetadataKeys     = 50
	MaxNonFilterableKey = 10 // non-filterable keys per index
)

// Throttle bounds the write requests (PutVectors and DeleteVectors
// combined) each index accepts: AWS allows 1,000 requests/s and 2,500
// vectors/s. Each is a token bucket holding one second's worth; zero
// leaves that side unlimited.
type Throttle struct {
	RequestsPerSecond float64
	VectorsPerSecond  float64
}

// Call is one request the server answered.
type Call struct {
	Op     string // "PutVectors", ...
	Index  string // "bucket/index", "" when none
	Items  int    // vectors or keys in the request
	Bytes  int    // body size
	Status int    // HTTP status answered
	At     time.Time
	// Invocation is the SDK's amz-sdk-invocation-id: the same for every
	// attempt of one operation, so a retried broken connection (see
	// AWSConfig) counts once.
	Invocation string
}

// Server is the fake service. Its methods are safe for concurrent use.
type Server struct {
	// URL is the endpoint to give the SDK as BaseEndpoint.
	URL string
	ts  *httptest.Server

	mu       sync.Mutex
	buckets  map[string]*bucket
	throttle Throttle
	latency  map[string]time.Duration // "" for every operation
	faults   []fault
	calls    []Call
	now      func() time.Time
}

type fault struct {
	op     string // "" matches any operation
	n      int
	status int
	code   string
}

type bucket struct {
	name    string
	created time.Time
	indexes map[string]*index
}

type index struct {
	bucket, name  string
	dim           int
	metric        string
	nonFilterable []string
	created       time.Time
	vectors       map[string]*record
	reqTokens     float64
	vecTokens     float64
	refilled      time.Time
}

type record struct {
	data []float32
	meta map[string]any
}

// New starts a server that stops when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{buckets: map[string]*bucket{}, latency: map[string]time.Duration{}, now: time.Now}
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	t.Cleanup(s.ts.Close)
	return s
}

// AWSConfig is a client configuration for this server: static fake
// credentials, region us-east-1, the server as BaseEndpoint and Quire's
// SDK retryer (config/awsconfig: one retry of a broken connection, no
// retry of throttling or faults, which the code under test handles).
//
// The retry matters here: a loopback server answers so fast that the
// SDK's known race (aws-sdk-go-v2#2737: the transport closes a connection
// whose response is still being read, "use of closed network connection")
// shows up about once in a few hundred calls.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer:      awsconfig.Retryer,
	}
}

// SetThrottle sets the per-index write limits (zero: unlimited, the
// default).
func (s *Server) SetThrottle(th Throttle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = th
	for _, b := range s.buckets {
		for _, ix := range b.indexes {
			ix.reqTokens, ix.vecTokens, ix.refilled = th.RequestsPerSecond, th.VectorsPerSecond, s.now()
		}
	}
}

// SetLatency makes every call of op ("" for all) take at least d, as a
// round trip to the region would.
func (s *Server) SetLatency(op string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[op] = d
}

// FailNext answers the next n calls of op ("" for any) with the HTTP
// status and error code given (e.g. 503 "ServiceUnavailableException",
// 403 "AccessDeniedException"), before looking at them.
func (s *Server) FailNext(op string, n, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{op: op, n: n, status: status, code: code})
}

// ClearFaults drops the faults FailNext set that have not fired yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Calls returns the calls answered so far, in order; op "" for all.
func (s *Server) Calls(op string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// Operations is Calls with one entry per SDK operation, its last
// attempt: the SDK retries a connection the transport broke
// (aws-sdk-go-v2#2737), and a test that counts requests must not count
// that attempt twice. Quire's own retries are new operations.
func (s *Server) Operations(op string) []Call {
	calls := s.Calls(op)
	last := map[string]int{}
	for i, c := range calls {
		if c.Invocation != "" {
			last[c.Invocation] = i
		}
	}
	var out []Call
	for i, c := range calls {
		if c.Invocation == "" || last[c.Invocation] == i {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the calls recorded so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Len is the number of vectors in an index (-1 when there is none).
func (s *Server) Len(bucketName, indexName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, _ := s.lookup(bucketName, indexName)
	if ix == nil {
		return -1
	}
	return len(ix.vectors)
}

// Metadata returns the stored metadata of one vector (nil when absent).
func (s *Server) Metadata(bucketName, indexName, key string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, _ := s.lookup(bucketName, indexName)
	if ix == nil || ix.vectors[key] == nil {
		return nil
	}
	return ix.vectors[key].meta
}

// Keys returns the sorted keys of an index.
func (s *Server) Keys(bucketName, indexName string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, _ := s.lookup(bucketName, indexName)
	if ix == nil {
		return nil
	}
	out := make([]string, 0, len(ix.vectors))
	for k := range ix.vectors {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// apiError is an answer in the service's error format.
type apiError struct {
	status int
	code   string
	msg    string
}

func validation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func constraint(path, rule string) *apiError {
	return validation("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", path, rule)
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, "/")
	body, readErr := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	call := Call{Op: op, Bytes: len(body), At: time.Now(), Invocation: r.Header.Get("amz-sdk-invocation-id")}

	s.mu.Lock()
	delay := max(s.latency[""], s.latency[op])
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		t.Stop()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var out any
	var aerr *apiError
	switch {
	case readErr != nil:
		aerr = validation("could not read the request body: %v", readErr)
	case len(body) > MaxPayload:
		aerr = validation("Request payload size exceeds the maximum allowed size of %d bytes", MaxPayload)
	case r.Method != http.MethodPost:
		aerr = &apiError{http.StatusMethodNotAllowed, "ValidationException", "method not allowed: " + r.Method}
	default:
		if aerr = s.takeFault(op); aerr == nil {
			out, aerr = s.dispatch(op, body, &call)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amz-request-id", strconv.Itoa(len(s.calls)+1))
	if aerr != nil {
		call.Status = aerr.status
		w.Header().Set("X-Amzn-ErrorType", aerr.code)
		w.WriteHeader(aerr.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": aerr.msg})
	} else {
		call.Status = http.StatusOK
		if out == nil {
			out = struct{}{}
		}
		b, err := json.Marshal(out)
		if err != nil {
			b = []byte(`{}`)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	}
	s.calls = append(s.calls, call)
}

func (s *Server) takeFault(op string) *apiError {
	for i := range s.faults {
		f := &s.faults[i]
		if f.n > 0 && (f.op == "" || f.op == op) {
			f.n--
			return &apiError{f.status, f.code, "injected fault"}
		}
	}
	return nil
}

// request is the union of the request bodies the fake reads.
type request struct {
	VectorBucketName string   `json:"vectorBucketName"`
	VectorBucketArn  string   `json:"vectorBucketArn"`
	IndexName        string   `json:"indexName"`
	IndexArn         string   `json:"indexArn"`
	DataType         string   `json:"dataType"`
	Dimension        *int     `json:"dimension"`
	DistanceMetric   string   `json:"distanceMetric"`
	Keys             []string `json:"keys"`
	ReturnData       bool     `json:"returnData"`
	ReturnMetadata   bool     `json:"returnMetadata"`
	ReturnDistance   bool     `json:"returnDistance"`
	TopK             *int     `json:"topK"`
	QueryVector      *struct {
		Float32 []float64 `json:"float32"`
	} `json:"queryVector"`
	Filter                json.RawMessage `json:"filter"`
	MaxResults            *int            `json:"maxResults"`
	NextToken             string          `json:"nextToken"`
	MetadataConfiguration *struct {
		NonFilterableMetadataKeys []string `json:"nonFilterableMetadataKeys"`
	} `json:"metadataConfiguration"`
	Vectors []struct {
		Key  *string `json:"key"`
		Data *struct {
			Float32 []float64 `json:"float32"`
		} `json:"data"`
		Metadata json.RawMessage `json:"metadata"`
	} `json:"vectors"`
}

var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	indexName  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	indexArn   = regexp.MustCompile(`^arn:aws[a-z-]*:s3vectors:[^:]*:[0-9]*:bucket/([^/]+)/index/([^/]+)$`)
	bucketArn  = regexp.MustCompile(`^arn:aws[a-z-]*:s3vectors:[^:]*:[0-9]*:bucket/([^/]+)$`)
)

func arnOf(b, ix string) string {
	if ix == "" {
		return "arn:aws:s3vectors:us-east-1:123456789012:bucket/" + b
	}
	return "arn:aws:s3vectors:us-east-1:123456789012:bucket/" + b + "/index/" + ix
}

func (s *Server) dispatch(op string, body []byte, call *Call) (any, *apiError) {
	var req request
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, validation("the request body is not valid JSON for %s: %v", op, err)
		}
	}
	switch op {
	case "CreateVectorBucket":
		return s.createBucket(req)
	case "GetVectorBucket":
		b, aerr := s.bucketOf(req)
		if aerr != nil {
			return nil, aerr
		}
		return map[string]any{"vectorBucket": map[string]any{
			"vectorBucketName": b.name, "vectorBucketArn": arnOf(b.name, ""), "creationTime": epoch(b.created)}}, nil
	case "DeleteVectorBucket":
		b, aerr := s.bucketOf(req)
		if aerr != nil {
			return nil, aerr
		}
		if len(b.indexes) > 0 {
			return nil, conflict("The vector bucket %s is not empty", b.name)
		}
		delete(s.buckets, b.name)
		return nil, nil
	case "CreateIndex":
		return s.createIndex(req)
	}
	ix, aerr := s.indexOf(req)
	if aerr != nil {
		return nil, aerr
	}
	call.Index = ix.bucket + "/" + ix.name
	switch op {
	case "GetIndex":
		return map[string]any{"index": s.describe(ix)}, nil
	case "DeleteIndex":
		delete(s.buckets[ix.bucket].indexes, ix.name)
		return nil, nil
	case "PutVectors":
		call.Items = len(req.Vectors)
		return s.putVectors(ix, req)
	case "DeleteVectors":
		call.Items = len(req.Keys)
		return s.deleteVectors(ix, req)
	case "GetVectors":
		call.Items = len(req.Keys)
		return s.getVectors(ix, req)
	case "ListVectors":
		return s.listVectors(ix, req)
	case "QueryVectors":
		return s.queryVectors(ix, req)
	}
	return nil, &apiError{http.StatusNotFound, "UnknownOperationException", "unknown operation " + op}
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (s *Server) createBucket(req request) (any, *apiError) {
	if !bucketName.MatchString(req.VectorBucketName) {
		return nil, constraint("vectorBucketName", "Member must be 3-63 lowercase letters, numbers and hyphens")
	}
	if s.buckets[req.VectorBucketName] != nil {
		return nil, conflict("The vector bucket %s already exists", req.VectorBucketName)
	}
	s.buckets[req.VectorBucketName] = &bucket{name: req.VectorBucketName, created: s.now(), indexes: map[string]*index{}}
	return map[string]any{"vectorBucketArn": arnOf(req.VectorBucketName, "")}, nil
}

func (s *Server) bucketOf(req request) (*bucket, *apiError) {
	name := req.VectorBucketName
	if m := bucketArn.FindStringSubmatch(req.VectorBucketArn); m != nil {
		name = m[1]
	}
	if name == "" {
		return nil, validation("Either vectorBucketName or vectorBucketArn must be specified")
	}
	b := s.buckets[name]
	if b == nil {
		return nil, notFound("The specified vector bucket could not be found: %s", name)
	}
	return b, nil
}

func (s *Server) lookup(b, ix string) (*index, *apiError) {
	bk := s.buckets[b]
	if bk == nil {
		return nil, notFound("The specified vector bucket could not be found: %s", b)
	}
	x := bk.indexes[ix]
	if x == nil {
		return nil, notFound("The specified index could not be found: %s", ix)
	}
	return x, nil
}

func (s *Server) indexOf(req request) (*index, *apiError) {
	if req.IndexArn != "" {
		m := indexArn.FindStringSubmatch(req.IndexArn)
		if m == nil {
			return nil, constraint("indexArn", "Member must be a vector index ARN")
		}
		return s.lookup(m[1], m[2])
	}
	if req.VectorBucketName == "" || req.IndexName == "" {
		return nil, validation("Either indexArn or both vectorBucketName and indexName must be specified")
	}
	return s.lookup(req.VectorBucketName, req.IndexName)
}

func (s *Server) createIndex(req request) (any, *apiError) {
	b, aerr := s.bucketOf(req)
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case !indexName.MatchString(req.IndexName):
		return nil, constraint("indexName", "Member must be 3-63 lowercase letters, numbers, hyphens and dots")
	case req.Dimension == nil || *req.Dimension < MinDimension:
		return nil, constraint("dimension", fmt.Sprintf("Member must have value greater than or equal to %d", MinDimension))
	case *req.Dimension > MaxDimension:
		return nil, constraint("dimension", fmt.Sprintf("Member must have value less than or equal to %d", MaxDimension))
	case req.DataType != "float32":
		return nil, constraint("dataType", "Member must satisfy enum value set: [float32]")
	case req.DistanceMetric != "cosine" && req.DistanceMetric != "euclidean":
		return nil, constraint("distanceMetric", "Member must satisfy enum value set: [euclidean, cosine]")
	}
	var nf []string
	if req.MetadataConfiguration != nil {
		nf = req.MetadataConfiguration.NonFilterableMetadataKeys
		if len(nf) < 1 || len(nf) > MaxNonFilterableKey {
			return nil, constraint("metadataConfiguration.nonFilterableMetadataKeys",
				fmt.Sprintf("Member must have length between 1 and %d", MaxNonFilterableKey))
		}
	}
	if b.indexes[req.IndexName] != nil {
		return nil, conflict("An index with the name %s already exists in vector bucket %s", req.IndexName, b.name)
	}
	b.indexes[req.IndexName] = &index{
		bucket: b.name, name: req.IndexName, dim: *req.Dimension, metric: req.DistanceMetric,
		nonFilterable: slices.Clone(nf), created: s.now(), vectors: map[string]*record{},
		reqTokens: s.throttle.RequestsPerSecond, vecTokens: s.throttle.VectorsPerSecond, refilled: s.now(),
	}
	return map[string]any{"indexArn": arnOf(b.name, req.IndexName)}, nil
}

func (s *Server) describe(ix *index) map[string]any {
	d := map[string]any{
		"vectorBucketName": ix.bucket, "indexName": ix.name, "indexArn": arnOf(ix.bucket, ix.name),
		"creationTime": epoch(ix.created), "dataType": "float32", "dimension": ix.dim, "distanceMetric": ix.metric,
	}
	if len(ix.nonFilterable) > 0 {
		d["metadataConfiguration"] = map[string]any{"nonFilterableMetadataKeys": ix.nonFilterable}
	}
	return d
}

// admitWrite takes one request and n vectors from the index's buckets,
// or answers TooManyRequestsException.
func (s *Server) admitWrite(ix *index, n int) *apiError {
	th := s.throttle
	now := s.now()
	dt := now.Sub(ix.refilled).Seconds()
	ix.refilled = now
	if th.RequestsPerSecond > 0 {
		ix.reqTokens = min(th.RequestsPerSecond, ix.reqTokens+dt*th.RequestsPerSecond)
	}
	if th.VectorsPerSecond > 0 {
		ix.vecTokens = min(th.VectorsPerSecond, ix.vecTokens+dt*th.VectorsPerSecond)
	}
	if th.RequestsPerSecond > 0 && ix.reqTokens < 1 || th.VectorsPerSecond > 0 && ix.vecTokens < float64(n) {
		return &apiError{http.StatusTooManyRequests, "TooManyRequestsException",
			"Rate exceeded: the write rate for the vector index " + ix.name + " exceeds its limit"}
	}
	if th.RequestsPerSecond > 0 {
		ix.reqTokens--
	}
	if th.VectorsPerSecond > 0 {
		ix.vecTokens -= float64(n)
	}
	return nil
}

// lengthIn checks a list's length as the service words it.
func lengthIn(path string, n, lo, hi int) *apiError {
	switch {
	case n < lo:
		return constraint(path, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case n > hi:
		return constraint(path, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
	return nil
}

func checkKey(path, k string) *apiError {
	if n := utf8.RuneCountInString(k); n < 1 || n > MaxKeyLength {
		return constraint(path, fmt.Sprintf("Member must have length between 1 and %d", MaxKeyLength))
	}
	return nil
}

func checkVector(path string, v []float64, dim int, metric string) *apiError {
	if len(v) != dim {
		return validation("Invalid vector at '%s': vector dimension %d does not match index dimension %d", path, len(v), dim)
	}
	zero := true
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32 {
			return validation("Invalid vector at '%s': vector data must contain only finite float32 values", path)
		}
		zero = zero && x == 0
	}
	if zero && metric == "cosine" {
		return validation("Invalid vector at '%s': zero vectors are not allowed with the cosine distance metric", path)
	}
	return nil
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func (s *Server) putVectors(ix *index, req request) (any, *apiError) {
	if aerr := lengthIn("vectors", len(req.Vectors), 1, MaxPutVectors); aerr != nil {
		return nil, aerr
	}
	recs := make(map[string]*record, len(req.Vectors))
	for i, v := range req.Vectors {
		path := fmt.Sprintf("vectors.%d", i)
		if v.Key == nil {
			return nil, constraint(path+".key", "Member must not be null")
		}
		if aerr := checkKey(path+".key", *v.Key); aerr != nil {
			return nil, aerr
		}
		if v.Data == nil {
			return nil, constraint(path+".data", "Member must not be null")
		}
		if aerr := checkVector(path+".data", v.Data.Float32, ix.dim, ix.metric); aerr != nil {
			return nil, aerr
		}
		meta, aerr := checkMetadata(path+".metadata", v.Metadata, ix.nonFilterable)
		if aerr != nil {
			return nil, aerr
		}
		recs[*v.Key] = &record{data: toF32(v.Data.Float32), meta: meta}
	}
	if aerr := s.admitWrite(ix, len(req.Vectors)); aerr != nil {
		return nil, aerr
	}
	for k, r := range recs {
		ix.vectors[k] = r
	}
	return nil, nil
}

// checkMetadata validates one vector's metadata: an object of strings,
// numbers, booleans and lists of them, within the size and key limits.
func checkMetadata(path string, raw json.RawMessage, nonFilterable []string) (map[string]any, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var meta map[string]any
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, validation("Invalid metadata at '%s': metadata must be a JSON object", path)
	}
	if len(meta) > MaxMetadataKeys {
		return nil, validation("Invalid metadata at '%s': %d metadata keys exceed the limit of %d", path, len(meta), MaxMetadataKeys)
	}
	total, filterable := 0, 0
	for k, v := range meta {
		switch x := v.(type) {
		case string, float64, bool:
		case []any:
			if len(x) == 0 {
				return nil, validation("Invalid metadata at '%s.%s': lists must not be empty", path, k)
			}
			for _, e := range x {
				switch e.(type) {
				case string, float64, bool:
				default:
					return nil, validation("Invalid metadata at '%s.%s': list elements must be strings, numbers or booleans", path, k)
				}
			}
		default:
			return nil, validation("Invalid metadata at '%s.%s': metadata values must be strings, numbers, booleans or lists", path, k)
		}
		n := EntrySize(k, v)
		total += n
		if !slices.Contains(nonFilterable, k) {
			filterable += n
		}
	}
	if filterable > MaxFilterableBytes {
		return nil, validation("Invalid metadata at '%s': filterable metadata is %d bytes, exceeding the limit of %d bytes", path, filterable, MaxFilterableBytes)
	}
	if total > MaxMetadataBytes {
		return nil, validation("Invalid metadata at '%s': metadata is %d bytes, exceeding the limit of %d bytes", path, total, MaxMetadataBytes)
	}
	return meta, nil
}

// EntrySize is how many bytes one metadata entry counts for: its key and
// its value as JSON.
func EntrySize(key string, value any) int {
	b, _ := json.Marshal(value)
	return len(key) + len(b)
}

func checkKeys(req request, limit int) *apiError {
	if aerr := lengthIn("keys", len(req.Keys), 1, limit); aerr != nil {
		return aerr
	}
	for i, k := range req.Keys {
		if aerr := checkKey(fmt.Sprintf("keys.%d", i), k); aerr != nil {
			return aerr
		}
	}
	return nil
}

func (s *Server) deleteVectors(ix *index, req request) (any, *apiError) {
	if aerr := checkKeys(req, MaxDeleteKeys); aerr != nil {
		return nil, aerr
	}
	if aerr := s.admitWrite(ix, len(req.Keys)); aerr != nil {
		return nil, aerr
	}
	for _, k := range req.Keys {
		delete(ix.vectors, k)
	}
	return nil, nil
}

func (s *Server) output(key string, r *record, data, meta bool) map[string]any {
	o := map[string]any{"key": key}
	if data {
		o["data"] = map[string]any{"float32": r.data}
	}
	if meta && r.meta != nil {
		o["metadata"] = r.meta
	}
	return o
}

func (s *Server) getVectors(ix *index, req request) (any, *apiError) {
	if aerr := checkKeys(req, MaxGetKeys); aerr != nil {
		return nil, aerr
	}
	out := []map[string]any{}
	for _, k := range req.Keys {
		if r := ix.vectors[k]; r != nil {
			out = append(out, s.output(k, r, req.ReturnData, req.ReturnMetadata))
		}
	}
	return map[string]any{"vectors": out}, nil
}

func (s *Server) listVectors(ix *index, req request) (any, *apiError) {
	limit := 500
	if req.MaxResults != nil {
		if *req.MaxResults < 1 || *req.MaxResults > MaxListResults {
			return nil, constraint("maxResults", fmt.Sprintf("Member must have value between 1 and %d", MaxListResults))
		}
		limit = *req.MaxResults
	}
	keys := make([]string, 0, len(ix.vectors))
	for k := range ix.vectors {
		if k > req.NextToken {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := map[string]any{}
	if len(keys) > limit {
		keys = keys[:limit]
		out["nextToken"] = keys[limit-1]
	}
	vs := []map[string]any{}
	for _, k := range keys {
		vs = append(vs, s.output(k, ix.vectors[k], req.ReturnData, req.ReturnMetadata))
	}
	out["vectors"] = vs
	return out, nil
}

func (s *Server) queryVectors(ix *index, req request) (any, *apiError) {
	switch {
	case req.TopK == nil:
		return nil, constraint("topK", "Member must not be null")
	case *req.TopK < 1:
		return nil, constraint("topK", "Member must have value greater than or equal to 1")
	case *req.TopK > MaxTopK:
		return nil, constraint("topK", fmt.Sprintf("Member must have value less than or equal to %d", MaxTopK))
	case req.QueryVector == nil:
		return nil, constraint("queryVector", "Member must not be null")
	}
	if aerr := checkVector("queryVector", req.QueryVector.Float32, ix.dim, ix.metric); aerr != nil {
		return nil, aerr
	}
	var f *Filter
	if len(req.Filter) > 0 && string(req.Filter) != "null" {
		var err error
		if f, err = ParseFilter(req.Filter, ix.nonFilterable); err != nil {
			return nil, validation("Invalid query filter: %v", err)
		}
	}
	q := toF32(req.QueryVector.Float32)
	type hit struct {
		key  string
		dist float64
	}
	var hits []hit
	for k, r := range ix.vectors {
		if f != nil && !f.Match(r.meta) {
			continue
		}
		hits = append(hits, hit{k, Distance(ix.metric, q, r.data)})
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.key, b.key)) })
	hits = hits[:min(len(hits), *req.TopK)]
	out := []map[string]any{}
	for _, h := range hits {
		o := s.output(h.key, ix.vectors[h.key], false, req.ReturnMetadata)
		if req.ReturnDistance {
			o["distance"] = float32(h.dist)
		}
		out = append(out, o)
	}
	return map[string]any{"distanceMetric": ix.metric, "vectors": out}, nil
}

// Distance is the service's distance between two vectors: 1 − cosine
// similarity for "cosine", the L2 distance for "euclidean".
func Distance(metric string, a, b []float32) float64 {
	var dot, na, nb, sq float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		sq += (x - y) * (x - y)
	}
	if metric == "euclidean" {
		return math.Sqrt(sq)
	}
	if na == 0 || nb == 0 {
		return 1
	}
	return 1 - dot/math.Sqrt(na*nb)
}
