package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/tools"
	"github.com/quire-research/quire/config"
)

// The test binary doubles as a stdio MCP server when this is set.
const serverEnv = "QUIRE_MCPCLIENT_TEST_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) != "" {
		if err := testServer(true).Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type usageIn struct {
	Year int `json:"year,omitempty"`
}

// testServer has usage_table, slow (answers only when cancelled) and, over
// stdio, crash (the process exits mid-call).
func testServer(stdio bool) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "usage", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "usage_table", Description: "Download counts per paper."},
		func(_ context.Context, _ *mcp.CallToolRequest, in usageIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: "paper\tdownloads"},
				&mcp.TextContent{Text: fmt.Sprintf("p1\t%d", in.Year)},
			}}, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "slow", Description: "Never answers."},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			<-ctx.Done()
			return nil, nil, ctx.Err()
		})
	if stdio {
		mcp.AddTool(s, &mcp.Tool{Name: "crash", Description: "Exits."},
			func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
				fmt.Fprintln(os.Stderr, "usage db: table locked by pid 42")
				os.Exit(3)
				return nil, nil, nil
			})
	}
	return s
}

func stdioServer(t *testing.T, name string) config.MCPServer {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return config.MCPServer{Name: name, Command: exe, Args: []string{"-test.run=^$"}, Env: map[string]string{serverEnv: "1"}}
}

func httpServer(t *testing.T, token string) string {
	t.Helper()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return testServer(false) }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func connect(t *testing.T, o Options) (*Client, []string) {
	t.Helper()
	if o.Config.MaxCalls == 0 {
		o.Config.MaxCalls = 8
	}
	if o.Config.CallTimeoutSeconds == 0 {
		o.Config.CallTimeoutSeconds = 20
	}
	c, problems := Connect(context.Background(), o)
	t.Cleanup(func() { c.Close() })
	return c, problems
}

