package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/quire-research/quire/search"
)

func screen(m *Model) string { return ansi.Strip(m.Render()) }

func TestSearchAsYouTypeCancelsStaleSearches(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	b.block = true
	// Two keystrokes without running their Cmds: the first search's
	// context must be cancelled by the second.
	cmd1 := send(m, keyMsg("p"))
	ctx1 := m.searchCtx
	seq1 := m.seq
	cmd2 := send(m, keyMsg("r"))
	if ctx1.Err() == nil {
		t.Fatal("the first search was not cancelled by the next keystroke")
	}
	if m.seq != seq1+1 {
		t.Fatalf("seq %d, want %d", m.seq, seq1+1)
	}
	// The stale result arrives late and is dropped.
	b.block = false
	stale := hitsMsg{seq: seq1, text: "p", res: &search.Result{Total: 99, Hits: []search.Hit{{ID: "stale"}}}}
	send(m, stale)
	if m.results.total == 99 {
		t.Fatal("a stale result replaced the list")
	}
	_ = cmd1
	drain(t, m, cmd2)
	if m.query != "pr" || m.results.total == 0 {
		t.Fatalf("query %q total %d", m.query, m.results.total)
	}
	if m.searching {
		t.Fatal("still searching")
	}
}

func TestSearchShowsModeHitsAndLatency(t *testing.T) {
	clock := testClock
	m, _ := newTestModel(t, 100, 24, func(o *Options) {
		o.Now = func() time.Time { clock = clock.Add(3 * time.Millisecond); return clock }
	})
	typeText(t, m, "protein")
	top := strings.Split(screen(m), "\n")[0]
	for _, want := range []string{"protein", "[bm25]", "8 hits", "3 ms"} {
		if !strings.Contains(top, want) {
			t.Errorf("search line lacks %q: %q", want, top)
		}
	}
}

func TestParseErrorKeepsResultsAndExplains(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	typeText(t, m, "protein")
	total := m.results.total
	typeText(t, m, ` "fold`)
	if m.bar.parseErr == "" || m.results.total != total {
		t.Fatalf("parseErr %q total %d", m.bar.parseErr, m.results.total)
	}
	if !strings.Contains(screen(m), "unterminated quote") {
		t.Fatal("the syntax error is not shown")
	}
}

func TestCompletionOfKeysAndValues(t *testing.T) {
	m, _ := newTestModel(t, 100, 24)
	typeText(t, m, "protein ven")
	if !m.bar.compOK || len(m.bar.candidates) == 0 || m.bar.candidates[0].Insert != "venue:" {
		t.Fatalf("key candidates %+v", m.bar.candidates)
	}
	press(t, m, "tab")
	if got := m.Query(); got != "protein venue:" {
		t.Fatalf("after tab: %q", got)
	}
	// Values come from the facet counts.
	if len(m.bar.candidates) == 0 {
		t.Fatal("no value candidates")
	}
	typeText(t, m, "cel")
	if c := m.bar.candidates; len(c) == 0 || c[0].Label != "Cell Reports" {
		t.Fatalf("value candidates %+v", c)
	}
	if !strings.Contains(screen(m), "Cell Reports") {
		t.Fatal("candidates not shown")
	}
	press(t, m, "tab")
	if got := m.Query(); got != `protein venue:"Cell Reports"` {
		t.Fatalf("after value tab: %q", got)
	}
	if m.results.total == 0 {
		t.Fatal("completed query found nothing")
	}
	for _, h := range m.results.pages[0] {
		if h.Paper.Venue != "Cell Reports" {
			t.Fatalf("hit %s from %s", h.ID, h.Paper.Venue)
		}
	}
}

func TestHistoryUpDown(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	typeText(t, m, "protein")
	press(t, m, "enter", "/")
	press(t, m, "ctrl+u")
	typeText(t, m, "quantum")
	press(t, m, "enter", "/")
	press(t, m, "ctrl+u")
	typeText(t, m, "dra")
	press(t, m, "up")
	if m.Query() != "quantum" {
		t.Fatalf("up: %q", m.Query())
	}
	press(t, m, "up")
	if m.Query() != "protein" || m.query != "protein" {
		t.Fatalf("up up: %q (searched %q)", m.Query(), m.query)
	}
	press(t, m, "down", "down")
	if m.Query() != "dra" {
		t.Fatalf("back to the typed line: %q", m.Query())
	}
}

