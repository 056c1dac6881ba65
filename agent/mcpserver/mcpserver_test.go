package mcpserver

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/enginetest"
)

// connect serves the fixture library over an in-memory pipe and returns
// a go-sdk client session on it; progress notifications go to onProgress.
func connect(t *testing.T, onProgress func(*mcp.ProgressNotificationParams)) *mcp.ClientSession {
	t.Helper()
	return connectTo(t, onProgress, func(x search.Engine) search.Engine { return x })
}

func connectTo(t *testing.T, onProgress func(*mcp.ProgressNotificationParams), wrap func(search.Engine) search.Engine) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	x, err := embedded.Open(filepath.Join(t.TempDir(), "idx"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	papers := append(enginetest.Papers(t), corpus.Paper{ID: "full-1", Title: "Yeast genome editing, in full",
		Abstract: "Editing the yeast genome.", FullText: fullText, Year: 2021})
	if err := x.Apply(ctx, &search.Batch{Upserts: papers}); err != nil {
		t.Fatal(err)
	}
	eng := wrap(x)
	s, err := New(Options{Engine: eng, Agent: agent.New(eng, nil, agent.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	opts := &mcp.ClientOptions{}
	if onProgress != nil {
		opts.ProgressNotificationHandler = func(_ context.Context, r *mcp.ProgressNotificationClientRequest) { onProgress(r.Params) }
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opts).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		b.WriteString(c.(*mcp.TextContent).Text)
	}
	return b.String(), res.IsError
}

func TestListsToolsWithSchemas(t *testing.T) {
	cs := connect(t, nil)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*mcp.Tool{}
	for _, tl := range res.Tools {
		got[tl.Name] = tl
	}
	for _, name := range []string{"search_papers", "get_paper", "facet_counts", "add_to_basket", "list_basket", "clear_basket", "stats", Ask, Draft} {
		tl, ok := got[name]
		if !ok {
			t.Errorf("tool %s missing", name)
			continue
		}
		if tl.Description == "" || tl.InputSchema == nil {
			t.Errorf("tool %s: no description or schema", name)
		}
	}
}

func TestSearchWithFiltersAndFacets(t *testing.T) {
	cs := connect(t, nil)
	out, isErr := call(t, cs, "search_papers", map[string]any{"query": "crispr year:2020..", "mode": "bm25", "facets": []string{"year"}})
	if isErr {
		t.Fatal(out)
	}
	years := regexp.MustCompile(`id: [^;)]+; (\d{4})`).FindAllStringSubmatch(out, -1)
	if len(years) == 0 {
		t.Fatalf("no hits:\n%s", out)
	}
	for _, y := range years {
		if y[1] < "2020" {
			t.Errorf("hit from %s outside year:2020..:\n%s", y[1], out)
		}
	}
	if !strings.Contains(out, "\nyear: ") {
		t.Errorf("no year facet:\n%s", out)
	}
	// A query-language mistake comes back as a tool error with the
	// parser's message, not as a protocol failure.
	out, isErr = call(t, cs, "search_papers", map[string]any{"query": "year:20x"})
	if !isErr || !strings.Contains(out, "year") {
		t.Errorf("bad filter: isError %v, %q", isErr, out)
	}
	out, isErr = call(t, cs, "search_papers", map[string]any{"query": "x", "mode": "fuzzy"})
	if !isErr || !strings.Contains(out, "unknown mode") {
		t.Errorf("bad mode: isError %v, %q", isErr, out)
	}
}

func TestAskGivesCheckedCitationsWithProgress(t *testing.T) {
	var mu sync.Mutex
	var progress []string
	cs := connect(t, func(p *mcp.ProgressNotificationParams) {
		mu.Lock()
		progress = append(progress, p.Message)
		mu.Unlock()
	})
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: Ask,
		Arguments: map[string]any{"question": "how is crispr gene editing used in yeast?"},
		Meta:      mcp.Meta{"progressToken": "t1"}})
	if err != nil || res.IsError {
		t.Fatalf("ask: %v %v", err, res)
	}
	out := res.Content[0].(*mcp.TextContent).Text
	cites := regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(out, -1)
	if len(cites) == 0 {
		t.Fatalf("no citations:\n%s", out)
	}
	// Every number cited in the answer is listed as a source after it.
	for _, c := range cites {
		if !strings.Contains(out, "\n- ["+c[1]+"] ") {
			t.Errorf("citation [%s] has no source line:\n%s", c[1], out)
		}
	}
	if strings.Contains(out, "warning:") {
		t.Errorf("unchecked citation:\n%s", out)
	}
	// Notifications may trail the result on the wire; the first one is
	// sent before any text, so wait for it briefly.
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(progress) > 0 })
	mu.Lock()
	if !strings.HasPrefix(progress[0], "retrieved ") {
		t.Errorf("first progress %q", progress[0])
	}
	mu.Unlock()
}

