package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/quire-research/quire/ui/progress"
)

// Setup is what the first-run screen asks of the rest of Quire when there
// is no index yet. The app calls Ingest and Demo from tea.Cmds only; they
// call report from their own goroutine.
type Setup interface {
	// IndexDir is where the index will be built, for the screen.
	IndexDir() string
	// CompletePath lists the paths that complete prefix, directories with
	// a trailing slash (the app calls it from a Cmd).
	CompletePath(prefix string) []string
	// Ingest builds the index from a file, folder or s3:// URL, and
	// returns the app's backend over it.
	Ingest(ctx context.Context, path string, report func(Progress)) (Backend, error)
	// Demo builds the index from the synthetic demo library.
	Demo(ctx context.Context, report func(Progress)) (Backend, error)
	// Docs is the help text "Read the docs" shows.
	Docs() string
}

// Progress is one report of a build phase.
type Progress struct {
	Phase string // "ingest synthetic-20000.jsonl.gz", "learn embedder 2/4: tokenise"
	Unit  string // what Count counts; "" when the phase counts nothing
	Done  int64  // of Total; Total ≤ 0 when unknown
	Total int64
	Count int64
	Note  string
	End   bool // the phase is over
}

type firstStage int

const (
	stageMenu firstStage = iota
	stagePath
	stageRunning
	stageDocs
)

// firstRun is the screen shown instead of the search when there is no
// index: ingest a path, build the demo, or read the docs.
type firstRun struct {
	setup  Setup
	stage  firstStage
	cursor int

	path    editor
	cands   []string // path completions after a Tab
	pathErr string

	// The build in flight: what ("the demo", a path), since when, its
	// phases so far.
	run      int
	what     string
	demo     bool
	cancel   context.CancelFunc
	started  time.Time
	cur      Progress
	done     []string // finished phases, one line each
	msg      string   // the outcome of the last build that did not switch
	msgErr   bool
	stopping bool // cancelled, waiting for the build to return

	docTop int
}

var firstChoices = []struct{ title, desc string }{
	{"Ingest your papers", "PDFs or .md/.txt, a .bib library, JSONL, BEIR, s3://"},
	{"Build the demo", "20,000 synthetic papers, offline, about a minute"},
	{"Read the docs", "the commands and the query language"},
	{"Quit", ""},
}

type setupProgressMsg struct {
	run int
	p   Progress
	ch  <-chan tea.Msg
}

type setupDoneMsg struct {
	run     int
	backend Backend
	err     error
}

type setupTickMsg struct{ run int }

// waitSetup reads the next message of a build.
func waitSetup(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

func setupTick(run int) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return setupTickMsg{run} })
}

// startBuild runs an ingest or the demo in a Cmd, its progress flowing
// back through a channel the app reads one message at a time.
func (m *Model) startBuild(what string, demo bool, build func(ctx context.Context, report func(Progress)) (Backend, error)) tea.Cmd {
	f := m.first
	f.run++
	ctx, cancel := context.WithCancel(context.Background())
	f.stage, f.what, f.demo, f.cancel, f.started = stageRunning, what, demo, cancel, m.now()
	f.cur, f.done, f.msg, f.msgErr = Progress{}, nil, "", false
	run := f.run
	ch := make(chan tea.Msg, 64)
	return tea.Batch(func() tea.Msg {
		go func() {
			b, err := build(ctx, func(p Progress) {
				select {
				case ch <- setupProgressMsg{run: run, p: p, ch: ch}:
				default: // the screen is behind: a later report carries on
				}
			})
			ch <- setupDoneMsg{run: run, backend: b, err: err}
			close(ch)
		}()
		return waitSetup(ch)()
	}, setupTick(run))
}

func (m *Model) onSetupProgress(msg setupProgressMsg) tea.Cmd {
	f := m.first
	if f == nil || msg.run != f.run {
		return waitSetup(msg.ch)
	}
	p := msg.p
	if p.End {
		f.done = append(f.done, phaseLine(p))
		f.cur = Progress{}
	} else {
		f.cur = p
	}
	return waitSetup(msg.ch)
}

