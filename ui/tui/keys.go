package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap holds every binding, grouped by where it applies. Action names
// (see Actions) are what config.Keys remaps, e.g.
//
//	[keys]
//	"app.palette" = "ctrl+p,:"
//	"results.mark" = "space,x"
type KeyMap struct {
	// Anywhere (in the search bar only those that type nothing).
	Quit, Help, Palette, Ask, FocusSearch, NextPane, PrevPane, Theme, Basket key.Binding
	// Refresh shows papers a watcher added since the app opened the index.
	Refresh key.Binding
	// DraftPrefix starts a prompt shortcut: the prefix, then the prompt's
	// key (d then p runs the prompt whose key is p).
	DraftPrefix key.Binding
	// The basket: ask about it, clear it; in the question line, use it or not.
	AskBasket, ClearBasket, InputBasket key.Binding
	// Conversations: start afresh in the answer pane; list the saved ones.
	NewConversation, Conversations key.Binding
	// In the conversations list.
	ConvRename, ConvDelete key.Binding
	// Inline [n] markers in answers and drafts: move between them, read one.
	CiteNext, CitePrev, CiteOpen key.Binding
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
	// Reader: a hit's matching passages, and its full text.
	PassageNext, PassagePrev, FullText key.Binding
	// Answer and draft panes.
	Close, Cite, NextCite, Edit, Export key.Binding
	// Tool calls in the answer and draft panes: one line each, or in full.
	ToggleTools key.Binding
	// Rate the answer or draft (kept for fine-tuning exports).
	RateUp, RateDown key.Binding
	Regenerate       key.Binding
	// Palette and other one-line prompts.
	MenuUp, MenuDown, Accept, Cancel key.Binding
}

// DefaultKeyMap returns the built-in bindings. No key means two things in
// one pane (TestDefaultKeysHaveNoClashes).
func DefaultKeyMap() KeyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := func(s ...string) []string { return s }
	return KeyMap{
		Quit:            b(k("ctrl+c", "q"), "q", "quit"),
		Help:            b(k("?", "f1"), "?", "help"),
		Palette:         b(k("ctrl+p", ":"), "ctrl+p", "commands"),
		Ask:             b(k("a", "ctrl+g"), "a", "ask"),
		FocusSearch:     b(k("/", "ctrl+f"), "/", "search"),
		NextPane:        b(k("tab"), "tab", "next pane"),
		PrevPane:        b(k("shift+tab"), "shift+tab", "previous pane"),
		Theme:           b(k("ctrl+t"), "ctrl+t", "switch theme"),
		Refresh:         b(k("ctrl+r"), "ctrl+r", "show new papers"),
		Basket:          b(k("B"), "B", "show basket"),
		DraftPrefix:     b(k("d"), "d", "prompt shortcut…"),
		AskBasket:       b(k("A"), "A", "ask about the basket"),
		ClearBasket:     b(k("ctrl+x"), "ctrl+x", "clear the basket"),
		InputBasket:     b(k("tab"), "tab", "use the basket or not"),
		NewConversation: b(k("ctrl+n"), "ctrl+n", "new conversation"),
		Conversations:   b(k("C"), "C", "conversations"),
		ConvRename:      b(k("r"), "r", "rename"),
		ConvDelete:      b(k("d", "delete"), "d", "delete"),
		CiteNext:        b(k("n"), "n", "next citation"),
		CitePrev:        b(k("N"), "N", "previous citation"),
		CiteOpen:        b(k("enter"), "enter", "read the citation"),

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

		PassageNext: b(k("n"), "n", "next passage"),
		PassagePrev: b(k("N"), "N", "previous passage"),
		FullText:    b(k("f"), "f", "full text"),

		Close:    b(k("esc"), "esc", "stop / close"),
		Cite:     b(k("1", "2", "3", "4", "5", "6", "7", "8", "9"), "1-9", "read source N"),
		NextCite: b(k("c"), "c", "next source"),
		Edit:     b(k("e"), "e", "edit in $EDITOR"),
		Export:   b(k("w"), "w", "export markdown"),

		ToggleTools: b(k("t"), "t", "show/hide tool calls"),

		RateUp:   b(k("+"), "+", "rate good"),
		RateDown: b(k("-"), "-", "rate bad"),

		Regenerate: b(k("R"), "R", "regenerate"),

		MenuUp:   b(k("up", "ctrl+k"), "↑", "up"),
		MenuDown: b(k("down", "ctrl+j"), "↓", "down"),
		Accept:   b(k("enter"), "enter", "run"),
		Cancel:   b(k("esc"), "esc", "cancel"),
	}
}

