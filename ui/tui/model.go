// Package tui is Quire's terminal app: search-as-you-type with facets, a
// reader, an evidence basket, streamed answers and drafts, all from the
// keyboard (and the mouse). It talks to the rest of Quire only through
// Backend, and every slow call runs in a tea.Cmd with a context the app can
// cancel.
//
// The root Model owns focus, layout and routing; the panes are plain
// structs with View(width, height). The root is split by concern:
// model.go (state), keys.go, layout.go, update.go (routing), view.go, and
// one file per pane.
package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quire-research/quire/search"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// Focus is the pane that receives keys.
type Focus int

const (
	FocusSearch Focus = iota
	FocusResults
	FocusFacets
	FocusReader
	FocusAnswer
	FocusDraft
	FocusBasket
)

func (f Focus) String() string {
	return [...]string{"search", "results", "facets", "reader", "answer", "draft", "basket"}[f]
}

// overlay is a modal drawn over the body that takes every key.
type overlay int

const (
	overlayNone overlay = iota
	overlayHelp
	overlayPalette
	overlayInput // one-line prompt: a question or a prompt variable
	overlayConversations
)

// Options configure the app. The caller resolves configuration and the
// environment: the UI never reads env vars or config files itself.
type Options struct {
	Backend Backend
	// Setup, when Backend is nil, opens the app on the first-run screen:
	// it builds an index (ingest or demo) and yields the Backend.
	Setup Setup
	// Theme is config.Theme: "auto", "dark", "light" or "high-contrast".
	Theme string
	// NoColor is set when NO_COLOR is: styles then use attributes only.
	NoColor bool
	// Keys is config.Keys: action name → comma-separated keys.
	Keys map[string]string
	// PageSize is how many hits one fetch brings (default 40).
	PageSize int
	// FacetSize is the number of values per facet (default 10).
	FacetSize int
	// StateDir holds session.json (last query, history, basket, drafts);
	// empty disables session memory.
	StateDir string
	// ExportDir is where drafts are exported (default StateDir/drafts, or
	// the working directory).
	ExportDir string
	// Editor is the command for editing drafts ($VISUAL or $EDITOR).
	Editor string
	// OpenURL opens a link in the browser; nil uses xdg-open (open on macOS).
	OpenURL func(url string) error
	// Now is the clock (tests fix it).
	Now func() time.Time
	// IndexPoll is how often a backend that is an IndexWatcher is asked
	// whether the index changed (default 1 s; negative: never).
	IndexPoll time.Duration
	// Connect, when set, starts the MCP servers; the app runs it once in
	// a tea.Cmd at start and shows the lines it returns (servers left out).
	Connect func() []string
}

// Model is the root model.
type Model struct {
	opts    Options
	backend Backend
	info    Info
	keys    KeyMap
	keyErr  error
	// promptKeys are the prompts' shortcuts, keyClashes what SetupKeys
	// found; prefixPending is set between the prompt prefix and its key.
	promptKeys    promptKeys
	keyClashes    []KeyClash
	prefixPending bool
	styles        Styles
	theme         string // the theme in force; "auto" follows the terminal
	dark          bool
	help          help.Model
	prompts       []PromptInfo

	width, height int
	layout        Layout

	focus   Focus
	detail  Focus   // which of reader/answer/draft the detail pane shows
	back    []Focus // panes to return to on esc
	overlay overlay

	bar     searchBar
	results resultList
	facets  facetPane
	// compFacets are the last non-empty facet counts: completion offers
	// their values even while the query being typed matches nothing.
	compFacets []search.Facet
	basket     basket
	reader     readerPane
	answer     streamPane
	draft      streamPane
	palette    palette
	input      inputLine
	convs      convList

	// The search in flight: its sequence number, cancel and start time.
	seq         uint64
	searchCtx   context.Context
	cancel      context.CancelFunc
	searchStart time.Time
	searching   bool
	latency     time.Duration
	query       string // the text of the search the results belong to

	papers uint64 // indexed, from Stats
	usage  Usage  // session total
	runs   int    // run ids for streams

	status    string
	statusErr bool

	// changes are the papers committed by another process since the
	// last refresh (IndexWatcher); refreshing while one runs.
	changes    IndexChanges
	refreshing bool

	md *mdRenderer // glamour renderer for streamed panes, per width/style

	initCmds []tea.Cmd
	// approval is a tool call waiting for y/a/n (approve.go).
	approval *Approval
	drafts   []savedDraft

	// first is the first-run screen, shown while there is no index.
	first *firstRun
}