func registry(t *testing.T, c *Client) *tools.Registry {
	t.Helper()
	r, err := tools.NewRegistry(c.Tools()...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStdioAndHTTP(t *testing.T) {
	t.Parallel()
	st := stdioServer(t, "local")
	st.Policy = config.PolicyAllow
	web := config.MCPServer{Name: "web", URL: httpServer(t, "s3cret"), TokenEnv: "USAGE_TOKEN", Policy: config.PolicyAllow}
	c, problems := connect(t, Options{
		Config: config.MCP{Servers: []config.MCPServer{st, web}},
		Getenv: func(k string) string { return map[string]string{"USAGE_TOKEN": "s3cret"}[k] },
	})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	names := strings.Join(c.Names(), " ")
	for _, want := range []string{"local.usage_table", "local.crash", "web.usage_table", "web.slow"} {
		if !strings.Contains(names, want) {
			t.Errorf("tools %q lack %s", names, want)
		}
	}
	r := registry(t, c)
	for _, wire := range []string{"local__usage_table", "web__usage_table"} {
		out, err := r.Call(context.Background(), wire, json.RawMessage(`{"year":2024}`))
		if err != nil || out != "paper\tdownloads\np1\t2024" {
			t.Errorf("%s = %q, %v", wire, out, err)
		}
	}
	if got := c.Display("web__usage_table"); got != "web.usage_table" {
		t.Errorf("Display = %q", got)
	}
	// Provider-safe names only.
	for _, l := range r.LLM() {
		if unsafe.MatchString(l.Name) || len(l.Name) > 64 {
			t.Errorf("wire name %q is not provider-safe", l.Name)
		}
	}
}

func TestHTTPWrongTokenIsReportedWithoutIt(t *testing.T) {
	t.Parallel()
	web := config.MCPServer{Name: "web", URL: httpServer(t, "right"), TokenEnv: "T"}
	c, problems := connect(t, Options{
		Config: config.MCP{Servers: []config.MCPServer{web}, CallTimeoutSeconds: 5},
		Getenv: func(string) string { return "wrong-token-value" },
	})
	if len(problems) != 1 || !strings.HasPrefix(problems[0], "mcp server web:") || strings.Contains(problems[0], "wrong-token-value") {
		t.Fatalf("problems = %q", problems)
	}
	if len(c.Names()) != 0 {
		t.Errorf("tools from a refused server: %v", c.Names())
	}
	_, problems = connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{web}}, Getenv: func(string) string { return "" }})
	if len(problems) != 1 || !strings.Contains(problems[0], "token_env T is not set") {
		t.Errorf("missing token: %q", problems)
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	web := config.MCPServer{Name: "web", URL: httpServer(t, "k"), TokenEnv: "T",
		Tools: map[string]string{"slow": config.PolicyDeny}} // usage_table: ask (the default)
	var asked atomic.Int32
	answer := agent.Deny
	c, problems := connect(t, Options{
		Config: config.MCP{Servers: []config.MCPServer{web}},
		Getenv: func(string) string { return "k" },
		Ask: func(_ context.Context, name string, in json.RawMessage) agent.Decision {
			asked.Add(1)
			if name != "web.usage_table" || string(in) != `{"year":1}` {
				t.Errorf("asked about %s %s", name, in)
			}
			return answer
		},
	})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	r := registry(t, c)
	call := func(name string) error {
		_, err := r.Call(context.Background(), name, json.RawMessage(`{"year":1}`))
		return err
	}
	if err := call("web__slow"); !errors.Is(err, ErrDenied) || asked.Load() != 0 {
		t.Errorf("deny: %v (asked %d)", err, asked.Load())
	}
	if err := call("web__usage_table"); !errors.Is(err, ErrDenied) || asked.Load() != 1 {
		t.Errorf("ask → deny: %v (asked %d)", err, asked.Load())
	}
	answer = agent.AllowOnce
	if err := call("web__usage_table"); err != nil || asked.Load() != 2 {
		t.Errorf("ask → once: %v (asked %d)", err, asked.Load())
	}
	answer = agent.AllowAlways
	if err := call("web__usage_table"); err != nil || asked.Load() != 3 {
		t.Errorf("ask → always: %v (asked %d)", err, asked.Load())
	}
	answer = agent.Deny
	if err := call("web__usage_table"); err != nil || asked.Load() != 3 {
		t.Errorf("after always: %v (asked %d)", err, asked.Load())
	}

	// No one to ask: denied unless allowed up front.
	c2, _ := connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{web}}, Getenv: func(string) string { return "k" }})
	if _, err := registry(t, c2).Call(context.Background(), "web__usage_table", nil); !errors.Is(err, ErrDenied) {
		t.Errorf("no asker: %v", err)
	}
	c3, _ := connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{web}}, Getenv: func(string) string { return "k" },
		Allow: []string{"web.usage_table"}})
	if _, err := registry(t, c3).Call(context.Background(), "web__usage_table", nil); err != nil {
		t.Errorf("allowed up front: %v", err)
	}
}

func TestMaxCallsPerRun(t *testing.T) {
	t.Parallel()
	web := config.MCPServer{Name: "web", URL: httpServer(t, "k"), TokenEnv: "T", Policy: config.PolicyAllow}
	c, _ := connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{web}, MaxCalls: 2}, Getenv: func(string) string { return "k" }})
	r := registry(t, c)
	for i := range 3 {
		_, err := r.Call(context.Background(), "web__usage_table", nil)
		if (err != nil) != (i == 2) {
			t.Errorf("call %d: %v", i+1, err)
		}
	}
	// A new run starts counting again.
	if _, err := registry(t, c).Call(context.Background(), "web__usage_table", nil); err != nil {
		t.Errorf("next run: %v", err)
	}
}

