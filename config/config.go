// Package config holds Quire's settings: one Config read once at start and
// passed down, so nothing below main reads files, flags or the environment.
//
// Settings come from four layers, each overriding the one before:
//
//  1. Default()
//  2. the TOML file: $XDG_CONFIG_HOME/quire/config.toml
//     (~/.config/quire/config.toml), or the file named by --config or
//     QUIRE_CONFIG
//  3. QUIRE_* environment variables (see default.toml for the names)
//  4. command-line flags bound with BindFlags and friends
//
// A typical main:
//
//	env := os.Getenv
//	cfg, err := config.Load(config.ConfigPathFromArgs(os.Args[1:], env), env)
//	if err != nil { ... }
//	fs := flag.NewFlagSet("quire", flag.ContinueOnError)
//	cfg.BindFlags(fs)
//	if err := fs.Parse(os.Args[1:]); err != nil { ... }
//	if err := cfg.Validate(); err != nil { ... }
//
// The configuration holds no secrets: S3 credentials and API keys come from
// their SDKs' own chains (environment, shared files, instance roles), so a
// Config is safe to print or log.
package config

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// Theme names accepted by Config.Theme.
const (
	ThemeAuto         = "auto" // follow the terminal background
	ThemeDark         = "dark"
	ThemeLight        = "light"
	ThemeHighContrast = "high-contrast"
)

// Search modes.
const (
	ModeBM25   = "bm25"
	ModeVector = "vector"
	ModeHybrid = "hybrid"
)

// Fusion methods for hybrid search.
const (
	FusionRRF    = "rrf"    // reciprocal rank fusion
	FusionConvex = "convex" // weighted sum of normalised scores
)

// Config is every setting Quire reads at start.
//
// Each leaf field carries its TOML key (the `toml` tag, nested under its
// table) and, when it can be set from the environment, its variable name
// without the QUIRE_ prefix (the `env` tag). Maps have no variable.
type Config struct {
	// Index is the directory of the search index.
	// Default: $XDG_DATA_HOME/quire/index.
	Index string `toml:"index" env:"INDEX"`
	// LockWaitSeconds is how long a command that reads the index (search,
	// stats, ask, the app) waits for an ingest writing it to finish,
	// saying who holds it; 0 fails at once. A second writer never waits.
	LockWaitSeconds float64 `toml:"lock_wait_seconds" env:"LOCK_WAIT_SECONDS"`
	// CacheDir holds downloads such as the demo corpus.
	// Default: $XDG_CACHE_HOME/quire.
	CacheDir string `toml:"cache_dir" env:"CACHE_DIR"`
	// Theme is one of "auto", "dark", "light", "high-contrast".
	Theme string `toml:"theme" env:"THEME"`

	Engine Engine `toml:"engine"`
	Search Search `toml:"search"`
	Ingest Ingest `toml:"ingest"`
	S3     S3     `toml:"s3"`
	Embed  Embed  `toml:"embed"`
	LLM    LLM    `toml:"llm"`
	MCP    MCP    `toml:"mcp"`

	// Vectors is where the embedded engine keeps its vectors.
	Vectors Vectors `toml:"vectors"`

	// Keys remaps UI actions: action name → comma-separated keys, e.g.
	// "app.search" = "/,ctrl+f". The UI owns the action names.
	Keys map[string]string `toml:"keys"`

	// Engines is every engine --engine named (eval and bench compare
	// several); Engine.Kind is the first. Empty without the flag. It is
	// not a file setting.
	Engines []string `toml:"-"`

	// File is the configuration file Load read, empty when none was found.
	// It is not a setting.
	File string `toml:"-"`
}