// New builds the app. It reads the session file (if any) so the first
// frame already shows the restored query.
func New(o Options) *Model {
	if o.PageSize <= 0 {
		o.PageSize = 40
	}
	if o.FacetSize <= 0 {
		o.FacetSize = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Theme == "" {
		o.Theme = "auto"
	}
	m := &Model{opts: o, backend: o.Backend, theme: o.Theme, dark: true}
	if o.Backend == nil {
		if o.Setup == nil {
			panic("tui.New: Options needs a Backend, or a Setup to build one")
		}
		m.first = &firstRun{setup: o.Setup}
	} else {
		m.info = o.Backend.Info()
		m.prompts = o.Backend.Prompts()
	}
	m.setupKeys()
	m.help = help.New()
	m.applyTheme()
	m.focus, m.detail = FocusSearch, FocusReader
	m.answer.kind, m.draft.kind = FocusAnswer, FocusDraft
	m.results.pageSize = o.PageSize
	m.width, m.height = 80, 24
	m.relayout()

	if s, err := loadSession(o.StateDir); err != nil {
		m.setError(err)
	} else {
		m.restore(s)
		// The restored query is selected: the first key typed replaces it.
		m.bar.selected = m.bar.ed.Value() != ""
	}
	if m.first == nil {
		m.initCmds = append(m.initCmds, statsCmd(m.backend), m.startSearch(), m.pollIndex())
	}
	if m.theme == "auto" && !o.NoColor {
		m.initCmds = append(m.initCmds, tea.RequestBackgroundColor)
	}
	if o.Connect != nil {
		m.initCmds = append(m.initCmds, connectCmd(o.Connect))
	}
	return m
}

// setupKeys builds the keymap and the prompts' shortcuts, and says on the
// status line what clashed.
func (m *Model) setupKeys() {
	ks := SetupKeys(m.opts.Keys, m.prompts)
	m.keys, m.promptKeys, m.keyClashes, m.keyErr = ks.Keys, ks.prompts, ks.Clashes, ks.Err
	if probs := ks.Problems(); len(probs) > 0 {
		msg := probs[0]
		if len(probs) > 1 {
			msg += fmt.Sprintf(" (and %d more: ? lists them)", len(probs)-1)
		}
		m.setError(errors.New(msg))
	}
}

// Init starts the first search and asks for stats and the terminal's
// background colour.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.initCmds...) }

func (m *Model) now() time.Time { return m.opts.Now() }

func (m *Model) applyTheme() {
	m.styles = NewStyles(paletteFor(m.theme, m.opts.NoColor, m.dark))
	m.help.Styles = help.DefaultStyles(m.dark)
	if m.opts.NoColor {
		m.help.Styles = help.Styles{}
	}
	m.help.Styles.ShortKey = m.styles.Key
	m.help.Styles.FullKey = m.styles.Key
}

func (m *Model) setStatus(s string) { m.status, m.statusErr = s, false }

func (m *Model) setError(err error) {
	if err == nil {
		return
	}
	m.status, m.statusErr = humanError(err), true
}

func (m *Model) clearStatus() { m.status, m.statusErr = "", false }

// BasketIDs returns the marked papers in the order they were marked.
func (m *Model) BasketIDs() []string { return m.basket.IDs() }

// Query returns the search bar's text.
func (m *Model) Query() string { return m.bar.ed.Value() }

// Focused returns the focused pane.
func (m *Model) Focused() Focus { return m.focus }