func (m *Model) onSetupDone(msg setupDoneMsg) tea.Cmd {
	f := m.first
	if f == nil || msg.run != f.run {
		return nil
	}
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
	took := progress.HumanDuration(m.now().Sub(f.started))
	f.stage = stageMenu
	switch {
	case f.stopping || errors.Is(msg.err, context.Canceled):
		f.stopping = false
		f.msg, f.msgErr = "stopped "+f.doing()+" after "+took+"; what was written is kept, and starting again resumes", false
		return nil
	case msg.err != nil && !f.demo:
		// Back to the path, to correct it.
		f.stage, f.pathErr = stagePath, "ingesting "+f.what+" failed: "+humanError(msg.err)
		return nil
	case msg.err != nil:
		f.msg, f.msgErr = f.doing()+" failed: "+humanError(msg.err), true
		return nil
	case msg.backend == nil:
		f.msg, f.msgErr = f.doing()+" built no index", true
		return nil
	}
	done := "built the demo"
	if !f.demo {
		done = "ingested " + f.what
	}
	cmd := m.attach(msg.backend)
	m.setStatus(fmt.Sprintf("%s in %s: type to search", done, took))
	return cmd
}

// attach switches from the first-run screen to the search over b.
func (m *Model) attach(b Backend) tea.Cmd {
	m.first = nil
	m.backend = b
	m.info = b.Info()
	m.prompts = b.Prompts()
	m.setupKeys()
	m.focus = FocusSearch
	m.relayout()
	return tea.Batch(statsCmd(b), m.startSearch())
}

// doing names the build in flight.
func (f *firstRun) doing() string {
	if f.demo {
		return "building the demo"
	}
	return "ingesting " + f.what
}

// cancelBuild stops the build in flight; its done message brings the menu
// back.
func (m *Model) cancelBuild() {
	if f := m.first; f != nil && f.cancel != nil {
		f.cancel()
		f.cancel, f.stopping = nil, true
		f.cur = Progress{Phase: "stopping " + f.doing() + "…"}
	}
}

func (m *Model) firstRunKey(msg tea.KeyPressMsg) tea.Cmd {
	f := m.first
	s := msg.String()
	switch f.stage {
	case stageRunning:
		switch {
		case (s == "esc" || s == "ctrl+c") && !f.stopping:
			m.cancelBuild()
		case s == "ctrl+c":
			return m.quit() // a second ctrl+c while it stops
		}
		return nil
	case stageDocs:
		a, _, _ := m.keys.match(navActions, msg)
		h := max(1, m.height-4)
		switch a {
		case actUp:
			f.docTop--
		case actDown:
			f.docTop++
		case actPageUp:
			f.docTop -= h
		case actPageDown:
			f.docTop += h
		case actTop:
			f.docTop = 0
		case actBottom:
			f.docTop = 1 << 20
		default:
			if s == "esc" || s == "q" || s == "enter" {
				f.stage = stageMenu
			}
		}
		f.docTop = max(0, min(f.docTop, len(m.docLines())-h))
		return nil
	case stagePath:
		return m.pathKey(msg)
	}
	// The menu.
	if s == "ctrl+c" || s == "q" || s == "esc" {
		return m.quit()
	}
	a, _, _ := m.keys.match(slices2(navActions, menuActions), msg)
	switch {
	case a == actUp || a == actMenuUp:
		f.cursor = max(0, f.cursor-1)
	case a == actDown || a == actMenuDown:
		f.cursor = min(len(firstChoices)-1, f.cursor+1)
	case a == actAccept || s == "enter":
		return m.firstChoose(f.cursor)
	case len(s) == 1 && s[0] >= '1' && s[0] <= byte('0'+len(firstChoices)):
		f.cursor = int(s[0] - '1')
		return m.firstChoose(f.cursor)
	case s == "i":
		return m.firstChoose(0)
	case s == "d":
		return m.firstChoose(1)
	case s == "?" || s == "f1":
		return m.firstChoose(2)
	}
	return nil
}

