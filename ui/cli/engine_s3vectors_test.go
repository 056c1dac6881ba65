package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
)

// s3vWorld is a loopback S3 Vectors server, fake AWS credentials, a
// corpus of n synthetic papers and a config file whose [vectors] table
// points at the server.
func s3vWorld(t *testing.T, n int, index string) (srv *s3vtest.Server, home, cfg, papers string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDS3VTEST", "AWS_SECRET_ACCESS_KEY": "s3vSecretNeverShown", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	srv = s3vtest.New(t)
	home = t.TempDir()
	var b strings.Builder
	err := synth.Generate(synth.Options{Papers: n, Seed: 5}, func(p corpus.Paper) error {
		line, err := json.Marshal(p)
		b.Write(line)
		b.WriteByte('\n')
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	papers = filepath.Join(home, "papers.jsonl")
	cfg = filepath.Join(home, "quire.toml")
	if err := os.WriteFile(papers, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[vectors]\nkind = %q\nbucket = \"papers\"\nindex = %q\nendpoint = %q\n", "s3vectors", index, srv.URL)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, home, cfg, papers
}

func mustRun(t *testing.T, r runResult, what string) runResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
	}
	return r
}

// init creates the index; ingest pushes every paper's vector; searches
// and stats run over it; the AWS secret never shows.
func TestS3VectorsCLI(t *testing.T) {
	srv, home, cfg, papers := s3vWorld(t, 300, "quire")
	r := quire(t, home, "--config", cfg, "search", "neural")
	if r.code == 0 || !strings.Contains(r.stderr, "papers/quire") || !strings.Contains(r.stderr, "quire init --vectors s3vectors") {
		t.Fatalf("search before init: exit %d, stderr %s", r.code, r.stderr)
	}
	r = mustRun(t, quire(t, home, "--config", cfg, "init", "--vectors", "s3vectors"), "init")
	if !strings.Contains(r.stdout, "s3vectors index papers/quire ready: 256 dimensions, cosine distance") {
		t.Fatalf("init said %q", r.stdout)
	}
	mustRun(t, quire(t, home, "--config", cfg, "ingest", papers), "ingest")
	if n := srv.Len("papers", "quire"); n != 300 {
		t.Fatalf("the server holds %d vectors after ingest, want 300", n)
	}
	r = mustRun(t, quire(t, home, "--config", cfg, "search", "--json", "--mode", "vector", "neural network training"), "search")
	var res search.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Hits) == 0 || res.Mode != search.ModeVector {
		t.Fatalf("vector search: %v, %d hits, mode %s", err, len(res.Hits), res.Mode)
	}
	if len(srv.Operations("QueryVectors")) == 0 {
		t.Fatal("a vector search sent no QueryVectors")
	}
	r = mustRun(t, quire(t, home, "--config", cfg, "stats"), "stats")
	if !strings.Contains(r.stdout, "s3vectors papers/quire") {
		t.Fatalf("stats do not name the vector store:\n%s", r.stdout)
	}
	r = mustRun(t, quire(t, home, "--config", cfg, "check"), "check")
	if !strings.Contains(r.stdout, "(in s3vectors papers/quire, as its ledger records)") || strings.Contains(r.stdout, "sequence") {
		t.Fatalf("check does not say the vectors are counted from the S3 ledger:\n%s", r.stdout)
	}
	// Ingesting again pushes nothing.
	puts := len(srv.Operations("PutVectors"))
	mustRun(t, quire(t, home, "--config", cfg, "ingest", papers), "ingest again")
	if n := len(srv.Operations("PutVectors")); n != puts {
		t.Fatalf("a second ingest of the same papers sent %d PutVectors", n-puts)
	}
	srv.FailNext("QueryVectors", 1, 403, "AccessDeniedException")
	r = quire(t, home, "--config", cfg, "search", "--mode", "vector", "neural")
	if r.code == 0 || !strings.Contains(r.stderr, "AccessDeniedException") || !strings.Contains(r.stderr, "papers/quire") {
		t.Fatalf("access denied: exit %d, stderr %s", r.code, r.stderr)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "s3vSecretNeverShown") {
			t.Fatal("the AWS secret reached the output")
		}
	}
}

// push --to s3vectors copies an embedded index's own vectors, resumes
// (a second run copies nothing), and the index then opened with
// [vectors] kind = "s3vectors" pushes nothing again.
func TestS3VectorsPush(t *testing.T) {
	srv, home, cfg, papers := s3vWorld(t, 300, "copy")
	plain := filepath.Join(home, "plain.toml")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, quire(t, home, "--config", plain, "ingest", papers), "ingest")
	r := mustRun(t, quire(t, home, "--config", cfg, "push", "--to", "s3vectors"), "push")
	if n := srv.Len("papers", "copy"); n != 300 || !strings.Contains(r.stdout, "300 papers' vectors copied") {
		t.Fatalf("push: the server holds %d vectors; stdout %s", n, r.stdout)
	}
	r = mustRun(t, quire(t, home, "--config", cfg, "push", "--to", "s3vectors"), "push again")
	if !strings.Contains(r.stdout, "0 papers' vectors copied") || !strings.Contains(r.stdout, "300 papers there already") {
		t.Fatalf("a second push: %s", r.stdout)
	}
	puts := len(srv.Operations("PutVectors"))
	mustRun(t, quire(t, home, "--config", cfg, "ingest", papers), "ingest with s3vectors")
	if n := len(srv.Operations("PutVectors")); n != puts {
		t.Fatalf("after push, the s3vectors index's first sync sent %d PutVectors", n-puts)
	}
	r = mustRun(t, quire(t, home, "--config", cfg, "search", "--json", "neural network training"), "search")
	var res search.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Hits) == 0 || res.Mode != search.ModeHybrid {
		t.Fatalf("hybrid search after push: %v %d %s", err, len(res.Hits), res.Mode)
	}
}

// eval runs hybrid over the S3 Vectors half, in an index of its own per
// collection.
func TestS3VectorsEval(t *testing.T) {
	srv, home, cfg, _ := s3vWorld(t, 1, "quire")
	col := filepath.Join(home, "Tiny Set")
	if err := os.MkdirAll(col, 0o755); err != nil {
		t.Fatal(err)
	}
	var docs, queries, qrels strings.Builder
	qrels.WriteString("query-id\tcorpus-id\tscore\n")
	i := 0
	err := synth.Generate(synth.Options{Papers: 200, Seed: 9}, func(p corpus.Paper) error {
		line, _ := json.Marshal(map[string]string{"_id": p.ID, "title": p.Title, "text": p.Abstract})
		docs.Write(append(line, '\n'))
		if i%20 == 0 {
			q, _ := json.Marshal(map[string]string{"_id": fmt.Sprint("q", i), "text": p.Title})
			queries.Write(append(q, '\n'))
			fmt.Fprintf(&qrels, "q%d\t%s\t1\n", i, p.ID)
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"corpus.jsonl": docs.String(), "queries.jsonl": queries.String(), "qrels/test.tsv": qrels.String()} {
		p := filepath.Join(col, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := mustRun(t, quire(t, home, "--config", cfg, "eval", "--mode", "hybrid", col), "eval")
	if n := srv.Len("papers", "quire-tiny-set"); n != 200 {
		t.Fatalf("eval's index quire-tiny-set holds %d vectors, want 200\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stdout, "hybrid") {
		t.Fatalf("eval printed:\n%s", r.stdout)
	}
}
