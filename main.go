// Command quire is a keyboard-driven research assistant for large corpora of
// papers: hybrid search, grounded answers and drafts. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/quire-research/quire/ui/cli"
)

func main() {
	// The first Ctrl-C cancels the context so long work can stop cleanly;
	// a second one kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
