package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed/local"
	"github.com/quire-research/quire/search/embedded"
)

// A lease is a writer that holds the embedded index only while it writes
// a batch and tells readers what changed. The embedded index has one
// writer or any number of readers, and a reader cannot open while the
// writer holds it; a command that follows something for hours ('quire
// ingest --watch DIR', 'quire ingest sqs://QUEUE') therefore opens the
// index for each batch, writes it, closes it and leaves readers a gap
// (leaseGap) before the next. 'quire search' waits for the batch in
// progress (lock_wait_seconds); the app, told by the status file that a
// writer follows the index or waits for it, closes its own read handle
// (see leaseEngine) so the writer is never locked out for long.
//
// A cluster engine takes readers and writers alike: there the lease opens
// the engine once, keeps it, and writes no status file.

const (
	// leaseGap is how long the writer leaves the index to readers after
	// each batch: more than a waiting reader's 100 ms poll of the lock.
	leaseGap = 150 * time.Millisecond
	// watchFile, in the index folder, is flocked by the running writer
	// and holds its status (watchStatus) for the app to poll.
	watchFile = "quire.watch"
	// leaseRetry is how often a writer kept out by readers tries the lock
	// again: often, since a reader between two searches leaves only a
	// short gap.
	leaseRetry = 10 * time.Millisecond
)

// watchStatus is what the status file says. Added counts papers that were
// new to the index since the writer started, Seq its commits: the app
// compares both with what it saw last.
type watchStatus struct {
	PID int `json:"pid"`
	// Dir is what is followed: the watched folder, or the queue URL
	// (without credentials or query).
	Dir     string    `json:"dir"`
	Started time.Time `json:"started"`
	Seq     int64     `json:"seq"`
	Added   int64     `json:"added"`
	Changed int64     `json:"changed"`
	Removed int64     `json:"removed"`
	Updated time.Time `json:"updated"`
	// Want is set while the writer waits for readers to let go of the
	// index: the app closes its handle at once instead of when idle.
	Want bool `json:"want,omitempty"`
}

type lease struct {
	e      *env
	follow string // for the status file and messages
	dir    string // the index folder; "" for a cluster
	status watchStatus
	lock   *os.File // the status file, flocked; nil for a cluster
	x      search.Engine
	// keep: a cluster's engine stays open between batches; borrowed: a
	// test's engine is never closed here.
	keep, borrowed bool
	gapEnd         time.Time // readers' turn until then
	// The local embedder is learned from the papers: a follower that
	// starts on a new index learns it once enough have arrived.
	learn     bool
	learnedAt uint64 // papers at the last try; 0 before any
}

// newLease prepares a lease on the configured engine for a writer that
// follows follow (a folder or a queue URL).
func newLease(e *env, follow string) *lease {
	l := &lease{e: e, follow: followName(follow)}
	if !e.weaviate() && !e.bedrockKB() {
		l.dir = e.home().dir
	}
	l.learn = strings.EqualFold(strings.TrimSpace(e.cfg.Embed.Provider), "local")
	return l
}

// fixedLease wraps an engine the caller keeps open (tests that search it
// in-process): no status file, no closing between batches.
func fixedLease(e *env, x search.Engine) *lease {
	return &lease{e: e, x: x, keep: true, borrowed: true}
}

