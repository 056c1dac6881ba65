package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/tui"
)

func init() {
	register(&command{
		name:    "tui",
		args:    "",
		summary: "Open the terminal app: search, facets, reader, answers and drafts.\nPlain 'quire' in a terminal does the same. Press ? inside for every key.",
		run:     func(e *env, fs *flag.FlagSet, args []string) error { return runTUI(e) },
	})
}

// runTUI opens the index and runs the app on the terminal. With no index
// yet (or an empty one) the app opens on its first-run screen, which
// builds one.
func runTUI(e *env) error {
	if !readerIsTerminal(e.stdin) || !isTerminal(e.stdout) {
		return fmt.Errorf("the app needs a terminal on stdin and stdout; in scripts use 'quire search', 'quire ask' or 'quire draft'")
	}
	e.mcp = &appMCP{}
	defer e.mcp.Close()
	o := tuiOptions(e, nil)
	x, err := openEngine(e, true)
	if err == nil {
		if n, cerr := paperCount(e.ctx, x); cerr == nil && n == 0 {
			x.Close()
			x, err = nil, errNoIndex
		}
	}
	if err != nil {
		if errors.Is(err, errNoIndex) || !e.weaviate() && !isFile(filepath.Join(e.cfg.Index, "index_meta.json")) {
			s := newAppSetup(e)
			o.Setup = s
			rerr := runApp(e, o)
			return errors.Join(rerr, s.Close())
		}
		return err
	}
	if !e.weaviate() && !e.bedrockKB() {
		// A watcher may write the index while the app is open (watchapp.go).
		x = newLeaseEngine(e, e.home(), x)
	}
	defer x.Close()
	o.Backend = appBackend(e, x, e.home())
	return runApp(e, o)
}

// runApp runs the app with the standard logger silenced: a library
// logging from a background build (the Weaviate client waiting for its
// server) would write across the app's screen.
func runApp(e *env, o tui.Options) error {
	w := log.Writer()
	log.SetOutput(io.Discard)
	defer log.SetOutput(w)
	return tui.Run(e.ctx, o, e.stdin, e.stdout)
}

var errNoIndex = errors.New("the index is empty")

// engineLabel names the engine on the app's status line: a cluster's
// collection, since there is no directory to show.
func engineLabel(e *env, at place) string {
	if e.bedrockKB() {
		return "bedrock-kb " + e.cfg.Engine.KnowledgeBaseID
	}
	if e.weaviate() {
		return "weaviate " + at.collection
	}
	if e.s3vectorsOn() {
		return "embedded + s3vectors " + e.cfg.Vectors.Index
	}
	return config.EngineEmbedded
}

// appBackend is the app's backend over an open index: search, plus the
// configured provider's answers and drafts (the offline extractive
// answerer by default). A provider that cannot start leaves search
// working, and the panes say why.
func appBackend(e *env, x search.Engine, at place) tui.Backend {
	embedder := e.cfg.Embed.Provider
	if e.cfg.Search.Mode == config.ModeBM25 {
		embedder = "" // not used by a BM25-only search
	}
	b := &tui.EngineBackend{Engine: x, About: tui.Info{
		Engine: engineLabel(e, at), Embedder: embedder,
		Provider: e.cfg.LLM.Provider, Model: e.cfg.LLM.Model, Mode: searchMode(e.ctx, x, e.cfg.Search.Mode),
	}}
	if w, ok := x.(tui.IndexWatcher); ok {
		b.Watch = w
	}
	if p, err := agent.NewProvider(e.cfg.LLM, e.getenv); err == nil {
		o := agent.OptionsFromConfig(e.cfg.LLM)
		o.Prompts = loadPrompts(e)
		if e.mcp != nil {
			o.ExtraTools = e.mcp.extra
		}
		ab := newAgentBackend(b, agent.New(x, p, o))
		if e.cfg.LLM.DataDir != "" {
			ab.runs = filepath.Join(e.cfg.LLM.DataDir, "runs")
		}
		return ab
	}
	return b
}

// tuiOptions resolves what the app needs from config and the environment,
// so the UI itself reads neither.
func tuiOptions(e *env, b tui.Backend) tui.Options {
	editor := e.getenv("VISUAL")
	if editor == "" {
		editor = e.getenv("EDITOR")
	}
	state := appStateDir(e)
	var connect func() []string
	if e.mcp != nil && len(e.cfg.MCP.Servers) > 0 {
		connect = func() []string { return e.mcp.connect(e) }
	}
	return tui.Options{
		Connect:   connect,
		Backend:   b,
		Theme:     e.cfg.Theme,
		NoColor:   e.getenv("NO_COLOR") != "",
		Keys:      e.cfg.Keys,
		FacetSize: e.cfg.Search.FacetSize,
		StateDir:  state,
		ExportDir: ".",
		Editor:    editor,
	}
}

// readerIsTerminal reports whether r is a terminal.
func readerIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// appStateDir is where the app keeps its session (query, basket, drafts).
func appStateDir(e *env) string {
	if e.cfg.LLM.DataDir == "" {
		return ""
	}
	return filepath.Join(e.cfg.LLM.DataDir, "tui")
}