// action is one thing the app can do. Keys, palette commands and mouse
// clicks all dispatch actions through Model.do, so remapping a key only
// changes which key reaches an action, never what the action does.
type action int

const (
	actNone action = iota
	actQuit
	actHelp
	actPalette
	actAsk
	actFocusSearch
	actNextPane
	actPrevPane
	actTheme
	actShowBasket
	actDraftPrefix
	actSubmit
	actComplete
	actHistoryPrev
	actHistoryNext
	actClearLine
	actUp
	actDown
	actPageUp
	actPageDown
	actTop
	actBottom
	actOpen
	actMark
	actRemoveChip
	actToggle
	actMoreLike
	actOpenURL
	actCopyBibTeX
	actCopyCitation
	actClose
	actCite
	actNextCite
	actEdit
	actExport
	actMenuUp
	actMenuDown
	actAccept
	actCancel
	// Actions only the palette (or the mouse) reaches.
	actRunPrompt
	actClearBasket
	actClearFilters
	actShowAnswer
	actShowDraft
	// The basket (h2).
	actAskBasket
	actInputBasket
	actNewConversation
	actConversations
	actConvRename
	actConvDelete
	actCiteNext
	actCitePrev
	actCiteOpen
	actRefresh
	actToggleTools
	actPassageNext
	actPassagePrev
	actFullText
	actRateUp
	actRateDown
	actRegenerate
)

type actionDef struct {
	act  action
	name string // the [keys] name
	b    *key.Binding
}

// defs lists every bound action with its config name.
func (k *KeyMap) defs() []actionDef {
	return []actionDef{
		{actQuit, "app.quit", &k.Quit}, {actHelp, "app.help", &k.Help}, {actPalette, "app.palette", &k.Palette},
		{actAsk, "app.ask", &k.Ask}, {actFocusSearch, "app.search", &k.FocusSearch},
		{actNextPane, "app.next_pane", &k.NextPane}, {actPrevPane, "app.prev_pane", &k.PrevPane},
		{actTheme, "app.theme", &k.Theme}, {actShowBasket, "app.basket", &k.Basket},
		{actRefresh, "app.refresh", &k.Refresh},
		{actDraftPrefix, "app.prompt_prefix", &k.DraftPrefix},
		{actAskBasket, "app.ask_basket", &k.AskBasket}, {actClearBasket, "app.clear_basket", &k.ClearBasket},
		{actInputBasket, "menu.basket", &k.InputBasket},
		{actNewConversation, "answer.new_conversation", &k.NewConversation},
		{actConversations, "app.conversations", &k.Conversations},
		{actConvRename, "conversations.rename", &k.ConvRename}, {actConvDelete, "conversations.delete", &k.ConvDelete},
		{actCiteNext, "answer.next_citation", &k.CiteNext}, {actCitePrev, "answer.prev_citation", &k.CitePrev},
		{actCiteOpen, "answer.open_citation", &k.CiteOpen},
		{actSubmit, "search.submit", &k.Submit}, {actComplete, "search.complete", &k.Complete},
		{actHistoryPrev, "search.history_prev", &k.HistoryPrev}, {actHistoryNext, "search.history_next", &k.HistoryNext},
		{actClearLine, "search.clear", &k.ClearLine},
		{actUp, "nav.up", &k.Up}, {actDown, "nav.down", &k.Down}, {actPageUp, "nav.page_up", &k.PageUp},
		{actPageDown, "nav.page_down", &k.PageDown}, {actTop, "nav.top", &k.Top}, {actBottom, "nav.bottom", &k.Bottom},
		{actOpen, "results.open", &k.Open}, {actMark, "results.mark", &k.Mark},
		{actRemoveChip, "results.remove_filter", &k.RemoveChip},
		{actToggle, "facets.toggle", &k.Toggle},
		{actMoreLike, "paper.more_like_this", &k.MoreLike}, {actOpenURL, "paper.open_url", &k.OpenURL},
		{actCopyBibTeX, "paper.copy_bibtex", &k.CopyBibTeX}, {actCopyCitation, "paper.copy_citation", &k.CopyCitation},
		{actClose, "pane.close", &k.Close}, {actCite, "answer.cite", &k.Cite}, {actNextCite, "answer.next_cite", &k.NextCite},
		{actEdit, "draft.edit", &k.Edit}, {actExport, "draft.export", &k.Export},
		{actToggleTools, "answer.toggle_tools", &k.ToggleTools},
		{actRateUp, "answer.rate_up", &k.RateUp}, {actRateDown, "answer.rate_down", &k.RateDown},
		{actRegenerate, "draft.regenerate", &k.Regenerate},
		{actPassageNext, "reader.next_passage", &k.PassageNext}, {actPassagePrev, "reader.prev_passage", &k.PassagePrev},
		{actFullText, "reader.full_text", &k.FullText},
		{actMenuUp, "menu.up", &k.MenuUp}, {actMenuDown, "menu.down", &k.MenuDown},
		{actAccept, "menu.accept", &k.Accept}, {actCancel, "menu.cancel", &k.Cancel},
	}
}

