package cli

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/tui"
)

// appLetGo is how long the app keeps its read handle after its last
// search while a watcher runs: long enough that typing a query reuses it,
// short enough that the watcher's next batch waits little for it.
const appLetGo = 300 * time.Millisecond

// leaseEngine is the app's view of an embedded index that a watcher may
// write (see watch.go). A reader and the writer cannot have the index
// open together, so while a watcher runs the app closes its read handle
// once idle for appLetGo and opens it again, on the next search, at the
// last committed state. With no watcher it keeps the handle, as before.
// It is also the app's IndexWatcher: the watch file's counts, compared
// with those at the last refresh, are the papers that arrived.
type leaseEngine struct {
	e  *env
	at place

	mu       sync.Mutex
	x        search.Engine // nil while let go
	users    int
	idle     *time.Timer
	watching bool
	base     watchStatus // the watch file at the last refresh
	opens    int         // read-only opens after the first, for tests
	mode     string      // the search mode, read from the first engine
}

var (
	_ search.Engine    = (*leaseEngine)(nil)
	_ tui.IndexWatcher = (*leaseEngine)(nil)
)

// newLeaseEngine takes over x, an open read-only engine at at.
func newLeaseEngine(e *env, at place, x search.Engine) *leaseEngine {
	l := &leaseEngine{e: e, at: at, x: x, mode: searchMode(e.ctx, x, e.cfg.Search.Mode)}
	l.base, l.watching = watcherRunning(at.dir)
	return l
}

// use returns the open engine, opening it when it was let go, and a func
// to call when done with it.
func (l *leaseEngine) use(ctx context.Context) (search.Engine, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.idle != nil {
		l.idle.Stop()
		l.idle = nil
	}
	if l.x != nil && l.users == 0 && l.watching && l.wanted() {
		// The watcher waits for the index: let it write, then open the
		// state it committed (the open waits for its batch).
		l.x.Close()
		l.x = nil
	}
	if l.x == nil {
		// The wait for the watcher's batch (lock_wait_seconds) must not
		// print across the app's screen.
		oe := *l.e
		oe.ctx, oe.stderr = ctx, io.Discard
		x, err := openEngineAt(&oe, l.at, true)
		if err != nil {
			return nil, nil, err
		}
		l.x = x
		l.opens++
	}
	l.users++
	return l.x, l.done, nil
}

func (l *leaseEngine) done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users--
	if l.users == 0 && l.watching && l.x != nil && l.wanted() {
		l.x.Close()
		l.x = nil
		return
	}
	l.scheduleLocked()
}

// wanted reports whether the watcher waits for the index (a small read).
func (l *leaseEngine) wanted() bool {
	st, err := readWatchStatus(filepath.Join(l.at.dir, watchFile))
	return err == nil && st.Want
}

// scheduleLocked arms the let-go timer when nobody uses the engine and a
// watcher runs; l.mu held.
func (l *leaseEngine) scheduleLocked() {
	if l.users == 0 && l.watching && l.x != nil && l.idle == nil {
		l.idle = time.AfterFunc(appLetGo, l.letGo)
	}
}

func (l *leaseEngine) letGo() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.idle = nil
	if l.users == 0 && l.x != nil && l.watching {
		l.x.Close()
		l.x = nil
	}
}

// Mode is the mode the index searched in when the app opened it.
func (l *leaseEngine) Mode() string { return l.mode }

func (l *leaseEngine) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	x, done, err := l.use(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return x.Search(ctx, req)
}

func (l *leaseEngine) Get(ctx context.Context, id string) (*corpus.Paper, error) {
	x, done, err := l.use(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return x.Get(ctx, id)
}

func (l *leaseEngine) Stats(ctx context.Context) (*search.Stats, error) {
	x, done, err := l.use(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return x.Stats(ctx)
}

func (l *leaseEngine) Checkpoint(ctx context.Context, source string) (search.Checkpoint, bool, error) {
	x, done, err := l.use(ctx)
	if err != nil {
		return search.Checkpoint{}, false, err
	}
	defer done()
	return x.Checkpoint(ctx, source)
}

func (l *leaseEngine) Apply(context.Context, *search.Batch) error {
	return errors.New("the app opens the index read-only")
}

func (l *leaseEngine) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.idle != nil {
		l.idle.Stop()
		l.idle = nil
	}
	if l.x == nil {
		return nil
	}
	err := l.x.Close()
	l.x = nil
	return err
}

// IndexChanges reads the watch file: a stat-sized read, no index open.
func (l *leaseEngine) IndexChanges(context.Context) (tui.IndexChanges, error) {
	st, running := watcherRunning(l.at.dir)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watching = running
	l.scheduleLocked()
	base := l.base
	if !st.Started.Equal(base.Started) {
		// Another watcher run: its counts start from nothing.
		base = watchStatus{}
	}
	return tui.IndexChanges{
		New: int(st.Added - base.Added), Changed: int(st.Changed - base.Changed), Removed: int(st.Removed - base.Removed),
		Watching: running,
	}, nil
}

// Refresh drops the handle, so the next search opens the index as now
// committed, and takes the watch file's counts as seen.
func (l *leaseEngine) Refresh(context.Context) error {
	st, running := watcherRunning(l.at.dir)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.base, l.watching = st, running
	if l.users == 0 && l.x != nil {
		err := l.x.Close()
		l.x = nil
		return err
	}
	return nil
}
