package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// usageMCP is an MCP server over HTTP with one tool, behind a token.
func usageMCP(t *testing.T, token string) string {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "usage", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "usage_table", Description: "Download counts."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "downloads_total 42"}}}, nil, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAskWithMCPTool: 'quire ask --tools' offers the configured server's
// tool; with policy ask and no terminal it is denied unless
// --allow-tools names it; a dead server is one warning and the run goes on.
func TestAskWithMCPTool(t *testing.T) {
	home := agentHome(t)
	url := usageMCP(t, "tok")
	cfg := filepath.Join(home, "mcp.toml")
	toml := fmt.Sprintf("[[mcp.servers]]\nname = \"usage\"\nurl = %q\ntoken_env = \"USAGE_TOKEN\"\n\n"+
		"[[mcp.servers]]\nname = \"dead\"\ncommand = \"/nonexistent/mcp-server\"\n", url+"/")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		allow  []string
		result string // sent back to the model
	}{
		{nil, "denied by policy"},
		{[]string{"--allow-tools", "usage.usage_table"}, "downloads_total 42"},
	} {
		var mu sync.Mutex
		var bodies []string
		llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			n := len(bodies)
			mu.Unlock()
			w.Header().Set("Content-Type", "text/event-stream")
			if n == 1 {
				fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"usage__usage_table","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`+"\n\n")
			} else {
				fmt.Fprintf(w, "data: %s\n\n", chunk("Counted."))
				fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
		}))
		envs := map[string]string{
			"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_DATA_HOME": filepath.Join(home, "data"),
			"XDG_CACHE_HOME": filepath.Join(home, "cache"), "NO_COLOR": "1",
			"QUIRE_LLM_PROVIDER": "openai", "QUIRE_LLM_BASE_URL": llm.URL + "/v1", "QUIRE_LLM_MODEL": "m",
			"USAGE_TOKEN": "tok",
		}
		var out, errb bytes.Buffer
		args := append([]string{"--config", cfg, "ask", "--no-save", "--tools"}, c.allow...)
		code := Run(context.Background(), append(args, "how often are halos papers read?"), strings.NewReader(""),
			&out, &errb, func(k string) string { return envs[k] })
		llm.Close()
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", c.allow, code, out.String(), errb.String())
		}
		stderr := errb.String()
		if !strings.Contains(stderr, "quire: warning: mcp server dead:") || strings.Contains(stderr, "tok\n") {
			t.Errorf("%v: dead server not reported:\n%s", c.allow, stderr)
		}
		if !strings.Contains(stderr, "→ usage.usage_table {}") {
			t.Errorf("%v: tool call not shown:\n%s", c.allow, stderr)
		}
		if len(bodies) != 2 || !strings.Contains(bodies[0], `"usage__usage_table"`) || !strings.Contains(bodies[1], c.result) {
			t.Errorf("%v: model requests lack the tool or its result %q:\n%s", c.allow, c.result, strings.Join(bodies, "\n"))
		}
		if !strings.Contains(out.String(), "Counted.") {
			t.Errorf("%v: answer: %s", c.allow, out.String())
		}
	}
}
