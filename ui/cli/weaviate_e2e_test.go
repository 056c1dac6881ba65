package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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
	modeled := coll + "Model"
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
		for _, c := range []string{coll, pushed, modeled} {
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

	// push hands over the local model: the 40-paper fixture is enough to
	// learn one; the cluster stores it instead of learning its own, the
	// papers arrive with their vectors, and vector search ranks as the
	// embedded index does.
	fixture := repoFile(t, "search/enginetest/testdata/papers.jsonl")
	idx := []string{"--index", filepath.Join(home, "fixture")}
	if r := cli(append(idx, "ingest", fixture)...); r.code != 0 {
		t.Fatalf("embedded ingest of the fixture: %d %s", r.code, r.stderr)
	}
	r = cli(append(idx, "push", "--to", "weaviate", "--collection", modeled)...)
	if r.code != 0 || !strings.Contains(r.stderr, "copied the local model") {
		t.Fatalf("push with a local model: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "train") {
		t.Errorf("push learned a model on the cluster although it copied one:\n%s", r.stderr)
	}
	sa, sb := cli(append(idx, "stats", "--json")...), cli("--engine", "weaviate", "--collection", modeled, "stats", "--json")
	if ea, eb := statsEmbedder(t, sa.stdout), statsEmbedder(t, sb.stdout); ea == "" || ea != eb {
		t.Errorf("embedder: embedded index %q, pushed collection %q; want the same model", ea, eb)
	}
	// The embedded index ranks int8 copies of the vectors and the fixture
	// is small (exact ties), so order may differ: four of the best five
	// must agree.
	for _, q := range []string{"gene editing in yeast", "protein folding", "neural networks"} {
		a := cli(append(idx, "search", "--mode", "vector", "--json", "--limit", "5", q)...)
		b := cli("--engine", "weaviate", "--collection", modeled, "search", "--mode", "vector", "--json", "--limit", "5", q)
		if a.code != 0 || b.code != 0 {
			t.Fatalf("vector search %q: exit %d / %d\n%s%s", q, a.code, b.code, a.stderr, b.stderr)
		}
		ia, ib := hitIDs(t, a.stdout), hitIDs(t, b.stdout)
		common := 0
		for _, id := range ia {
			if slices.Contains(ib, id) {
				common++
			}
		}
		if len(ia) != 5 || common < 4 {
			t.Errorf("vector search %q: embedded %v, pushed collection %v; want the same papers", q, ia, ib)
		}
	}
}

// hitIDs reads the hit IDs of search --json output.
func hitIDs(t *testing.T, out string) []string {
	t.Helper()
	var res struct {
		Hits []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// statsEmbedder reads the embedder's name from stats --json output.
func statsEmbedder(t *testing.T, out string) string {
	t.Helper()
	var st struct {
		Embedder string `json:"embedder"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	return st.Embedder
}
