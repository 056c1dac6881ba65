package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/quire-research/quire/config/suggest"
)

// Vector halves accepted by Vectors.Kind.
const (
	VectorsEmbedded  = "embedded"  // beside the BM25 index, in its folder
	VectorsS3Vectors = "s3vectors" // an Amazon S3 Vectors index
)

// VectorKinds lists the vector halves in the order help and errors name them.
var VectorKinds = []string{VectorsEmbedded, VectorsS3Vectors}

// Distance metrics of an S3 Vectors index.
var VectorDistances = []string{"cosine", "euclidean"}

// Vectors chooses where the embedded engine keeps its vectors. The zero
// value is the default: in the index folder. Credentials come from the
// AWS SDK's usual chain, never from here.
type Vectors struct {
	// Kind is "embedded" (default) or "s3vectors".
	Kind string `toml:"kind" env:"VECTORS_KIND"`
	// Bucket and Index name the S3 vector bucket and the index in it.
	Bucket string `toml:"bucket" env:"VECTORS_BUCKET"`
	Index  string `toml:"index" env:"VECTORS_INDEX"`
	// Region is the bucket's AWS region; empty uses the SDK's.
	Region string `toml:"region" env:"VECTORS_REGION"`
	// Distance is the metric of an index Quire creates: "cosine"
	// (default) or "euclidean".
	Distance string `toml:"distance" env:"VECTORS_DISTANCE"`
	// Endpoint replaces the service endpoint (a VPC endpoint, a test
	// server).
	Endpoint string `toml:"endpoint" env:"VECTORS_ENDPOINT"`
	// GetBelow: a filtered search allowing at most this many papers
	// fetches their vectors and scores them locally instead of a filtered
	// top-100 query; 0 is the engine's default (1000).
	GetBelow int `toml:"get_below" env:"VECTORS_GET_BELOW"`
}

// KindOrDefault is Kind, "embedded" when unset.
func (v Vectors) KindOrDefault() string {
	if v.Kind == "" {
		return VectorsEmbedded
	}
	return v.Kind
}

// DistanceOrDefault is Distance, "cosine" when unset.
func (v Vectors) DistanceOrDefault() string {
	if v.Distance == "" {
		return "cosine"
	}
	return v.Distance
}

// S3 Vectors' naming rules: 3–63 characters; lower-case letters, digits
// and hyphens (and dots in index names), starting and ending with a
// letter or digit.
var (
	vectorBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	vectorIndexName  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// vectorsProblems checks the [vectors] table; names are checked whatever
// the kind, so a typo shows before the day it is used.
func (c Config) vectorsProblems() []*Error {
	var errs []*Error
	add := func(key string, err error) { errs = append(errs, &Error{Key: key, Err: err}) }
	v := c.Vectors
	kind := v.KindOrDefault()
	if err := oneOf("vector store", kind, VectorKinds); err != nil {
		add("vectors.kind", err)
	}
	s3 := kind == VectorsS3Vectors
	if s3 && c.Engine.Kind != "" && c.Engine.Kind != EngineEmbedded {
		add("vectors.kind", fmt.Errorf("s3vectors is the vector half of the embedded engine; engine.kind is %s, which keeps its own vectors", c.Engine.Kind))
	}
	switch {
	case v.Bucket == "" && s3:
		add("vectors.bucket", errors.New("empty: the s3vectors store needs a vector bucket name"))
	case v.Bucket != "" && !vectorBucketName.MatchString(v.Bucket):
		add("vectors.bucket", fmt.Errorf("%q is not a vector bucket name (3-63 lower-case letters, digits and hyphens)", v.Bucket))
	}
	switch {
	case v.Index == "" && s3:
		add("vectors.index", errors.New("empty: the s3vectors store needs an index name, e.g. \"quire\""))
	case v.Index != "" && !vectorIndexName.MatchString(v.Index):
		add("vectors.index", fmt.Errorf("%q is not a vector index name (3-63 lower-case letters, digits, hyphens and dots)", v.Index))
	}
	if v.Region != "" && !awsRegion.MatchString(v.Region) {
		add("vectors.region", fmt.Errorf("%q is not an AWS region such as us-east-1", v.Region))
	}
	if err := oneOf("distance metric", v.DistanceOrDefault(), VectorDistances); err != nil {
		add("vectors.distance", err)
	}
	if err := checkEndpoint(v.Endpoint); err != nil {
		add("vectors.endpoint", err)
	}
	if !intIn(v.GetBelow, 0, 100_000) {
		add("vectors.get_below", fmt.Errorf("%d is outside 0..100000", v.GetBelow))
	}
	return errs
}

// oneOf accepts one of choices and suggests one for a typo.
func oneOf(what, s string, choices []string) error {
	if slices.Contains(choices, s) {
		return nil
	}
	for _, k := range choices {
		if suggest.Distance(strings.ToLower(s), k) <= 2 {
			return fmt.Errorf("%q is not a %s: did you mean %s?", s, what, k)
		}
	}
	return fmt.Errorf("%q is not a %s (use %s)", s, what, strings.Join(choices, " or "))
}