func TestFacetToggleAndChips(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	typeText(t, m, "protein")
	press(t, m, "enter", "tab") // results → facets
	if m.Focused() != FocusFacets {
		t.Fatalf("focus %v", m.Focused())
	}
	it, ok := m.facets.selected()
	if !ok || it.facet != "year" {
		t.Fatalf("first facet value %+v", it)
	}
	press(t, m, "enter")
	if want := "protein year:" + it.value; m.Query() != want {
		t.Fatalf("query %q, want %q", m.Query(), want)
	}
	for _, h := range m.results.pages[0] {
		if h.Paper.Year != 2020 && it.value == "2020" {
			t.Fatalf("hit from %d", h.Paper.Year)
		}
	}
	s := screen(m)
	if !strings.Contains(s, "[year:"+it.value+" ×]") || !strings.Contains(s, "[x] "+it.value) {
		t.Fatalf("chip or checked box missing:\n%s", s)
	}
	// The other years stay, counted as if the year filter were off, so
	// they can be added or swapped.
	if f, _ := m.facets.byName("year"); len(f.Values) != 2 {
		t.Fatalf("year facet after filtering: %+v", f.Values)
	}
	// x removes the last chip.
	press(t, m, "x")
	if m.Query() != "protein" {
		t.Fatalf("after x: %q", m.Query())
	}
}

func TestChipClickRemovesFilter(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	typeText(t, m, "protein venue:Nature year:2015")
	spans := chipSpans(m.parsedQuery())
	if len(spans) != 2 {
		t.Fatalf("spans %+v", spans)
	}
	drain(t, m, send(m, tea.MouseClickMsg{X: spans[0].x0 + 1, Y: 1, Button: tea.MouseLeft}))
	if m.Query() != "protein year:2015" {
		t.Fatalf("after click: %q", m.Query())
	}
}

func TestResultsVirtualisedAndPagedLazily(t *testing.T) {
	m, b := newTestModel(t, 80, 24, func(o *Options) { o.PageSize = 5 })
	b.papers = fakePapers(500)
	typeText(t, m, "a")
	if m.results.total != 500 {
		t.Fatalf("total %d", m.results.total)
	}
	// Only the pages near the screen were fetched.
	if n := len(m.results.pages); n > 4 {
		t.Fatalf("%d pages loaded for one screen", n)
	}
	press(t, m, "enter", "G")
	if m.results.cursor != 499 {
		t.Fatalf("cursor %d", m.results.cursor)
	}
	if _, ok := m.results.selected(); !ok {
		t.Fatal("last page not fetched")
	}
	if !strings.Contains(screen(m), "500. Advances") {
		t.Fatal("last hit not on screen")
	}
	// Scrolling far keeps the cache bounded.
	for range 100 {
		press(t, m, "pgup")
	}
	if len(m.results.pages) > maxPages {
		t.Fatalf("%d pages cached", len(m.results.pages))
	}
}

func TestPageFetchMissShowsLoadingRow(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.PageSize = 2 })
	typeText(t, m, "protein")
	delete(m.results.pages, 1)
	m.results.inflight[1] = true
	if !strings.Contains(screen(m), "3. loading…") {
		t.Fatalf("no placeholder:\n%s", screen(m))
	}
}

func TestBasketMarkAndShow(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	typeText(t, m, "protein")
	press(t, m, "enter", "space", "space")
	if got := m.BasketIDs(); len(got) != 2 || got[0] != "p000" || got[1] != "p005" {
		t.Fatalf("basket %v", got)
	}
	if s := screen(m); !strings.Contains(s, "[x] 1.") || !strings.Contains(s, "2 papers") {
		t.Fatalf("marks not shown:\n%s", s)
	}
	press(t, m, "k", "space") // unmark the second
	if got := m.BasketIDs(); len(got) != 1 {
		t.Fatalf("basket after unmark %v", got)
	}
	press(t, m, "B")
	if m.Focused() != FocusBasket || !strings.Contains(screen(m), "1. Advances in protein folding, part 0") {
		t.Fatalf("show basket: focus %v\n%s", m.Focused(), screen(m))
	}
}

