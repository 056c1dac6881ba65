package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/mcpserver"
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/serve"
)

// defaultServeAddr is where quire serve listens unless told otherwise.
const defaultServeAddr = "127.0.0.1:7345"

type serveFlags struct {
	addr        string
	allowRemote bool
}

func init() {
	var f serveFlags
	register(&command{
		name: "serve",
		args: "[flags]",
		summary: "Keep the index open and serve it on loopback: MCP at /mcp and a JSON/SSE API at /v1\n" +
			"(search, papers/{id}, ask, draft). 'quire search' uses a running server (--no-server: never).\n" +
			"Every request needs the bearer token ('quire mcp --print-token'). Ctrl-C stops it.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.addr, "addr", defaultServeAddr, "address to listen on (loopback unless --allow-remote)")
			fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow an address outside loopback (the token is still required)")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runServe(e, &f, args) },
	})
}

func runServe(e *env, f *serveFlags, args []string) error {
	if len(args) > 0 {
		return usagef("serve takes no arguments (got %q)", args[0])
	}
	infoPath := serverFile(e)
	if in, err := serve.ReadInfo(infoPath); err == nil {
		return fmt.Errorf("a server (pid %d) already serves this index at %s", in.PID, in.Addr)
	}
	token, err := serverToken(e)
	if err != nil {
		return err
	}
	if err := serve.CheckBind(f.addr, token, f.allowRemote); err != nil {
		return usagef("%v", err)
	}
	x, a, err := serveAgent(e)
	if err != nil {
		return err
	}
	defer x.Close()
	srv, err := mcpserver.New(mcpserver.Options{Engine: x, Agent: a})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	if err := serve.WriteInfo(infoPath, serve.Info{Addr: ln.Addr().String(), PID: os.Getpid(), Index: e.describe(e.home())}); err != nil {
		ln.Close()
		return fmt.Errorf("server file: %w", err)
	}
	defer os.Remove(infoPath)
	fmt.Fprintf(e.stderr, "serving %s at http://%s (MCP: /mcp, API: /v1); Ctrl-C stops\n", e.describe(e.home()), ln.Addr())
	err = serve.Serve(e.ctx, ln, serve.Handler(serve.Options{Engine: x, Agent: a, MCP: srv, Token: token, API: true}))
	if err == nil && e.ctx.Err() != nil {
		return e.ctx.Err()
	}
	return err
}

// serveAgent opens the index read-only and builds the agent the
// configuration describes, for a process that serves many requests. An
// embedded index is held through a leaseEngine, as the app holds it: a
// writer ('quire ingest', one-shot or following) announces itself in the
// status file and the server lets go of the index until its batch is
// written, then answers from the new state (see followWriters).
func serveAgent(e *env) (search.Engine, *agent.Agent, error) {
	if e.weaviate() || e.bedrockKB() {
		return warmAgent(e, true, nil)
	}
	return warmAgent(e, true, func(x search.Engine) search.Engine {
		l := newLeaseEngine(e, e.home(), x)
		go followWriters(e.ctx, l, writerPoll)
		return l
	})
}

// writerPoll is how often a server reads the status file: a writer that
// waits for the index waits about this long plus appLetGo at most.
const writerPoll = 100 * time.Millisecond

// followWriters does for a server what the app's poll of IndexChanges
// does: it keeps l told whether a writer runs, so l lets go of the index
// when idle, and at once when the writer waits for it.
func followWriters(ctx context.Context, l *leaseEngine, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if st, running := watcherRunning(l.at.dir); running && st.Want {
			_ = l.Refresh(ctx) // closes the handle unless a request uses it
			continue
		}
		_, _ = l.IndexChanges(ctx)
	}
}

// warmAgent opens the index (for writing unless readOnly: quire mcp
// --allow-write) and builds the agent the configuration describes, for a
// process that serves many requests. wrap, when set, stands between the
// agent and the engine.
func warmAgent(e *env, readOnly bool, wrap func(search.Engine) search.Engine) (search.Engine, *agent.Agent, error) {
	p, err := agent.NewProvider(e.cfg.LLM, e.getenv)
	if err != nil {
		return nil, nil, err
	}
	x, err := openEngine(e, readOnly)
	if err != nil {
		return nil, nil, err
	}
	if wrap != nil {
		x = wrap(x)
	}
	o := agent.OptionsFromConfig(e.cfg.LLM)
	o.Prompts = loadPrompts(e)
	return x, agent.New(x, p, o), nil
}

// serverFile is where a server for the configured index records itself:
// under the cache dir, named by the index, so servers for two indexes do
// not meet.
func serverFile(e *env) string {
	where := e.describe(e.home())
	if !e.weaviate() && !e.bedrockKB() {
		if abs, err := filepath.Abs(e.cfg.Index); err == nil {
			where = abs
		}
	}
	sum := sha256.Sum256([]byte(where))
	return filepath.Join(e.cfg.CacheDir, "serve", hex.EncodeToString(sum[:8])+".json")
}

// tokenFile is where the bearer token lives: beside the default config
// file, readable by its owner only.
func tokenFile(e *env) (string, error) {
	f := config.DefaultFile(e.getenv)
	if f == "" {
		return "", errors.New("no config directory for the server token (set HOME or XDG_CONFIG_HOME)")
	}
	return filepath.Join(filepath.Dir(f), "token"), nil
}

func serverToken(e *env) (string, error) {
	path, err := tokenFile(e)
	if err != nil {
		return "", err
	}
	return serve.Token(path)
}