// Search tunes ranking and result pages.
type Search struct {
	// Limit is the number of results per page.
	Limit int `toml:"limit" env:"SEARCH_LIMIT"`
	// FacetSize is the number of values shown per facet.
	FacetSize int `toml:"facet_size" env:"SEARCH_FACET_SIZE"`
	// TitleBoost multiplies the score of matches in titles.
	TitleBoost float64 `toml:"title_boost" env:"SEARCH_TITLE_BOOST"`
	// BM25K1 is BM25's term-frequency saturation, in [0, 3].
	BM25K1 float64 `toml:"bm25_k1" env:"BM25_K1"`
	// BM25B is BM25's length normalisation, in [0, 1].
	BM25B float64 `toml:"bm25_b" env:"BM25_B"`
	// Mode selects the retrieval method: "hybrid", "bm25" or "vector".
	Mode string `toml:"mode" env:"SEARCH_MODE"`
	// Fusion combines the two halves of hybrid search: "rrf" or "convex".
	Fusion string `toml:"fusion" env:"SEARCH_FUSION"`
	// RRFK is reciprocal rank fusion's k: larger flattens the rank curve.
	RRFK float64 `toml:"rrf_k" env:"SEARCH_RRF_K"`
	// VectorWeight is the vector half's share in fusion, in [0, 1].
	VectorWeight float64 `toml:"vector_weight" env:"SEARCH_VECTOR_WEIGHT"`
	// Candidates is how many hits the BM25 half contributes before fusion.
	Candidates int `toml:"candidates" env:"SEARCH_CANDIDATES"`
	// VectorCandidates is how many hits the vector half contributes; a
	// deeper vector list lifts recall at little cost.
	VectorCandidates int `toml:"vector_candidates" env:"SEARCH_VECTOR_CANDIDATES"`
	// FilterScanBelow: a filter allowing fewer papers than this has their
	// vectors scanned exactly; broader filters walk the HNSW graph.
	FilterScanBelow int `toml:"filter_scan_below" env:"SEARCH_FILTER_SCAN_BELOW"`
	// Adaptive lets hybrid search measure, on held-out sentences of the
	// corpus, whether the vector half beats BM25; where it does, hybrid
	// fuses with a vector weight of at least 0.6 and expands the BM25 query
	// from the best fused papers. False always fuses with vector_weight.
	Adaptive bool `toml:"adaptive" env:"SEARCH_ADAPTIVE"`
	// TimeoutSeconds bounds one search; a search that runs out fails with
	// a message saying so. 0 turns the bound off.
	TimeoutSeconds float64 `toml:"timeout_seconds" env:"SEARCH_TIMEOUT_SECONDS"`
}

// LLMTimeout turns a *_timeout_seconds setting into a duration: 0 turns
// the bound off, which the llm package spells as a negative value.
func LLMTimeout(seconds float64) time.Duration {
	if seconds <= 0 {
		return -1
	}
	return time.Duration(seconds * float64(time.Second))
}

// Timeout is TimeoutSeconds as a search.Request's Timeout: 0 turns the
// bound off, which a Request spells as a negative value.
func (s Search) Timeout() time.Duration {
	if s.TimeoutSeconds <= 0 {
		return -1
	}
	return time.Duration(s.TimeoutSeconds * float64(time.Second))
}

// Embed chooses the embedder for the vector half. API keys are never
// stored here: APIKeyEnv names the variable that holds one.
type Embed struct {
	// Provider is "local" (trained on your corpus, no network), "model2vec"
	// (a static model on disk), "openai" (any /v1/embeddings server),
	// "bedrock" or "none".
	Provider string `toml:"provider" env:"EMBED_PROVIDER"`
	// Model is the model ID, or the model2vec directory.
	Model string `toml:"model" env:"EMBED_MODEL"`
	// BaseURL is the OpenAI-compatible server, e.g. http://localhost:11434/v1.
	BaseURL string `toml:"base_url" env:"EMBED_BASE_URL"`
	// APIKeyEnv is the environment variable holding the API key.
	APIKeyEnv string `toml:"api_key_env" env:"EMBED_API_KEY_ENV"`
	// Region is the AWS region for Bedrock; empty lets the SDK decide.
	Region string `toml:"region" env:"EMBED_REGION"`
	// Dimensions of the vectors (models that support shortening use it).
	Dimensions int `toml:"dimensions" env:"EMBED_DIMENSIONS"`
	// BatchSize is the number of texts per embedding request.
	BatchSize int `toml:"batch_size" env:"EMBED_BATCH_SIZE"`
	// Concurrency is the number of requests in flight.
	Concurrency int `toml:"concurrency" env:"EMBED_CONCURRENCY"`
	// QueryPrefix and PassagePrefix are prepended for models trained with
	// them (e.g. "search_query: " and "search_document: ").
	QueryPrefix   string `toml:"query_prefix" env:"EMBED_QUERY_PREFIX"`
	PassagePrefix string `toml:"passage_prefix" env:"EMBED_PASSAGE_PREFIX"`
	// Passages embeds each full text's passages besides the paper (the
	// embedded engine's own vector index only). Off, papers are embedded
	// once each instead of about 40 times: for a network embedder's bill.
	Passages bool `toml:"passages" env:"EMBED_PASSAGES"`
	// Cache is the directory of the remote embedders' content-hash cache
	// (one file per model), so text already embedded is never sent again,
	// in any index. Empty: <cache_dir>/embeddings; "off": no cache.
	Cache string `toml:"cache" env:"EMBED_CACHE"`
}