func TestReaderOpenMoreLikeThisAndCitations(t *testing.T) {
	opened := ""
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.OpenURL = func(u string) error { opened = u; return nil } })
	typeText(t, m, "protein")
	press(t, m, "enter", "enter")
	if m.Focused() != FocusReader || m.reader.paper == nil || len(m.reader.lines) == 0 {
		t.Fatalf("reader not open: focus %v", m.Focused())
	}
	s := screen(m)
	for _, want := range []string{"Advances in protein folding, part 0", "Abstract", "Proteins fold."} {
		if !strings.Contains(s, want) {
			t.Errorf("reader lacks %q", want)
		}
	}
	press(t, m, "j", "j")
	if m.reader.scroll != 2 {
		t.Fatalf("scroll %d", m.reader.scroll)
	}
	// Copy BibTeX: an OSC 52 clipboard command.
	cmd := send(m, keyMsg("y"))
	if cmd == nil || !strings.Contains(m.status, "BibTeX") {
		t.Fatal("no clipboard command")
	}
	if got := bibtex(m.reader.paper); !strings.Contains(got, "@article{lovelace2015advances,") || !strings.Contains(got, "doi = {10.5555/fake.0}") {
		t.Fatalf("bibtex:\n%s", got)
	}
	press(t, m, "o")
	if opened != "https://doi.org/10.5555/fake.0" {
		t.Fatalf("opened %q", opened)
	}
	press(t, m, "L")
	if m.Focused() != FocusResults || !strings.HasPrefix(m.Query(), "advances protein folding part") || !strings.Contains(m.Query(), "-id:p000") {
		t.Fatalf("more like this: %q focus %v", m.Query(), m.Focused())
	}
	press(t, m, "enter", "esc")
	if m.Focused() != FocusResults {
		t.Fatalf("esc from reader: %v", m.Focused())
	}
}

func TestAnswerStreamsAndEscKeepsText(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	typeText(t, m, "protein")
	press(t, m, "enter", "space")
	b.script = answerScript(0)
	press(t, m, "a")
	if m.overlay != overlayInput {
		t.Fatal("ask did not open the question prompt")
	}
	typeText(t, m, "what improved?")
	press(t, m, "enter")
	// a asks about the results: the basket stays out unless asked for.
	if len(b.asks) != 1 || b.asks[0].Question != "what improved?" || b.asks[0].Query != "protein" || len(b.asks[0].Basket) != 0 {
		t.Fatalf("ask request %+v", b.asks)
	}
	if m.answer.streaming || !strings.Contains(m.answer.text, "wide margin [2]") {
		t.Fatalf("answer %q streaming %v", m.answer.text, m.answer.streaming)
	}
	s := screen(m)
	for _, want := range []string{"improved", "[1] Advances in protein folding, part 0", "1.2k tokens in"} {
		if !strings.Contains(s, want) {
			t.Errorf("answer pane lacks %q:\n%s", want, s)
		}
	}
	if m.usage.In != 1200 {
		t.Fatalf("session usage %+v", m.usage)
	}
	// Citation 2 opens its paper in the reader.
	press(t, m, "2")
	if m.Focused() != FocusReader || m.reader.id != "p005" {
		t.Fatalf("cite jump: %v %q", m.Focused(), m.reader.id)
	}
	press(t, m, "esc")
	if m.Focused() != FocusAnswer {
		t.Fatalf("back from the source: %v", m.Focused())
	}
}

func TestEscCancelsStreamAtOnce(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	b.script = answerScript(time.Hour) // the second delta never comes
	b.script[1].after = 0
	press(t, m, "enter") // leave the search bar
	m.askInput(false)
	typeText(t, m, "why?")
	cmd := send(m, keyMsg("enter"))
	// Run the open and the first pulls by hand.
	msg := runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(streamOpenMsg); return ok })
	pullCmd := send(m, msg)
	pullCmd = send(m, pullCmd()) // sources
	send(m, pullCmd())           // the first delta
	if m.answer.text == "" || !m.answer.streaming {
		t.Fatalf("first delta: %q", m.answer.text)
	}
	kept := m.answer.text
	start := time.Now()
	drain(t, m, send(m, keyMsg("esc")))
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("esc took %v", d)
	}
	if m.answer.streaming || !m.answer.stopped || m.answer.text != kept {
		t.Fatalf("after esc: streaming %v stopped %v text %q", m.answer.streaming, m.answer.stopped, m.answer.text)
	}
	if !strings.Contains(screen(m), "stopped") {
		t.Fatal("the pane does not say it stopped")
	}
}

// runUntil runs cmd (and batches) until a message satisfies ok.
func runUntil(t *testing.T, cmd tea.Cmd, ok func(tea.Msg) bool) tea.Msg {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			if ok(msg) {
				return msg
			}
		}
	}
	t.Fatal("message not found")
	return nil
}

func TestAskErrorShownCleanly(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	b.askErr = ErrNoAnswerer
	press(t, m, "enter")
	m.askInput(false)
	typeText(t, m, "anything")
	press(t, m, "enter")
	s := screen(m)
	if !strings.Contains(s, "no answerer configured") || m.answer.streaming {
		t.Fatalf("error not shown:\n%s", s)
	}
}

