package vector

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// crashFS is a file layer that can lose power. It writes through to real
// files under root and keeps, per file, what the running process sees and
// what was last synced, and per directory entry, what the last sync of its
// folder made durable. Crash rewrites root to what a power cut leaves: each
// durable name with its file's synced contents (or, in the torn modes, the
// synced contents plus part of what followed them), and nothing else.
//
// With cutAt set, the power is cut just before the cutAt-th change
// (create, mkdir, write, truncate, sync, rename, remove, directory sync):
// that change and every later one fails with errPowerCut, so the code
// under test stops there like a process that lost its machine.
type crashFS struct {
	root string

	mu    sync.Mutex
	cur   map[string]*inode // path → inode, as the process sees it
	dur   map[string]*inode // path → inode, as a power cut leaves it
	ops   int
	cutAt int
	cut   bool
	gen   int // bumps at each Crash: handles from before it are dead
	open  []*os.File
	trace []string // the changes made, for failure messages
	lost  string   // the change the power cut stopped
}

// inode is one file or directory.
type inode struct {
	dir    bool
	data   []byte // current contents
	synced []byte // contents at the last Sync
}

var errPowerCut = errors.New("power cut (crash test)")

func newCrashFS(root string) *crashFS {
	return &crashFS{root: root, cur: map[string]*inode{}, dur: map[string]*inode{}}
}

// step counts one change and says whether the power is still on for it.
func (c *crashFS) step(format string, args ...any) error {
	if c.cut {
		return errPowerCut
	}
	c.ops++
	if c.ops == c.cutAt {
		c.cut, c.lost = true, fmt.Sprintf(format, args...)
		return errPowerCut
	}
	c.trace = append(c.trace, fmt.Sprintf(format, args...))
	return nil
}

func (c *crashFS) rel(p string) string {
	r, err := filepath.Rel(c.root, p)
	if err != nil {
		return p
	}
	return r
}

func (c *crashFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = filepath.Clean(name)
	writes := flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0
	if flag&os.O_APPEND != 0 {
		return nil, errors.New("crashFS: O_APPEND not modelled")
	}
	ino := c.cur[name]
	_, statErr := os.Stat(name)
	existed := statErr == nil
	if writes {
		if ino == nil && !existed && flag&os.O_CREATE != 0 {
			if err := c.step("create %s", c.rel(name)); err != nil {
				return nil, err
			}
		}
		if flag&os.O_TRUNC != 0 {
			if err := c.step("truncate %s to 0", c.rel(name)); err != nil {
				return nil, err
			}
		}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if ino == nil {
		ino = &inode{}
		if existed {
			// There before the layer was: adopt it as durable.
			ino.data, _ = os.ReadFile(name)
			ino.synced = slices.Clone(ino.data)
			c.dur[name] = ino
		}
		c.cur[name] = ino
	}
	if flag&os.O_TRUNC != 0 {
		ino.data = nil
	}
	c.open = append(c.open, f)
	return &crashFile{c: c, f: f, ino: ino, gen: c.gen}, nil
}

func (c *crashFS) CreateTemp(dir, pattern string) (file, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.step("create %s/%s", c.rel(dir), pattern); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	ino := &inode{}
	c.cur[filepath.Clean(f.Name())] = ino
	c.open = append(c.open, f)
	return &crashFile{c: c, f: f, ino: ino, gen: c.gen}, nil
}

func (c *crashFS) Rename(oldpath, newpath string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	oldpath, newpath = filepath.Clean(oldpath), filepath.Clean(newpath)
	if err := c.step("rename %s → %s", c.rel(oldpath), c.rel(newpath)); err != nil {
		return err
	}
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	c.cur[newpath] = c.cur[oldpath]
	delete(c.cur, oldpath)
	return nil
}

func (c *crashFS) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = filepath.Clean(name)
	if err := c.step("remove %s", c.rel(name)); err != nil {
		return err
	}
	if err := os.Remove(name); err != nil {
		return err
	}
	delete(c.cur, name)
	return nil
}

