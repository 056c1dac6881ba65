package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
)

// MCP is Quire as an MCP client: other people's tools offered to the model
// in agent mode, each call allowed, asked about or denied by policy.
type MCP struct {
	// MaxCalls bounds MCP tool calls in one agent run; a call over it is
	// refused to the model, which then answers from what it has.
	MaxCalls int `toml:"max_calls" env:"MCP_MAX_CALLS"`
	// CallTimeoutSeconds bounds one call, and a server's start, when the
	// server sets no timeout_seconds of its own.
	CallTimeoutSeconds float64 `toml:"call_timeout_seconds" env:"MCP_CALL_TIMEOUT_SECONDS"`
	// Servers are the MCP servers to start or reach, one [[mcp.servers]]
	// table each. Not settable from the environment.
	Servers []MCPServer `toml:"servers"`
}

// MCPServer is one [[mcp.servers]] table: a command spoken to over
// stdin/stdout, or a streamable HTTP URL.
type MCPServer struct {
	Name    string            `toml:"name"`
	Command string            `toml:"command"`
	Args    []string          `toml:"args"`
	Env     map[string]string `toml:"env"`
	URL     string            `toml:"url"`
	// TokenEnv names the variable holding the bearer token for URL; the
	// token itself is never in the file nor in any message.
	TokenEnv       string  `toml:"token_env"`
	TimeoutSeconds float64 `toml:"timeout_seconds"`
	// Policy is the server's default: allow, ask (default) or deny.
	Policy string `toml:"policy"`
	// Tools overrides Policy per tool name (the server's own name).
	Tools map[string]string `toml:"tools"`
}

// MCP tool policies.
const (
	PolicyAllow = "allow"
	PolicyAsk   = "ask"
	PolicyDeny  = "deny"
)

// ToolPolicy is the policy for one of the server's tools.
func (s MCPServer) ToolPolicy(tool string) string {
	if p, ok := s.Tools[tool]; ok {
		return p
	}
	if s.Policy == "" {
		return PolicyAsk
	}
	return s.Policy
}

// Timeout is the server's per-call bound in seconds.
func (m MCP) Timeout(s MCPServer) float64 {
	if s.TimeoutSeconds > 0 {
		return s.TimeoutSeconds
	}
	return m.CallTimeoutSeconds
}

// serverName keeps names usable as a tool-name prefix on every provider.
var serverName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,32}$`)

func (m MCP) problems() []*Error {
	var errs []*Error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Err: fmt.Errorf(format, args...)})
	}
	if !intIn(m.MaxCalls, 1, 100) {
		bad("mcp.max_calls", "%d is outside 1..100", m.MaxCalls)
	}
	if !floatIn(m.CallTimeoutSeconds, 0.1, 3600) {
		bad("mcp.call_timeout_seconds", "%v is outside 0.1..3600", m.CallTimeoutSeconds)
	}
	policies := []string{PolicyAllow, PolicyAsk, PolicyDeny}
	var names []string
	for i, s := range m.Servers {
		key := fmt.Sprintf("mcp.servers[%d]", i)
		if s.Name != "" {
			key = fmt.Sprintf("mcp.servers[%s]", s.Name)
		}
		switch {
		case !serverName.MatchString(s.Name):
			bad(key+".name", "%q must be 1-32 letters, digits, _ or -", s.Name)
		case slices.Contains(names, s.Name):
			bad(key+".name", "%q names two servers", s.Name)
		}
		names = append(names, s.Name)
		switch {
		case (s.Command == "") == (s.URL == ""):
			bad(key, "set either command (stdio) or url (HTTP)")
		case s.URL != "":
			if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(key+".url", "%q is not an http(s) URL", s.URL)
			}
			if len(s.Args) > 0 || len(s.Env) > 0 {
				bad(key, "args and env are for command servers, not url ones")
			}
		default:
			if s.TokenEnv != "" {
				bad(key+".token_env", "is for url servers, not command ones")
			}
		}
		if !floatIn(s.TimeoutSeconds, 0, 3600) {
			bad(key+".timeout_seconds", "%v is outside 0..3600", s.TimeoutSeconds)
		}
		if s.Policy != "" && !slices.Contains(policies, s.Policy) {
			bad(key+".policy", "%q is not a policy (use allow, ask or deny)", s.Policy)
		}
		for tool, p := range sortedMap(s.Tools) {
			if !slices.Contains(policies, p) {
				bad(key+".tools."+tool, "%q is not a policy (use allow, ask or deny)", p)
			}
		}
	}
	return errs
}
