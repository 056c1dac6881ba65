package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/search/weaviate"
)

// TestWeaviateEndToEnd runs ingest, search, stats, ask and push through
// the CLI against the Weaviate server in QUIRE_WEAVIATE_URL (CI starts a
// cluster; see .ci/weaviate.sh). Collections are named with
// QUIRE_TEST_COLLECTION_PREFIX (default QuireCli) and dropped at the end.
func TestWeaviateEndToEnd(t *testing.T) {
	url := os.Getenv("QUIRE_WEAVIATE_URL")
	if url == "" {
		t.Skip("QUIRE_WEAVIATE_URL is not set: no Weaviate server to test against (CI's .ci/run starts one)")
	}
	prefix := os.Getenv("QUIRE_TEST_COLLECTION_PREFIX")
	if prefix == "" {
		prefix = "QuireCli"
	}
	coll := fmt.Sprintf("%sE2E%08x", prefix, rand.Uint32())
	pushed := coll + "Push"
	home := t.TempDir()
	envs := map[string]string{
		"HOME":              home,
		"XDG_CONFIG_HOME":   filepath.Join(home, "config"),
		"XDG_DATA_HOME":     filepath.Join(home, "data"),
		"XDG_CACHE_HOME":    filepath.Join(home, "cache"),
		"NO_COLOR":          "1",
		"QUIRE_ENGINE_URL":  url,
		"QUIRE_ENGINE_GRPC": os.Getenv("QUIRE_WEAVIATE_GRPC"),
	}
	t.Cleanup(func() {
		for _, c := range []string{coll, pushed} {
			e, err := weaviate.Open(context.Background(), weaviate.Options{URL: url, GRPC: envs["QUIRE_ENGINE_GRPC"], Collection: c})
			if err == nil {
				if err := e.Drop(context.Background()); err != nil {
					t.Errorf("drop %s: %v", c, err)
				}
				e.Close()
			}
		}
	})
	cli := func(args ...string) runResult {
		t.Helper()
		var out, errb bytes.Buffer
		code := runWith(context.Background(), args, &out, &errb, func(k string) string { return envs[k] }, nil)
		return runResult{code, out.String(), errb.String()}
	}
	corpus := repoFile(t, "testdata/corpus/arxiv-snapshot.jsonl")
	wv := []string{"--engine", "weaviate", "--collection", coll}
	r := cli(append(wv, "ingest", corpus)...)
	if r.code != 0 || !strings.Contains(r.stdout, "5 papers written") {
		t.Fatalf("ingest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(append(wv, "ingest", corpus)...)
	if r.code != 0 || !strings.Contains(r.stdout, "already ingested (5 papers)") {
		t.Fatalf("ingest again, resumed from the cluster's checkpoint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(append(wv, "search", "--mode", "bm25", "diphoton")...)
	if r.code != 0 || !strings.Contains(r.stdout, "0704.0001") {
		t.Fatalf("search: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(append(wv, "stats")...)
	if r.code != 0 || !strings.Contains(r.stdout, "papers:   5") || !strings.Contains(r.stdout, "complete") {
		t.Fatalf("stats: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(append(wv, "ask", "--no-save", "diphoton production at the Tevatron")...)
	if r.code != 0 || !strings.Contains(r.stdout, "[1]") {
		t.Fatalf("ask: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(append(wv, "check")...)
	if r.code != exitUsage {
		t.Fatalf("check on the cluster: exit %d\n%s", r.code, r.stderr)
	}

	// push: the embedded index into a second collection.
	if r := cli("ingest", corpus); r.code != 0 {
		t.Fatalf("embedded ingest: %d %s", r.code, r.stderr)
	}
	r = cli("push", "--to", "weaviate", "--collection", pushed)
	if r.code != 0 || !strings.Contains(r.stdout, "5 papers in weaviate collection "+pushed) {
		t.Fatalf("push: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli("--engine", "weaviate", "--collection", pushed, "search", "--mode", "bm25", "diphoton")
	if r.code != 0 || !strings.Contains(r.stdout, "0704.0001") {
		t.Fatalf("search after push: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
