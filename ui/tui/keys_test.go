package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/agent/prompt"
)

// builtinPrompts are the prompts shipped in the binary, as the app sees them.
func builtinPrompts(t *testing.T) []PromptInfo {
	t.Helper()
	lib, err := prompt.Load("")
	if err != nil {
		t.Fatal(err)
	}
	var out []PromptInfo
	for _, p := range lib.List() {
		out = append(out, PromptInfo{Name: p.Name, Key: p.Key, Builtin: p.Builtin, Mode: string(p.Mode)})
	}
	return out
}

func TestDefaultKeysAndBuiltinPromptsHaveNoClashes(t *testing.T) {
	ps := builtinPrompts(t)
	s := SetupKeys(nil, ps)
	if probs := s.Problems(); len(probs) > 0 {
		t.Fatalf("the defaults clash:\n%s", strings.Join(probs, "\n"))
	}
	for _, p := range ps {
		if p.Key != "" && !strings.HasPrefix(s.PromptKey(p.Name), "d ") {
			t.Errorf("built-in %s has key %q, want it behind the d prefix", p.Name, s.PromptKey(p.Name))
		}
	}
}

// The built-ins' keys (g research-gaps, m method-comparison, l
// literature-review) used to run their prompts from the results instead
// of top, mark and open.
func TestPromptKeysDoNotShadowNavigation(t *testing.T) {
	m, b := newTestModel(t, 160, 30)
	b.prompts = builtinPrompts(t)
	m.prompts = b.prompts
	m.setupKeys()
	typeText(t, m, "a")
	press(t, m, "enter", "j", "j")
	if m.results.cursor != 2 {
		t.Fatalf("cursor %d after j j", m.results.cursor)
	}
	press(t, m, "g")
	if m.overlay != overlayNone || m.results.cursor != 0 {
		t.Fatalf("g: overlay %v cursor %d, want top", m.overlay, m.results.cursor)
	}
	press(t, m, "m")
	if len(m.BasketIDs()) != 1 || m.overlay != overlayNone {
		t.Fatalf("m did not mark: basket %v overlay %v", m.BasketIDs(), m.overlay)
	}
	press(t, m, "l")
	if m.Focused() != FocusReader {
		t.Fatalf("l did not open the reader: %v", m.Focused())
	}
	// The prompt is one key further: d then its key.
	press(t, m, "d")
	if !strings.Contains(screen(m), "g research-gaps") {
		t.Fatalf("the prefix does not list the prompts:\n%s", screen(m))
	}
	press(t, m, "g")
	if m.overlay != overlayInput || m.input.prompt.Name != "research-gaps" {
		if len(b.drafts) == 0 || b.drafts[0].Prompt != "research-gaps" {
			t.Fatalf("d g: overlay %v drafts %+v", m.overlay, b.drafts)
		}
	}
}

func TestPromptKeyClashesAreReported(t *testing.T) {
	ps := []PromptInfo{
		{Name: "mine", Key: "ctrl+p"}, // the palette's key
		{Name: "down", Key: "j"},      // a letter: d j, no clash with down
		{Name: "gaps", Key: "g"},      // a file beats the built-in on d g
		{Name: "research-gaps", Key: "g", Builtin: true},
		{Name: "a", Key: "x"}, {Name: "b", Key: "x"}, // two files: neither
		{Name: "odd", Key: "ctrl+nope"},
	}
	s := SetupKeys(nil, ps)
	probs := strings.Join(s.Problems(), "\n")
	for _, want := range []string{
		`"ctrl+p" means both app.palette and prompt "mine"`,
		`prompt "gaps" and prompt "research-gaps"`,
		`prompt "a" and prompt "b"; neither gets it`,
		`prompt "odd"`,
	} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
	if got := s.PromptKey("mine"); got != "" {
		t.Errorf("mine kept %q", got)
	}
	if got := s.PromptKey("down"); got != "d j" {
		t.Errorf("down: %q", got)
	}
	if s.PromptKey("gaps") != "d g" || s.PromptKey("research-gaps") != "" || s.PromptKey("a") != "" {
		t.Errorf("gaps %q research-gaps %q a %q", s.PromptKey("gaps"), s.PromptKey("research-gaps"), s.PromptKey("a"))
	}

	// In the app: the status line names both, and the clash does not win.
	m, b := newTestModel(t, 120, 30)
	b.prompts = ps
	m.prompts = ps
	m.setupKeys()
	if st := screen(m); !strings.Contains(st, "app.palette") || !strings.Contains(st, `prompt "mine"`) {
		t.Fatalf("the status line does not name the clash:\n%s", st)
	}
	press(t, m, "enter", "ctrl+p")
	if m.overlay != overlayPalette {
		t.Fatalf("ctrl+p: overlay %v", m.overlay)
	}
}

