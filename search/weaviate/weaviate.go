// Package weaviate is Quire's engine on a Weaviate cluster: the same
// search.Engine as the embedded index, for corpora that outgrow one machine
// or that a team shares.
//
// Papers live in one collection (Options.Collection, schema in schema.go)
// with deterministic object IDs (UUIDv5 of the paper ID), so every upsert
// is idempotent. A second collection, the collection's name with "Meta"
// appended, holds the ingest checkpoints and the local embedder's model,
// so a second client with an empty home directory finds both. A third,
// the name with "Passage" appended, holds the passages of full texts
// (passages.go). Writes go
// through gRPC batches; searches through gRPC, facets through GraphQL
// aggregations over the same filter (facets.go).
//
// Search modes: bm25 and vector run through Quire's planner (search/hybrid)
// over Weaviate's BM25 and nearVector halves (halves.go); hybrid runs either
// the same planner ("planner") or Weaviate's own hybrid search with
// relativeScoreFusion ("native"), chosen by Options.Hybrid.
package weaviate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/auth"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
)

// Options say which cluster and collection to use and how.
type Options struct {
	URL         string // http://127.0.0.1:8080
	GRPC        string // host:port of the gRPC API; "" = URL's host with port 50051
	APIKey      string // never logged or printed
	Collection  string // default "QuirePaper"
	Replication int    // replication factor for a new collection; 0 = 1
	Consistency string // "ONE", "QUORUM" (default) or "ALL"
	// Embedder is a remote or pretrained embedder; nil with LocalEmbedder.
	Embedder embed.Embedder
	// LocalEmbedder uses the corpus-taught local model, stored in the
	// cluster (SyncVectors trains it when there is none).
	LocalEmbedder bool
	// Mode is the default search mode (hybrid when vectors exist).
	Mode string
	// Adaptive probes the vector half against BM25 after SyncVectors and,
	// where vectors are the stronger half, fuses with a vector weight of
	// at least 0.6 (calibrate.go; the embedded engine's [search] adaptive).
	Adaptive bool
	// Hybrid is "native" (Weaviate's hybrid, relativeScoreFusion) or
	// "planner" (Quire's planner over Weaviate's BM25 and nearVector
	// halves); "" is DefaultHybrid.
	Hybrid string
	// MustExist opens an existing collection only: a reader given a
	// mistyped name gets a MissingError, not a new empty collection.
	MustExist bool
}

// Hybrid implementations.
const (
	HybridNative  = "native"
	HybridPlanner = "planner"
	// DefaultHybrid is the planner, by measurement (TestHybridQuality,
	// one node, local embedder, adaptive): nDCG@10 planner / native on
	// SciFact 0.7277 / 0.7125, Cranfield 0.4184 / 0.4125, CISI 0.4955 /
	// 0.4942, MED 0.8435 / 0.8321, and Recall@100 higher on all four. The
	// native one answers 1.3 to 2.7 times faster (one round trip fewer).
	DefaultHybrid = HybridPlanner
)

// DefaultCollection is the papers' collection when Options name none.
const DefaultCollection = "QuirePaper"

// DefaultVectorWeight is the vector half's weight in hybrid fusion, the
// embedded engine's default (Weaviate's alpha).
const DefaultVectorWeight = 0.4

// Engine is a search.Engine on a Weaviate collection. It is safe for
// concurrent use.
type Engine struct {
	o      Options
	client *wv.Client
	meta   string // the meta collection: checkpoints and the model
	// passages is the passages' collection (passages.go).
	passages string

	mu  sync.RWMutex
	emb embed.Embedder // the embedder in use; nil until a local model exists
	cal *calibration   // the probe's verdict, nil when none was made
	// backfill: papers written before the passages' collection existed
	// may lack passages; SyncVectors writes them.
	backfill bool
	// hasPassages: the collection holds passages (anyPassages), as
	// counted at checkedPassages or seen written.
	hasPassages     bool
	checkedPassages time.Time
}

var (
	_ search.Engine       = (*Engine)(nil)
	_ search.OriginReader = (*Engine)(nil)
)