// followName is what the status file and messages may say about what is
// followed: a URL loses any user info and query, which could hold a
// secret; a path stays as it is.
func followName(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return s
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// take locks the index's status file, so one follower writes an index at
// a time, and tells readers that one does.
func (l *lease) take() error {
	if l.dir == "" {
		return nil
	}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return err
	}
	p := filepath.Join(l.dir, watchFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("watch %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		st, _ := readWatchStatus(p)
		f.Close()
		if st.PID != 0 {
			return fmt.Errorf("index %s is already watched by pid %d (%s)", l.dir, st.PID, sanitize(followName(st.Dir)))
		}
		return fmt.Errorf("index %s is already watched by another process", l.dir)
	}
	l.lock = f
	l.status = watchStatus{PID: os.Getpid(), Dir: l.follow, Started: time.Now().UTC(), Updated: time.Now().UTC()}
	l.writeStatus()
	return nil
}

// close lets go of the index and the status file.
func (l *lease) close() error {
	if l == nil {
		return nil
	}
	err := l.closeEngine()
	if l.lock != nil {
		l.status.PID = 0
		l.writeStatus()
		l.lock.Close()
		l.lock = nil
	}
	return err
}

func (l *lease) closeEngine() error {
	if l.x == nil || l.borrowed {
		return nil
	}
	err := l.x.Close()
	l.x = nil
	return err
}

// acquire opens the index for writing, waiting while readers hold it
// (the app lets go within a second of going idle; see leaseEngine).
func (l *lease) acquire(ctx context.Context) (search.Engine, error) {
	if l.x != nil {
		return l.x, nil
	}
	start, told := time.Now(), false
	for {
		x, err := openEngine(l.e, false)
		if err == nil {
			l.x = x
			l.keep = l.dir == "" // a cluster: no lock to share
			l.setWant(false)
			return x, nil
		}
		var le *embedded.LockError
		if !errors.As(err, &le) || le.Holder != nil {
			l.setWant(false)
			return nil, err // another writer, or not a lock at all
		}
		l.setWant(true)
		if !told && time.Since(start) > 3*time.Second {
			told = true
			fmt.Fprintf(l.e.stderr, "quire: waiting for readers of the index to let go (%s)\n", sanitize(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", search.ErrStopped, context.Cause(ctx))
		case <-time.After(leaseRetry):
		}
	}
}

// release closes the index after a batch and starts the readers' gap.
func (l *lease) release() error {
	if l.x == nil || l.keep {
		return nil
	}
	err := l.x.Close()
	l.x = nil
	l.gapEnd = time.Now().Add(leaseGap)
	return err
}

// gap fires when the readers' turn after the last release ends; nil when
// there is none to wait for.
func (l *lease) gap() <-chan time.Time {
	d := time.Until(l.gapEnd)
	if d <= 0 {
		return nil
	}
	return time.After(d)
}

// waitGap waits out the readers' turn.
func (l *lease) waitGap(ctx context.Context) error {
	g := l.gap()
	if g == nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", search.ErrStopped, context.Cause(ctx))
	case <-g:
		return nil
	}
}

func (l *lease) setWant(w bool) {
	if l.status.Want != w {
		l.status.Want = w
		l.writeStatus()
	}
}

// counting reports whether committed's counts reach anyone (a status
// file), so a writer can skip working them out.
func (l *lease) counting() bool { return l.lock != nil }

// committed records a written batch in the status file.
func (l *lease) committed(added, changed, removed int, at time.Time) {
	if l == nil {
		return
	}
	l.status.Seq++
	l.status.Added += int64(added)
	l.status.Changed += int64(changed)
	l.status.Removed += int64(removed)
	l.status.Updated = at
	l.writeStatus()
}

func (l *lease) writeStatus() {
	if l.lock == nil {
		return
	}
	b, _ := json.Marshal(l.status)
	// Written in place (the flock is on this file); a reader catching it
	// half-written fails to parse and tries again a second later.
	if l.lock.Truncate(0) == nil {
		_, _ = l.lock.WriteAt(append(b, '\n'), 0)
	}
}

// learnVectors, after a commit and with the index still held, learns the
// local embedder while the engine has none. A follower that starts on a
// new index would otherwise stay BM25-only until another ingest, since
// Apply embeds papers only once there is an embedder. Too few papers is
// no error: it tries again when the index has doubled (reading the
// papers to learn from costs time), from local.MinDocs on.
func (l *lease) learnVectors(ctx context.Context) error {
	if !l.learn || l.x == nil {
		return nil
	}
	if hasVectors(ctx, l.x) {
		l.learn = false
		return nil
	}
	if _, ok := l.x.(vectorSyncer); !ok {
		l.learn = false
		return nil
	}
	n, err := paperCount(ctx, l.x)
	if err != nil || n < local.MinDocs || n < 2*l.learnedAt {
		return err
	}
	l.learnedAt = n
	if err := syncVectors(l.e, l.x); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", search.ErrStopped, context.Cause(ctx))
		}
		return fmt.Errorf("learn the local embedder from %d papers: %w", n, err)
	}
	if hasVectors(ctx, l.x) {
		l.learn = false
		fmt.Fprintf(l.e.stderr, "quire: local embedder learned from %d papers; vector and hybrid search cover new papers from now on\n", n)
	}
	return nil
}

func readWatchStatus(p string) (watchStatus, error) {
	var st watchStatus
	b, err := os.ReadFile(p)
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(b, &st)
	return st, err
}

// watcherRunning reports whether a writer holds the index's status file,
// with its status.
func watcherRunning(indexDir string) (watchStatus, bool) {
	p := filepath.Join(indexDir, watchFile)
	f, err := os.Open(p)
	if err != nil {
		return watchStatus{}, false
	}
	defer f.Close()
	st, _ := readWatchStatus(p)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		return st, false // nobody holds it: a writer ran once and stopped
	}
	return st, true
}

// openIngestEngine opens the index for a one-shot 'quire ingest'. On an
// embedded index it is a writer like a follower: it takes the status file,
// so a running app or 'quire serve' lets go of its read handle, and waits
// for them to (acquire) instead of failing at once. The lease it returns
// is closed by the caller after the engine (nil-safe on every path). When
// a follower already holds the status file, the ingest opens the index as
// before and meets the follower's lock, or its gap.
func openIngestEngine(e *env, args []string) (search.Engine, *lease, error) {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = followName(a)
	}
	l := newLease(e, "ingest "+strings.Join(names, " "))
	if l.dir == "" || l.take() != nil {
		x, err := openEngine(e, false)
		return x, nil, err
	}
	x, err := l.acquire(e.ctx)
	if err != nil {
		l.close()
		return nil, nil, err
	}
	// The caller closes the engine itself (closing waits for the disk and
	// is timed); the lease keeps only the status file.
	l.x = nil
	return x, l, nil
}
