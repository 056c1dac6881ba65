package sqs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Ledger remembers, per object, the papers it produced and the sequencer
// of the last event applied to it, so a delete event can find the papers
// (a JSONL object's IDs are in its lines, not in its key) and a stale
// event is told from a new one. It is an append-only file of JSON lines,
// synced after each write and compacted when opened; a line torn by a
// crash is ignored.
//
// The consumer writes an object's entry before the batch holding its
// papers is committed, naming every ID the object had or will have, and
// again after, naming only the new ones: a crash between the two leaves
// extra IDs, whose later deletion is harmless, never missing ones.
type Ledger struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	m     map[string]Entry
	lines int
}

// Entry is what the ledger holds for one object.
type Entry struct {
	Key string   `json:"k"` // bucket/key
	Seq string   `json:"s,omitempty"`
	IDs []string `json:"ids,omitempty"`
	// Gone marks a removed object; kept so a stale create is ignored.
	Gone bool `json:"gone,omitempty"`
}

// OpenLedger opens (or creates) the ledger at path.
func OpenLedger(path string) (*Ledger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	l := &Ledger{path: path, m: map[string]Entry{}}
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		// A torn last line: cut it off, or the next append would join it.
		data = data[:i+1]
		if err := os.Truncate(path, int64(i+1)); err != nil {
			return nil, err
		}
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		var e Entry
		if len(bytes.TrimSpace(line)) == 0 || json.Unmarshal(line, &e) != nil || e.Key == "" {
			continue
		}
		l.m[e.Key] = e
		l.lines++
	}
	if l.lines > 2*len(l.m)+1000 {
		if err := l.compact(); err != nil {
			return nil, err
		}
	}
	l.f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// compact rewrites the file with one line per object.
func (l *Ledger) compact() error {
	tmp := l.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, k := range slices.Sorted(maps.Keys(l.m)) {
		b, _ := json.Marshal(l.m[k])
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	l.lines = len(l.m)
	return os.Rename(tmp, l.path)
}

// Get returns the entry of bucket/key.
func (l *Ledger) Get(key string) (Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	return e, ok
}

// Len is the number of objects the ledger knows.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// Put records entries and syncs them to disk before returning.
func (l *Ledger) Put(es ...Entry) error {
	if len(es) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, e := range es {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", l.path, err)
	}
	for _, e := range es {
		l.m[e.Key] = e
	}
	l.lines += len(es)
	return nil
}

// Close closes the file.
func (l *Ledger) Close() error { return l.f.Close() }
