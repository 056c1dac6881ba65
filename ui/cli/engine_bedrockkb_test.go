package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/bedrockkb/kbtest"
)

// kbWorld is a loopback knowledge base holding agentCorpus, and a config
// file pointing the bedrock-kb engine at it under non-default keys.
func kbWorld(t *testing.T) (srv *kbtest.Server, home, cfg string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDKBTEST", "AWS_SECRET_ACCESS_KEY": "kbSecretNeverShown", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	var papers []corpus.Paper
	sc := bufio.NewScanner(strings.NewReader(agentCorpus))
	for sc.Scan() {
		var p corpus.Paper
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		papers = append(papers, p)
	}
	keys := map[string]string{"id": "paper_id", "title": "title", "year": "pub_year", "fields": "fields"}
	srv = kbtest.New("KBCLITEST1", kbtest.FromPapers(papers, keys))
	t.Cleanup(srv.Close)
	home = t.TempDir()
	cfg = filepath.Join(home, "quire.toml")
	// kind stays embedded: --engine bedrock-kb picks the knowledge base.
	toml := `[engine]
knowledge_base_id = "KBCLITEST1"
region = "us-east-1"
endpoint = "` + srv.URL + `"

[engine.metadata]
id = "paper_id"
title = "title"
year = "pub_year"
fields = "fields"
`
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, home, cfg
}