// EmbedSettings is Embed with Cache resolved against CacheDir (after
// flags, which may move CacheDir).
func (c Config) EmbedSettings() Embed {
	e := c.Embed
	if e.Cache == "" && c.CacheDir != "" {
		e.Cache = filepath.Join(c.CacheDir, "embeddings")
	}
	return e
}

// LLM chooses the language model for answers and drafts.
type LLM struct {
	// Provider is "extractive" (offline, no model), "openai" (any chat
	// completions server) or "bedrock".
	Provider string `toml:"provider" env:"LLM_PROVIDER"`
	// Model is the model ID.
	Model string `toml:"model" env:"LLM_MODEL"`
	// BaseURL is the OpenAI-compatible server.
	BaseURL string `toml:"base_url" env:"LLM_BASE_URL"`
	// APIKeyEnv is the environment variable holding the API key.
	APIKeyEnv string `toml:"api_key_env" env:"LLM_API_KEY_ENV"`
	// Region is the AWS region for Bedrock; empty lets the SDK decide.
	Region string `toml:"region" env:"LLM_REGION"`
	// EndpointURL replaces Bedrock's regional endpoint (a VPC endpoint or
	// a gateway that speaks the Bedrock Runtime protocol); empty for AWS.
	EndpointURL string `toml:"endpoint_url" env:"LLM_ENDPOINT_URL"`
	// MaxTokens bounds one response.
	MaxTokens int `toml:"max_tokens" env:"LLM_MAX_TOKENS"`
	// Temperature for sampling, in [0, 2].
	Temperature float64 `toml:"temperature" env:"LLM_TEMPERATURE"`
	// ContextTokens is the budget for retrieved passages in a prompt.
	ContextTokens int `toml:"context_tokens" env:"LLM_CONTEXT_TOKENS"`
	// InputPrice and OutputPrice are US dollars per million tokens, for
	// the cost shown in the status bar.
	InputPrice  float64 `toml:"input_price" env:"LLM_INPUT_PRICE"`
	OutputPrice float64 `toml:"output_price" env:"LLM_OUTPUT_PRICE"`
	// ConnectTimeoutSeconds bounds opening the connection to a remote
	// model; FirstByteTimeoutSeconds the wait for its answer to start (the
	// time it takes to read the prompt); IdleTimeoutSeconds the silence
	// between parts of the answer. 0 turns a bound off.
	ConnectTimeoutSeconds   float64 `toml:"connect_timeout_seconds" env:"LLM_CONNECT_TIMEOUT_SECONDS"`
	FirstByteTimeoutSeconds float64 `toml:"first_byte_timeout_seconds" env:"LLM_FIRST_BYTE_TIMEOUT_SECONDS"`
	IdleTimeoutSeconds      float64 `toml:"idle_timeout_seconds" env:"LLM_IDLE_TIMEOUT_SECONDS"`
	// PromptDir holds saved prompts (*.md); they override the built-ins.
	// Default: $XDG_CONFIG_HOME/quire/prompts.
	PromptDir string `toml:"prompt_dir" env:"PROMPT_DIR"`
	// DataDir keeps conversations and drafts.
	// Default: $XDG_DATA_HOME/quire.
	DataDir string `toml:"data_dir" env:"DATA_DIR"`
}

