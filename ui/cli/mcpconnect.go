package cli

import (
	"path/filepath"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/mcpclient"
	"github.com/quire-research/quire/agent/tools"
)

// connectMCP connects the [[mcp.servers]]. Interactive runs ask the user
// about "ask" tools; others deny them unless allow lists them. With no
// servers configured it returns nothing.
func connectMCP(e *env, allow []string, interactive bool) (func() []tools.Tool, func(), []string) {
	if len(e.cfg.MCP.Servers) == 0 {
		return nil, func() {}, nil
	}
	o := mcpclient.Options{Config: e.cfg.MCP, Getenv: e.getenv, Allow: allow}
	if e.cfg.LLM.DataDir != "" {
		o.LogDir = filepath.Join(e.cfg.LLM.DataDir, "logs")
	}
	if interactive {
		o.Ask = agent.Approve
	}
	c, problems := mcpclient.Connect(e.ctx, o)
	return c.Tools, func() { _ = c.Close() }, problems
}
