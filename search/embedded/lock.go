package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// An index folder has one writer or any number of readers. bleve's own
// lock (a flock on store/root.bolt) enforces that too, but it waits
// forever and says nothing, so Quire takes a lock of its own first, on
// <index>/quire.lock, and writes who holds it into the file: a second
// writer fails at once naming the holder, and a reader says who it waits
// for and gives up after Options.LockWait.

const lockFile = "quire.lock"

// Holder is what a writer records in the lock file.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

func (h Holder) String() string {
	cmd := h.Command
	if cmd == "" {
		cmd = "quire"
	}
	if h.PID == 0 {
		return "another quire process"
	}
	return fmt.Sprintf("pid %d (%s, started %s)", h.PID, cmd, h.Started.Local().Format("15:04:05"))
}

// ErrLocked is returned by Open when another process holds the index.
var ErrLocked = errors.New("index is locked")

// LockError names who holds the index.
type LockError struct {
	Dir    string
	Holder *Holder // nil when readers hold it
	Waited time.Duration
}

func (e *LockError) Error() string {
	waited := ""
	if e.Waited >= time.Second {
		waited = fmt.Sprintf(" (waited %s)", e.Waited.Round(time.Second))
	}
	if e.Holder == nil {
		return fmt.Sprintf("index %s is open for reading by another process (quire search, stats or the app); close it and try again%s", e.Dir, waited)
	}
	return fmt.Sprintf("index %s is being written by %s%s; try again when it is done", e.Dir, e.Holder, waited)
}

func (e *LockError) Unwrap() error { return ErrLocked }

// indexLock is a held lock on an index folder.
type indexLock struct{ f *os.File }

// lockIndex takes the index's lock: exclusive for a writer, shared for a
// reader. A writer fails at once when the index is held; a reader waits
// up to wait (calling onWait once, within a second) for a writer to finish.
func lockIndex(ctx context.Context, dir string, write bool, wait time.Duration, command string, onWait func(string)) (*indexLock, error) {
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dir, lockFile)
	flag := os.O_RDWR | os.O_CREATE
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil && !write {
		// A read-only folder (or an index from before the lock file):
		// readers go on without it, bleve's lock still guards them.
		if f, err = os.Open(path); err != nil {
			return &indexLock{}, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock index %s: %w", dir, err)
	}
	how := syscall.LOCK_SH
	if write {
		how = syscall.LOCK_EX
	}
	start := time.Now()
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock index %s: %w", path, err)
		}
		le := &LockError{Dir: dir, Holder: holderOf(f, write), Waited: time.Since(start)}
		if write || time.Since(start) >= wait {
			f.Close()
			return nil, le
		}
		if !told && onWait != nil {
			told = true
			onWait(fmt.Sprintf("index is being written by %s; waiting up to %s… Ctrl-C to stop", le.Holder, wait.Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("%w: %w", le, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if write {
		h := Holder{PID: os.Getpid(), Command: command, Started: time.Now()}
		b, _ := json.Marshal(h)
		// Best effort: the lock itself is the flock, the text only names
		// its holder for others.
		if f.Truncate(0) == nil {
			_, _ = f.WriteAt(append(b, '\n'), 0)
		}
	}
	return &indexLock{f: f}, nil
}

// holderOf reads the writer recorded in the lock file. A writer that
// cannot lock may be blocked by readers instead: when a shared lock can be
// had on a second descriptor, only readers hold it (and the file's text is
// a past writer's).
func holderOf(f *os.File, write bool) *Holder {
	if write {
		if g, err := os.Open(f.Name()); err == nil {
			err := syscall.Flock(int(g.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
			g.Close() // closing drops the probe's lock
			if err == nil {
				return nil
			}
		}
	}
	b := make([]byte, 4096)
	n, _ := f.ReadAt(b, 0)
	var h Holder
	if json.Unmarshal([]byte(strings.TrimSpace(string(b[:n]))), &h) != nil || h.PID == 0 {
		return &Holder{}
	}
	return &h
}

func (l *indexLock) release(clear bool) {
	if l == nil || l.f == nil {
		return
	}
	if clear {
		_ = l.f.Truncate(0)
	}
	l.f.Close() // drops the flock
	l.f = nil
}
