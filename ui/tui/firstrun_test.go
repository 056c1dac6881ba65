package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// fakeSetup builds a fake index: its builds report a few steps and
// return a fakeBackend, or wait for cancellation when block is set.
type fakeSetup struct {
	mu      sync.Mutex
	ingests []string
	demos   int
	block   bool
	fail    error
}

func (s *fakeSetup) IndexDir() string { return "/home/u/.local/share/quire/index" }

func (s *fakeSetup) CompletePath(prefix string) []string {
	var out []string
	for _, p := range []string{"/data/arxiv/", "/data/arxiv.jsonl.gz", "/data/scifact/", "/docs/"} {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

func (s *fakeSetup) build(ctx context.Context, report func(Progress)) (Backend, error) {
	report(Progress{Phase: "ingest synthetic.jsonl", Unit: "papers", Done: 5, Total: 10, Count: 20})
	report(Progress{Phase: "ingest synthetic.jsonl", Unit: "papers", Done: 10, Total: 10, Count: 40, End: true})
	if s.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if s.fail != nil {
		return nil, s.fail
	}
	return newFakeBackend(40), nil
}

func (s *fakeSetup) Ingest(ctx context.Context, path string, report func(Progress)) (Backend, error) {
	s.mu.Lock()
	s.ingests = append(s.ingests, path)
	s.mu.Unlock()
	return s.build(ctx, report)
}

func (s *fakeSetup) Demo(ctx context.Context, report func(Progress)) (Backend, error) {
	s.mu.Lock()
	s.demos++
	s.mu.Unlock()
	return s.build(ctx, report)
}

func (s *fakeSetup) Docs() string {
	return "Quire searches papers.\n\nQuery language\n  year:2019 author:Doudna"
}

func newFirstRunModel(t *testing.T, s *fakeSetup) *Model {
	t.Helper()
	m := New(Options{Setup: s, Theme: "dark", Now: func() time.Time { return testClock }})
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	drain(t, m, m.Init())
	return m
}

// drainSkipTicks is drain without the once-a-second redraw ticks, which
// would otherwise keep a running build's screen alive forever.
func drainSkipTicks(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(500 * time.Millisecond):
			continue // a tick (or a blocked build): not needed here
		}
		switch msg := msg.(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func TestFirstRunScreenOffersIngestDemoDocs(t *testing.T) {
	m := newFirstRunModel(t, &fakeSetup{})
	s := screen(m)
	for _, want := range []string{"first run", "Ingest your papers", "Build the demo", "Read the docs"} {
		if !strings.Contains(s, want) {
			t.Errorf("first-run screen lacks %q:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "\n") + 1; n != 30 {
		t.Errorf("%d rows, want 30", n)
	}
	// Docs, then back.
	press(t, m, "down", "down", "enter")
	if !strings.Contains(screen(m), "year:2019 author:Doudna") {
		t.Fatalf("docs not shown:\n%s", screen(m))
	}
	press(t, m, "esc")
	if m.first.stage != stageMenu {
		t.Fatal("esc did not leave the docs")
	}
}

func TestFirstRunDemoSwitchesToSearch(t *testing.T) {
	s := &fakeSetup{}
	m := newFirstRunModel(t, s)
	drainSkipTicks(t, m, send(m, keyMsg("2")))
	if s.demos != 1 {
		t.Fatalf("demo builds: %d", s.demos)
	}
	if m.first != nil {
		t.Fatalf("still on the first-run screen:\n%s", screen(m))
	}
	if m.results.total != 40 || !strings.Contains(m.status, "built the demo in") {
		t.Fatalf("after the demo: total %d status %q", m.results.total, m.status)
	}
	typeText(t, m, "protein")
	if m.results.total != 8 {
		t.Fatalf("search after the demo: %d hits", m.results.total)
	}
}

func TestFirstRunIngestWithPathCompletion(t *testing.T) {
	s := &fakeSetup{}
	m := newFirstRunModel(t, s)
	press(t, m, "enter") // the first choice: ingest
	if m.first.stage != stagePath {
		t.Fatalf("stage %v", m.first.stage)
	}
	press(t, m, "enter") // empty: refused with a reason
	if !strings.Contains(screen(m), "type a path first") {
		t.Fatalf("empty path:\n%s", screen(m))
	}
	typeText(t, m, "/d")
	press(t, m, "tab")
	if got := m.first.path.Value(); got != "/d" {
		t.Fatalf("ambiguous tab: %q", got)
	}
	if sc := screen(m); !strings.Contains(sc, "/data/scifact/") || !strings.Contains(sc, "/docs/") {
		t.Fatalf("candidates not listed:\n%s", sc)
	}
	typeText(t, m, "a")
	press(t, m, "tab")
	if got := m.first.path.Value(); got != "/data/" {
		t.Fatalf("common prefix: %q", got)
	}
	typeText(t, m, "s")
	press(t, m, "tab")
	if got := m.first.path.Value(); got != "/data/scifact/" {
		t.Fatalf("unique completion: %q", got)
	}
	// Completions that arrive after more typing are dropped.
	send(m, pathsMsg{prefix: "/d", cands: []string{"/docs/"}})
	if got := m.first.path.Value(); got != "/data/scifact/" {
		t.Fatalf("a stale completion applied: %q", got)
	}
	typeText(t, m, "zz")
	press(t, m, "tab")
	if !strings.Contains(screen(m), "nothing matches") {
		t.Fatalf("no match not said:\n%s", screen(m))
	}
	press(t, m, "backspace", "backspace")
	drainSkipTicks(t, m, send(m, keyMsg("enter")))
	if len(s.ingests) != 1 || s.ingests[0] != "/data/scifact/" {
		t.Fatalf("ingests %v", s.ingests)
	}
	if m.first != nil || m.results.total != 40 {
		t.Fatalf("not switched to the search: first %v total %d", m.first != nil, m.results.total)
	}
}

func TestFirstRunBuildShowsProgressAndCancels(t *testing.T) {
	s := &fakeSetup{block: true}
	m := newFirstRunModel(t, s)
	cmd := send(m, keyMsg("d"))
	// Run the build's first messages by hand: progress, then the end of a
	// phase.
	msg := runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(setupProgressMsg); return ok })
	next := send(m, msg)
	if sc := screen(m); !strings.Contains(sc, "ingest synthetic.jsonl · 20 papers") || !strings.Contains(sc, "50%") {
		t.Fatalf("progress not shown:\n%s", sc)
	}
	send(m, next())
	if sc := screen(m); !strings.Contains(sc, "✓ ingest synthetic.jsonl · 40 papers") || !strings.Contains(sc, "esc or ctrl+c stops") {
		t.Fatalf("finished phase not shown:\n%s", sc)
	}
	// Ctrl-C stops the build (it does not quit), and the menu says so.
	if c := send(m, keyMsg("ctrl+c")); c != nil {
		if _, quit := c().(tea.QuitMsg); quit {
			t.Fatal("ctrl+c quit instead of stopping the build")
		}
	}
	done := make(chan tea.Msg, 1)
	go func() {
		for {
			msg := next()
			if _, ok := msg.(setupDoneMsg); ok || msg == nil {
				done <- msg
				return
			}
		}
	}()
	select {
	case msg := <-done:
		send(m, msg)
	case <-time.After(2 * time.Second):
		t.Fatal("the build did not stop")
	}
	if m.first == nil || m.first.stage != stageMenu || !strings.Contains(screen(m), "stopped") {
		t.Fatalf("after ctrl+c:\n%s", screen(m))
	}
}

func TestFirstRunBuildFailureIsShown(t *testing.T) {
	s := &fakeSetup{fail: errors.New("no papers read from /tmp/x: 3 lines skipped")}
	m := newFirstRunModel(t, s)
	press(t, m, "i")
	typeText(t, m, "/tmp/x")
	drainSkipTicks(t, m, send(m, keyMsg("enter")))
	if m.first == nil || m.first.stage != stagePath || !strings.Contains(screen(m), "failed: no papers read from /tmp/x") {
		t.Fatalf("failure not shown at the path:\n%s", screen(m))
	}
	// The path is kept, to correct it.
	if m.first.path.Value() != "/tmp/x" {
		t.Fatalf("path %q", m.first.path.Value())
	}
	// A failed demo says so on the menu.
	press(t, m, "esc")
	drainSkipTicks(t, m, send(m, keyMsg("2")))
	if m.first == nil || m.first.stage != stageMenu || !strings.Contains(screen(m), "building the demo failed") {
		t.Fatalf("demo failure not shown:\n%s", screen(m))
	}
}
