// Package cli is Quire's command-line front end: one subcommand per job
// (ingest, search, stats, eval, gen, demo, bench), each a thin layer that
// parses flags, calls corpus and search, and prints for people or, with
// --json, for scripts. Long work reports progress through ui/progress and
// stops cleanly when the context is cancelled (Ctrl-C).
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/config/secret"
	"github.com/quire-research/quire/config/suggest"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/termtext"
)

// env carries what a command may touch; tests substitute every part.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	cfg    config.Config
	// command is the subcommand running, named in the index's lock file.
	command string
	// indexFlag is set when --index was given on the command line, before
	// or after the subcommand: eval, bench and demo then use that index
	// instead of a throwaway one.
	indexFlag bool
	// collectionFlag is the same for --collection, which names the place
	// on a cluster.
	collectionFlag bool
	// start is when the command started, for its closing line.
	start time.Time
	// steps, when set, receives progress instead of bars on stderr (the
	// app draws its own).
	steps func(step)
	// secrets redacts the engine's API key from every message.
	secrets *secret.Redactor
	// openCluster, when set, opens a cluster collection instead of
	// openWeaviate: tests substitute an in-memory engine.
	openCluster func(e *env, collection string) (search.Engine, error)
	// mcp is the app's MCP servers (mcptools.go); nil outside the app.
	mcp *appMCP
}

// oneEngine refuses a list of engines where only one can run.
func oneEngine(e *env, what string) error {
	if len(e.cfg.Engines) > 1 {
		return usagef("--engine %s: %s works on one engine; eval and bench compare several", strings.Join(e.cfg.Engines, ","), what)
	}
	return nil
}

// notePlaceFlag records whether --index or --collection was given.
func (e *env) notePlaceFlag(f *flag.Flag) {
	e.indexFlag = e.indexFlag || f.Name == "index"
	e.collectionFlag = e.collectionFlag || f.Name == "collection"
}

// placeFlag reports whether the command line named where the papers are:
// --index for the embedded engine, --collection for a cluster.
func (e *env) placeFlag() bool {
	if e.weaviate() {
		return e.collectionFlag
	}
	return e.indexFlag
}

// since is how long the command has run, for closing lines.
func (e *env) since() time.Duration { return time.Since(e.start) }

type command struct {
	name    string
	args    string
	summary string
	run     func(e *env, fs *flag.FlagSet, args []string) error
	flags   func(fs *flag.FlagSet) any
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Run runs quire with args (without the program name) and returns the exit
// code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, start: time.Now()}
	code, msg := exitCode(run(e, args))
	if msg != "" {
		fmt.Fprintf(stderr, "quire: %s\n", termtext.Clean(e.secrets.String(msg)))
	}
	return code
}

func run(e *env, args []string) error {
	cfgPath := config.ConfigPathFromArgs(args, e.getenv)
	cfg, err := config.Load(cfgPath, e.getenv)
	if err != nil {
		return err
	}
	e.cfg = cfg
	if name := cfg.Engine.APIKeyEnv; name != "" {
		e.secrets = secret.New(e.getenv(name))
	}
	// Global flags may come before the subcommand: quire --index DIR search x
	gfs := flag.NewFlagSet("quire", flag.ContinueOnError)
	gfs.SetOutput(e.stderr)
	e.cfg.BindFlags(gfs)
	gfs.Usage = func() { printHelp(e.stderr, gfs) }
	if err := gfs.Parse(args); err != nil {
		return asUsage(err)
	}
	gfs.Visit(e.notePlaceFlag)
	rest := gfs.Args()
	if len(rest) == 0 {
		if readerIsTerminal(e.stdin) && isTerminal(e.stdout) {
			if err := e.cfg.Validate(); err != nil {
				return err
			}
			if err := oneEngine(e, "the app"); err != nil {
				return err
			}
			return runTUI(e)
		}
		printHelp(e.stdout, gfs)
		return nil
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			if c := lookup(rest[1]); c != nil {
				fs := newFlagSet(e, c)
				fs.SetOutput(e.stdout)
				fs.Usage()
				return nil
			}
			if near := nearestCommand(rest[1]); near != "" {
				return usagef("no command %q: did you mean %s?", rest[1], near)
			}
			return usagef("no command %q (run 'quire help')", rest[1])
		}
		printHelp(e.stdout, gfs)
		return nil
	}
	c := lookup(name)
	if c == nil {
		if near := nearestCommand(name); near != "" {
			return usagef("unknown command %q: did you mean %s? (run 'quire help' for all)", name, near)
		}
		return usagef("unknown command %q (run 'quire help')", name)
	}
	e.command = c.name
	fs := newFlagSet(e, c)
	pos, err := parseInterleaved(fs, rest[1:])
	if err != nil {
		return asUsage(err)
	}
	fs.Visit(e.notePlaceFlag)
	if err := e.cfg.Validate(); err != nil {
		return err
	}
	if c.name != "eval" && c.name != "bench" {
		if err := oneEngine(e, c.name); err != nil {
			return err
		}
	}
	safeOutput(e, c, fs)
	return c.run(e, fs, pos)
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments, because people add them after a query (quire search "x"
// --limit 3), where the flag package would take them for query text. A
// single-dash word that names no flag stays positional, so a query's
// excluded terms (-review) pass through; a "--word" that names none is an
// error; "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return append(pos, args[1:]...), nil
		}
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if a == "-" || !strings.HasPrefix(a, "-") || f == nil && !strings.HasPrefix(a, "--") {
			pos = append(pos, a)
			args = args[1:]
			continue
		}
		// One flag at a time, with its value unless it has one or is a
		// switch, so that what follows is looked at here.
		n := 1
		if f != nil && !hasValue && !isSwitch(f) {
			n = min(2, len(args))
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return pos, nil
}

func isSwitch(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func newFlagSet(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("quire "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.cfg.BindFlags(fs)
	if c.flags != nil {
		c.flags(fs)
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: quire %s %s\n\n%s\n\nflags:\n", c.name, c.args, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

func printHelp(w io.Writer, gfs *flag.FlagSet) {
	fmt.Fprintf(w, "quire: a research assistant for large corpora of papers\n\nusage: quire [--index DIR] [--config FILE] COMMAND [flags] [args]\n\ncommands:\n")
	cs := append([]*command(nil), commands...)
	sort.Slice(cs, func(i, j int) bool { return order(cs[i].name) < order(cs[j].name) })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, firstLine(c.summary))
	}
	fmt.Fprintf(w, "\nRun 'quire help COMMAND' for a command's flags. In a terminal, plain 'quire' opens the app (also 'quire tui').\n\nglobal flags:\n")
	gfs.SetOutput(w)
	gfs.PrintDefaults()
	fmt.Fprintf(w, "\n%s", exitHelp)
}

// nearestCommand is the command closest to a mistyped name (serach →
// search), or "" when none is within two edits. A unique prefix counts
// too (ing → ingest).
func nearestCommand(name string) string {
	best, bestD := "", 3
	for _, c := range commands {
		d := suggest.Distance(strings.ToLower(name), c.name)
		if len(name) >= 2 && strings.HasPrefix(c.name, strings.ToLower(name)) {
			d = 1
		}
		if d < bestD || d == bestD && c.name < best {
			best, bestD = c.name, d
		}
	}
	return best
}

func order(name string) int {
	for i, n := range []string{"tui", "demo", "ingest", "search", "stats", "eval", "gen", "bench"} {
		if n == name {
			return i
		}
	}
	return 99
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// isTerminal reports whether w is a terminal, for colour and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