func TestFailingServersAreReportedAndOthersWork(t *testing.T) {
	t.Parallel()
	good := stdioServer(t, "good")
	good.Policy = config.PolicyAllow
	good.TimeoutSeconds = 1
	missing := config.MCPServer{Name: "missing", Command: "/nonexistent/quire-mcp-server"}
	// A server that starts and never speaks.
	mute := config.MCPServer{Name: "mute", Command: "sleep", Args: []string{"30"}, TimeoutSeconds: 0.5}
	start := time.Now()
	c, problems := connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{good, missing, mute}}})
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Connect took %v", d)
	}
	got := strings.Join(problems, "\n")
	if len(problems) != 2 || !strings.Contains(got, "mcp server missing:") || !strings.Contains(got, "mcp server mute: no answer within 500ms") {
		t.Fatalf("problems:\n%s", got)
	}
	r := registry(t, c)

	// A hanging call times out; the server still answers the next one.
	_, err := r.Call(context.Background(), "good__slow", nil)
	if err == nil || !strings.Contains(err.Error(), "good.slow: no answer within 1s") {
		t.Errorf("slow: %v", err)
	}
	if out, err := r.Call(context.Background(), "good__usage_table", json.RawMessage(`{"year":7}`)); err != nil || !strings.Contains(out, "p1\t7") {
		t.Errorf("after timeout: %q, %v", out, err)
	}
	// A crash is an error for that call, not a hang nor a panic, and it
	// quotes what the server said last.
	if _, err := r.Call(context.Background(), "good__crash", nil); err == nil || !strings.HasPrefix(err.Error(), "good.crash") ||
		!strings.Contains(err.Error(), "good.crash: usage db: table locked by pid 42 (") {
		t.Errorf("crash: %v", err)
	}
}

// TestStartFailureQuotesStderr: a server that dies at start says why, in
// the problem line and in its log, with secrets from its env hidden.
func TestStartFailureQuotesStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := config.MCPServer{Name: "py", Command: "sh", Env: map[string]string{"DB_PASSWORD": "hunter2hunter2"},
		Args: []string{"-c", `echo "connecting with $DB_PASSWORD" >&2; echo "Authorization: Bearer sk-live-123456" >&2; echo "ModuleNotFoundError: No module named 'mcp'" >&2; exit 1`}}
	c, problems := connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{broken}}, LogDir: dir})
	if len(c.Names()) != 0 || len(problems) != 1 {
		t.Fatalf("tools %v, problems %q", c.Names(), problems)
	}
	p := problems[0]
	log := filepath.Join(dir, "mcp-py.log")
	for _, want := range []string{"mcp server py: ModuleNotFoundError: No module named 'mcp' (", "connecting with ***", "Bearer ***", "; all of it in " + log + ")"} {
		if !strings.Contains(p, want) {
			t.Errorf("problem lacks %q:\n%s", want, p)
		}
	}
	for _, secret := range []string{"hunter2hunter2", "sk-live-123456"} {
		if strings.Contains(p, secret) {
			t.Errorf("problem shows %s:\n%s", secret, p)
		}
	}
	b, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(b), "ModuleNotFoundError") {
		t.Errorf("log %s: %v\n%s", log, err, b)
	}
	// A second start appends, and quotes only its own run.
	broken.Args = []string{"-c", "echo second run failed >&2; exit 1"}
	_, problems = connect(t, Options{Config: config.MCP{Servers: []config.MCPServer{broken}}, LogDir: dir})
	if len(problems) != 1 || !strings.Contains(problems[0], "mcp server py: second run failed (") || strings.Contains(problems[0], "before that") {
		t.Errorf("second run: %q", problems)
	}
}

func TestWireName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ server, tool, want string }{
		{"usage", "usage_table", "usage__usage_table"},
		{"fs", "read.file/v2", "fs__read_file_v2"},
		{"s", strings.Repeat("x", 80), ("s__" + strings.Repeat("x", 80))[:64]},
	} {
		if got := WireName(c.server, c.tool); got != c.want {
			t.Errorf("WireName(%q, %q) = %q, want %q", c.server, c.tool, got, c.want)
		}
	}
}
