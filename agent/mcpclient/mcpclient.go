// Package mcpclient offers other people's MCP tools to the agent loop:
// it starts or reaches each configured server, lists its tools and wraps
// each as a tools.Tool whose calls pass the server's policy (allow, ask,
// deny), a per-call timeout and a per-run bound. A server that fails is
// reported in one line and left out; the rest carry on.
package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/tools"
	"github.com/quire-research/quire/config"
)

// Asker answers approval requests, blocking the call until answered;
// agent.Approve asks through the agent run's events.
type Asker func(ctx context.Context, name string, input json.RawMessage) agent.Decision

// Options configure Connect.
type Options struct {
	Config config.MCP
	// Getenv reads token_env variables; default os.Getenv.
	Getenv func(string) string
	// Ask answers "ask" calls; nil denies them (no one to ask).
	Ask Asker
	// Allow lists server.tool names approved for the session up front
	// (quire ask --allow-tools).
	Allow []string
	// LogDir keeps each stdio server's stderr as mcp-NAME.log; "" keeps
	// it in a temporary file removed by Close.
	LogDir string
}

// Client holds the connected servers for a session.
type Client struct {
	opts     Options
	sessions []*mcp.ClientSession
	logs     []*serverLog
	tools    []remote

	mu     sync.Mutex
	always map[string]bool // server.tool approved for the session
}

type remote struct {
	server  config.MCPServer
	timeout time.Duration
	sess    *mcp.ClientSession
	log     *serverLog // nil for HTTP servers
	tool    *mcp.Tool
	name    string // server.tool
	wire    string // the name the model sees
}

// Connect starts or reaches every server in parallel. Each failure comes
// back as one line naming its server; the client still holds the others.
func Connect(ctx context.Context, o Options) (*Client, []string) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	c := &Client{opts: o, always: map[string]bool{}}
	for _, n := range o.Allow {
		c.always[n] = true
	}
	type result struct {
		sess  *mcp.ClientSession
		log   *serverLog
		tools []remote
		err   error
	}
	res := make([]result, len(o.Config.Servers))
	var wg sync.WaitGroup
	for i, s := range o.Config.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &res[i]
			r.sess, r.log, r.tools, r.err = c.connect(ctx, s)
		}()
	}
	wg.Wait()
	var problems []string
	seen := map[string]bool{}
	for i, r := range res {
		name := o.Config.Servers[i].Name
		if r.err != nil {
			problems = append(problems, fmt.Sprintf("mcp server %s: %v; continuing without it", name, oneLine(r.err.Error())))
			continue
		}
		c.sessions = append(c.sessions, r.sess)
		c.logs = append(c.logs, r.log)
		for _, t := range r.tools {
			if seen[t.wire] {
				problems = append(problems, fmt.Sprintf("mcp server %s: tool %s clashes with another after renaming; left out", name, t.name))
				continue
			}
			seen[t.wire] = true
			c.tools = append(c.tools, t)
		}
	}
	return c, problems
}