func TestDraftSectionsEditAndExport(t *testing.T) {
	dir := t.TempDir()
	editor := filepath.Join(dir, "ed.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\necho 'edited by hand' >> \"$1\"\n"), 0o755)
	m, b := newTestModel(t, 100, 30, func(o *Options) { o.ExportDir = dir; o.StateDir = dir; o.Editor = editor })
	b.script = []timedEvent{
		{0, Event{Kind: EventSection, Section: "Press release"}},
		{0, Event{Kind: EventDelta, Text: "## Press release\n\n"}},
		{0, Event{Kind: EventDelta, Text: "Quire ships.\n\n"}},
		{0, Event{Kind: EventSection, Section: "FAQ"}},
		{0, Event{Kind: EventDelta, Text: "## FAQ\n\n"}},
		{0, Event{Kind: EventDelta, Text: "Q: why? A: speed."}},
	}
	press(t, m, "enter", "ctrl+p")
	typeText(t, m, "pr-faq")
	if it := m.palette.matches[0]; it.act != actRunPrompt || it.arg.prompt != "pr-faq" {
		t.Fatalf("palette top %+v", it)
	}
	press(t, m, "enter")
	if m.overlay != overlayInput {
		t.Fatal("the prompt's variable was not asked for")
	}
	typeText(t, m, "Quire")
	press(t, m, "enter")
	if len(b.drafts) != 1 || b.drafts[0].Vars["product"] != "Quire" {
		t.Fatalf("draft request %+v", b.drafts)
	}
	want := "## Press release\n\nQuire ships.\n\n## FAQ\n\nQ: why? A: speed."
	if m.draft.text != want {
		t.Fatalf("draft text %q", m.draft.text)
	}
	if s := screen(m); !strings.Contains(s, "Press release") || !strings.Contains(s, "FAQ") {
		t.Fatalf("draft not rendered:\n%s", s)
	}
	// Export writes a markdown file.
	press(t, m, "w")
	files, _ := filepath.Glob(filepath.Join(dir, "pr-faq-*.md"))
	if len(files) != 1 {
		t.Fatalf("exported %v (status %q)", files, m.status)
	}
	// Edit: the Cmd chain writes a file, then hands it to ExecProcess.
	cmd := send(m, keyMsg("e"))
	ready := cmd().(editReadyMsg)
	if ready.err != nil {
		t.Fatal(ready.err)
	}
	if c := send(m, ready); c == nil {
		t.Fatal("no exec command")
	}
	// Run the editor as ExecProcess would and feed the result back.
	if err := runScript(editor, ready.path); err != nil {
		t.Fatal(err)
	}
	drain(t, m, send(m, editedMsg{pane: FocusDraft, path: ready.path}))
	if !strings.Contains(m.draft.text, "edited by hand") {
		t.Fatalf("edit not loaded: %q", m.draft.text)
	}
	// Drafts are part of the session.
	if err := m.SaveSession(); err != nil {
		t.Fatal(err)
	}
	m2, _ := newTestModel(t, 100, 30, func(o *Options) { o.StateDir = dir })
	if !strings.Contains(m2.draft.text, "edited by hand") {
		t.Fatalf("draft not restored: %q", m2.draft.text)
	}
}

func TestPromptKeyStartsDraft(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	press(t, m, "enter", "d", "P")
	if m.overlay != overlayInput || m.input.prompt.Name != "pr-faq" {
		t.Fatalf("prompt key: overlay %v prompt %q", m.overlay, m.input.prompt.Name)
	}
}

func TestPaletteFuzzy(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	press(t, m, "ctrl+p")
	typeText(t, m, "cpbib")
	if len(m.palette.matches) == 0 || m.palette.matches[0].act != actCopyBibTeX {
		t.Fatalf("matches %+v", m.palette.matches)
	}
	press(t, m, "esc")
	if m.overlay != overlayNone {
		t.Fatal("esc did not close the palette")
	}
}

func TestSessionRestoresQueryAndBasket(t *testing.T) {
	dir := t.TempDir()
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	typeText(t, m, "protein year:2015")
	press(t, m, "enter", "space")
	if err := m.SaveSession(); err != nil {
		t.Fatal(err)
	}
	m2, _ := newTestModel(t, 80, 24, func(o *Options) { o.StateDir = dir })
	if m2.Query() != "protein year:2015" || m2.query != "protein year:2015" || len(m2.BasketIDs()) != 1 {
		t.Fatalf("restored %q %q %v", m2.Query(), m2.query, m2.BasketIDs())
	}
	if len(m2.bar.history) != 1 {
		t.Fatalf("history %v", m2.bar.history)
	}
}

