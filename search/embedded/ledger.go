package embedded

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ledgerFile records, in <index>/vectors, which papers a remote vector
// half holds a vector for. Listing the remote instead costs a ListVectors
// call per 1,000 vectors on every sync (1,000 calls at a million papers);
// the ledger costs a local read at open. It is append-only, one synced
// write per batch, so a kill -9 loses at most the line of a batch the
// remote already took, which the next sync pushes again (Put replaces).
//
// Lines, each ID quoted as Go does (an ID may hold any byte):
//
//	R "s3vectors bucket/index"  the remote (first line)
//	E "embedder"                vectors pushed from here on are this embedder's;
//	                            those recorded before are stale
//	+ "id"                      pushed with the current embedder
//	+ "id" 12                   and its passages' vectors, 12 of them
//	~ "id"                      the paper changed: push it again
//	- "id"                      deleted from the remote
const ledgerFile = "remote.ledger"

// What record says of IDs.
const (
	opPushed = "+"
	opStale  = "~"
	opGone   = "-"
)

type ledger struct {
	// mu guards ids and lines: the sync writes them under Index.writeMu,
	// Stats reads them without it. A leaf.
	mu       sync.Mutex
	path     string
	remote   string
	embedder string
	// ids maps every ID the remote may hold a vector for to what it holds.
	ids   map[string]held
	lines int
}

// held is what the remote holds of one paper.
type held struct {
	// cur: the current embedder's vector of the paper as it is now.
	cur bool
	// passages is how many passage vectors were pushed with it (0 to n-1,
	// passageID); -1 when it was pushed without them, as a ledger written
	// before passage vectors, or with them off, records it.
	passages int32
}

// openLedger reads the ledger of remote, starting a new one when there is
// none or it records another remote. A torn last line (a kill mid-write)
// is cut off.
func openLedger(dir, remote string) (*ledger, error) {
	l := &ledger{path: filepath.Join(dir, ledgerFile), remote: remote, ids: map[string]held{}}
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, err
	}
	good := 0
	for off := 0; off < len(b); {
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			break // torn
		}
		line := string(b[off : off+nl])
		if err := l.apply(line); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", l.path, l.lines+1, err)
		}
		l.lines++
		off += nl + 1
		good = off
	}
	if l.lines > 0 && l.remoteOf(b) != remote {
		// Another store: nothing recorded says anything of this one.
		return &ledger{path: l.path, remote: remote, ids: map[string]held{}}, l.rewrite()
	}
	if good < len(b) {
		if err := os.Truncate(l.path, int64(good)); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *ledger) remoteOf(b []byte) string {
	first, _, _ := strings.Cut(string(b), "\n")
	if v, ok := strings.CutPrefix(first, "R "); ok {
		s, _ := strconv.Unquote(v)
		return s
	}
	return ""
}

func (l *ledger) apply(line string) error {
	bad := func() error { return fmt.Errorf("%q is not a ledger line", line) }
	op, arg, ok := strings.Cut(line, " ")
	if !ok {
		return bad()
	}
	q, err := strconv.QuotedPrefix(arg)
	if err != nil {
		return bad()
	}
	s, _ := strconv.Unquote(q)
	passages := int32(-1)
	if rest := arg[len(q):]; rest != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(rest, " "), 10, 32)
		if op != "+" || rest[0] != ' ' || err != nil || n < 0 {
			return bad()
		}
		passages = int32(n)
	}
	switch op {
	case "R":
	case "E":
		if s != l.embedder {
			for id, h := range l.ids {
				h.cur = false
				l.ids[id] = h
			}
		}
		l.embedder = s
	case "+":
		l.ids[s] = held{cur: true, passages: passages}
	case "~":
		if h, ok := l.ids[s]; ok {
			h.cur = false
			l.ids[s] = h
		}
	case "-":
		delete(l.ids, s)
	default:
		return bad()
	}
	return nil
}

// current reports whether the remote holds the current vector of id.
func (l *ledger) current(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[id].cur
}

// passages is how many passage vectors the remote holds of id: -1 when
// the ledger does not know (pushed without them, or not at all).
func (l *ledger) passages(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.ids[id]; ok {
		return int(h.passages)
	}
	return -1
}

// has reports whether the remote may hold a vector of id.
func (l *ledger) has(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.ids[id]
	return ok
}

// len is how many papers the remote holds a vector of.
func (l *ledger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids)
}

// passageTotal is how many passage vectors the remote holds, as far as
// the ledger knows.
func (l *ledger) passageTotal() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, h := range l.ids {
		n += max(int(h.passages), 0)
	}
	return n
}

// list is the IDs the remote may hold, sorted.
func (l *ledger) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.ids))
}

// begin starts recording the vectors of embedder: if they were another's,
// every recorded vector is stale (pushed again; the stale ones of papers
// gone since are deleted).
func (l *ledger) begin(embedder string) error {
	if l.embedder == embedder && l.lines > 0 {
		return nil
	}
	var lines []string
	if l.lines == 0 {
		lines = append(lines, "R "+strconv.Quote(l.remote))
	}
	lines = append(lines, "E "+strconv.Quote(embedder))
	return l.write(lines)
}

// record appends what became of ids, synced: opPushed (without passage
// vectors), opGone, or opStale for papers rewritten since their push.
func (l *ledger) record(ids []string, op string) error {
	lines := make([]string, len(ids))
	for i, id := range ids {
		lines[i] = op + " " + strconv.Quote(id)
	}
	return l.write(lines)
}

// pushed records that the remote took the vectors of ids, passages[i] of
// them passages of ids[i] (-1: pushed without passage vectors).
func (l *ledger) pushed(ids []string, passages []int) error {
	lines := make([]string, len(ids))
	for i, id := range ids {
		lines[i] = pushLine(id, int32(passages[i]))
	}
	return l.write(lines)
}

func pushLine(id string, passages int32) string {
	if passages < 0 {
		return opPushed + " " + strconv.Quote(id)
	}
	return opPushed + " " + strconv.Quote(id) + " " + strconv.Itoa(int(passages))
}

func (l *ledger) write(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	if err := mkdirDurable(filepath.Dir(l.path)); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strings.Join(lines, "\n") + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record the remote vectors in %s: %w", l.path, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range lines {
		if err := l.apply(line); err != nil {
			return err
		}
		l.lines++
	}
	return nil
}

// maybeCompact rewrites the ledger when most of its lines are history.
func (l *ledger) maybeCompact() error {
	if l.lines <= 2*len(l.ids)+1000 {
		return nil
	}
	return l.rewrite()
}

// rewrite replaces the file with the current state, by rename.
func (l *ledger) rewrite() error {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	n := 1
	fmt.Fprintf(w, "R %s\n", strconv.Quote(l.remote))
	if l.embedder != "" {
		// Stale entries first, then the embedder line that makes them
		// stale, then the current ones.
		for id, h := range l.ids {
			if !h.cur {
				fmt.Fprintln(w, pushLine(id, h.passages))
				n++
			}
		}
		fmt.Fprintf(w, "E %s\n", strconv.Quote(l.embedder))
		n++
		for id, h := range l.ids {
			if h.cur {
				fmt.Fprintln(w, pushLine(id, h.passages))
				n++
			}
		}
	}
	w.Flush()
	if err := mkdirDurable(filepath.Dir(l.path)); err != nil {
		return err
	}
	if err := writeFileDurable(l.path, buf.Bytes()); err != nil {
		return fmt.Errorf("rewrite %s: %w", l.path, err)
	}
	l.lines = n
	return nil
}

// writeFileDurable replaces path with b by rename, synced.
func writeFileDurable(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}