func (c *Client) connect(ctx context.Context, s config.MCPServer) (*mcp.ClientSession, *serverLog, []remote, error) {
	timeout := seconds(c.opts.Config.Timeout(s))
	var t mcp.Transport
	var log *serverLog
	if s.URL != "" {
		tok := ""
		if s.TokenEnv != "" {
			if tok = strings.TrimSpace(c.opts.Getenv(s.TokenEnv)); tok == "" {
				return nil, nil, nil, fmt.Errorf("token_env %s is not set", s.TokenEnv)
			}
		}
		t = &mcp.StreamableClientTransport{Endpoint: s.URL, MaxRetries: -1, DisableStandaloneSSE: true,
			HTTPClient: &http.Client{Transport: bearer{token: tok}}}
	} else {
		var err error
		if log, err = openServerLog(c.opts.LogDir, s); err != nil {
			return nil, nil, nil, err
		}
		// Not CommandContext: the server lives for the session, not for
		// the connect timeout; Close ends it.
		cmd := exec.Command(s.Command, s.Args...)
		cmd.Env = os.Environ()
		for k, v := range s.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		// Never the terminal: the app's screen would tear.
		cmd.Stderr = log.f
		t = &mcp.CommandTransport{Command: cmd, TerminateDuration: time.Second}
	}
	fail := func(err error) (*mcp.ClientSession, *serverLog, []remote, error) {
		err = log.explain("", err)
		log.close()
		return nil, nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl := mcp.NewClient(&mcp.Implementation{Name: "quire", Version: "1"}, nil)
	sess, err := cl.Connect(cctx, t, nil)
	if err != nil {
		return fail(startErr(cctx, err, timeout))
	}
	var out []remote
	for tool, err := range sess.Tools(cctx, nil) {
		if err != nil {
			sess.Close()
			return fail(startErr(cctx, err, timeout))
		}
		out = append(out, remote{server: s, timeout: timeout, sess: sess, log: log, tool: tool,
			name: s.Name + "." + tool.Name, wire: WireName(s.Name, tool.Name)})
	}
	return sess, log, out, nil
}

func startErr(ctx context.Context, err error, d time.Duration) error {
	if ctx.Err() != nil {
		return fmt.Errorf("no answer within %v", d)
	}
	return err
}

// Close ends every session (and stops stdio servers).
func (c *Client) Close() error {
	var errs []error
	for _, s := range c.sessions {
		errs = append(errs, s.Close())
	}
	for _, l := range c.logs {
		l.close()
	}
	return errors.Join(errs...)
}

// Names lists the tools as server.tool.
func (c *Client) Names() []string {
	var out []string
	for _, t := range c.tools {
		out = append(out, t.name)
	}
	return out
}

// Display turns a wire name back into server.tool; other names pass.
func (c *Client) Display(wire string) string {
	for _, t := range c.tools {
		if t.wire == wire {
			return t.name
		}
	}
	return wire
}

// unsafe is what OpenAI and Bedrock refuse in a tool name: both accept
// only ^[a-zA-Z0-9_-]{1,64}$, so "server.tool" cannot go on the wire.
var unsafe = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// WireName is the name the model sees for server's tool: server__tool,
// other characters replaced by _, cut to 64.
func WireName(server, tool string) string {
	w := server + "__" + unsafe.ReplaceAllString(tool, "_")
	if len(w) > 64 {
		w = w[:64]
	}
	return w
}

// Tools wraps the servers' tools for one agent run: the max_calls bound
// counts from zero for each call of Tools.
func (c *Client) Tools() []tools.Tool {
	var mu sync.Mutex
	calls := 0
	var out []tools.Tool
	for _, r := range c.tools {
		schema, err := json.Marshal(r.tool.InputSchema)
		if err != nil || !json.Valid(schema) || string(schema) == "null" {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		out = append(out, tools.Tool{
			Name: r.wire,
			// The description is the server's text: data from elsewhere,
			// marked as such for the model.
			Description: fmt.Sprintf("[external tool %s from MCP server %q] %s", r.name, r.server.Name, r.tool.Description),
			Schema:      schema,
			Call: func(ctx context.Context, in json.RawMessage) (string, error) {
				if err := c.permit(ctx, r, in); err != nil {
					return "", err
				}
				mu.Lock()
				calls++
				over := calls > c.opts.Config.MaxCalls
				mu.Unlock()
				if over {
					return "", fmt.Errorf("%s: the bound of %d MCP calls for this request is spent; answer from what you have", r.name, c.opts.Config.MaxCalls)
				}
				return r.call(ctx, in)
			},
		})
	}
	return out
}

// ErrDenied is the error a model gets for a refused call.
var ErrDenied = errors.New("denied by policy")

func (c *Client) permit(ctx context.Context, r remote, in json.RawMessage) error {
	switch r.server.ToolPolicy(r.tool.Name) {
	case config.PolicyAllow:
		return nil
	case config.PolicyDeny:
		return fmt.Errorf("%s: %w", r.name, ErrDenied)
	}
	c.mu.Lock()
	ok := c.always[r.name]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if c.opts.Ask == nil {
		return fmt.Errorf("%s: %w (needs approval; none can be given here)", r.name, ErrDenied)
	}
	switch c.opts.Ask(ctx, r.name, in) {
	case agent.AllowAlways:
		c.mu.Lock()
		c.always[r.name] = true
		c.mu.Unlock()
		return nil
	case agent.AllowOnce:
		return nil
	}
	return fmt.Errorf("%s: %w (the user said no)", r.name, ErrDenied)
}

func (r remote) call(ctx context.Context, in json.RawMessage) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.sess.CallTool(ctx, &mcp.CallToolParams{Name: r.tool.Name, Arguments: in})
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%s: no answer within %v", r.name, r.timeout)
		}
		return "", r.log.explain(r.name, errors.New(oneLine(err.Error())))
	}
	text := Text(res.Content)
	if res.IsError {
		return "", fmt.Errorf("%s failed: %s", r.name, text)
	}
	return text, nil
}

// Text joins a result's content items; items that are not text are named.
func Text(items []mcp.Content) string {
	var parts []string
	for _, it := range items {
		switch c := it.(type) {
		case *mcp.TextContent:
			parts = append(parts, c.Text)
		case *mcp.ImageContent:
			parts = append(parts, "[image "+c.MIMEType+"]")
		case *mcp.AudioContent:
			parts = append(parts, "[audio "+c.MIMEType+"]")
		case *mcp.EmbeddedResource:
			if c.Resource != nil && c.Resource.Text != "" {
				parts = append(parts, c.Resource.Text)
			} else {
				parts = append(parts, "[resource]")
			}
		case *mcp.ResourceLink:
			parts = append(parts, "[link "+c.URI+"]")
		}
	}
	return strings.Join(parts, "\n")
}

// bearer adds the token to every request. It never appears in errors:
// net/http does not print headers.
type bearer struct{ token string }

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if b.token != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