func TestBedrockKBSearch(t *testing.T) {
	srv, home, cfg := kbWorld(t)
	r := quire(t, home, "--config", cfg, "--engine", "bedrock-kb", "search", "dark matter halos", "year:2000..", "field:physics")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Dark matter halos in simulations") || !strings.Contains(r.stdout, "id: h1") {
		t.Errorf("h1 missing:\n%s", r.stdout)
	}
	// year:2000.. drops h2 (1980); field:physics drops t1, t2.
	for _, gone := range []string{"id: h2", "id: t1", "id: t2"} {
		if strings.Contains(r.stdout, gone) {
			t.Errorf("filters ignored, %s shown:\n%s", gone, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "facets unavailable") || strings.Contains(r.stdout, "(0)") {
		t.Errorf("facets not explained, or shown as zeros:\n%s", r.stdout)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].SearchType != "HYBRID" || !strings.Contains(string(reqs[0].Filter), `"pub_year"`) {
		t.Errorf("requests %+v", reqs)
	}

	r = quire(t, home, "--config", cfg, "--engine", "bedrock-kb", "search", "--mode", "vector", "--json", "halos")
	var res struct {
		Hits []struct {
			ID    string
			Paper corpus.Paper
		}
		FacetNote string `json:"facet_note"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); r.code != 0 || err != nil || len(res.Hits) == 0 || res.FacetNote == "" {
		t.Fatalf("--json: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if p := res.Hits[0].Paper; p.URL != "s3://papers/"+p.ID+".txt" {
		t.Errorf("source URI lost: %+v", p)
	}
	if reqs := srv.Requests(); reqs[len(reqs)-1].SearchType != "SEMANTIC" {
		t.Errorf("--mode vector sent %s", reqs[len(reqs)-1].SearchType)
	}

	for args, want := range map[string]string{
		"--mode bm25 halos":   "cannot search in bm25 mode",
		"halos author:Zwicky": "author:Zwicky: the bedrock-kb engine cannot apply this filter: [engine.metadata] names no metadata key for authors",
		`"dark matter"`:       `"dark matter": the bedrock-kb engine cannot apply this filter`,
	} {
		r := quire(t, home, append([]string{"--config", cfg, "--engine", "bedrock-kb", "search"}, strings.Fields(args)...)...)
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("search %s: exit %d, stderr %q, want %q", args, r.code, r.stderr, want)
		}
	}
}

func TestBedrockKBAsk(t *testing.T) {
	_, home, cfg := kbWorld(t)
	r := quire(t, home, "--config", cfg, "--engine", "bedrock-kb", "ask", "--no-save", "what", "shape", "are", "dark", "matter", "halo", "density", "profiles?")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "The density profiles of the halos follow a universal form") {
		t.Errorf("answer lacks the passage:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "Dark matter halos in simulations") || !strings.Contains(r.stdout, "`h1`") {
		t.Errorf("h1 not cited:\n%s", r.stdout)
	}
}

func TestBedrockKBReadOnlyAndErrors(t *testing.T) {
	srv, home, cfg := kbWorld(t)
	src := filepath.Join(home, "papers.jsonl")
	os.WriteFile(src, []byte(agentCorpus), 0o644)
	for _, args := range [][]string{
		{"ingest", src},
		{"ingest", "--watch", home},
		{"push", "--to", "bedrock-kb"},
	} {
		r := quire(t, home, append([]string{"--config", cfg, "--engine", "bedrock-kb"}, args...)...)
		if args[0] == "push" {
			r = quire(t, home, append([]string{"--config", cfg}, args...)...)
		}
		if r.code != exitUsage || !strings.Contains(r.stderr, "bedrock-kb is read-only: ingest into the knowledge base's data source") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := quire(t, home, "--config", cfg, "--engine", "bedrock-kb", "check"); r.code != exitUsage || !strings.Contains(r.stderr, "check is not supported by the bedrock-kb engine") {
		t.Errorf("check: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("writes sent %d requests", n)
	}

	srv.Fail(kbtest.AccessDenied)
	r := quire(t, home, "--config", cfg, "--engine", "bedrock-kb", "search", "halos")
	if r.code == 0 || !strings.Contains(r.stderr, "AccessDeniedException") || !strings.Contains(r.stderr, "bedrock:Retrieve on knowledge base KBCLITEST1") {
		t.Errorf("access denied: exit %d, %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, "kbSecretNeverShown") {
		t.Error("the secret key was printed")
	}

	// A mistyped metadata field is named, with a suggestion.
	os.WriteFile(cfg, []byte("[engine]\nkind = \"bedrock-kb\"\nknowledge_base_id = \"KBCLITEST1\"\n[engine.metadata]\nyaer = \"year\"\n"), 0o644)
	r = quire(t, home, "--config", cfg, "search", "halos")
	if r.code == 0 || !strings.Contains(r.stderr, "engine.metadata.yaer") || !strings.Contains(r.stderr, "did you mean year?") {
		t.Errorf("bad metadata field: exit %d, %q", r.code, r.stderr)
	}
}

func TestBedrockKBStatsAndLabel(t *testing.T) {
	_, home, cfg := kbWorld(t)
	r := quire(t, home, "--config", cfg, "--engine", "bedrock-kb", "stats")
	if r.code != 0 || !strings.Contains(r.stdout, "engine:   bedrock-kb") || !strings.Contains(r.stdout, "knowledge base KBCLITEST1 (us-east-1)") ||
		!strings.Contains(r.stdout, "papers:   unknown: bedrock-kb cannot count") {
		t.Errorf("stats: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	e := &env{}
	e.cfg.Engine.Kind, e.cfg.Engine.KnowledgeBaseID = "bedrock-kb", "KBCLITEST1"
	if got := engineLabel(e, place{}); got != "bedrock-kb KBCLITEST1" {
		t.Errorf("status line engine %q", got)
	}
	// An embedded index whose vectors live in S3 Vectors says so.
	e = &env{}
	e.cfg.Engine.Kind, e.cfg.Vectors.Kind, e.cfg.Vectors.Index = config.EngineEmbedded, config.VectorsS3Vectors, "papers-256"
	if got := engineLabel(e, place{}); got != "embedded + s3vectors papers-256" {
		t.Errorf("status line engine %q", got)
	}
	e.cfg.Vectors.Kind = ""
	if got := engineLabel(e, place{}); got != config.EngineEmbedded {
		t.Errorf("status line engine %q", got)
	}
}