func TestRemapClashIsReportedAndDoesNotWin(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, func(o *Options) {
		o.Keys = map[string]string{"results.mark": "j,m", "app.theme": "k"}
	})
	st := screen(m)
	if !strings.Contains(st, `"j" means both nav.down and results.mark`) {
		t.Fatalf("status line:\n%s", st)
	}
	var all []string
	for _, c := range m.keyClashes {
		all = append(all, c.String())
	}
	if !slices.ContainsFunc(all, func(s string) bool { return strings.Contains(s, "nav.up and app.theme") }) {
		t.Fatalf("clashes %v", all)
	}
	typeText(t, m, "a")
	press(t, m, "enter", "j", "j", "k")
	if m.results.cursor != 1 || len(m.BasketIDs()) != 0 || m.styles.P.Name != "dark" {
		t.Fatalf("cursor %d basket %v theme %s: a remap clash won", m.results.cursor, m.BasketIDs(), m.styles.P.Name)
	}
	press(t, m, "m") // the key that did not clash still marks
	if len(m.BasketIDs()) != 1 {
		t.Fatal("m no longer marks")
	}
	press(t, m, "?")
	if !strings.Contains(screen(m), "clash:") {
		t.Fatal("help does not list the clashes")
	}
}

// helpKeys returns every key the ? screen lists for focus f, with how
// many entries list it.
func helpKeys(m *Model, f Focus) map[string][]string {
	v := m.keys.helpFor(f, m.promptBindings())
	out := map[string][]string{}
	for _, g := range v.full {
		for _, b := range g {
			for _, k := range b.Keys() {
				out[k] = append(out[k], b.Help().Desc)
			}
		}
	}
	return out
}

func TestHelpNeverListsAKeyTwice(t *testing.T) {
	m, b := newTestModel(t, 160, 48)
	b.prompts = append(builtinPrompts(t), b.prompts...)
	m.prompts = b.prompts
	m.setupKeys()
	for _, f := range []Focus{FocusSearch, FocusResults, FocusFacets, FocusReader, FocusAnswer, FocusDraft} {
		for k, descs := range helpKeys(m, f) {
			if len(descs) > 1 {
				t.Errorf("%s help lists %q as %v", f, k, descs)
			}
		}
	}
	// And what it lists is what the key does: enter reads in the results.
	if d := helpKeys(m, FocusResults)["enter"]; len(d) != 1 || d[0] != "read" {
		t.Errorf("results enter: %v", d)
	}
	if d := helpKeys(m, FocusSearch)["tab"]; len(d) != 1 || !strings.Contains(d[0], "complete") {
		t.Errorf("search tab: %v", d)
	}
	if _, ok := helpKeys(m, FocusSearch)["q"]; ok {
		t.Error("the search bar's help lists q, which types q there")
	}
}