func slices2(a, b []action) []action { return append(append([]action(nil), a...), b...) }

func (m *Model) firstChoose(i int) tea.Cmd {
	f := m.first
	f.cursor = i
	f.msg = ""
	switch i {
	case 0:
		f.stage = stagePath
		f.cands, f.pathErr = nil, ""
	case 1:
		st := f.setup
		return m.startBuild("the demo", true, st.Demo)
	case 2:
		f.stage, f.docTop = stageDocs, 0
	case 3:
		return m.quit()
	}
	return nil
}

func (m *Model) pathKey(msg tea.KeyPressMsg) tea.Cmd {
	f := m.first
	switch msg.String() {
	case "esc":
		f.stage = stageMenu
		return nil
	case "tab":
		return m.completePath()
	case "enter":
		p := strings.TrimSpace(f.path.Value())
		if p == "" {
			f.pathErr = "type a path first (tab completes, esc goes back)"
			return nil
		}
		st := f.setup
		return m.startBuild(p, false, func(ctx context.Context, report func(Progress)) (Backend, error) {
			return st.Ingest(ctx, p, report)
		})
	}
	if _, changed := f.path.handle(msg); changed {
		f.cands, f.pathErr = nil, ""
	}
	return nil
}

// pathsMsg carries the completions of a path prefix.
type pathsMsg struct {
	prefix string
	cands  []string
}

// completePath lists the completions of the typed path in a Cmd (it reads
// a directory); onPaths applies them.
func (m *Model) completePath() tea.Cmd {
	st, prefix := m.first.setup, m.first.path.Value()
	return func() tea.Msg { return pathsMsg{prefix: prefix, cands: st.CompletePath(prefix)} }
}

// onPaths completes the path like a shell: to the longest common prefix
// of the matches, listing them when there are several.
func (m *Model) onPaths(msg pathsMsg) {
	f := m.first
	if f == nil || f.stage != stagePath || f.path.Value() != msg.prefix {
		return // typed on since
	}
	v, cands := msg.prefix, msg.cands
	f.cands, f.pathErr = nil, ""
	switch len(cands) {
	case 0:
		f.pathErr = "nothing matches " + v
		return
	case 1:
		f.path.SetValue(cands[0])
		return
	}
	common := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(c, common) {
			_, size := lastRune(common)
			common = common[:len(common)-size]
		}
	}
	if len(common) > len(v) {
		f.path.SetValue(common)
	}
	f.cands = cands
}

func lastRune(s string) (rune, int) {
	r := []rune(s)
	if len(r) == 0 {
		return 0, 0
	}
	return r[len(r)-1], len(string(r[len(r)-1]))
}

// docLines wraps the docs to the screen, continuation lines indented
// like the line they continue.
func (m *Model) docLines() []string {
	w := max(20, min(m.width-4, 100))
	var out []string
	for _, l := range strings.Split(m.first.setup.Docs(), "\n") {
		body := strings.TrimLeft(l, " ")
		ind := strings.Repeat(" ", min(len(l)-len(body), w/2))
		if body == "" {
			out = append(out, "")
			continue
		}
		for i, part := range strings.Split(ansi.Wrap(body, w-len(ind), ""), "\n") {
			if i > 0 {
				part = "  " + part
			}
			out = append(out, ind+part)
		}
	}
	return out
}