// Ingest controls how papers are read and indexed.
type Ingest struct {
	// BatchSize is the number of papers committed to the index at once.
	BatchSize int `toml:"batch_size" env:"INGEST_BATCH_SIZE"`
	// Workers is the number of parsing goroutines; 0 means GOMAXPROCS.
	Workers int `toml:"workers" env:"INGEST_WORKERS"`
	// Format is the input format, or "auto" to sniff it from the data. The
	// ingester checks the name.
	Format string `toml:"format" env:"INGEST_FORMAT"`
	// FieldMap maps a Quire field (title, abstract, ...) to the JSON key
	// that holds it in custom dumps.
	FieldMap map[string]string `toml:"field_map"`
	// ChunkStrategy says how full text is split into passages.
	ChunkStrategy string `toml:"chunk_strategy" env:"INGEST_CHUNK_STRATEGY"`
	// ChunkMaxTokens bounds a passage.
	ChunkMaxTokens int `toml:"chunk_max_tokens" env:"INGEST_CHUNK_MAX_TOKENS"`
	// ChunkOverlapTokens is repeated between consecutive passages so a
	// sentence cut at a boundary is still found whole.
	ChunkOverlapTokens int `toml:"chunk_overlap_tokens" env:"INGEST_CHUNK_OVERLAP_TOKENS"`
	// MaxLineBytes bounds one JSONL record; a longer line is skipped with
	// an error instead of filling memory.
	MaxLineBytes int `toml:"max_line_bytes" env:"INGEST_MAX_LINE_BYTES"`
	// MaxFieldBytes bounds a paper's abstract and full text; longer ones
	// are cut at a UTF-8 boundary and the paper is kept with a warning.
	MaxFieldBytes int `toml:"max_field_bytes" env:"INGEST_MAX_FIELD_BYTES"`
	// MaxShortFieldBytes bounds the title, venue, DOI, URL and each
	// author, field and category the same way.
	MaxShortFieldBytes int `toml:"max_short_field_bytes" env:"INGEST_MAX_SHORT_FIELD_BYTES"`
	// MaxListItems bounds the number of authors, fields and categories.
	MaxListItems int `toml:"max_list_items" env:"INGEST_MAX_LIST_ITEMS"`
}