// Remapped keys reach the same actions: citations by the key's position in
// answer.cite, palette commands without replaying a key.
func TestRemappedKeysKeepCitationsAndPalette(t *testing.T) {
	m, b := newTestModel(t, 100, 30, func(o *Options) {
		o.Keys = map[string]string{"answer.cite": "!,@,#", "paper.copy_bibtex": "ctrl+y", "app.palette": "ctrl+o"}
	})
	b.script = answerScript(0)
	typeText(t, m, "protein")
	press(t, m, "enter", "a")
	typeText(t, m, "what improved?")
	press(t, m, "enter")
	press(t, m, "@")
	if m.Focused() != FocusReader || m.reader.id != "p005" {
		t.Fatalf("@ (cite 2): focus %v reader %q status %q", m.Focused(), m.reader.id, m.status)
	}
	press(t, m, "esc", "ctrl+o")
	typeText(t, m, "source [1]")
	if len(m.palette.matches) == 0 || m.palette.matches[0].act != actCite || m.palette.matches[0].key != "!" {
		t.Fatalf("palette matches %+v", m.palette.matches)
	}
	press(t, m, "enter")
	if m.Focused() != FocusReader || m.reader.id != "p000" {
		t.Fatalf("palette source 1: focus %v reader %q", m.Focused(), m.reader.id)
	}
	press(t, m, "ctrl+o")
	typeText(t, m, "copy bibtex")
	if it := m.palette.matches[0]; it.key != "ctrl+y" {
		t.Fatalf("palette shows key %q for Copy BibTeX", it.key)
	}
	cmd := send(m, keyMsg("enter"))
	if cmd == nil || !strings.Contains(m.status, "BibTeX") {
		t.Fatalf("palette Copy BibTeX: status %q", m.status)
	}
}

func TestRestoredQueryIsSelected(t *testing.T) {
	dir := t.TempDir()
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	typeText(t, m, "protein language model")
	if err := m.SaveSession(); err != nil {
		t.Fatal(err)
	}
	m2, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	press(t, m2, "ctrl+p", "esc") // a command key leaves it selected
	typeText(t, m2, "black holes")
	if got := m2.Query(); got != "black holes" {
		t.Fatalf("typing over a restored query gave %q", got)
	}
	// Cursor keys keep it and move the cursor.
	m3, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	press(t, m3, "home")
	typeText(t, m3, "x ")
	if got := m3.Query(); got != "x protein language model" {
		t.Fatalf("home then typing gave %q", got)
	}
	m4, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	press(t, m4, "left", "left")
	typeText(t, m4, "X")
	if got := m4.Query(); got != "protein language modXel" {
		t.Fatalf("left left then typing gave %q", got)
	}
	m5, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	press(t, m5, "backspace")
	if got := m5.Query(); got != "" {
		t.Fatalf("backspace on a selected query left %q", got)
	}
}

// facetRow finds the sidebar row of a facet value.
func facetRow(t *testing.T, m *Model, facet, value string) int {
	t.Helper()
	for i, it := range m.facets.items {
		if !it.header && it.facet == facet && it.value == value {
			return i
		}
	}
	t.Fatalf("no %s %q in the sidebar", facet, value)
	return -1
}

// clickFacet clicks a facet value with the mouse.
func clickFacet(t *testing.T, m *Model, facet, value string) {
	t.Helper()
	i := facetRow(t, m, facet, value)
	sb := m.layout.Sidebar
	m.facets.top = max(0, i-1)
	drain(t, m, send(m, tea.MouseClickMsg{X: sb.X + 2, Y: sb.Y + 1 + i - m.facets.top, Button: tea.MouseLeft}))
}

