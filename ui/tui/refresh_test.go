package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/corpus"
)

// watchedBackend is a fake index a watcher writes: papers committed by
// the watcher are counted by IndexChanges and searchable after Refresh.
type watchedBackend struct {
	*fakeBackend
	arrived   []corpus.Paper // committed, not yet seen by the app
	refreshes int
	polls     int
}

func (b *watchedBackend) commit(ps ...corpus.Paper) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.arrived = append(b.arrived, ps...)
}

func (b *watchedBackend) IndexChanges(context.Context) (IndexChanges, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.polls++
	return IndexChanges{New: len(b.arrived), Watching: true}, nil
}

func (b *watchedBackend) Refresh(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshes++
	b.papers = append(b.papers, b.arrived...)
	b.arrived = nil
	return nil
}

func newWatchedModel(t *testing.T) (*Model, *watchedBackend) {
	t.Helper()
	b := &watchedBackend{fakeBackend: newFakeBackend(40)}
	m := New(Options{Backend: b, Theme: "dark", NoColor: true, Now: func() time.Time { return testClock }, IndexPoll: -1})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drain(t, m, m.Init())
	return m, b
}

func arrivals(n int, word string) []corpus.Paper {
	out := make([]corpus.Paper, n)
	for i := range out {
		out[i] = corpus.Paper{ID: fmt.Sprintf("new%02d", i), Title: "Fresh " + word, Abstract: "Just arrived.", Year: 2026, Source: "watch"}
	}
	return out
}

// poll runs one poll as the tick would and feeds its answer to Update.
func poll(t *testing.T, m *Model, b *watchedBackend) {
	t.Helper()
	drain(t, m, send(m, checkIndex(b)()))
}

func TestNewPapersNoticeAndRefreshKey(t *testing.T) {
	m, b := newWatchedModel(t)
	if m.results.total != 40 {
		t.Fatalf("total %d", m.results.total)
	}
	poll(t, m, b)
	if s := screen(m); strings.Contains(s, "new papers") {
		t.Fatalf("notice with nothing new:\n%s", s)
	}
	b.commit(arrivals(12, "arrival")...)
	poll(t, m, b)
	if s := screen(m); !strings.Contains(s, "12 new papers (ctrl+r to show)") {
		t.Fatalf("no notice:\n%s", s)
	}
	// A list with results is not replaced under the reader's eyes.
	if b.refreshes != 0 || m.results.total != 40 {
		t.Fatalf("refreshed by itself: %d refreshes, total %d", b.refreshes, m.results.total)
	}
	press(t, m, "ctrl+r")
	if b.refreshes != 1 || m.results.total != 52 {
		t.Fatalf("after ctrl+r: %d refreshes, total %d", b.refreshes, m.results.total)
	}
	s := screen(m)
	if strings.Contains(s, "new papers (ctrl+r") || !strings.Contains(s, "refreshed: 12 new papers") {
		t.Fatalf("after ctrl+r:\n%s", s)
	}
	poll(t, m, b)
	if m.changes.Any() {
		t.Fatalf("changes after the refresh: %+v", m.changes)
	}
	// The key is in the help and the palette.
	press(t, m, "f1")
	if s := screen(m); !strings.Contains(s, "ctrl+r") || !strings.Contains(s, "show new pap") {
		t.Fatalf("help lacks the refresh key:\n%s", s)
	}
}

// An empty result list has nothing to lose: new papers show at once.
func TestEmptyListRefreshesItself(t *testing.T) {
	m, b := newWatchedModel(t)
	typeText(t, m, "zanzibar")
	if m.results.total != 0 {
		t.Fatalf("total %d", m.results.total)
	}
	b.commit(arrivals(1, "zanzibar")...)
	poll(t, m, b)
	if b.refreshes != 1 || m.results.total != 1 {
		t.Fatalf("empty list: %d refreshes, total %d", b.refreshes, m.results.total)
	}
}

// The poll is a Tick that calls the backend off the Update loop, and only
// for backends that can tell; EngineBackend offers its Watch.
func TestIndexPollCmd(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	if m.pollIndex() != nil {
		t.Fatal("polls a backend that cannot say what changed")
	}
	b := &watchedBackend{fakeBackend: newFakeBackend(3)}
	m = New(Options{Backend: b, Theme: "dark", IndexPoll: 5 * time.Millisecond})
	cmd := m.pollIndex()
	if cmd == nil {
		t.Fatal("no poll")
	}
	b.commit(arrivals(2, "x")...)
	msg, ok := cmd().(indexChangesMsg)
	if !ok || msg.c.New != 2 || b.polls != 1 {
		t.Fatalf("poll gave %+v (%d polls)", msg, b.polls)
	}
	// Each answer arms the next poll.
	if next := m.onIndexChanges(msg); next == nil {
		t.Fatal("poll not re-armed")
	}
	eb := &EngineBackend{Watch: b}
	m = New(Options{Backend: eb, Theme: "dark", IndexPoll: 5 * time.Millisecond})
	if w, ok := m.indexWatcher(); !ok || w != b {
		t.Fatal("EngineBackend's Watch not used")
	}
	if m = New(Options{Backend: &EngineBackend{}, Theme: "dark"}); m.pollIndex() != nil {
		t.Fatal("an EngineBackend without Watch is polled")
	}
}
