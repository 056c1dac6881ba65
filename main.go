// Command quire is a keyboard-driven research assistant for large corpora of
// papers: hybrid search, grounded answers and drafts. See README.md.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quire-research/quire/ui/cli"
)

// grace is how long a run may take to stop after the first signal before
// quire quits anyway. The index is crash-safe (batches are atomic and the
// checkpoint travels with them), so quitting loses at most the batches in
// flight, which the next run redoes.
const grace = 10 * time.Second

func main() {
	// The first SIGINT (Ctrl-C) or SIGTERM (what timeout, systemd, CI and
	// kill send) cancels the context so long work stops cleanly and says
	// how far it got; a second signal, or the grace running out, quits at
	// once.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got atomic.Int32
	go func() {
		s := <-sigs
		n := signum(s)
		got.Store(int32(n))
		cancel(fmt.Errorf("%v", s))
		select {
		case <-sigs:
			fmt.Fprintf(os.Stderr, "\nquire: second signal: quitting now (run the same command again to resume)\n")
		case <-time.After(grace):
			fmt.Fprintf(os.Stderr, "\nquire: still stopping after %s: quitting now (run the same command again to resume)\n", grace)
		}
		os.Exit(128 + n)
	}()
	// Libraries that log (the Weaviate client while it waits for a
	// server) speak as quire, without the logger's timestamp.
	log.SetFlags(0)
	log.SetPrefix("quire: ")
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	if n := got.Load(); n != 0 && code == 130 {
		code = 128 + int(n) // 143 for SIGTERM, as shells report it
	}
	os.Exit(code)
}

func signum(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return int(n)
	}
	return int(syscall.SIGINT)
}
