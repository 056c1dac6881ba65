package cli

import (
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent/mcpserver"
	"github.com/quire-research/quire/ui/serve"
)

type mcpFlags struct {
	http        string
	allowRemote bool
	printToken  bool
}

func init() {
	var f mcpFlags
	register(&command{
		name: "mcp",
		args: "[flags]",
		summary: "Serve the index to MCP clients (Claude Desktop, Claude Code, Cursor …): tools to search, read papers,\n" +
			"count facets, ask with citations, draft and keep a basket; papers as quire://paper/{id}; saved prompts.\n" +
			"Speaks over stdin/stdout, or streamable HTTP with --http (bearer token required). Read-only.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.http, "http", "", "serve streamable HTTP at this address (e.g. 127.0.0.1:7345) instead of stdio")
			fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --http address outside loopback (the token is still required)")
			fs.BoolVar(&f.printToken, "print-token", false, "print the HTTP bearer token (made on first use) and exit")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runMCP(e, &f, args) },
	})
}

func runMCP(e *env, f *mcpFlags, args []string) error {
	if len(args) > 0 {
		return usagef("mcp takes no arguments (got %q)", args[0])
	}
	if f.printToken {
		t, err := serverToken(e)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, t)
		return nil
	}
	var token string
	if f.http != "" {
		var err error
		if token, err = serverToken(e); err != nil {
			return err
		}
		if err := serve.CheckBind(f.http, token, f.allowRemote); err != nil {
			return usagef("%v", err)
		}
	}
	x, a, err := warmAgent(e)
	if err != nil {
		return err
	}
	defer x.Close()
	srv, err := mcpserver.New(mcpserver.Options{Engine: x, Agent: a})
	if err != nil {
		return err
	}
	if f.http == "" {
		// stdout carries the protocol alone; everything else goes to stderr.
		err := srv.Run(e.ctx, &mcp.IOTransport{Reader: io.NopCloser(e.stdin), Writer: nopWriteCloser{e.stdout}})
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		return err
	}
	ln, err := net.Listen("tcp", f.http)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "serving MCP at http://%s/mcp; Ctrl-C stops\n", ln.Addr())
	err = serve.Serve(e.ctx, ln, serve.Handler(serve.Options{MCP: srv, Token: token}))
	if err == nil && e.ctx.Err() != nil {
		return e.ctx.Err()
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
