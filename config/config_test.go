package config

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// fakeEnv returns an env func over a map, so tests never touch os.Environ.
func fakeEnv(kv ...string) func(string) string {
	m := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "c.toml", `
theme = "light"
[search]
limit = 20
bm25_k1 = 1.5
title_boost = 3.0
`)
	env := fakeEnv("HOME", dir, "QUIRE_SEARCH_LIMIT", "30", "QUIRE_BM25_K1", "0.9")
	c, err := Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.BindFlags(fs)
	c.BindSearchFlags(fs)
	if err := fs.Parse([]string{"--limit", "40"}); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"default only (facet_size)", c.Search.FacetSize, 10},
		{"file over default (theme)", c.Theme, "light"},
		{"file over default (title_boost)", c.Search.TitleBoost, 3.0},
		{"env over file (bm25_k1)", c.Search.BM25K1, 0.9},
		{"flag over env over file (limit)", c.Search.Limit, 40},
		{"File records the path", c.File, path},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestFlagDefaultsShowEffectiveValues(t *testing.T) {
	t.Parallel()
	c, err := Load("", fakeEnv("HOME", "/home/ada", "QUIRE_SEARCH_LIMIT", "25"))
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("quire", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.BindFlags(fs)
	c.BindSearchFlags(fs)
	c.BindIngestFlags(fs)
	if got := fs.Lookup("limit").DefValue; got != "25" {
		t.Errorf("limit default = %q, want 25", got)
	}
	if got, want := fs.Lookup("index").DefValue, "/home/ada/.local/share/quire/index"; got != want {
		t.Errorf("index default = %q, want %q", got, want)
	}
	if u := fs.Lookup("limit").Usage; !strings.Contains(u, "QUIRE_SEARCH_LIMIT") {
		t.Errorf("limit usage %q does not name its variable", u)
	}
	// --config must be accepted by the flag set but must not change anything.
	if err := fs.Parse([]string{"--config", "/elsewhere.toml"}); err != nil {
		t.Fatal(err)
	}
	if c.File != "" {
		t.Errorf("File = %q after parsing --config; want unchanged", c.File)
	}
}

func TestXDGPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		env                       []string
		wantIndex, wantCache, cfg string
	}{
		{
			name:      "home only",
			env:       []string{"HOME", "/home/ada"},
			wantIndex: "/home/ada/.local/share/quire/index",
			wantCache: "/home/ada/.cache/quire",
			cfg:       "/home/ada/.config/quire/config.toml",
		},
		{
			name:      "XDG set",
			env:       []string{"HOME", "/home/ada", "XDG_DATA_HOME", "/data", "XDG_CACHE_HOME", "/cache", "XDG_CONFIG_HOME", "/cfg"},
			wantIndex: "/data/quire/index",
			wantCache: "/cache/quire",
			cfg:       "/cfg/quire/config.toml",
		},
		{
			name:      "relative XDG ignored",
			env:       []string{"HOME", "/home/ada", "XDG_DATA_HOME", "rel", "XDG_CONFIG_HOME", "rel"},
			wantIndex: "/home/ada/.local/share/quire/index",
			wantCache: "/home/ada/.cache/quire",
			cfg:       "/home/ada/.config/quire/config.toml",
		},
		{
			name:      "env overrides",
			env:       []string{"HOME", "/home/ada", "QUIRE_INDEX", "~/idx", "QUIRE_CACHE_DIR", "/tmp/qc"},
			wantIndex: "/home/ada/idx",
			wantCache: "/tmp/qc",
			cfg:       "/home/ada/.config/quire/config.toml",
		},
		{
			name: "nothing set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := fakeEnv(tt.env...)
			c, err := Load("", env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Index != tt.wantIndex || c.CacheDir != tt.wantCache {
				t.Errorf("Index, CacheDir = %q, %q; want %q, %q", c.Index, c.CacheDir, tt.wantIndex, tt.wantCache)
			}
			if got := DefaultFile(env); got != tt.cfg {
				t.Errorf("DefaultFile = %q, want %q", got, tt.cfg)
			}
		})
	}
}

func TestValidateRequiresDirs(t *testing.T) {
	t.Parallel()
	c, err := Load("", fakeEnv())
	if err != nil {
		t.Fatalf("Load without HOME should defer the directory check: %v", err)
	}
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "index: no directory") {
		t.Errorf("Validate = %v, want an index error", err)
	}
}

