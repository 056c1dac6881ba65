package cli

import (
	"fmt"
	"strings"
	"sync"

	"github.com/quire-research/quire/agent/tools"
)

// appMCP holds the app's MCP servers: the app connects them in a tea.Cmd
// at start (Options.Connect); agent runs use whatever is connected by then.
type appMCP struct {
	mu    sync.Mutex
	tools func() []tools.Tool
	close func()
}

// connect starts the servers, asking the user about "ask" tools through
// the run's events; it returns one line per server that failed.
func (a *appMCP) connect(e *env) []string {
	t, closeFn, problems := connectMCP(e, nil, true)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tools, a.close = t, closeFn
	return problems
}

func (a *appMCP) extra() []tools.Tool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tools == nil {
		return nil
	}
	return a.tools()
}

func (a *appMCP) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.close != nil {
		a.close()
		a.close, a.tools = nil, nil
	}
}

// splitAllow reads --allow-tools: comma-separated server.tool names.
func splitAllow(s string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if server, tool, ok := strings.Cut(n, "."); !ok || server == "" || tool == "" {
			return nil, usagef("--allow-tools %q: name tools as server.tool, e.g. usage.usage_table", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// warnMCP prints connection problems, one line each.
func warnMCP(e *env, problems []string) {
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "quire: warning: %s\n", p)
	}
}
