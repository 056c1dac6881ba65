package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent/mcpserver"
	"github.com/quire-research/quire/agent/tools"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/serve"
)

type mcpFlags struct {
	http        string
	allowRemote bool
	printToken  bool
	allowWrite  bool
}

func init() {
	var f mcpFlags
	register(&command{
		name: "mcp",
		args: "[flags]",
		summary: "Serve the index to MCP clients (Claude Desktop, Claude Code, Cursor …): tools to search, read papers,\n" +
			"count facets, ask with citations, draft and keep a basket; papers as quire://paper/{id}; saved prompts.\n" +
			"Speaks over stdin/stdout, or streamable HTTP with --http (bearer token required). Read-only unless --allow-write.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.http, "http", "", "serve streamable HTTP at this address (e.g. 127.0.0.1:7345) instead of stdio")
			fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --http address outside loopback (the token is still required)")
			fs.BoolVar(&f.printToken, "print-token", false, "print the HTTP bearer token (made on first use) and exit")
			fs.BoolVar(&f.allowWrite, "allow-write", false, "open the index for writing and offer the ingest tool (papers from a file, folder or s3:// URL)")
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
	x, a, err := warmAgent(e, !f.allowWrite, nil)
	if err != nil {
		return err
	}
	defer x.Close()
	o := mcpserver.Options{Engine: x, Agent: a}
	if f.allowWrite {
		o.Write = []tools.Tool{ingestTool(e, x)}
	}
	srv, err := mcpserver.New(o)
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

// ingestTool reads papers into x as quire ingest does, one source per
// call, and answers with the closing line and the first bad records.
// Progress goes to stderr (stdout may carry the protocol).
func ingestTool(e *env, x search.Engine) tools.Tool {
	return tools.Tool{
		Name: "ingest",
		Description: "Read papers into the index: a JSONL file (BEIR, arXiv, OpenAlex), a folder of papers, or an " +
			"s3://bucket/prefix URL, as `quire ingest SOURCE` does. Resumes where an earlier run stopped; " +
			"bad records are skipped and listed.",
		Schema: json.RawMessage(`{"type":"object","properties":{` +
			`"source":{"type":"string","description":"path on the server's machine, or s3://bucket/prefix"},` +
			`"format":{"type":"string","enum":["auto","beir","arxiv","openalex","jsonl","folder"],"description":"input format (default auto)"}},` +
			`"required":["source"]}`),
		Call: func(ctx context.Context, in json.RawMessage) (string, error) {
			var a struct{ Source, Format string }
			if err := tools.Decode(in, &a); err != nil {
				return "", err
			}
			if strings.TrimSpace(a.Source) == "" {
				return "", errors.New("source: give a file, folder or s3:// URL")
			}
			var report bytes.Buffer
			run := *e
			run.ctx, run.stdout, run.stderr, run.start = ctx, &report, io.MultiWriter(e.stderr, &report), time.Now()
			f := &ingestFlags{format: cmp.Or(a.Format, "auto"), maxShown: 10}
			var tot ingestTotals
			err := ingestAll(&run, x, f, []string{a.Source}, sourceOptionsFor(&run, f), io.Discard, &tot)
			tot.print(&run)
			if err != nil && tot.papers == 0 {
				return "", fmt.Errorf("%w\n%s", err, report.String())
			}
			return report.String(), nil
		},
	}
}
