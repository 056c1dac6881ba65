package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
)

// KeyMap holds every binding, grouped by where it applies. Action names
// (the keys of Actions) are what config.Keys remaps, e.g.
//
//	[keys]
//	"app.palette" = "ctrl+p,:"
//	"results.mark" = "space,x"
type KeyMap struct {
	// Anywhere (in the search bar only those that are not plain text).
	Quit, Help, Palette, Ask, FocusSearch, NextPane, PrevPane, Theme, Basket key.Binding
	// Search bar.
	Submit, Complete, HistoryPrev, HistoryNext, ClearLine key.Binding
	// Lists and scrollable panes.
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	// Results.
	Open, Mark, RemoveChip key.Binding
	// Facets.
	Toggle key.Binding
	// Reader (and results, for the selected paper).
	MoreLike, OpenURL, CopyBibTeX, CopyCitation key.Binding
	// Answer and draft panes.
	Close, Cite, NextCite, Edit, Export key.Binding
	// Palette and other one-line prompts.
	MenuUp, MenuDown, Accept, Cancel key.Binding
}

// DefaultKeyMap returns the built-in bindings.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := func(s ...string) []string { return s }
	return KeyMap{
		Quit:        b(k("ctrl+c", "q"), "q", "quit"),
		Help:        b(k("?", "f1"), "?", "help"),
		Palette:     b(k("ctrl+p", ":"), "ctrl+p", "commands"),
		Ask:         b(k("a", "ctrl+g"), "a", "ask"),
		FocusSearch: b(k("/", "ctrl+f"), "/", "search"),
		NextPane:    b(k("tab"), "tab", "next pane"),
		PrevPane:    b(k("shift+tab"), "shift+tab", "previous pane"),
		Theme:       b(k("ctrl+t"), "ctrl+t", "switch theme"),
		Basket:      b(k("B"), "B", "show basket"),

		Submit:      b(k("enter"), "enter", "results"),
		Complete:    b(k("tab"), "tab", "complete"),
		HistoryPrev: b(k("up", "ctrl+up"), "↑", "history"),
		HistoryNext: b(k("down", "ctrl+down"), "↓", "history"),
		ClearLine:   b(k("ctrl+u"), "ctrl+u", "clear"),

		Up:       b(k("up", "k"), "↑/k", "up"),
		Down:     b(k("down", "j"), "↓/j", "down"),
		PageUp:   b(k("pgup", "ctrl+b"), "pgup", "page up"),
		PageDown: b(k("pgdown", "ctrl+d"), "pgdn", "page down"),
		Top:      b(k("home", "g"), "g", "top"),
		Bottom:   b(k("end", "G"), "G", "bottom"),

		Open:       b(k("enter", "l", "right"), "enter", "read"),
		Mark:       b(k("space", "m"), "space", "mark"),
		RemoveChip: b(k("x", "backspace"), "x", "remove last filter"),

		Toggle: b(k("enter", "space"), "enter", "toggle filter"),

		MoreLike:     b(k("L"), "L", "more like this"),
		OpenURL:      b(k("o"), "o", "open DOI/URL"),
		CopyBibTeX:   b(k("y"), "y", "copy BibTeX"),
		CopyCitation: b(k("Y"), "Y", "copy citation"),

		Close:    b(k("esc"), "esc", "stop / close"),
		Cite:     b(k("1", "2", "3", "4", "5", "6", "7", "8", "9"), "1-9", "read source N"),
		NextCite: b(k("c"), "c", "next source"),
		Edit:     b(k("e"), "e", "edit in $EDITOR"),
		Export:   b(k("w"), "w", "export markdown"),

		MenuUp:   b(k("up", "ctrl+k"), "↑", "up"),
		MenuDown: b(k("down", "ctrl+j"), "↓", "down"),
		Accept:   b(k("enter"), "enter", "run"),
		Cancel:   b(k("esc"), "esc", "cancel"),
	}
}

