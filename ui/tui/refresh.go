package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// IndexWatcher is implemented by backends whose index another process may
// write while the app is open ('quire ingest --watch'). The app polls
// IndexChanges and says on the status line how many papers arrived; the
// refresh key (or an empty result list) makes it search the new state.
type IndexWatcher interface {
	// IndexChanges says what was committed since the last Refresh. It
	// must be cheap (a stat and a small read): the app calls it about
	// every second, from a tea.Cmd.
	IndexChanges(ctx context.Context) (IndexChanges, error)
	// Refresh makes later searches see the index as committed now and
	// starts IndexChanges' counts afresh.
	Refresh(ctx context.Context) error
}

// IndexChanges counts papers committed since the last refresh.
type IndexChanges struct {
	New, Changed, Removed int
	// Watching is set while a watcher is running on the index.
	Watching bool
}

// Any reports whether there is anything to refresh for.
func (c IndexChanges) Any() bool { return c.New+c.Changed+c.Removed > 0 }

// Text is the status line's note: "12 new papers", "3 new papers, 1 removed".
func (c IndexChanges) Text() string {
	var parts []string
	if c.New > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", c.New, plural(c.New, "new paper", "new papers")))
	}
	if c.Changed > 0 {
		parts = append(parts, fmt.Sprintf("%d changed", c.Changed))
	}
	if c.Removed > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", c.Removed))
	}
	return strings.Join(parts, ", ")
}

// defaultIndexPoll is how often the app asks whether the index changed.
const defaultIndexPoll = time.Second

type indexChangesMsg struct {
	c   IndexChanges
	err error
}

type refreshedMsg struct {
	c   IndexChanges // what the refresh took in
	err error
}

// indexWatcher is the backend's IndexWatcher, if it has one.
func (m *Model) indexWatcher() (IndexWatcher, bool) {
	switch b := m.backend.(type) {
	case IndexWatcher:
		return b, true
	case interface{ IndexWatcher() IndexWatcher }:
		w := b.IndexWatcher()
		return w, w != nil
	}
	return nil, false
}

func (m *Model) indexPollEvery() time.Duration {
	if m.opts.IndexPoll == 0 {
		return defaultIndexPoll
	}
	return m.opts.IndexPoll
}

// pollIndex asks the backend, after a pause, what changed. It is re-armed
// by every answer, so one poll is in flight at a time.
func (m *Model) pollIndex() tea.Cmd {
	w, ok := m.indexWatcher()
	if !ok || m.indexPollEvery() < 0 {
		return nil
	}
	return tea.Tick(m.indexPollEvery(), func(time.Time) tea.Msg { return checkIndex(w)() })
}

// checkIndex is the poll's I/O, as a Cmd.
func checkIndex(w IndexWatcher) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := w.IndexChanges(ctx)
		return indexChangesMsg{c, err}
	}
}

func (m *Model) onIndexChanges(msg indexChangesMsg) tea.Cmd {
	next := m.pollIndex()
	if msg.err != nil || m.refreshing {
		// A failed poll says nothing new; the next one may.
		return next
	}
	m.changes = msg.c
	// An empty list has nothing to lose: show the new papers at once.
	if m.changes.Any() && m.results.total == 0 && !m.searching && m.first == nil {
		return tea.Batch(next, m.refreshIndex())
	}
	return next
}

// refreshIndex reopens the backend's view of the index and searches again.
func (m *Model) refreshIndex() tea.Cmd {
	w, ok := m.indexWatcher()
	if !ok {
		m.setStatus("the index is up to date (no watcher)")
		return nil
	}
	if m.refreshing {
		return nil
	}
	m.refreshing = true
	c := m.changes
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return refreshedMsg{c: c, err: w.Refresh(ctx)}
	}
}

func (m *Model) onRefreshed(msg refreshedMsg) tea.Cmd {
	m.refreshing = false
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	m.changes = IndexChanges{Watching: m.changes.Watching}
	if msg.c.Any() {
		m.setStatus("refreshed: " + msg.c.Text())
	} else {
		m.setStatus("refreshed")
	}
	return tea.Batch(statsCmd(m.backend), m.startSearch())
}

// changesNote is the status line's part for arrived papers ("" for none).
func (m *Model) changesNote() string {
	if !m.changes.Any() {
		return ""
	}
	return m.changes.Text() + " (" + m.keys.Refresh.Help().Key + " to show)"
}