// firstRunView draws the first-run screen.
func (m *Model) firstRunView() string {
	f := m.first
	st := &m.styles
	w, h := m.width, m.height
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	add(st.Title.Render(" Quire")+st.Muted.Render(" · first run · the index goes to "+f.setup.IndexDir()), "")
	switch f.stage {
	case stageDocs:
		doc := m.docLines()
		room := max(1, h-4)
		top := min(f.docTop, max(0, len(doc)-room))
		for i := top; i < len(doc) && i < top+room; i++ {
			add("  " + doc[i])
		}
	case stageRunning:
		add(" "+st.Heading.Render(capitalise(f.doing())), "")
		for _, d := range f.done {
			add("  " + st.Accent.Render("✓ ") + d)
		}
		elapsed := m.now().Sub(f.started)
		if f.cur.Phase != "" {
			add("  " + spin(elapsed) + " " + phaseLine(f.cur))
			if f.cur.Total > 0 {
				bw := max(10, min(w-12, 60))
				frac := float64(f.cur.Done) / float64(f.cur.Total)
				n := int(frac * float64(bw))
				add("    " + st.Bar.Render(strings.Repeat("█", min(n, bw))) + st.Muted.Render(strings.Repeat("░", max(0, bw-n))) +
					fmt.Sprintf(" %3.0f%%", 100*frac))
			}
		} else {
			add("  " + spin(elapsed) + " starting…")
		}
		add("", st.Muted.Render(fmt.Sprintf("  %s elapsed · esc or ctrl+c stops (what is written is kept)", progress.HumanDuration(elapsed))))
	case stagePath:
		add(" "+st.Heading.Render("Ingest your papers"), "")
		add("  Path: " + f.path.view(max(10, w-12), true, st.Cursor.Render, "e.g. ~/papers or ./dump.jsonl.gz"))
		add("")
		if f.pathErr != "" {
			for _, l := range wrapLines(f.pathErr, w-4) {
				add("  " + st.Error.Render(l))
			}
		}
		for i, c := range f.cands {
			if i == max(1, h-14) {
				add(st.Muted.Render(fmt.Sprintf("  … %d more", len(f.cands)-i)))
				break
			}
			add("  " + st.Muted.Render(c))
		}
		add("", st.Muted.Render("  tab completes · enter ingests · esc goes back"))
	default:
		add(" Quire searches and reads large collections of papers. Start with an index:", "")
		for i, c := range firstChoices {
			row := fmt.Sprintf("%d  %s", i+1, c.title)
			if c.desc != "" {
				row += st.Muted.Render(" — " + c.desc)
			}
			if i == f.cursor {
				add(" " + st.Selected.Render("› "+ansi.Strip(row)))
			} else {
				add("   " + row)
			}
		}
		add("")
		if f.msg != "" {
			style, mark := st.Accent, "✓ "
			if f.msgErr {
				style, mark = st.Error, "✗ "
			}
			for i, l := range wrapLines(f.msg, w-4) {
				if i > 0 {
					mark = "  "
				}
				add(" " + style.Render(mark+l))
			}
		}
		add("", st.Muted.Render(" ↑/↓ choose · enter runs · 1-4 pick · q quits"))
	}
	for len(lines) < h-1 {
		add("")
	}
	lines = lines[:h-1]
	hint := " esc back"
	if f.stage == stageDocs {
		hint = " ↑/↓ pgup/pgdn scroll · esc back"
	}
	if f.stage == stageMenu {
		hint = " quire --help lists the commands · config: quire --config FILE"
	}
	add(st.Muted.Render(hint))
	for i := range lines {
		lines[i] = fit(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

// phaseLine describes one phase: its name, count and note.
func phaseLine(p Progress) string {
	s := p.Phase
	if p.Unit != "" && p.Count > 0 {
		s += fmt.Sprintf(" · %s %s", progress.HumanCount(p.Count), p.Unit)
	}
	if p.Note != "" {
		s += " · " + p.Note
	}
	return s
}

// wrapLines wraps s to width cells, at most four lines.
func wrapLines(s string, width int) []string {
	lines := strings.Split(ansi.Wrap(s, max(10, width), ""), "\n")
	if len(lines) > 4 {
		lines = append(lines[:3], lines[3]+"…")
	}
	return lines
}

func spin(d time.Duration) string {
	frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
	return frames[int(d/time.Second)%len(frames)]
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