// Actions maps each action name to its binding, for remapping and docs.
func (k *KeyMap) Actions() map[string]*key.Binding {
	return map[string]*key.Binding{
		"app.quit": &k.Quit, "app.help": &k.Help, "app.palette": &k.Palette, "app.ask": &k.Ask,
		"app.search": &k.FocusSearch, "app.next_pane": &k.NextPane, "app.prev_pane": &k.PrevPane,
		"app.theme": &k.Theme, "app.basket": &k.Basket,
		"search.submit": &k.Submit, "search.complete": &k.Complete, "search.history_prev": &k.HistoryPrev,
		"search.history_next": &k.HistoryNext, "search.clear": &k.ClearLine,
		"nav.up": &k.Up, "nav.down": &k.Down, "nav.page_up": &k.PageUp, "nav.page_down": &k.PageDown,
		"nav.top": &k.Top, "nav.bottom": &k.Bottom,
		"results.open": &k.Open, "results.mark": &k.Mark, "results.remove_filter": &k.RemoveChip,
		"facets.toggle":        &k.Toggle,
		"paper.more_like_this": &k.MoreLike, "paper.open_url": &k.OpenURL, "paper.copy_bibtex": &k.CopyBibTeX,
		"paper.copy_citation": &k.CopyCitation,
		"pane.close":          &k.Close, "answer.cite": &k.Cite, "answer.next_cite": &k.NextCite,
		"draft.edit": &k.Edit, "draft.export": &k.Export,
		"menu.up": &k.MenuUp, "menu.down": &k.MenuDown, "menu.accept": &k.Accept, "menu.cancel": &k.Cancel,
	}
}

// Remap applies config.Keys overrides (action → comma-separated keys). It
// applies every known action and reports the unknown ones in one error.
func (k *KeyMap) Remap(overrides map[string]string) error {
	acts := k.Actions()
	var unknown []string
	for name, spec := range overrides {
		b, ok := acts[name]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		var keys []string
		for _, s := range strings.Split(spec, ",") {
			if s = strings.TrimSpace(s); s != "" {
				keys = append(keys, s)
			}
		}
		if len(keys) == 0 {
			continue
		}
		b.SetKeys(keys...)
		b.SetHelp(keyLabel(keys[0]), b.Help().Desc)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range acts {
				if !yield(n) {
					return
				}
			}
		})
		return fmt.Errorf("keys: unknown action %s (known: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	return nil
}

func keyLabel(s string) string {
	switch s {
	case "up":
		return "↑"
	case "down":
		return "↓"
	}
	return s
}

// keyMapView adapts the KeyMap to help.KeyMap for the focused pane.
type keyMapView struct {
	short []key.Binding
	full  [][]key.Binding
}

func (v keyMapView) ShortHelp() []key.Binding  { return v.short }
func (v keyMapView) FullHelp() [][]key.Binding { return v.full }

// helpFor returns the bindings that work in focus f: a short list for the
// footer hint and every group for the ? screen.
func (k KeyMap) helpFor(f Focus, prompts []key.Binding) keyMapView {
	app := []key.Binding{k.FocusSearch, k.NextPane, k.Palette, k.Ask, k.Basket, k.Theme, k.Help, k.Quit}
	nav := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	paper := []key.Binding{k.Open, k.Mark, k.MoreLike, k.OpenURL, k.CopyBibTeX, k.CopyCitation, k.RemoveChip}
	search := []key.Binding{k.Submit, k.Complete, k.HistoryPrev, k.HistoryNext, k.ClearLine}
	panes := []key.Binding{k.Toggle, k.Close, k.Cite, k.NextCite, k.Edit, k.Export}
	full := [][]key.Binding{app, search, nav, paper, panes}
	if len(prompts) > 0 {
		full = append(full, prompts)
	}
	var short []key.Binding
	switch f {
	case FocusSearch:
		short = []key.Binding{k.Submit, k.Complete, k.HistoryPrev, k.Palette, k.Help}
	case FocusResults:
		short = []key.Binding{k.Open, k.Mark, k.Ask, k.MoreLike, k.FocusSearch, k.Help}
	case FocusFacets:
		short = []key.Binding{k.Toggle, k.RemoveChip, k.FocusSearch, k.Help}
	case FocusReader:
		short = []key.Binding{k.MoreLike, k.OpenURL, k.CopyBibTeX, k.Close, k.Help}
	case FocusAnswer:
		short = []key.Binding{k.Cite, k.Close, k.Ask, k.Help}
	case FocusDraft:
		short = []key.Binding{k.Edit, k.Export, k.Close, k.Help}
	}
	return keyMapView{short: short, full: full}
}