func TestKeysRemapFromConfig(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) {
		o.Keys = map[string]string{"results.mark": "x,ctrl+x", "results.remove_filter": "delete"}
	})
	typeText(t, m, "protein")
	press(t, m, "enter", "x")
	if len(m.BasketIDs()) != 1 {
		t.Fatal("remapped mark did not work")
	}
	press(t, m, "?")
	if !strings.Contains(screen(m), fit("x", 9)+" mark") {
		t.Fatalf("help does not show the remapped key:\n%s", screen(m))
	}
	km := DefaultKeyMap()
	if err := km.Remap(map[string]string{"no.such": "x"}); err == nil || !strings.Contains(err.Error(), "no.such") {
		t.Fatalf("unknown action: %v", err)
	}
}

func TestHelpListsBindingsForFocus(t *testing.T) {
	m, _ := newTestModel(t, 160, 48)
	press(t, m, "enter", "?")
	s := screen(m)
	for _, want := range []string{"Keys: Results", "more like this", "copy BibTeX", "mark", "d P", "pr-faq"} {
		if !strings.Contains(s, want) {
			t.Errorf("results help lacks %q", want)
		}
	}
	if strings.Contains(s, "toggle filter") {
		t.Error("results help lists a filters key")
	}
	press(t, m, "esc", "tab", "?")
	if s := screen(m); !strings.Contains(s, "toggle filter") || !strings.Contains(s, "Keys: Filters") {
		t.Errorf("filters help lacks toggle filter:\n%s", s)
	}
	press(t, m, "q") // any key closes help; q does not quit from it
	if m.overlay != overlayNone {
		t.Fatal("help did not close")
	}
}

func TestMouseClickSelectsAndWheelScrolls(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	typeText(t, m, "a")
	r := m.layout.Results
	drain(t, m, send(m, tea.MouseClickMsg{X: r.X + 5, Y: r.Y + 1 + 2*rowsPerHit, Button: tea.MouseLeft}))
	if m.Focused() != FocusResults || m.results.cursor != 2 {
		t.Fatalf("click: focus %v cursor %d", m.Focused(), m.results.cursor)
	}
	drain(t, m, send(m, tea.MouseWheelMsg{X: r.X + 5, Y: r.Y + 3, Button: tea.MouseWheelDown}))
	if m.results.top != 1 {
		t.Fatalf("wheel: top %d", m.results.top)
	}
	// Clicking a facet value toggles it.
	sb := m.layout.Sidebar
	drain(t, m, send(m, tea.MouseClickMsg{X: sb.X + 2, Y: sb.Y + 2, Button: tea.MouseLeft}))
	if !strings.Contains(m.Query(), "year:") {
		t.Fatalf("facet click: %q", m.Query())
	}
}

func TestThemesAndNoColor(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.Theme = "auto" })
	send(m, tea.BackgroundColorMsg{Color: lightBg{}})
	if m.styles.P.Name != "light" {
		t.Fatalf("light terminal gave %q", m.styles.P.Name)
	}
	press(t, m, "enter", "ctrl+t")
	if m.styles.P.Name != "high-contrast" {
		t.Fatalf("ctrl+t gave %q", m.styles.P.Name)
	}
	nc, _ := newTestModel(t, 80, 24, func(o *Options) { o.NoColor = true })
	typeText(t, nc, "protein")
	out := nc.Render()
	if strings.Contains(out, "38;2;") || strings.Contains(out, "48;2;") {
		t.Fatal("NO_COLOR output has colours")
	}
	// Matches are still marked (underline), selection still shown (▸).
	if !strings.Contains(out, "\x1b[1;4m") && !strings.Contains(out, "4m") {
		t.Fatal("matches are not marked without colour")
	}
	if !strings.Contains(out, "▸") {
		t.Fatal("the selection has no glyph")
	}
}

type lightBg struct{}

func (lightBg) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestEngineBackendRefusesAnswers(t *testing.T) {
	b := &EngineBackend{}
	if _, err := b.Ask(context.Background(), AskRequest{}); !errors.Is(err, ErrNoAnswerer) {
		t.Fatal(err)
	}
	if _, err := b.Draft(context.Background(), DraftRequest{}); !errors.Is(err, ErrNoAnswerer) {
		t.Fatal(err)
	}
}

func TestStableBoundary(t *testing.T) {
	s := "para one\n\n```\ncode\n\nmore\n```\n\ntail"
	if got := stableBoundary(s, 0); s[:got] != "para one\n\n```\ncode\n\nmore\n```\n\n" {
		t.Fatalf("boundary %q", s[:got])
	}
	if got := stableBoundary("no break yet", 0); got != 0 {
		t.Fatal(got)
	}
}
