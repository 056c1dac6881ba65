package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/quire-research/quire/config/suggest"
)

// Engine kinds accepted by Engine.Kind and --engine.
const (
	EngineEmbedded  = "embedded"   // the index directory on this machine
	EngineWeaviate  = "weaviate"   // a Weaviate cluster
	EngineBedrockKB = "bedrock-kb" // an Amazon Bedrock knowledge base, read-only
)

// EngineKinds lists the engines in the order help and errors name them.
var EngineKinds = []string{EngineEmbedded, EngineWeaviate, EngineBedrockKB}

// Consistency levels of a Weaviate cluster.
var Consistencies = []string{"ONE", "QUORUM", "ALL"}

// Hybrid implementations on Weaviate: its own hybrid search, or Quire's
// planner over its BM25 and near-vector halves. Empty is the engine's
// measured default.
const (
	HybridNative  = "native"
	HybridPlanner = "planner"
)

// Engine chooses where papers are kept and searched. The API key is never
// stored here: APIKeyEnv names the variable that holds it.
type Engine struct {
	// Kind is "embedded" (the index directory) or "weaviate" (a cluster).
	Kind string `toml:"kind" env:"ENGINE"`
	// URL is the cluster's HTTP address, e.g. http://127.0.0.1:8080.
	URL string `toml:"url" env:"ENGINE_URL"`
	// GRPC is the cluster's gRPC address, host:port or a port on the URL's
	// host; empty means the URL's host with port 50051.
	GRPC string `toml:"grpc" env:"ENGINE_GRPC"`
	// APIKeyEnv is the environment variable holding the API key; empty
	// for a cluster open to anonymous access.
	APIKeyEnv string `toml:"api_key_env" env:"ENGINE_API_KEY_ENV"`
	// Collection holds the papers (a second one, its name plus "Meta",
	// holds checkpoints and the local embedder's model; a third, its name
	// plus "Passage", the passages of full texts).
	Collection string `toml:"collection" env:"ENGINE_COLLECTION"`
	// Replication is the replication factor of a collection Quire creates.
	Replication int `toml:"replication" env:"ENGINE_REPLICATION"`
	// Consistency is the level of every read and write: ONE, QUORUM, ALL.
	Consistency string `toml:"consistency" env:"ENGINE_CONSISTENCY"`
	// Hybrid is "native" or "planner"; empty is the engine's default.
	Hybrid string `toml:"hybrid" env:"ENGINE_HYBRID"`
	// KnowledgeBaseID is the Bedrock knowledge base the bedrock-kb engine
	// retrieves from (ten letters and digits).
	KnowledgeBaseID string `toml:"knowledge_base_id" env:"ENGINE_KNOWLEDGE_BASE_ID"`
	// Region is the knowledge base's AWS region; empty uses the SDK's
	// (AWS_REGION, the profile), then us-east-1.
	Region string `toml:"region" env:"ENGINE_REGION"`
	// Endpoint replaces the bedrock-agent-runtime endpoint (a VPC
	// endpoint, a test server).
	Endpoint string `toml:"endpoint" env:"ENGINE_ENDPOINT"`
	// Metadata names, for each paper field (MetadataFields), the
	// knowledge base metadata key that holds it; unnamed fields use the
	// field's own name.
	Metadata map[string]string `toml:"metadata"`
}

// MetadataFields are the paper fields [engine.metadata] can map.
var MetadataFields = []string{"id", "title", "year", "authors", "venue", "fields", "categories", "source", "doi", "url"}

// GRPCAddr is GRPC as host:port: a bare port takes the URL's host, and
// empty stays empty (the engine's default).
func (e Engine) GRPCAddr() string {
	if _, err := strconv.Atoi(e.GRPC); err != nil || e.GRPC == "" {
		return e.GRPC
	}
	host := "localhost"
	if u, err := url.Parse(e.URL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return net.JoinHostPort(host, e.GRPC)
}

// engineProblems checks the [engine] table. The cluster's settings are
// checked whatever the kind, so a mistake shows before the day it is used.
func (c Config) engineProblems() []*Error {
	var errs []*Error
	check := func(ok bool, key, format string, args ...any) {
		if !ok {
			errs = append(errs, &Error{Key: key, Err: fmt.Errorf(format, args...)})
		}
	}
	en := c.Engine
	if err := CheckEngineKind(en.Kind); err != nil {
		errs = append(errs, &Error{Key: "engine.kind", Err: err})
	}
	if err := checkEndpoint(en.URL); err != nil || en.URL == "" && en.Kind == EngineWeaviate {
		if err == nil {
			err = errors.New("empty: the weaviate engine needs the cluster's address, e.g. http://127.0.0.1:8080")
		}
		errs = append(errs, &Error{Key: "engine.url", Err: err})
	}
	check(validGRPC(en.GRPC), "engine.grpc", "%q is not host:port or a port such as 50051", en.GRPC)
	// The value is not repeated: a key pasted here by mistake must not be
	// printed.
	check(en.APIKeyEnv == "" || envVarName.MatchString(en.APIKeyEnv), "engine.api_key_env",
		"not a variable name (letters, digits and _): put the key in an environment variable and name the variable here")
	check(collectionName.MatchString(en.Collection), "engine.collection",
		"%q is not a collection name (a capital letter, then letters, digits and _)", en.Collection)
	check(intIn(en.Replication, 1, 64), "engine.replication", "%d is outside 1..64", en.Replication)
	check(slices.Contains(Consistencies, strings.ToUpper(en.Consistency)), "engine.consistency",
		"%q is not ONE, QUORUM or ALL", en.Consistency)
	check(en.Hybrid == "" || en.Hybrid == HybridNative || en.Hybrid == HybridPlanner, "engine.hybrid",
		"%q is not native or planner", en.Hybrid)
	return append(errs, en.bedrockProblems()...)
}

var (
	envVarName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	collectionName = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)
)

func validGRPC(s string) bool {
	if s == "" {
		return true
	}
	if p, err := strconv.Atoi(s); err == nil {
		return p > 0 && p < 65536
	}
	host, port, err := net.SplitHostPort(s)
	p, perr := strconv.Atoi(port)
	return err == nil && host != "" && perr == nil && p > 0 && p < 65536
}

// CheckEngineKind accepts a known engine and suggests one for a typo.
func CheckEngineKind(kind string) error {
	if slices.Contains(EngineKinds, kind) {
		return nil
	}
	msg := fmt.Sprintf("%q is not an engine (use %s)", kind, strings.Join(EngineKinds, ", "))
	for _, k := range EngineKinds {
		if suggest.Distance(strings.ToLower(kind), k) <= 2 {
			msg = fmt.Sprintf("%q is not an engine: did you mean %s?", kind, k)
			break
		}
	}
	return errors.New(msg)
}

// engineFlag is --engine: one engine, or for the commands that compare
// engines (eval, bench) a comma-separated list. The first names Kind; the
// whole list is kept in Config.Engines.
type engineFlag struct{ c *Config }

func (f engineFlag) String() string {
	if f.c == nil {
		return ""
	}
	if len(f.c.Engines) > 0 {
		return strings.Join(f.c.Engines, ",")
	}
	return f.c.Engine.Kind
}

func (f engineFlag) Set(s string) error {
	var list []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if err := CheckEngineKind(k); err != nil {
			return err
		}
		if !slices.Contains(list, k) {
			list = append(list, k)
		}
	}
	f.c.Engine.Kind, f.c.Engines = list[0], list
	return nil
}
