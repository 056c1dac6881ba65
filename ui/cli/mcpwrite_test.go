package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

// quire mcp --allow-write offers ingest: it writes papers as quire ingest
// does, reports its closing line, and names a source it cannot read.
func TestMCPIngestTool(t *testing.T) {
	home := t.TempDir()
	e := cmdEnv(t, home)
	x, _, err := warmAgent(e, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ingest := ingestTool(e, x)
	ctx := context.Background()
	in, _ := json.Marshal(map[string]string{"source": repoFile(t, "search/enginetest/testdata/papers.jsonl")})
	out, err := ingest.Call(ctx, in)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ingest finished") || !strings.Contains(out, "papers written") {
		t.Errorf("ingest reported:\n%s", out)
	}
	req, err := search.NewRequest("crispr", 5)
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(ctx, req)
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("no hits after ingest: %v", err)
	}
	missing := home + "/nope.jsonl"
	in, _ = json.Marshal(map[string]string{"source": missing})
	if _, err := ingest.Call(ctx, in); err == nil || !strings.Contains(err.Error(), "nope.jsonl") {
		t.Errorf("missing source: %v", err)
	}
	if _, err := ingest.Call(ctx, json.RawMessage(`{"source":" "}`)); err == nil {
		t.Error("empty source accepted")
	}
}
