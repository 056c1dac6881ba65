// Package watch reports the document files of a folder tree that were
// created, changed or removed, once their writes have settled. It knows
// files, not papers: turning a change into an upsert or a deletion is the
// caller's job.
//
// A file is reported only after no event has touched it for Settle and
// its size and modification time were the same at its last event and
// Settle later, so a paper being written (a slow copy, an editor that
// writes in pieces) is never read half-written. Editors that save by
// writing a temporary file and renaming it over the document show up as
// one change of the document: temporary names are hidden files or not
// documents, and are ignored. New subfolders are watched as they appear
// and their files reported; a folder removed or renamed away reports its
// files removed. Changes that become ready together, or while the caller
// is busy with the previous batch, are merged into one batch.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Op is what happened to a file.
type Op uint8

const (
	// Write: the file is new or its content changed.
	Write Op = iota + 1
	// Remove: the file is gone (deleted or renamed away).
	Remove
)

func (o Op) String() string {
	if o == Remove {
		return "remove"
	}
	return "write"
}

// Change is one settled file.
type Change struct {
	Op Op
	// Rel is the slash-separated path relative to the folder.
	Rel string
	// Path is the file's path (the folder joined with Rel).
	Path    string
	Size    int64
	ModTime time.Time
	// Settled is when the file's last event was seen (its last write,
	// for a Write): what latency is measured from.
	Settled time.Time
}

// Stat is what the watcher knows of a present file.
type Stat struct {
	Size    int64
	ModTime time.Time
}

// Options tune a Watcher. The zero value is usable.
type Options struct {
	// Settle is how long a file must see no event, with its size and
	// modification time unchanged, before it is reported (default 300 ms).
	Settle time.Duration
	// Tick is how often pending files are checked (default Settle/6).
	Tick time.Duration
	// Match says which files are documents, by slash-separated relative
	// path (default: .md, .markdown, .txt and .pdf). Hidden files and folders
	// (a name starting with ".") are always skipped, as corpus.Folder does.
	Match func(rel string) bool
}

// DefaultSettle is Options.Settle's default.
const DefaultSettle = 300 * time.Millisecond

// IsDocument is the default Match: the extensions corpus.Folder reads.
func IsDocument(rel string) bool {
	switch strings.ToLower(path.Ext(rel)) {
	case ".md", ".markdown", ".txt", ".pdf":
		return true
	}
	return false
}

// Watcher watches one folder tree.
type Watcher struct {
	dir     string
	o       Options
	fsw     *fsnotify.Watcher
	batches chan []Change
	errs    chan error
	done    chan struct{}

	// Owned by run's goroutine after New returns.
	known   map[string]Stat     // present document files, by Rel
	dirs    map[string]bool     // watched folders, by Rel ("." is the root)
	pending map[string]*pending // files with events not yet settled
	outbox  map[string]Change   // settled changes the caller has not taken
	initial map[string]Stat
	// When the outbox got its first and its latest change: it is offered
	// once a tick adds nothing more (a burst is still settling otherwise),
	// or once its oldest change has waited Settle.
	outFirst, outLast time.Time
}

type pending struct {
	last time.Time // the last event
	st   Stat
	ok   bool // st holds the file's stat at last (false: missing then)
}

// New lists the document files under dir and starts watching every folder
// of the tree. Files reports what it listed; Batches delivers changes from
// then on, until ctx ends (the channel is then closed).
func New(ctx context.Context, dir string, o Options) (*Watcher, error) {
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.Tick <= 0 {
		o.Tick = max(o.Settle/6, 10*time.Millisecond)
	}
	if o.Match == nil {
		o.Match = IsDocument
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("watch: %s is not a directory", dir)
	}
	// A burst of thousands of files must not overflow the queue between
	// two reads of it; overflow still works (a full rescan), only slower.
	fsw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &Watcher{dir: dir, o: o, fsw: fsw, batches: make(chan []Change), errs: make(chan error, 64), done: make(chan struct{}),
		known: map[string]Stat{}, dirs: map[string]bool{}, pending: map[string]*pending{}, outbox: map[string]Change{}}
	// Watches go on before the listing, so a file written during it is
	// either listed or reported (possibly both: callers upsert anyway).
	if err := w.addTree(".", nil); err != nil {
		fsw.Close()
		return nil, err
	}
	w.initial = make(map[string]Stat, len(w.known))
	for k, v := range w.known {
		w.initial[k] = v
	}
	go w.run(ctx)
	return w, nil
}

// Files is the document files listed when the watch started.
func (w *Watcher) Files() map[string]Stat { return w.initial }

// Batches delivers settled changes; closed after ctx ends.
func (w *Watcher) Batches() <-chan []Change { return w.batches }

// Errors delivers problems that do not stop the watch (a folder that
// cannot be watched, a queue overflow answered by a rescan). Errors that
// find the channel full are dropped.
func (w *Watcher) Errors() <-chan error { return w.errs }

// Done is closed once the watch has stopped and released its resources.
func (w *Watcher) Done() <-chan struct{} { return w.done }

func (w *Watcher) report(err error) {
	select {
	case w.errs <- err:
	default:
	}
}

func (w *Watcher) abs(rel string) string { return filepath.Join(w.dir, filepath.FromSlash(rel)) }

// hidden reports whether any part of rel is hidden.
func hidden(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}