// Open connects to the cluster and creates the collections when absent.
func Open(ctx context.Context, o Options) (*Engine, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	client, err := newClient(ctx, o)
	if err != nil {
		return nil, err
	}
	e := &Engine{o: o, client: client, meta: o.Collection + "Meta", passages: o.Collection + "Passage", emb: o.Embedder}
	if err := e.ensureSchema(ctx); err != nil {
		return nil, err
	}
	if o.LocalEmbedder && o.Embedder == nil {
		m, err := e.loadModel(ctx)
		if err != nil {
			return nil, err
		}
		if m != nil {
			e.emb = m
		}
	}
	if e.cal, err = e.loadCalibration(ctx); err != nil {
		return nil, err
	}
	if err := e.loadPassagesMarker(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.URL == "" {
		return o, errors.New("weaviate: no URL (set [engine] url, e.g. http://127.0.0.1:8080)")
	}
	if o.Collection == "" {
		o.Collection = DefaultCollection
	}
	if !validName(o.Collection) {
		return o, fmt.Errorf("weaviate: collection %q: a name starts with a capital letter and holds only letters, digits and _", o.Collection)
	}
	if o.Replication <= 0 {
		o.Replication = 1
	}
	o.Consistency = strings.ToUpper(o.Consistency)
	switch o.Consistency {
	case "":
		o.Consistency = "QUORUM"
	case "ONE", "QUORUM", "ALL":
	default:
		return o, fmt.Errorf("weaviate: consistency %q: use ONE, QUORUM or ALL", o.Consistency)
	}
	switch o.Hybrid {
	case "":
		o.Hybrid = DefaultHybrid
	case HybridNative, HybridPlanner:
	default:
		return o, fmt.Errorf("weaviate: hybrid %q: use native or planner", o.Hybrid)
	}
	switch o.Mode {
	case "", search.ModeBM25, search.ModeVector, search.ModeHybrid:
	default:
		return o, fmt.Errorf("weaviate: unknown search mode %q (use hybrid, bm25 or vector)", o.Mode)
	}
	return o, nil
}

// validName is Weaviate's rule for collection names.
func validName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// newClient makes the client. The API key goes into the client's
// configuration only; errors name the URL, never the key.
func newClient(ctx context.Context, o Options) (*wv.Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("weaviate: url %q: want http://host:port or https://host:port", o.URL)
	}
	g := o.GRPC
	if g == "" {
		g = net.JoinHostPort(u.Hostname(), "50051")
	}
	if err := ready(ctx, u); err != nil {
		return nil, fmt.Errorf("weaviate at %s is not answering (is the cluster running? see [engine] url): %w", o.URL, err)
	}
	cfg := wv.Config{
		Host:           u.Host,
		Scheme:         u.Scheme,
		GrpcConfig:     &grpc.Config{Host: g, Secured: u.Scheme == "https"},
		StartupTimeout: 5 * time.Second,
		Timeout:        60 * time.Second,
	}
	if o.APIKey != "" {
		cfg.AuthConfig = auth.ApiKey{Value: o.APIKey}
	}
	c, err := wv.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("weaviate at %s (gRPC %s): %w", o.URL, g, redact(err, o.APIKey))
	}
	return c, nil
}

// readyWait is how long Open waits for a cluster's readiness endpoint.
// The client's own wait logs a line a second through the standard logger
// (over the app's screen) and ends in an error blaming startupTimeout, so
// Open asks first and fails with the cause.
const readyWait = 3 * time.Second

// ready asks the node at u whether it is ready, retrying for readyWait:
// a node that was just started answers within it.
func ready(ctx context.Context, u *url.URL) error {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	probe := u.JoinPath("/v1/.well-known/ready").String()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, probe, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s answered %s", probe, resp.Status)
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				var ue *url.Error
				if errors.As(err, &ue) {
					err = ue.Err // the URL is in the caller's message
				}
				return err
			}
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// redact removes the API key from an error's text, should a library ever
// echo it.
func redact(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[redacted]"))
}

// Close releases nothing the cluster holds: the client has no open
// sessions.
func (e *Engine) Close() error { return nil }

// embedder is the embedder in use, nil when none exists yet.
func (e *Engine) embedder() embed.Embedder {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.emb
}