func TestGetPaperResourceAndBasket(t *testing.T) {
	cs := connect(t, nil)
	ctx := context.Background()
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: PaperLink("conf-001")})
	if err != nil {
		t.Fatal(err)
	}
	md := rr.Contents[0].Text
	for _, want := range []string{"# CRISPR gene editing in yeast", "## Abstract", "@article{charpentier2022crispr,"} {
		if !strings.Contains(md, want) {
			t.Errorf("paper markdown lacks %q:\n%s", want, md)
		}
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: PaperLink("nope")}); err == nil {
		t.Error("reading a missing paper succeeded")
	}
	if out, isErr := call(t, cs, "get_paper", map[string]any{"id": "nope"}); !isErr || !strings.Contains(out, `no paper with id "nope"`) {
		t.Errorf("get_paper nope: %v %q", isErr, out)
	}
	call(t, cs, "add_to_basket", map[string]any{"ids": []string{"conf-001", "conf-002"}})
	if out, _ := call(t, cs, "list_basket", nil); !strings.Contains(out, "2 papers") || !strings.Contains(out, "Protein folding") {
		t.Errorf("list_basket: %q", out)
	}
	call(t, cs, "clear_basket", nil)
	if out, _ := call(t, cs, "list_basket", nil); out != "The basket is empty." {
		t.Errorf("after clear: %q", out)
	}
	if out, isErr := call(t, cs, "stats", nil); isErr || !strings.Contains(out, "papers: ") {
		t.Errorf("stats: %q", out)
	}
}

func TestPromptsAndDraft(t *testing.T) {
	cs := connect(t, nil)
	ctx := context.Background()
	lp, err := cs.ListPrompts(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prfaq *mcp.Prompt
	for _, p := range lp.Prompts {
		if p.Name == "prfaq" {
			prfaq = p
		}
	}
	if prfaq == nil {
		t.Fatal("prfaq prompt not listed")
	}
	names := map[string]bool{}
	for _, a := range prfaq.Arguments {
		names[a.Name] = true
	}
	if !names["product"] || !names["query"] {
		t.Errorf("prfaq arguments %v", names)
	}
	gp, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "prfaq", Arguments: map[string]string{"product": "FoldKit", "query": "protein folding"}})
	if err != nil {
		t.Fatal(err)
	}
	body := gp.Messages[0].Content.(*mcp.TextContent).Text
	if !strings.Contains(body, "FoldKit") || !strings.Contains(body, "Protein folding") {
		t.Errorf("rendered prompt lacks the variable or the evidence:\n%s", body)
	}
	out, isErr := call(t, cs, Draft, map[string]any{"prompt": "prfaq", "vars": map[string]string{"product": "FoldKit"}, "query": "protein folding"})
	if isErr || !strings.Contains(out, "FoldKit") || !regexp.MustCompile(`\[\d+\]`).MatchString(out) {
		t.Errorf("draft (error %v):\n%s", isErr, out)
	}
	if out, isErr := call(t, cs, Draft, map[string]any{"prompt": "nosuch"}); !isErr || !strings.Contains(out, "nosuch") {
		t.Errorf("unknown prompt: %v %q", isErr, out)
	}
}

const fullText = "Introduction. Yeast is a model organism. Methods. We cut the genome with guide RNAs at 40 loci."

// passageEngine answers a passage request as an engine that indexes full
// text would, with the Methods sentence as the best passage, and records
// the query it was given.
type passageEngine struct {
	search.Engine
	mu    sync.Mutex
	asked []string
}

func (e *passageEngine) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	res, err := e.Engine.Search(ctx, req)
	if err != nil || !req.Passages {
		return res, err
	}
	e.mu.Lock()
	e.asked = append(e.asked, req.Query.String())
	e.mu.Unlock()
	for i := range res.Hits {
		if start := strings.Index(res.Hits[i].Paper.FullText, "Methods."); start >= 0 {
			res.Hits[i].Passages = []search.Passage{{Index: 1, Section: "Methods", Start: start, End: len(res.Hits[i].Paper.FullText)}}
		}
	}
	return res, nil
}

func TestGetPaperShowsPassagesForQuery(t *testing.T) {
	pe := &passageEngine{}
	cs := connectTo(t, nil, func(x search.Engine) search.Engine { pe.Engine = x; return pe })
	out, isErr := call(t, cs, "get_paper", map[string]any{"id": "full-1", "query": "guide rna"})
	if isErr {
		t.Fatal(out)
	}
	for _, want := range []string{"# Yeast genome editing, in full", "## Passages", "### Methods", "We cut the genome with guide RNAs", "@misc{paper2021yeast,"} {
		if !strings.Contains(out, want) {
			t.Errorf("get_paper lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out[strings.Index(out, "## Passages"):], "Introduction.") {
		t.Errorf("passage is not the matching one:\n%s", out)
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if len(pe.asked) != 1 || !strings.Contains(pe.asked[0], "full-1") {
		t.Errorf("passage search not restricted to the paper: %q", pe.asked)
	}
	// Without a query there is no passage search.
	if out, _ := call(t, cs, "get_paper", map[string]any{"id": "full-1"}); strings.Contains(out, "## Passages") {
		t.Errorf("passages without a query:\n%s", out)
	}
}