// Actions maps each action name to its binding, for remapping and docs.
func (k *KeyMap) Actions() map[string]*key.Binding {
	out := map[string]*key.Binding{}
	for _, d := range k.defs() {
		out[d.name] = d.b
	}
	return out
}

func (k *KeyMap) binding(a action) *key.Binding {
	for _, d := range k.defs() {
		if d.act == a {
			return d.b
		}
	}
	return nil
}

func (k *KeyMap) actionName(a action) string {
	for _, d := range k.defs() {
		if d.act == a {
			return d.name
		}
	}
	return ""
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
		keys := splitKeys(spec)
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

func splitKeys(spec string) []string {
	var keys []string
	for _, s := range strings.Split(spec, ",") {
		if s = strings.TrimSpace(s); s != "" {
			keys = append(keys, s)
		}
	}
	return keys
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

// Where keys go. Each pane resolves a key by one rule: its own actions
// first (navigation, then what the pane does), then the app's, then prompt
// shortcuts. In the search bar and the menus, text editing comes right
// after the pane's own actions, so app keys that type text type there.
var (
	appActions   = []action{actFocusSearch, actNextPane, actPrevPane, actPalette, actAsk, actAskBasket, actShowBasket, actClearBasket, actConversations, actTheme, actRefresh, actHelp, actQuit}
	navActions   = []action{actUp, actDown, actPageUp, actPageDown, actTop, actBottom}
	paperActions = []action{actMoreLike, actOpenURL, actCopyBibTeX, actCopyCitation}
	menuActions  = []action{actAccept, actMenuUp, actMenuDown, actCancel, actInputBasket}
)

// paneActions are focus f's own actions, in precedence order.
func paneActions(f Focus) []action {
	cat := func(groups ...[]action) []action { return slices.Concat(groups...) }
	switch f {
	case FocusSearch:
		return []action{actSubmit, actComplete, actHistoryPrev, actHistoryNext, actClearLine, actClose}
	case FocusResults:
		return cat(navActions, []action{actOpen, actMark, actRemoveChip, actClose}, paperActions)
	case FocusFacets:
		return cat(navActions, []action{actToggle, actRemoveChip, actClose})
	case FocusReader:
		return cat(navActions, []action{actMark, actClose, actPassageNext, actPassagePrev, actFullText}, paperActions)
	case FocusAnswer:
		return cat(navActions, []action{actClose, actCite, actNextCite, actCiteNext, actCitePrev, actCiteOpen, actEdit, actExport, actNewConversation, actToggleTools, actRateUp, actRateDown})
	case FocusDraft:
		return cat(navActions, []action{actClose, actCite, actNextCite, actCiteNext, actCitePrev, actCiteOpen, actEdit, actExport, actToggleTools, actRateUp, actRateDown, actRegenerate})
	case FocusBasket:
		return cat(navActions, []action{actOpen, actMark, actClose})
	}
	return nil
}

// appActionsIn are the app actions that work in focus f. In the search bar
// "focus the search bar" means nothing, and its ctrl+f moves the cursor.
func appActionsIn(f Focus) []action {
	if f == FocusSearch {
		return slices.DeleteFunc(slices.Clone(appActions), func(a action) bool { return a == actFocusSearch })
	}
	return appActions
}

// fallsBack lists the pairs that share a key on purpose: the first acts
// when it can and otherwise hands the key on (Tab completes, else moves on).
var fallsBack = map[[2]action]bool{{actComplete, actNextPane}: true}

// editKeys are the search bar's fixed editing keys (see editor.handle);
// ctrl+u is left out because search.clear does the same there.
var editKeys = []string{"left", "right", "ctrl+b", "ctrl+f", "home", "ctrl+a", "end", "ctrl+e",
	"alt+left", "ctrl+left", "alt+b", "alt+right", "ctrl+right", "alt+f", "backspace", "ctrl+h",
	"delete", "ctrl+d", "ctrl+w", "alt+backspace", "ctrl+backspace", "ctrl+k"}

// match finds the first of acts whose binding has msg's key, and the
// position of that key in the binding (answer.cite's 1-9 give N this way).
func (k *KeyMap) match(acts []action, msg tea.KeyPressMsg) (action, int, bool) {
	s := msg.String()
	for _, a := range acts {
		b := k.binding(a)
		if b == nil || !b.Enabled() {
			continue
		}
		if i := slices.Index(b.Keys(), s); i >= 0 {
			return a, i, true
		}
	}
	return actNone, 0, false
}

// typesText reports whether key spec k types a character in a text field.
func typesText(k string) bool {
	if k == "space" {
		return true
	}
	return utf8.RuneCountInString(k) == 1
}

// KeyClash is one key claimed by two things in the same pane, or (with no
// B) a prompt key that names no key.
type KeyClash struct {
	Key    string
	Panes  []string
	A, B   string // what claims it: an action name or `prompt "name"`
	Winner string // who keeps the key ("" when neither does)
}

func (c KeyClash) String() string {
	if c.B == "" {
		return fmt.Sprintf("%s: key %q is not a key (e.g. p, ctrl+r, f5); it has none", c.A, c.Key)
	}
	s := fmt.Sprintf("key %q means both %s and %s", c.Key, c.A, c.B)
	if len(c.Panes) > 0 {
		s += " in " + strings.Join(c.Panes, ", ")
	}
	switch c.Winner {
	case "":
		s += "; neither gets it"
	case c.A:
		s += "; " + c.B + " loses it"
	default:
		s += "; " + c.A + " loses it"
	}
	return s
}

// promptKeys are the prompts' shortcuts: letters after the prefix, and
// direct keys (with a modifier, or F-keys) that work everywhere.
type promptKeys struct {
	chord  map[string]string // key after the prefix → prompt name
	direct map[string]string // key → prompt name
	label  map[string]string // prompt name → how its key is shown ("d p")
}

// KeySetup is the keymap in force with the prompts' shortcuts, and every
// problem found while building them.
type KeySetup struct {
	Keys    KeyMap
	prompts promptKeys
	Clashes []KeyClash
	// Err reports unknown actions in the overrides.
	Err error
}

// PromptKey returns how prompt name's shortcut is typed ("d p", "ctrl+r"),
// or "" when it has none (or lost it in a clash).
func (s *KeySetup) PromptKey(name string) string { return s.prompts.label[name] }

// Problems lists the setup's errors and clashes as sentences.
func (s *KeySetup) Problems() []string {
	var out []string
	if s.Err != nil {
		out = append(out, s.Err.Error())
	}
	for _, c := range s.Clashes {
		out = append(out, c.String())
	}
	return out
}

// namedKeys are the key names bubbles/key spells out; anything else must
// be a single character.
var namedKeys = map[string]bool{"enter": true, "tab": true, "esc": true, "space": true, "backspace": true,
	"delete": true, "insert": true, "up": true, "down": true, "left": true, "right": true, "home": true,
	"end": true, "pgup": true, "pgdown": true}

// validKey reports whether s is a key as bubbles/key spells it: modifiers
// joined with +, then a named key, an F-key or one character.
func validKey(s string) bool {
	for _, mod := range []string{"ctrl+", "alt+", "shift+", "super+"} {
		for strings.HasPrefix(s, mod) && len(s) > len(mod) {
			s = s[len(mod):]
		}
	}
	if namedKeys[s] || utf8.RuneCountInString(s) == 1 {
		return true
	}
	if len(s) >= 2 && s[0] == 'f' {
		n := 0
		for _, r := range s[1:] {
			if r < '0' || r > '9' {
				return false
			}
			n = n*10 + int(r-'0')
		}
		return n >= 1 && n <= 63
	}
	return false
}

// claim is something that wants a key in a pane.
type claim struct {
	who      string
	act      action   // actNone for prompts and text editing
	remapped bool     // from [keys]: loses to a default it collides with
	keys     []string // a prompt's direct key
	fixed    bool     // text editing: never loses
}

// SetupKeys builds the keymap from the defaults and the [keys] overrides,
// assigns the prompts' shortcuts, and reports every key that would mean
// two things in one pane. A clash never silently wins: the overriding key
// or prompt loses it and the clash is reported.
func SetupKeys(overrides map[string]string, prompts []PromptInfo) KeySetup {
	s := KeySetup{Keys: DefaultKeyMap()}
	s.Err = s.Keys.Remap(overrides)
	remapped := map[action]bool{}
	for _, d := range s.Keys.defs() {
		if _, ok := overrides[d.name]; ok {
			remapped[d.act] = true
		}
	}
	promptClashes := s.settlePrompts(prompts)
	lost := s.settlePanes(remapped)
	s.Clashes = append(s.Clashes, promptClashes...)

	// The losers give their keys up everywhere.
	for _, d := range s.Keys.defs() {
		if ks := lost[d.name]; len(ks) > 0 {
			keep := slices.DeleteFunc(slices.Clone(d.b.Keys()), func(k string) bool { return ks[k] })
			d.b.SetKeys(keep...)
			if len(keep) > 0 {
				d.b.SetHelp(keyLabel(keep[0]), d.b.Help().Desc)
			} else {
				d.b.SetEnabled(false)
			}
		}
	}
	for k, name := range s.prompts.direct {
		if lost[promptWho(name)][k] {
			delete(s.prompts.direct, k)
		}
	}
	prefix := ""
	if ks := s.Keys.DraftPrefix.Keys(); len(ks) > 0 && s.Keys.DraftPrefix.Enabled() {
		prefix = ks[0]
	}
	for k, name := range s.prompts.chord {
		if prefix == "" {
			delete(s.prompts.chord, k)
			continue
		}
		s.prompts.label[name] = prefix + " " + k
	}
	for k, name := range s.prompts.direct {
		s.prompts.label[name] = k
	}
	return s
}

// settlePrompts sorts the prompts' keys into letters after the prefix and
// direct keys, and settles prompts that share one: a file beats a
// built-in, otherwise neither keeps it. It returns those clashes and the
// keys that name no key.
func (s *KeySetup) settlePrompts(prompts []PromptInfo) []KeyClash {
	s.prompts = promptKeys{chord: map[string]string{}, direct: map[string]string{}, label: map[string]string{}}
	chords, direct := map[string][]PromptInfo{}, map[string][]PromptInfo{}
	var out []KeyClash
	for _, p := range prompts {
		k := strings.TrimSpace(p.Key)
		if k == "" {
			continue
		}
		if pre, rest, ok := strings.Cut(k, " "); ok && slices.Contains(s.Keys.DraftPrefix.Keys(), pre) {
			k = strings.TrimSpace(rest) // "d p" spelled out
		}
		switch {
		case !validKey(k):
			out = append(out, KeyClash{Key: k, A: promptWho(p.Name)})
		case typesText(k):
			chords[k] = append(chords[k], p)
		default:
			direct[k] = append(direct[k], p)
		}
	}
	settle := func(byKey map[string][]PromptInfo, into map[string]string) {
		for _, k := range slices.Sorted(mapKeys(byKey)) {
			ps := byKey[k]
			if len(ps) == 1 {
				into[k] = ps[0].Name
				continue
			}
			var files []PromptInfo
			for _, p := range ps {
				if !p.Builtin {
					files = append(files, p)
				}
			}
			winner := ""
			if len(files) == 1 {
				winner = files[0].Name
				into[k] = winner
			}
			for i := 0; i < len(ps); i++ {
				for j := i + 1; j < len(ps); j++ {
					c := KeyClash{Key: k, A: promptWho(ps[i].Name), B: promptWho(ps[j].Name)}
					if ps[i].Name == winner {
						c.Winner = c.A
					} else if ps[j].Name == winner {
						c.Winner = c.B
					}
					out = append(out, c)
				}
			}
		}
	}
	settle(chords, s.prompts.chord)
	settle(direct, s.prompts.direct)
	return out
}

// scopeClaims lists, for every pane and the menus, who claims keys there
// in precedence order: the pane's own actions, text editing (in the search
// bar), the app's actions, the prompt prefix, then direct prompt keys.
func (s *KeySetup) scopeClaims(remapped map[action]bool) ([]string, map[string][]claim) {
	actClaim := func(a action) claim {
		return claim{who: s.Keys.actionName(a), act: a, remapped: remapped[a]}
	}
	panes := []Focus{FocusSearch, FocusResults, FocusFacets, FocusReader, FocusAnswer, FocusDraft, FocusBasket}
	scopes := make([]string, 0, len(panes)+1)
	claimsIn := map[string][]claim{}
	for _, f := range panes {
		var cs []claim
		for _, a := range paneActions(f) {
			cs = append(cs, actClaim(a))
		}
		if f == FocusSearch {
			cs = append(cs, claim{who: "text editing", fixed: true})
		}
		for _, a := range appActionsIn(f) {
			cs = append(cs, actClaim(a))
		}
		if f != FocusSearch {
			cs = append(cs, actClaim(actDraftPrefix))
		}
		for _, k := range slices.Sorted(mapKeys(s.prompts.direct)) {
			cs = append(cs, claim{who: promptWho(s.prompts.direct[k]), keys: []string{k}})
		}
		scopes = append(scopes, paneName(f))
		claimsIn[paneName(f)] = cs
	}
	var menu []claim
	for _, a := range menuActions {
		menu = append(menu, actClaim(a))
	}
	menu = append(menu, claim{who: "text editing", fixed: true})
	scopes = append(scopes, "menus")
	claimsIn["menus"] = menu
	return scopes, claimsIn
}

// settlePanes finds the keys claimed twice in a pane and records the
// clashes; it returns, per claimant, the keys it loses. The later claim
// loses, unless it is a default and the earlier one was remapped; text
// editing never loses.
func (s *KeySetup) settlePanes(remapped map[action]bool) map[string]map[string]bool {
	lost := map[string]map[string]bool{}
	found := map[[3]string]*KeyClash{}
	var order [][3]string
	scopes, claimsIn := s.scopeClaims(remapped)
	for _, scope := range scopes {
		text := scope == paneName(FocusSearch) || scope == "menus"
		owner := map[string]claim{}
		for _, c := range claimsIn[scope] {
			for _, k := range s.claimKeys(c, scope) {
				prev, taken := owner[k]
				if !taken && text && typesText(k) && !c.fixed {
					// A pane key that types text would stop it being typed.
					prev, taken = claim{who: "text editing", fixed: true}, true
				}
				if !taken {
					owner[k] = c
					continue
				}
				if prev.who == c.who || fallsBack[[2]action{prev.act, c.act}] {
					continue
				}
				loser := c // the later claim loses, unless it is the default
				switch {
				case prev.fixed:
				case c.fixed, prev.remapped && !c.remapped:
					loser = prev
				}
				if loser.who == prev.who {
					owner[k] = c
				}
				id := [3]string{k, prev.who, c.who}
				cl, ok := found[id]
				if !ok {
					cl = &KeyClash{Key: k, A: prev.who, B: c.who}
					found[id] = cl
					order = append(order, id)
				}
				if !slices.Contains(cl.Panes, scope) {
					cl.Panes = append(cl.Panes, scope)
				}
				cl.Winner = cl.A
				if loser.who == cl.A {
					cl.Winner = cl.B
				}
				if lost[loser.who] == nil {
					lost[loser.who] = map[string]bool{}
				}
				lost[loser.who][k] = true
			}
		}
	}
	for _, id := range order {
		s.Clashes = append(s.Clashes, *found[id])
	}
	return lost
}

// claimKeys are the keys c claims in scope. Text editing claims every key
// that types (checked separately) plus the search bar's editing keys; app
// keys that type text are typed in text fields, by design.
func (s *KeySetup) claimKeys(c claim, scope string) []string {
	if c.fixed {
		if scope == "menus" {
			return nil
		}
		return editKeys
	}
	if c.keys != nil {
		return c.keys
	}
	b := s.Keys.binding(c.act)
	if b == nil {
		return nil
	}
	text := scope == paneName(FocusSearch) || scope == "menus"
	var out []string
	for _, k := range b.Keys() {
		if text && typesText(k) && slices.Contains(appActions, c.act) {
			continue // typed, by design
		}
		out = append(out, k)
	}
	return out
}

func promptWho(name string) string { return fmt.Sprintf("prompt %q", name) }

func paneName(f Focus) string {
	if f == FocusFacets {
		return "filters"
	}
	if f == FocusSearch {
		return "search bar"
	}
	return f.String()
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// keyMapView adapts the KeyMap to help.KeyMap for the focused pane.
type keyMapView struct {
	short []key.Binding
	full  [][]key.Binding
	names []string // a title per group of full
	// byAct is each shown action's binding, limited to the keys that
	// reach it in the pane.
	byAct map[action]key.Binding
}

// keyFor is how action a is typed in the view's pane, or "".
func (v keyMapView) keyFor(a action) string {
	if b, ok := v.byAct[a]; ok {
		return b.Help().Key
	}
	return ""
}

func (v keyMapView) ShortHelp() []key.Binding  { return v.short }
func (v keyMapView) FullHelp() [][]key.Binding { return v.full }

// shown returns b limited to the keys that reach it in a pane, given the
// keys already taken there, or false when none does.
func shown(b key.Binding, taken map[string]bool, text bool) (key.Binding, bool) {
	if !b.Enabled() {
		return b, false
	}
	var keys []string
	for _, k := range b.Keys() {
		if taken[k] || text && typesText(k) {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return b, false
	}
	for _, k := range keys {
		taken[k] = true
	}
	label := b.Help().Key
	if !slices.Equal(keys, b.Keys()) {
		label = keyLabel(keys[0])
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, b.Help().Desc)), true
}

// helpFor returns the bindings that work in focus f, resolved by the same
// rule as the keys: a short list for the footer hint and every group for
// the ? screen. No key is listed twice: a key another action takes first
// in this pane is left out of the later one.
func (k KeyMap) helpFor(f Focus, prompts []key.Binding) keyMapView {
	taken := map[string]bool{}
	byAct := map[action]key.Binding{}
	var pane, app []key.Binding
	for _, a := range paneActions(f) {
		if b, ok := shown(*k.binding(a), taken, false); ok {
			pane = append(pane, b)
			byAct[a] = b
		}
	}
	text := f == FocusSearch
	if text {
		for _, e := range editKeys {
			taken[e] = true
		}
	}
	for _, a := range appActionsIn(f) {
		b := *k.binding(a)
		if a == actNextPane && f == FocusSearch {
			continue // Tab completes, then moves on (search.complete)
		}
		if b, ok := shown(b, taken, text); ok {
			app = append(app, b)
			byAct[a] = b
		}
	}
	var ps []key.Binding
	if !text {
		ps = prompts
	}
	v := keyMapView{full: [][]key.Binding{pane, app}, names: []string{paneTitle(f), "Anywhere"}, byAct: byAct}
	if len(ps) > 0 {
		v.full = append(v.full, ps)
		v.names = append(v.names, "Prompts")
	}
	pick := func(acts ...action) []key.Binding {
		var out []key.Binding
		for _, a := range acts {
			if b, ok := byAct[a]; ok {
				out = append(out, b)
			}
		}
		return out
	}
	switch f {
	case FocusSearch:
		v.short = pick(actSubmit, actComplete, actHistoryPrev, actPalette, actHelp)
	case FocusResults:
		v.short = pick(actOpen, actMark, actAsk, actMoreLike, actFocusSearch, actHelp)
	case FocusFacets:
		v.short = pick(actToggle, actRemoveChip, actFocusSearch, actHelp)
	case FocusReader:
		v.short = pick(actPassageNext, actFullText, actMoreLike, actOpenURL, actCopyBibTeX, actClose, actHelp)
	case FocusAnswer:
		v.short = pick(actCiteNext, actCiteOpen, actCite, actClose, actAsk, actHelp)
	case FocusDraft:
		v.short = pick(actEdit, actExport, actClose, actHelp)
	case FocusBasket:
		v.short = pick(actAskBasket, actOpen, actMark, actClearBasket, actClose, actHelp)
	}
	return v
}

func paneTitle(f Focus) string {
	switch f {
	case FocusSearch:
		return "Search bar"
	case FocusFacets:
		return "Filters"
	}
	s := f.String()
	return strings.ToUpper(s[:1]) + s[1:]
}
