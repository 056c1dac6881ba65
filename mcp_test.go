package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPBinary drives the built binary as MCP clients do: over stdio
// (list tools, search with a filter, a cited answer), then 'quire serve'
// over HTTP (401 without the token, 200 with it, MCP at /mcp), and stops
// it with SIGTERM.
func TestMCPBinary(t *testing.T) {
	bin := buildQuire(t)
	home := t.TempDir()
	fixture, _ := filepath.Abs(filepath.Join("search", "enginetest", "testdata", "papers.jsonl"))
	if out, err := quireCmd(bin, home, "ingest", fixture).CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: quireCmd(bin, home, "mcp")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) < 9 {
		t.Fatalf("tools: %v %d", err, len(tools.Tools))
	}
	text := func(name string, args map[string]any) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %+v", name, err, res)
		}
		return res.Content[0].(*mcp.TextContent).Text
	}
	out := text("search_papers", map[string]any{"query": "crispr year:2020.."})
	years := regexp.MustCompile(`id: [^;)]+; (\d{4})`).FindAllStringSubmatch(out, -1)
	if len(years) == 0 || len(years) != strings.Count(out, "id: ") {
		t.Errorf("filtered search:\n%s", out)
	}
	for _, y := range years {
		if y[1] < "2020" {
			t.Errorf("hit from %s outside year:2020..:\n%s", y[1], out)
		}
	}
	out = text("ask", map[string]any{"question": "how is crispr used in yeast?"})
	if !regexp.MustCompile(`\[1\]`).MatchString(out) || !strings.Contains(out, "- [1] ") {
		t.Errorf("answer without checked citations:\n%s", out)
	}
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err)
	}

	tok, err := quireCmd(bin, home, "mcp", "--print-token").Output()
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	srv := quireCmd(bin, home, "serve", "--addr", "127.0.0.1:0")
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	lines := bufio.NewScanner(stderr)
	var base string
	for base == "" && lines.Scan() {
		if m := regexp.MustCompile(`at (http://[0-9.:]+)`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatal("serve printed no address")
	}
	status := func(path, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := status("/v1/search?q=crispr", ""); c != http.StatusUnauthorized {
		t.Errorf("without token: %d", c)
	}
	if c := status("/mcp", ""); c != http.StatusUnauthorized {
		t.Errorf("/mcp without token: %d", c)
	}
	if c := status("/v1/search?q=crispr", token); c != http.StatusOK {
		t.Errorf("with token: %d", c)
	}
	hc := &http.Client{Transport: bearer(token)}
	hs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tl, err := hs.ListTools(ctx, nil); err != nil || len(tl.Tools) < 9 {
		t.Errorf("tools over HTTP: %v", err)
	}
	hs.Close()

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
	}
	var ee *exec.ExitError
	if err := srv.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("serve after SIGTERM: %v, want exit 143", err)
	}
	left, _ := filepath.Glob(filepath.Join(home, "cache", "quire", "serve", "*.json"))
	if len(left) > 0 {
		t.Errorf("server file left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(home, "config", "quire", "token")); err != nil {
		t.Error(err)
	}
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}
