package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent"
)

const agentCorpus = `{"id": "h1", "title": "Dark matter halos in simulations", "abstract": "We simulate dark matter halos with N-body codes. The density profiles of the halos follow a universal form. Baryonic feedback flattens the inner cusp of dwarf halos.", "year": 2010, "fields": ["Physics"]}
{"id": "h2", "title": "Rotation curves of spiral galaxies", "abstract": "Flat rotation curves imply large amounts of unseen mass. Dark matter halos extend well beyond the visible disk of spiral galaxies.", "year": 1980, "fields": ["Physics"]}
{"id": "t1", "title": "Attention is all you need", "abstract": "We propose the Transformer, a model architecture based solely on attention mechanisms. The Transformer dispenses with recurrence entirely.", "year": 2017, "fields": ["Computer Science"]}
{"id": "t2", "title": "Residual learning", "abstract": "Residual networks ease the training of very deep networks. Deeper residual networks gain accuracy on image benchmarks.", "year": 2016, "fields": ["Computer Science"]}
`

// agentHome ingests a small corpus into an isolated home.
func agentHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	src := filepath.Join(home, "papers.jsonl")
	if err := os.WriteFile(src, []byte(agentCorpus), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := quire(t, home, "ingest", src); r.code != 0 {
		t.Fatalf("ingest: %d\n%s", r.code, r.stderr)
	}
	return home
}

func TestAskStreamsCitedMarkdownAndSaves(t *testing.T) {
	home := agentHome(t)
	basket := filepath.Join(home, "basket.txt")
	os.WriteFile(basket, []byte("# my basket\nh2   # rotation curves\n\n"), 0o644)
	// Flags after the question work too.
	r := quire(t, home, "ask", "what", "shape", "are", "dark", "matter", "halo", "density", "profiles?", "-f", "field:physics", "--basket", basket)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "_Extractive answer") || !strings.Contains(r.stdout, "The density profiles of the halos follow a universal form. [") {
		t.Fatalf("answer:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "Sources:\n\n- [1] Rotation curves of spiral galaxies (1980) — `h2` · basket") {
		t.Errorf("basket paper not source 1:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "Transformer") {
		t.Errorf("filter field:physics ignored:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "extractive · bm25-mmr") || !strings.Contains(r.stderr, "saved ") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(home, "data", "quire", "conversations", "*.md"))
	if len(files) != 1 {
		t.Errorf("saved markdown files: %v", files)
	}
}

func TestAskJSONEvents(t *testing.T) {
	home := agentHome(t)
	r := quire(t, home, "ask", "--json", "--no-save", "--k", "2", "residual networks training")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var evs []agent.Event
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var ev agent.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	if len(evs) < 4 || evs[0].Kind != agent.EventSources || evs[len(evs)-1].Kind != agent.EventDone {
		t.Fatalf("events: %+v", evs)
	}
	if n := len(evs[0].Sources); n < 1 || n > 2 || evs[0].Sources[0].PaperID != "t2" {
		t.Errorf("sources: %+v", evs[0].Sources)
	}
	if evs[len(evs)-1].Done.Path != "" {
		t.Error("--no-save saved anyway")
	}
	if !strings.Contains(r.stdout, `"kind":"delta"`) || !strings.Contains(r.stdout, `"kind":"usage"`) {
		t.Errorf("kinds missing:\n%s", r.stdout)
	}
}

func TestAskErrors(t *testing.T) {
	home := agentHome(t)
	if r := quire(t, home, "ask"); r.code != 2 {
		t.Errorf("no question: exit %d", r.code)
	}
	if r := quire(t, home, "ask", "x", "-f", "year:20x8"); r.code == 0 || !strings.Contains(r.stderr, "column") {
		t.Errorf("bad filter: %d %s", r.code, r.stderr)
	}
	if r := quire(t, home, "ask", "x", "--basket", filepath.Join(home, "none.txt")); r.code == 0 || !strings.Contains(r.stderr, "basket") {
		t.Errorf("missing basket file: %d %s", r.code, r.stderr)
	}
	cfg := filepath.Join(home, "openai.toml")
	os.WriteFile(cfg, []byte("[llm]\nprovider = \"openai\"\n"), 0o644)
	if r := quire(t, home, "--config", cfg, "ask", "x"); r.code == 0 || !strings.Contains(r.stderr, "llm provider openai") {
		t.Errorf("openai provider: %d %s", r.code, r.stderr)
	}
}
