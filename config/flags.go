package config

import "flag"

// BindFlags registers the global flags on fs, bound to c's fields and with
// c's current values as defaults, so --help shows the effective settings.
// Call it on every subcommand's FlagSet after Load; each subcommand may add
// its own flags and the Bind*Flags groups it needs.
//
// --config is registered so the flag package accepts it, but parsing it
// changes nothing: ConfigPathFromArgs has already used it.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.String("config", c.File, "configuration file"+envHint("", EnvPrefix+"CONFIG"))
	fs.StringVar(&c.Index, "index", c.Index, "search index directory"+envHint("index", ""))
	fs.StringVar(&c.CacheDir, "cache-dir", c.CacheDir, "cache directory for downloads such as the demo corpus"+envHint("cache_dir", ""))
	fs.StringVar(&c.Theme, "theme", c.Theme, "colour theme: auto, dark, light or high-contrast"+envHint("theme", ""))
	fs.StringVar(&c.Engine.Collection, "collection", c.Engine.Collection, "weaviate collection of the papers"+envHint("engine.collection", ""))
	fs.Var(engineFlag{c}, "engine", "the search `engine`: embedded, weaviate or bedrock-kb ([engine] table); eval and bench take a list, e.g. embedded,weaviate"+envHint("engine.kind", ""))
}

// BindSearchFlags registers the flags of commands that run searches.
func (c *Config) BindSearchFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Search.Limit, "limit", c.Search.Limit, "results per page"+envHint("search.limit", ""))
	fs.StringVar(&c.Search.Mode, "mode", c.Search.Mode, "retrieval mode: bm25"+envHint("search.mode", ""))
}

// BindIngestFlags registers the flags of commands that ingest papers.
func (c *Config) BindIngestFlags(fs *flag.FlagSet) {
	in, s3 := &c.Ingest, &c.S3
	fs.IntVar(&in.BatchSize, "batch-size", in.BatchSize, "papers per index batch"+envHint("ingest.batch_size", ""))
	fs.IntVar(&in.Workers, "workers", in.Workers, "parsing goroutines, 0 for one per CPU"+envHint("ingest.workers", ""))
	fs.StringVar(&in.Format, "format", in.Format, "input format, or auto to detect it"+envHint("ingest.format", ""))
	fs.StringVar(&s3.EndpointURL, "s3-endpoint-url", s3.EndpointURL, "S3-compatible endpoint; empty for AWS"+envHint("s3.endpoint_url", ""))
	fs.StringVar(&s3.Region, "s3-region", s3.Region, "S3 region"+envHint("s3.region", ""))
	fs.BoolVar(&s3.PathStyle, "s3-path-style", s3.PathStyle, "address buckets as endpoint/bucket"+envHint("s3.path_style", ""))
	fs.IntVar(&s3.Concurrency, "s3-concurrency", s3.Concurrency, "objects fetched at once"+envHint("s3.concurrency", ""))
}

// envHint names the variable behind a flag in its usage line; the name is
// looked up from the struct tags so help cannot drift from Load.
func envHint(key, name string) string {
	if name == "" {
		name = envName(key)
	}
	if name == "" {
		return ""
	}
	return " (env " + name + ")"
}