func TestFacetClickSelectsExactlyThatValueAndKeepsSiblings(t *testing.T) {
	m, b := newTestModel(t, 120, 60)
	// A paper whose author list holds both words of "Ada Lovelace" apart:
	// a loose author:"Ada Lovelace" would find it, the facet must not.
	b.papers[1].Authors = []string{"Ada Smith", "Lord Lovelace"}
	typeText(t, m, "advances")
	count := func(facet, value string) int {
		f, _ := m.facets.byName(facet)
		for _, v := range f.Values {
			if v.Value == value {
				return v.Count
			}
		}
		return -1
	}
	want := count("author", "Ada Lovelace")
	clickFacet(t, m, "author", "Ada Lovelace")
	if got := m.Query(); got != `advances author:="Ada Lovelace"` {
		t.Fatalf("facet click gave %q", got)
	}
	if m.results.total != want {
		t.Fatalf("%d hits, the facet counted %d", m.results.total, want)
	}
	// Its siblings stay, counted as if the author filter were off.
	if c := count("author", "Alan Turing"); c <= 0 {
		t.Fatalf("sibling Alan Turing: %d", c)
	}
	s := screen(m)
	if !strings.Contains(s, "[x] Ada Lovelace") || !strings.Contains(s, "[ ] Alan Turing") {
		t.Fatalf("checked value or sibling missing:\n%s", s)
	}
	// A second value of the facet means either.
	also := count("author", "Alan Turing")
	clickFacet(t, m, "author", "Alan Turing")
	if got := m.Query(); got != `advances author:="Ada Lovelace","Alan Turing"` {
		t.Fatalf("second value gave %q", got)
	}
	union := 0
	for _, p := range b.papers {
		if slices.Contains(p.Authors, "Ada Lovelace") || slices.Contains(p.Authors, "Alan Turing") {
			union++
		}
	}
	if m.results.total != union || union <= max(want, also) {
		t.Fatalf("either: %d hits, want %d", m.results.total, union)
	}
	if s := screen(m); !strings.Contains(s, "[x] Ada Lovelace") || !strings.Contains(s, "[x] Alan Turing") {
		t.Fatalf("both not checked:\n%s", s)
	}
	// Enter on a checked value turns it off again.
	m.setFocus(FocusFacets)
	m.facets.cursor = facetRow(t, m, "author", "Ada Lovelace")
	press(t, m, "enter")
	if got := m.Query(); got != `advances author:="Alan Turing"` {
		t.Fatalf("toggle off gave %q", got)
	}
	// Years combine the same way: two years, either.
	clickFacet(t, m, "year", "2016")
	clickFacet(t, m, "year", "2018")
	if got := m.Query(); !strings.Contains(got, "year:2016") || !strings.Contains(got, "year:2018") {
		t.Fatalf("two years gave %q", got)
	}
	for _, h := range m.results.pages[0] {
		if h.Paper.Year != 2016 && h.Paper.Year != 2018 {
			t.Fatalf("hit from %d for %q", h.Paper.Year, m.Query())
		}
	}
	if s := screen(m); !strings.Contains(s, "[x] 2016") || !strings.Contains(s, "[x] 2018") || !strings.Contains(s, "[ ] 2020") {
		t.Fatalf("years not shown checked beside their siblings:\n%s", s)
	}
}

// The [keys] examples in the commented default config name real actions.
func TestDefaultConfigKeyExamplesAreActions(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "default.toml"))
	if err != nil {
		t.Fatal(err)
	}
	km := DefaultKeyMap()
	acts := km.Actions()
	in, n := false, 0
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		switch {
		case line == "[keys]":
			in = true
		case in && strings.HasPrefix(line, `"`):
			name := strings.Trim(strings.SplitN(line, "=", 2)[0], `" `)
			if _, ok := acts[name]; !ok {
				t.Errorf("default.toml's [keys] example %q is not an action", name)
			}
			n++
		case in && strings.HasPrefix(line, "["):
			in = false
		}
	}
	if n == 0 {
		t.Fatal("no [keys] example found in default.toml")
	}
}

// A click on a palette entry runs the same action as enter on it.
func TestPaletteClickRunsCommand(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	typeText(t, m, "protein")
	press(t, m, "enter", "ctrl+p")
	row := -1
	for y, line := range strings.Split(screen(m), "\n") {
		if strings.Contains(line, "Copy BibTeX") {
			row = y
		}
	}
	if row < 0 {
		t.Fatalf("no Copy BibTeX row:\n%s", screen(m))
	}
	cmd := send(m, tea.MouseClickMsg{X: 50, Y: row, Button: tea.MouseLeft})
	if m.overlay != overlayNone || cmd == nil || !strings.Contains(m.status, "BibTeX") {
		t.Fatalf("click: overlay %v status %q", m.overlay, m.status)
	}
	// A click outside the entries just closes the palette.
	press(t, m, "ctrl+p")
	send(m, tea.MouseClickMsg{X: 1, Y: 1, Button: tea.MouseLeft})
	if m.overlay != overlayNone || strings.Contains(m.status, "BibTeX") {
		t.Fatalf("outside click: overlay %v status %q", m.overlay, m.status)
	}
}
