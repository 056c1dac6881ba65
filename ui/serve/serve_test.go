package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/mcpserver"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/enginetest"
)

const token = "s3cret"

func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	x, err := embedded.Open(filepath.Join(t.TempDir(), "idx"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	if err := x.Apply(context.Background(), &search.Batch{Upserts: enginetest.Papers(t)}); err != nil {
		t.Fatal(err)
	}
	a := agent.New(x, nil, agent.Options{})
	m, err := mcpserver.New(mcpserver.Options{Engine: x, Agent: a})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(Handler(Options{Engine: x, Agent: a, MCP: m, Token: token, API: true}))
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTokenRequired(t *testing.T) {
	ts := testServer(t)
	for _, path := range []string{"/v1/search?q=crispr", "/v1/papers/conf-001", "/mcp"} {
		for _, tok := range []string{"", "wrong", token + "x"} {
			if code, _ := get(t, ts.URL+path, tok); code != http.StatusUnauthorized {
				t.Errorf("%s with token %q: %d, want 401", path, tok, code)
			}
		}
	}
	code, body := get(t, ts.URL+"/v1/search?q=crispr+year:2020..&facets=year", token)
	if code != http.StatusOK {
		t.Fatalf("search: %d %s", code, body)
	}
	var res search.Result
	if err := json.Unmarshal([]byte(body), &res); err != nil || len(res.Hits) == 0 || len(res.Facets) != 1 {
		t.Fatalf("search result %v: %s", err, body)
	}
	for _, h := range res.Hits {
		if h.Paper.Year < 2020 {
			t.Errorf("hit %s from %d", h.ID, h.Paper.Year)
		}
	}
	if code, body := get(t, ts.URL+"/v1/search?q=year:20x", token); code != http.StatusBadRequest || !strings.Contains(body, "year") {
		t.Errorf("bad query: %d %s", code, body)
	}
	if code, body := get(t, ts.URL+"/v1/papers/conf-001", token); code != http.StatusOK || !strings.Contains(body, "CRISPR gene editing in yeast") {
		t.Errorf("paper: %d %s", code, body)
	}
	if code, _ := get(t, ts.URL+"/v1/papers/nope", token); code != http.StatusNotFound {
		t.Errorf("missing paper: %d", code)
	}
}

type bearer struct{ tok string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return http.DefaultTransport.RoundTrip(r)
}

func TestMCPOverHTTP(t *testing.T) {
	ts := testServer(t)
	ctx := context.Background()
	c := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	if _, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp"}, nil); err == nil {
		t.Error("connected without the token")
	}
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp",
		HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_papers", Arguments: map[string]any{"query": "protein folding"}})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "Protein folding") {
		t.Fatalf("search over HTTP: %v %+v", err, res)
	}
}

func TestAskStreamsServerSentEvents(t *testing.T) {
	ts := testServer(t)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/ask", strings.NewReader(`{"question":"crispr in yeast?"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	iS, iD, iDone := strings.Index(body, "event: sources\n"), strings.Index(body, "event: delta\n"), strings.Index(body, "event: done\n")
	if iS < 0 || iD < iS || iDone < iD {
		t.Errorf("want sources, delta … done in order:\n%s", body)
	}
	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/v1/draft", strings.NewReader(`{"prompt":"nosuch"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown prompt: %d", resp.StatusCode)
	}
}

func TestCheckBind(t *testing.T) {
	for _, c := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:7345", false, true}, {"localhost:0", false, true}, {"[::1]:80", false, true},
		{"0.0.0.0:7345", false, false}, {":7345", false, false}, {"192.168.1.5:80", false, false},
		{"0.0.0.0:7345", true, true}, {"nonsense", true, false},
	} {
		if err := CheckBind(c.addr, token, c.remote); (err == nil) != c.ok {
			t.Errorf("CheckBind(%q, remote %v): %v", c.addr, c.remote, err)
		}
	}
	if CheckBind("0.0.0.0:1", "", true) == nil {
		t.Error("remote bind without a token allowed")
	}
}

func TestTokenMadeOncePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "token")
	a, err := Token(path)
	if err != nil || len(a) != 64 {
		t.Fatalf("%q %v", a, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v %v", fi.Mode(), err)
	}
	if b, _ := Token(path); b != a {
		t.Errorf("second read %q, want %q", b, a)
	}
}

func TestInfoOfDeadProcessIsRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	if err := WriteInfo(path, Info{Addr: "127.0.0.1:1", PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if in, err := ReadInfo(path); err != nil || in.PID != os.Getpid() {
		t.Fatalf("%+v %v", in, err)
	}
	if err := WriteInfo(path, Info{Addr: "127.0.0.1:1", PID: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInfo(path); err == nil {
		t.Error("a dead server was found")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("stale file kept: %v", err)
	}
}