func (c *crashFS) Mkdir(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir = filepath.Clean(dir)
	if err := c.step("mkdir %s", c.rel(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	c.cur[dir] = &inode{dir: true}
	return nil
}

// SyncDir makes the folder's entries as the process sees them durable.
func (c *crashFS) SyncDir(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir = filepath.Clean(dir)
	if err := c.step("sync dir %s", c.rel(dir)); err != nil {
		return err
	}
	for p := range c.dur {
		if filepath.Dir(p) == dir {
			delete(c.dur, p)
		}
	}
	for p, ino := range c.cur {
		if filepath.Dir(p) == dir {
			c.dur[p] = ino
		}
	}
	return nil
}

// crashMode says what a power cut leaves of writes made since a file's
// last sync.
type crashMode int

const (
	dropUnsynced crashMode = iota // none of them (each file as last synced)
	tornTail                      // half of what was appended after the synced contents
	zeroTail                      // the appended length, but as zeros (size written, data not)
	keepUnsynced                  // all of them (the page cache made it; names still need their folder synced)
)

func (m crashMode) String() string {
	return [...]string{"drop unsynced", "torn tail", "zeroed tail", "keep unsynced"}[m]
}

// contents is what a power cut in mode m leaves of ino.
func (ino *inode) contents(m crashMode) []byte {
	appended := len(ino.data) > len(ino.synced) && bytes.HasPrefix(ino.data, ino.synced)
	switch {
	case m == keepUnsynced:
		return ino.data
	case m == tornTail && appended:
		return ino.data[:len(ino.synced)+(len(ino.data)-len(ino.synced))/2]
	case m == zeroTail && appended:
		return append(slices.Clone(ino.synced), make([]byte, len(ino.data)-len(ino.synced))...)
	}
	return ino.synced
}

// Crash loses power: root is rewritten to what survives in mode m, every
// handle open before it is dead, and the layer runs on (uncut) from the
// new state, as after a reboot.
func (c *crashFS) Crash(m crashMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.open {
		f.Close()
	}
	c.open = nil
	c.gen++
	// A name survives if it and every folder above it (up to root) were
	// made durable in their parents.
	survives := func(p string) bool {
		for d := p; d != c.root && strings.HasPrefix(d, c.root); d = filepath.Dir(d) {
			if c.dur[d] == nil {
				return false
			}
		}
		return true
	}
	type entry struct {
		path string
		ino  *inode
		data []byte
	}
	var keep []entry
	for p, ino := range c.dur {
		if survives(p) {
			keep = append(keep, entry{p, ino, ino.contents(m)})
		}
	}
	slices.SortFunc(keep, func(a, b entry) int { return strings.Compare(a.path, b.path) })
	ents, err := os.ReadDir(c.root)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(c.root, e.Name())); err != nil {
			return err
		}
	}
	c.cur, c.dur = map[string]*inode{}, map[string]*inode{}
	for _, e := range keep { // folders sort before what they hold
		ino := &inode{dir: e.ino.dir, data: slices.Clone(e.data), synced: slices.Clone(e.data)}
		if ino.dir {
			err = os.Mkdir(e.path, 0o755)
		} else {
			err = os.WriteFile(e.path, e.data, 0o644)
		}
		if err != nil {
			return err
		}
		c.cur[e.path], c.dur[e.path] = ino, ino
	}
	c.cut, c.cutAt, c.ops, c.trace, c.lost = false, 0, 0, nil, ""
	return nil
}

// crashFile is a handle through crashFS.
type crashFile struct {
	c   *crashFS
	f   *os.File
	ino *inode
	gen int
	pos int64 // for Write
}

// change runs one change to the file, if the power is on and the handle
// is from since the last crash.
func (h *crashFile) change(what string, fn func() error) error {
	c := h.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.gen != c.gen {
		return os.ErrClosed
	}
	if err := c.step("%s %s", what, c.rel(h.f.Name())); err != nil {
		return err
	}
	return fn()
}

func (h *crashFile) WriteAt(b []byte, off int64) (n int, err error) {
	err = h.change(fmt.Sprintf("write %d bytes at %d to", len(b), off), func() error {
		n, err = h.f.WriteAt(b, off)
		if end := off + int64(n); end > int64(len(h.ino.data)) {
			h.ino.data = append(h.ino.data, make([]byte, end-int64(len(h.ino.data)))...)
		}
		copy(h.ino.data[off:], b[:n])
		return err
	})
	return n, err
}

func (h *crashFile) Write(b []byte) (int, error) {
	n, err := h.WriteAt(b, h.pos)
	h.pos += int64(n)
	return n, err
}

func (h *crashFile) Truncate(size int64) error {
	return h.change(fmt.Sprintf("truncate to %d", size), func() error {
		if err := h.f.Truncate(size); err != nil {
			return err
		}
		if size <= int64(len(h.ino.data)) {
			h.ino.data = h.ino.data[:size]
		} else {
			h.ino.data = append(h.ino.data, make([]byte, size-int64(len(h.ino.data)))...)
		}
		return nil
	})
}

// Sync makes the file's current contents what a power cut leaves. (The
// real file is not synced: the model is what the test checks.)
func (h *crashFile) Sync() error {
	return h.change("sync", func() error {
		h.ino.synced = slices.Clone(h.ino.data)
		return nil
	})
}

func (h *crashFile) ReadAt(b []byte, off int64) (int, error) { return h.f.ReadAt(b, off) }
func (h *crashFile) Stat() (os.FileInfo, error)              { return h.f.Stat() }
func (h *crashFile) Name() string                            { return h.f.Name() }
func (h *crashFile) Close() error                            { return h.f.Close() }
