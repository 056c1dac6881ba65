package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/config"
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

// runTUI opens the index and runs the app on the terminal.
func runTUI(e *env) error {
	x, err := openIndex(e, true)
	if err != nil {
		return err
	}
	defer x.Close()
	embedder := e.cfg.Embed.Provider
	if e.cfg.Search.Mode == config.ModeBM25 {
		embedder = "" // not used by a BM25-only search
	}
	b := &tui.EngineBackend{Engine: x, About: tui.Info{
		Engine: "embedded", Embedder: embedder,
		Provider: e.cfg.LLM.Provider, Model: e.cfg.LLM.Model, Mode: x.Mode(),
	}}
	var backend tui.Backend = b
	// Answers and drafts: the configured provider (the offline extractive
	// answerer by default). A provider that cannot start leaves search
	// working and the panes say why.
	if p, err := agent.NewProvider(e.cfg.LLM, e.getenv); err == nil {
		o := agent.OptionsFromConfig(e.cfg.LLM)
		o.Prompts = loadPrompts(e)
		backend = newAgentBackend(b, agent.New(x, p, o))
	}
	return tui.Run(e.ctx, tuiOptions(e, backend), e.stdin, e.stdout)
}

// tuiOptions resolves what the app needs from config and the environment,
// so the UI itself reads neither.
func tuiOptions(e *env, b tui.Backend) tui.Options {
	editor := e.getenv("VISUAL")
	if editor == "" {
		editor = e.getenv("EDITOR")
	}
	state := ""
	if e.cfg.LLM.DataDir != "" {
		state = filepath.Join(e.cfg.LLM.DataDir, "tui")
	}
	return tui.Options{
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