func TestDefaultFileFromXDG(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "quire/config.toml", "theme = \"dark\"\n")
	c, err := Load("", fakeEnv("XDG_CONFIG_HOME", dir, "HOME", "/nonexistent"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Theme != "dark" || c.File != filepath.Join(dir, "quire", "config.toml") {
		t.Errorf("Theme, File = %q, %q; the XDG file was not read", c.Theme, c.File)
	}
}

func TestMissingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Load("", fakeEnv("HOME", dir)); err != nil {
		t.Errorf("missing default file: %v, want no error", err)
	}
	missing := filepath.Join(dir, "nope.toml")
	_, err := Load(missing, fakeEnv("HOME", dir))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), missing+": ") {
		t.Errorf("missing named file: got %v, want not-exist error starting with the path", err)
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		want          []string // substrings after "<path>:"
	}{
		{
			name:    "syntax",
			content: "theme = \"dark\"\n[search]\nlimit = = 3\n",
			want:    []string{":3: "},
		},
		{
			name:    "wrong type",
			content: "[search]\n\nlimit = \"ten\"\n",
			want:    []string{":3: search.limit: wrong type: want integer, got string"},
		},
		{
			name:    "unknown key with suggestion",
			content: "theme = \"dark\"\n\n[search]\nlimt = 3\n",
			want:    []string{":4: search.limt: unknown key (did you mean search.limit?)"},
		},
		{
			name:    "unknown table reported once",
			content: "[sarch]\nlimit = 3\nmode = \"bm25\"\n\n[bogus]\nx = 1\n",
			want:    []string{":1: sarch: unknown key (did you mean search?)", ":5: bogus: unknown key"},
		},
		{
			name:    "out of range names line",
			content: "[search]\nbm25_b = 1.5\n",
			want:    []string{":2: search.bm25_b: 1.5 is outside 0..1"},
		},
		{
			name:    "nan rejected",
			content: "[search]\nbm25_k1 = nan\n",
			want:    []string{":2: search.bm25_k1: NaN is outside 0..3"},
		},
		{
			name:    "int overflow",
			content: "[ingest]\nbatch_size = 99999999999999999999\n",
			want:    []string{":2: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "config.toml", tt.content)
			_, err := Load(path, fakeEnv())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, path+w) {
					t.Errorf("error %q\nlacks %q", msg, path+w)
				}
			}
			if strings.Count(msg, "\n")+1 != len(tt.want) {
				t.Errorf("error %q has %d lines, want %d", msg, strings.Count(msg, "\n")+1, len(tt.want))
			}
		})
	}
}

func TestEnvErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"QUIRE_SEARCH_LIMIT", "ten"}, `QUIRE_SEARCH_LIMIT: search.limit: "ten" is not a whole number`},
		{[]string{"QUIRE_BM25_B", "x"}, `QUIRE_BM25_B: search.bm25_b: "x" is not a number`},
		{[]string{"QUIRE_S3_PATH_STYLE", "maybe"}, `QUIRE_S3_PATH_STYLE: s3.path_style: "maybe" is not true or false`},
		{[]string{"QUIRE_SEARCH_LIMIT", "0"}, `QUIRE_SEARCH_LIMIT: search.limit: 0 is outside 1..10000`},
		{[]string{"QUIRE_THEME", "neon"}, `QUIRE_THEME: theme: "neon" is not a theme`},
		{[]string{"QUIRE_S3_ENDPOINT_URL", "localhost:9000"}, `QUIRE_S3_ENDPOINT_URL: s3.endpoint_url: "localhost:9000" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.env[0], func(t *testing.T) {
			t.Parallel()
			_, err := Load("", fakeEnv(tt.env...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Source != tt.env[0] {
				t.Errorf("error %#v does not name %s as its source", ce, tt.env[0])
			}
		})
	}
}

func TestEmptyEnvIsUnset(t *testing.T) {
	t.Parallel()
	c, err := Load("", fakeEnv("QUIRE_SEARCH_LIMIT", "  ", "QUIRE_THEME", ""))
	if err != nil || c.Search.Limit != 10 || c.Theme != ThemeAuto {
		t.Errorf("got %v, %d, %q; empty variables should be ignored", err, c.Search.Limit, c.Theme)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := Default()
	valid.Index, valid.CacheDir = "/i", "/c"
	if err := valid.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	tests := []struct {
		key    string
		mutate func(*Config)
	}{
		{"search.limit", func(c *Config) { c.Search.Limit = 10001 }},
		{"search.facet_size", func(c *Config) { c.Search.FacetSize = 0 }},
		{"search.title_boost", func(c *Config) { c.Search.TitleBoost = 0 }},
		{"search.bm25_k1", func(c *Config) { c.Search.BM25K1 = -0.1 }},
		{"search.bm25_b", func(c *Config) { c.Search.BM25B = 1.01 }},
		{"search.mode", func(c *Config) { c.Search.Mode = "semantic" }},
		{"ingest.batch_size", func(c *Config) { c.Ingest.BatchSize = 0 }},
		{"ingest.workers", func(c *Config) { c.Ingest.Workers = -1 }},
		{"ingest.format", func(c *Config) { c.Ingest.Format = "" }},
		{"ingest.chunk_max_tokens", func(c *Config) { c.Ingest.ChunkMaxTokens = 8 }},
		{"ingest.chunk_overlap_tokens", func(c *Config) { c.Ingest.ChunkOverlapTokens = 256 }},
		{"ingest.field_map", func(c *Config) { c.Ingest.FieldMap = map[string]string{"title": ""} }},
		{"s3.concurrency", func(c *Config) { c.S3.Concurrency = 0 }},
		{"keys", func(c *Config) { c.Keys = map[string]string{"quit": ""} }},
		{"theme", func(c *Config) { c.Theme = "Dark" }},
		{"cache_dir", func(c *Config) { c.CacheDir = "" }},
	}
	for _, tt := range tests {
		c := valid
		tt.mutate(&c)
		err := c.Validate()
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tt.key {
			t.Errorf("%s: Validate = %v, want an *Error for that key", tt.key, err)
		}
	}
}

func TestValidateReportsAll(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Search.Limit, c.Search.BM25B = 0, 2
	err := c.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 3 { // index, cache_dir, limit, bm25_b
		t.Errorf("Validate = %q, want four problems", err)
	}
}

func TestConfigPathFromArgs(t *testing.T) {
	t.Parallel()
	env := fakeEnv("QUIRE_CONFIG", "/env.toml")
	tests := []struct {
		args []string
		want string
	}{
		{nil, "/env.toml"},
		{[]string{"--config", "/a.toml"}, "/a.toml"},
		{[]string{"-config=/b.toml", "search"}, "/b.toml"},
		{[]string{"ingest", "--config=/c.toml", "file.jsonl"}, "/c.toml"},
		{[]string{"--config", "/a.toml", "--config", "/d.toml"}, "/d.toml"},
		{[]string{"--", "--config", "/a.toml"}, "/env.toml"},
		{[]string{"--configx", "/a.toml"}, "/env.toml"},
		{[]string{"config", "/a.toml"}, "/env.toml"},
		{[]string{"--config"}, "/env.toml"},
	}
	for _, tt := range tests {
		if got := ConfigPathFromArgs(tt.args, env); got != tt.want {
			t.Errorf("ConfigPathFromArgs(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	if got := ConfigPathFromArgs(nil, fakeEnv()); got != "" {
		t.Errorf("no flag, no env: got %q, want empty", got)
	}
}

func TestFileDirs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "cfg/c.toml", "index = \"idx\"\ncache_dir = \"~/cache\"\n")
	c, err := Load(path, fakeEnv("HOME", "/home/ada"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "cfg", "idx"); c.Index != want {
		t.Errorf("Index = %q, want %q (relative to the file)", c.Index, want)
	}
	if c.CacheDir != "/home/ada/cache" {
		t.Errorf("CacheDir = %q, want ~ expanded", c.CacheDir)
	}
	c, err = Load(path, fakeEnv("HOME", "/home/ada", "QUIRE_INDEX", "rel"))
	if err != nil || c.Index != "rel" {
		t.Errorf("Index = %q, %v; a relative env value stays relative to the working directory", c.Index, err)
	}
}

func TestMapsFromFile(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "c.toml", `
[ingest.field_map]
title = "headline"
[keys]
"search.focus" = "/,ctrl+f"
`)
	c, err := Load(path, fakeEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.Ingest.FieldMap["title"] != "headline" || c.Keys["search.focus"] != "/,ctrl+f" {
		t.Errorf("maps not decoded: %v %v", c.Ingest.FieldMap, c.Keys)
	}
	// Default() must hand out fresh values: nothing shared between configs.
	if Default().Keys != nil {
		t.Error("Default().Keys is not nil")
	}
}

func TestDefaultTemplate(t *testing.T) {
	t.Parallel()
	var got Config
	md, err := toml.Decode(string(defaultFile), &got)
	if err != nil {
		t.Fatalf("default.toml does not parse: %v", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("default.toml has unknown keys %v", u)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("default.toml decodes to\n%+v\nwant Default()\n%+v", got, want)
	}
	// Every setting and variable is documented, even the commented-out ones.
	for _, s := range settings(&got) {
		name := s.key[strings.LastIndex(s.key, ".")+1:]
		if !strings.Contains(string(defaultFile), "\n"+name+" = ") &&
			!strings.Contains(string(defaultFile), "\n# "+name+" = ") &&
			!strings.Contains(string(defaultFile), "# ["+s.key+"]") {
			t.Errorf("default.toml does not show %s", s.key)
		}
		if s.env != "" && !strings.Contains(string(defaultFile), s.env+",") &&
			!strings.Contains(string(defaultFile), s.env+"\n") {
			t.Errorf("default.toml does not name %s", s.env)
		}
	}
}

func TestSettingsTable(t *testing.T) {
	t.Parallel()
	var c Config
	seen := make(map[string]string)
	for _, s := range settings(&c) {
		if s.env == "" {
			if k := s.val.Kind(); k != reflect.Map && k != reflect.Slice {
				t.Errorf("%s has no env tag", s.key)
			}
			continue
		}
		if other, dup := seen[s.env]; dup {
			t.Errorf("%s and %s share %s", s.key, other, s.env)
		}
		seen[s.env] = s.key
		if err := s.set("1"); err != nil {
			t.Errorf("%s: kind %s cannot be set from the environment: %v", s.key, s.val.Kind(), err)
		}
	}
	if envName("search.limit") != "QUIRE_SEARCH_LIMIT" || envName("nope") != "" {
		t.Error("envName lookup broken")
	}
}

func TestWriteDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config.toml")
	if err := WriteDefault(path); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, fakeEnv("HOME", dir))
	if err != nil {
		t.Fatalf("written file does not load: %v", err)
	}
	want := Default()
	want.Index = filepath.Join(dir, ".local/share/quire/index")
	want.CacheDir = filepath.Join(dir, ".cache/quire")
	want.LLM.PromptDir = filepath.Join(dir, ".config/quire/prompts")
	want.LLM.DataDir = filepath.Join(dir, ".local/share/quire")
	want.File = path
	if !reflect.DeepEqual(c, want) {
		t.Errorf("loaded %+v\nwant %+v", c, want)
	}
	err = WriteDefault(path)
	if !errors.Is(err, fs.ErrExist) || !strings.HasPrefix(err.Error(), path) {
		t.Errorf("second write: %v, want an exists error naming the file", err)
	}
}

func TestWorkerCount(t *testing.T) {
	t.Parallel()
	if (Ingest{Workers: 3}).WorkerCount() != 3 || (Ingest{}).WorkerCount() < 1 {
		t.Error("WorkerCount")
	}
}

// FuzzDecode feeds arbitrary files through the decoding and error paths,
// which must report, never panic.
func FuzzDecode(f *testing.F) {
	f.Add(string(defaultFile))
	f.Add("[search]\nlimit = \"x\"\n[bogus]\ny = 1\n")
	f.Add("theme = = \n[[keys]]\n")
	f.Fuzz(func(t *testing.T, data string) {
		c := Default()
		lines, err := c.decode(&configFile{path: "f.toml", data: data})
		if err != nil && !strings.HasPrefix(err.Error(), "f.toml") {
			t.Fatalf("error %q does not name the file", err)
		}
		_ = c.problems(true)
		_ = lines
	})
}