// addTree watches the folder rel and everything under it, recording the
// document files found; when mark is set, each is marked pending too (a
// folder that appeared after the start: its files are new).
func (w *Watcher) addTree(rel string, mark func(string)) error {
	root := w.abs(rel)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		r, rerr := filepath.Rel(w.dir, p)
		if rerr != nil {
			return nil
		}
		r = filepath.ToSlash(r)
		if err != nil {
			if p == root && rel == "." {
				return err
			}
			w.report(fmt.Errorf("watch %s: %w", p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if r != "." && hidden(r) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if err := w.fsw.Add(p); err != nil {
				if p == root && rel == "." {
					return fmt.Errorf("watch %s: %w", p, err)
				}
				w.report(fmt.Errorf("watch %s: %w", p, err))
				return fs.SkipDir
			}
			w.dirs[r] = true
			return nil
		}
		if !w.o.Match(r) {
			return nil
		}
		if mark != nil {
			mark(r)
			return nil
		}
		if st, ok := statFile(p); ok {
			w.known[r] = st
		}
		return nil
	})
}

// statFile stats a regular file (following links); ok is false when it is
// missing or not a regular file.
func statFile(p string) (Stat, bool) {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return Stat{}, false
	}
	return Stat{Size: fi.Size(), ModTime: fi.ModTime()}, true
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	defer close(w.batches)
	defer w.fsw.Close()
	tick := time.NewTicker(w.o.Tick)
	defer tick.Stop()
	var ready []Change // taken from the outbox, being offered
	for {
		var out chan []Change
		if now := time.Now(); len(ready) == 0 && len(w.outbox) > 0 &&
			(now.Sub(w.outLast) >= w.o.Tick || now.Sub(w.outFirst) >= w.o.Settle) {
			ready = w.take()
		}
		if len(ready) > 0 {
			out = w.batches
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.event(ev, time.Now())
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.report(fmt.Errorf("watch %s: too many changes at once; rescanning the folder", w.dir))
				w.rescan(time.Now())
				continue
			}
			w.report(fmt.Errorf("watch %s: %w", w.dir, err))
		case now := <-tick.C:
			w.settle(now)
		case out <- ready:
			ready = nil
		}
	}
}

// take empties the outbox in path order.
func (w *Watcher) take() []Change {
	out := make([]Change, 0, len(w.outbox))
	for _, c := range w.outbox {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Rel, b.Rel) })
	clear(w.outbox)
	return out
}

func (w *Watcher) mark(rel string, now time.Time) {
	p := w.pending[rel]
	if p == nil {
		p = &pending{}
		w.pending[rel] = p
	}
	p.last = now
	p.st, p.ok = statFile(w.abs(rel))
}

func (w *Watcher) event(ev fsnotify.Event, now time.Time) {
	r, err := filepath.Rel(w.dir, ev.Name)
	if err != nil || strings.HasPrefix(r, "..") {
		return
	}
	rel := filepath.ToSlash(r)
	if rel == "." || hidden(rel) {
		return
	}
	mark := func(r string) { w.mark(r, now) }
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
			if !w.dirs[rel] {
				// Files may have landed in it before its watch was added:
				// the walk marks every one.
				if err := w.addTree(rel, mark); err != nil {
					w.report(fmt.Errorf("watch %s: %w", ev.Name, err))
				}
			}
			return
		}
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if w.dirs[rel] {
			w.dropTree(rel, now)
			return
		}
	}
	if w.o.Match(rel) {
		mark(rel)
	}
}

// dropTree forgets a folder that was removed or renamed away: its files
// are marked so the next check finds them gone, and its watches removed
// (inotify keeps watching a renamed folder under its old name otherwise).
func (w *Watcher) dropTree(rel string, now time.Time) {
	prefix := rel + "/"
	for d := range w.dirs {
		if d == rel || strings.HasPrefix(d, prefix) {
			delete(w.dirs, d)
			_ = w.fsw.Remove(w.abs(d))
		}
	}
	for f := range w.known {
		if strings.HasPrefix(f, prefix) {
			w.mark(f, now)
		}
	}
	for f := range w.pending {
		if strings.HasPrefix(f, prefix) {
			w.mark(f, now)
		}
	}
}

// rescan marks every known file and every file on disk, after events were
// lost: each is compared with what is known when it settles.
func (w *Watcher) rescan(now time.Time) {
	for f := range w.known {
		w.mark(f, now)
	}
	for d := range w.dirs {
		delete(w.dirs, d)
	}
	if err := w.addTree(".", func(r string) { w.mark(r, now) }); err != nil {
		w.report(err)
	}
}

// settle moves files quiet for Settle, and unchanged since their last
// event, to the outbox.
func (w *Watcher) settle(now time.Time) {
	before := len(w.outbox)
	defer func() {
		if len(w.outbox) > before {
			if before == 0 {
				w.outFirst = now
			}
			w.outLast = now
		}
	}()
	for rel, p := range w.pending {
		if now.Sub(p.last) < w.o.Settle {
			continue
		}
		st, ok := statFile(w.abs(rel))
		if ok != p.ok || st != p.st {
			// Changed without an event we saw (or one still queued):
			// wait a full Settle from now.
			p.last, p.st, p.ok = now, st, ok
			continue
		}
		delete(w.pending, rel)
		prev, had := w.known[rel]
		switch {
		case !ok && had:
			delete(w.known, rel)
			w.outbox[rel] = Change{Op: Remove, Rel: rel, Path: w.abs(rel), Settled: p.last}
		case !ok:
			// Created and gone again before it settled: nothing to say.
		case had && prev == st:
			// Touched but not changed (a chmod, an editor's no-op save).
		default:
			w.known[rel] = st
			w.outbox[rel] = Change{Op: Write, Rel: rel, Path: w.abs(rel), Size: st.Size, ModTime: st.ModTime, Settled: p.last}
		}
	}
}