// WorkerCount is Workers with 0 resolved to GOMAXPROCS.
func (in Ingest) WorkerCount() int {
	if in.Workers > 0 {
		return in.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// S3 configures object-store sources. Credentials are deliberately absent:
// the AWS SDK finds them itself.
type S3 struct {
	// EndpointURL points at an S3-compatible store (MinIO, R2); empty means AWS.
	EndpointURL string `toml:"endpoint_url" env:"S3_ENDPOINT_URL"`
	// Region is the bucket's region; empty lets the SDK decide.
	Region string `toml:"region" env:"S3_REGION"`
	// PathStyle addresses buckets as endpoint/bucket rather than as
	// bucket.endpoint, which most self-hosted stores need.
	PathStyle bool `toml:"path_style" env:"S3_PATH_STYLE"`
	// Concurrency is the number of objects fetched at once.
	Concurrency int `toml:"concurrency" env:"S3_CONCURRENCY"`
}

// Default returns the built-in settings. Index and CacheDir are empty: they
// depend on the environment, and Load fills them from the XDG directories.
func Default() Config {
	return Config{
		LockWaitSeconds: 30,
		Theme:           ThemeAuto,
		Engine: Engine{
			Kind:        EngineEmbedded,
			URL:         "http://localhost:8080",
			Collection:  "QuirePaper",
			Replication: 1,
			Consistency: "QUORUM",
		},
		Search: Search{
			Limit:            10,
			FacetSize:        10,
			TitleBoost:       0.3,
			BM25K1:           0.9,
			BM25B:            0.65,
			Mode:             ModeHybrid,
			Fusion:           FusionConvex,
			RRFK:             60,
			VectorWeight:     0.4,
			Candidates:       100,
			VectorCandidates: 300,
			FilterScanBelow:  200_000,
			Adaptive:         true,
			TimeoutSeconds:   10,
		},
		Ingest: Ingest{
			BatchSize:          1000,
			Workers:            0,
			Format:             "auto",
			ChunkStrategy:      "section",
			ChunkMaxTokens:     256,
			ChunkOverlapTokens: 32,
			MaxLineBytes:       64 << 20,
			MaxFieldBytes:      1 << 20,
			MaxShortFieldBytes: 4 << 10,
			MaxListItems:       5000,
		},
		S3: S3{Concurrency: 8},
		Embed: Embed{
			Provider:    "local",
			Dimensions:  256,
			BatchSize:   64,
			Concurrency: 4,
			APIKeyEnv:   "OPENAI_API_KEY",
			Passages:    true,
		},
		LLM: LLM{
			Provider:      "extractive",
			APIKeyEnv:     "OPENAI_API_KEY",
			MaxTokens:     2048,
			Temperature:   0.2,
			ContextTokens: 6000,

			ConnectTimeoutSeconds:   10,
			FirstByteTimeoutSeconds: 120,
			IdleTimeoutSeconds:      30,
		},
		MCP: MCP{MaxCalls: 8, CallTimeoutSeconds: 30},
	}
}

// Validate checks every setting, including that the directories are known.
// It reports all problems at once, each an *Error naming the key.
func (c Config) Validate() error {
	return joinErrors(c.problems(true))
}

// problems lists invalid settings. Directories are checked only when
// requested: Load runs before flags, and --index may still supply one.
func (c Config) problems(dirs bool) []*Error {
	var errs []*Error
	check := func(ok bool, key, format string, args ...any) {
		if !ok {
			errs = append(errs, &Error{Key: key, Err: fmt.Errorf(format, args...)})
		}
	}
	if dirs {
		check(c.Index != "", "index", "no directory: set HOME, XDG_DATA_HOME, QUIRE_INDEX or --index")
		check(c.CacheDir != "", "cache_dir", "no directory: set HOME, XDG_CACHE_HOME, QUIRE_CACHE_DIR or --cache-dir")
	}
	themes := []string{ThemeAuto, ThemeDark, ThemeLight, ThemeHighContrast}
	check(slices.Contains(themes, c.Theme), "theme", "%q is not a theme (use auto, dark, light or high-contrast)", c.Theme)
	errs = append(errs, c.engineProblems()...)
	errs = append(errs, c.vectorsProblems()...)

	s := c.Search
	check(intIn(s.Limit, 1, 10000), "search.limit", "%d is outside 1..10000", s.Limit)
	check(intIn(s.FacetSize, 1, 1000), "search.facet_size", "%d is outside 1..1000", s.FacetSize)
	check(floatIn(s.TitleBoost, math.SmallestNonzeroFloat64, 1000), "search.title_boost", "%v must be above 0 and at most 1000", s.TitleBoost)
	check(floatIn(s.BM25K1, 0, 3), "search.bm25_k1", "%v is outside 0..3", s.BM25K1)
	check(floatIn(s.BM25B, 0, 1), "search.bm25_b", "%v is outside 0..1", s.BM25B)
	check(slices.Contains([]string{ModeBM25, ModeVector, ModeHybrid}, s.Mode), "search.mode", "%q is not a mode (use hybrid, bm25 or vector)", s.Mode)
	check(s.Fusion == FusionRRF || s.Fusion == FusionConvex, "search.fusion", "%q is not a fusion method (use rrf or convex)", s.Fusion)
	check(floatIn(s.RRFK, 0, 10000), "search.rrf_k", "%v is outside 0..10000", s.RRFK)
	check(floatIn(s.VectorWeight, 0, 1), "search.vector_weight", "%v is outside 0..1", s.VectorWeight)
	check(intIn(s.Candidates, 1, 10000), "search.candidates", "%d is outside 1..10000", s.Candidates)
	check(intIn(s.VectorCandidates, 1, 10000), "search.vector_candidates", "%d is outside 1..10000", s.VectorCandidates)
	check(intIn(s.FilterScanBelow, 1, 1_000_000_000), "search.filter_scan_below", "%d is outside 1..1000000000", s.FilterScanBelow)
	check(floatIn(s.TimeoutSeconds, 0, 3600), "search.timeout_seconds", "%v is outside 0..3600", s.TimeoutSeconds)

	em := c.Embed
	check(slices.Contains([]string{"local", "model2vec", "openai", "bedrock", "none"}, em.Provider), "embed.provider",
		"%q is not an embedder (use local, model2vec, openai, bedrock or none)", em.Provider)
	check(em.Provider != "model2vec" || em.Model != "", "embed.model", "model2vec needs the model directory")
	check(intIn(em.Dimensions, 8, 8192), "embed.dimensions", "%d is outside 8..8192", em.Dimensions)
	check(intIn(em.BatchSize, 1, 4096), "embed.batch_size", "%d is outside 1..4096", em.BatchSize)
	check(intIn(em.Concurrency, 1, 256), "embed.concurrency", "%d is outside 1..256", em.Concurrency)
	check(em.Cache == "" || em.Cache == "off" || filepath.IsAbs(em.Cache), "embed.cache", "%q must be an absolute directory, or off", em.Cache)

	lm := c.LLM
	check(slices.Contains([]string{"extractive", "openai", "bedrock"}, lm.Provider), "llm.provider",
		"%q is not a provider (use extractive, openai or bedrock)", lm.Provider)
	check(intIn(lm.MaxTokens, 1, 1000000), "llm.max_tokens", "%d is outside 1..1000000", lm.MaxTokens)
	check(floatIn(lm.Temperature, 0, 2), "llm.temperature", "%v is outside 0..2", lm.Temperature)
	check(intIn(lm.ContextTokens, 256, 10000000), "llm.context_tokens", "%d is outside 256..10000000", lm.ContextTokens)
	check(lm.InputPrice >= 0 && lm.OutputPrice >= 0, "llm.input_price", "prices cannot be negative")
	check(floatIn(lm.ConnectTimeoutSeconds, 0, 3600), "llm.connect_timeout_seconds", "%v is outside 0..3600", lm.ConnectTimeoutSeconds)
	check(floatIn(lm.FirstByteTimeoutSeconds, 0, 3600), "llm.first_byte_timeout_seconds", "%v is outside 0..3600", lm.FirstByteTimeoutSeconds)
	check(floatIn(lm.IdleTimeoutSeconds, 0, 3600), "llm.idle_timeout_seconds", "%v is outside 0..3600", lm.IdleTimeoutSeconds)

	in := c.Ingest
	check(intIn(in.BatchSize, 1, 100000), "ingest.batch_size", "%d is outside 1..100000", in.BatchSize)
	check(intIn(in.Workers, 0, 1024), "ingest.workers", "%d is outside 0..1024 (0 means one per CPU)", in.Workers)
	check(in.Format != "", "ingest.format", "empty (use auto to detect the format)")
	check(in.ChunkStrategy != "", "ingest.chunk_strategy", "empty (use section)")
	check(intIn(in.ChunkMaxTokens, 16, 8192), "ingest.chunk_max_tokens", "%d is outside 16..8192", in.ChunkMaxTokens)
	check(intIn(in.ChunkOverlapTokens, 0, in.ChunkMaxTokens-1), "ingest.chunk_overlap_tokens",
		"%d must be at least 0 and below chunk_max_tokens (%d)", in.ChunkOverlapTokens, in.ChunkMaxTokens)
	check(intIn(in.MaxLineBytes, 1<<10, 1<<30), "ingest.max_line_bytes", "%d is outside 1024..1073741824", in.MaxLineBytes)
	check(intIn(in.MaxFieldBytes, 1<<10, in.MaxLineBytes), "ingest.max_field_bytes", "%d must be at least 1024 and at most max_line_bytes (%d)", in.MaxFieldBytes, in.MaxLineBytes)
	check(intIn(in.MaxShortFieldBytes, 64, in.MaxFieldBytes), "ingest.max_short_field_bytes", "%d must be at least 64 and at most max_field_bytes (%d)", in.MaxShortFieldBytes, in.MaxFieldBytes)
	check(intIn(in.MaxListItems, 1, 1000000), "ingest.max_list_items", "%d is outside 1..1000000", in.MaxListItems)
	for k, v := range sortedMap(in.FieldMap) {
		check(k != "" && v != "", "ingest.field_map", "%q = %q: both sides must be non-empty", k, v)
	}

	check(intIn(c.S3.Concurrency, 1, 256), "s3.concurrency", "%d is outside 1..256", c.S3.Concurrency)
	if err := checkEndpoint(c.S3.EndpointURL); err != nil {
		errs = append(errs, &Error{Key: "s3.endpoint_url", Err: err})
	}
	if err := checkEndpoint(lm.EndpointURL); err != nil {
		errs = append(errs, &Error{Key: "llm.endpoint_url", Err: err})
	}
	errs = append(errs, c.MCP.problems()...)
	for action, keys := range sortedMap(c.Keys) {
		check(action != "" && keys != "", "keys", "%q = %q: both sides must be non-empty", action, keys)
	}
	return errs
}

func intIn(v, lo, hi int) bool { return v >= lo && v <= hi }

// floatIn is written so that NaN fails: TOML and ParseFloat both accept "nan".
func floatIn(v, lo, hi float64) bool { return v >= lo && v <= hi }

func checkEndpoint(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as http://localhost:9000", raw)
	}
	return nil
}

// sortedMap iterates m in key order so error lists are stable.
func sortedMap(m map[string]string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
