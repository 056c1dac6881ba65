package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/refs"
	"github.com/quire-research/quire/corpus/watch"
	"github.com/quire-research/quire/search"
)

// 'quire ingest --watch DIR' keeps an index in step with a folder of
// Markdown, text and PDF papers and reference libraries (docs/watch.md,
// docs/libraries.md).
//
// The watcher holds the index only while it writes a batch (a lease, see
// lease.go) and takes no new batch during the readers' gap after it:
// changes that settle meanwhile merge into the next batch.

// watchApplyGrace bounds the wait for a batch in flight after Ctrl-C, as
// search.Ingest's applyGrace does.
const watchApplyGrace = 3 * time.Second

// manifestEntry is what the watcher last indexed from one file: the ID
// its paper got (which a deletion needs, since the file is gone then),
// and the stat it had.
type manifestEntry struct {
	ID      string    `json:"id"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	// Library marks a reference library; IDs are its entries' papers.
	Library bool     `json:"library,omitempty"`
	IDs     []string `json:"ids,omitempty"`
	// Via is the library one of whose entries attaches this file: ID is
	// that entry's paper, which has the file's text.
	Via string `json:"via,omitempty"`
}

// applyState is one batch being built from settled changes.
type applyState struct {
	b       *search.Batch
	c       watchCommit
	next    map[string]*manifestEntry // by file; nil: gone
	deleted map[string]bool           // paper IDs
}

type watchRun struct {
	e     *env
	f     *ingestFlags
	dir   string // absolute
	label string
	lim   corpus.Limits
	pdf   corpus.PDFReader // started on the first PDF met
	// attached maps each file a library entry attaches (relative) to
	// that entry (watchlib.go).
	attached map[string]attachment
	// manifest maps each document file (slash-separated, relative to dir)
	// to what was indexed from it. Saved after every commit, so it never
	// claims more than the index holds; what it misses is redone (upserts
	// and deletes are idempotent).
	manifest     map[string]manifestEntry
	manifestPath string
	lease        *lease
	// onCommit, for tests, is told each committed batch.
	onCommit func(watchCommit)
}

// watchCommit is one committed batch, for the per-batch line and tests.
type watchCommit struct {
	Added, Changed, Removed int
	Errors                  int
	LastWrite               time.Time // the newest write the batch holds
	Committed               time.Time
	IDs                     []string // upserted
}

func runWatch(e *env, f *ingestFlags, args []string, so sourceOptions) error {
	if len(args) != 1 || f.retrain {
		return usagef("--watch takes one folder of Markdown, text or PDF papers (and no --retrain)")
	}
	dir, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("--watch: %w", err)
	} else if !fi.IsDir() {
		return usagef("--watch: %s is not a folder (only folders of .md, .txt and .pdf papers can be watched)", args[0])
	}
	label := f.label
	if label == "" {
		label = filepath.Base(dir)
	}
	pdfs := &lazyPDF{}
	defer pdfs.Close()
	r := &watchRun{e: e, f: f, dir: dir, label: label, lim: so.limits, pdf: pdfs.read}
	return r.run(e.ctx)
}

func (r *watchRun) run(ctx context.Context) error {
	r.lease = newLease(r.e, r.dir)
	if err := r.lease.take(); err != nil {
		return err
	}
	defer r.lease.close()
	// The watch starts before the catch-up, so nothing written meanwhile
	// is missed (it may be indexed twice: upserts).
	w, err := watch.New(ctx, r.dir, watch.Options{Match: watchMatch})
	if err != nil {
		return err
	}
	r.findAttachments()
	defer func() { <-w.Done() }()
	err = r.catchUp(ctx, w.Files())
	// Readers may open the index until the first change settles.
	if cerr := r.lease.release(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(r.e.stdout, "watching %s (%d papers); Ctrl-C to stop\n", r.dir, r.papers())
	// The loop ends only with an error (Ctrl-C included); a failed
	// release is reported beside it.
	err = r.loop(ctx, w)
	if cerr := r.lease.release(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// loop writes batches as they settle, until ctx ends.
func (r *watchRun) loop(ctx context.Context, w *watch.Watcher) error {
	var gap <-chan time.Time
	for {
		batches := w.Batches()
		if gap != nil {
			batches = nil // readers' turn; changes merge meanwhile
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", search.ErrStopped, context.Cause(ctx))
		case err := <-w.Errors():
			fmt.Fprintf(r.e.stderr, "quire: %s\n", sanitize(err.Error()))
		case <-gap:
			gap = nil
		case b, ok := <-batches:
			if !ok {
				return fmt.Errorf("%w: %w", search.ErrStopped, context.Cause(ctx))
			}
			err := r.apply(ctx, b)
			if rerr := r.lease.release(); err == nil {
				err = rerr
			}
			if err != nil {
				return err
			}
			gap = r.lease.gap()
		}
	}
}

// catchUp brings the index level with the folder before watching it. The
// first time (no manifest) that is an ordinary, resumable ingest of the
// folder; after that a diff of the folder against the manifest: files new
// or changed since are upserted, files gone delete their papers.
func (r *watchRun) catchUp(ctx context.Context, files map[string]watch.Stat) error {
	r.manifestPath = r.manifestFile()
	m, ok, err := loadManifest(r.manifestPath)
	if err != nil {
		return err
	}
	if !ok {
		if err := r.firstIngest(ctx, files); err != nil {
			return err
		}
		return r.saveManifest()
	}
	r.manifest = m
	var diff []watch.Change
	now := time.Now()
	for rel, st := range files {
		if had, ok := m[rel]; !ok || had.Size != st.Size || !had.ModTime.Equal(st.ModTime) {
			diff = append(diff, watch.Change{Op: watch.Write, Rel: rel, Path: r.abs(rel), Size: st.Size, ModTime: st.ModTime, Settled: now})
		}
	}
	for rel := range m {
		if _, ok := files[rel]; !ok {
			diff = append(diff, watch.Change{Op: watch.Remove, Rel: rel, Path: r.abs(rel), Settled: now})
		}
	}
	if len(diff) == 0 {
		return nil
	}
	sort.Slice(diff, func(i, j int) bool { return diff[i].Rel < diff[j].Rel })
	fmt.Fprintf(r.e.stdout, "%d files changed while not watching\n", len(diff))
	size := firstPositive(r.f.batch, r.e.cfg.Ingest.BatchSize, 1000)
	for len(diff) > 0 {
		n := min(size, len(diff))
		if err := r.apply(ctx, diff[:n]); err != nil {
			return err
		}
		diff = diff[n:]
	}
	return nil
}

// firstIngest reads the whole folder as 'quire ingest DIR' does, then
// records what each file became.
func (r *watchRun) firstIngest(ctx context.Context, files map[string]watch.Stat) error {
	r.manifest = map[string]manifestEntry{}
	if len(files) == 0 {
		return nil
	}
	x, err := r.lease.acquire(ctx)
	if err != nil {
		return err
	}
	o := sourceOptions{label: r.f.label, limits: r.lim, pdf: r.pdf}
	src, err := openFolder(r.dir, o)
	if err != nil {
		return err
	}
	setReaders(src, o)
	if _, err := ingestOne(r.e, x, src, r.f, nil); err != nil {
		return err
	}
	if err := syncVectors(r.e, x); err != nil {
		return err
	}
	for rel, st := range files {
		en := manifestEntry{Size: st.Size, ModTime: st.ModTime}
		if a, ok := r.attached[rel]; ok {
			en.ID, en.Via = a.id, a.lib
		} else if libraryName(rel) {
			if es, _, err := r.entries(rel); err == nil && refs.IsLibrary(r.abs(rel)) {
				en.Library = true
				for _, e := range es {
					en.IDs = append(en.IDs, e.Paper.ID)
				}
			}
		} else if p, err := r.read(rel); err == nil {
			en.ID = p.ID
		}
		// A file that failed is recorded too (without an ID): it is read
		// again when it changes, not at every start.
		r.manifest[rel] = en
	}
	return nil
}

// read decodes one document as the folder source does.
func (r *watchRun) read(rel string) (corpus.Paper, error) {
	data, err := readFileLimited(r.abs(rel))
	if err != nil {
		return corpus.Paper{}, err
	}
	var p corpus.Paper
	if corpus.IsPDFName(rel) {
		p, _, err = corpus.DecodePDF(r.e.ctx, rel, data, r.label, r.pdf)
	} else {
		p, err = corpus.DecodeDocument(rel, data, r.label)
	}
	if err != nil {
		return corpus.Paper{}, err
	}
	if _, err := r.lim.Cap(&p); err != nil {
		return corpus.Paper{}, err
	}
	return p, nil
}

func readFileLimited(name string) ([]byte, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(fh, corpus.MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > corpus.MaxDocumentBytes {
		return nil, fmt.Errorf("larger than %d MiB; not read as a paper", corpus.MaxDocumentBytes>>20)
	}
	return data, nil
}

func (r *watchRun) abs(rel string) string { return filepath.Join(r.dir, filepath.FromSlash(rel)) }

// apply turns settled changes into one atomic batch, writes it, and then
// records it in the manifest and the watch file. A file that cannot be
// read or decoded is reported and left out; the rest of the batch goes on.
func (r *watchRun) apply(ctx context.Context, changes []watch.Change) error {
	st := &applyState{b: &search.Batch{}, next: make(map[string]*manifestEntry, len(changes)), deleted: map[string]bool{}}
	b, c, next, deleted := st.b, &st.c, st.next, st.deleted
	for _, ch := range changes {
		c.LastWrite = maxTime(c.LastWrite, ch.Settled)
	}
	changes, err := r.libraries(ctx, changes, st)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		old, had := r.manifest[ch.Rel]
		if old.Via != "" {
			had = false // its ID is its library entry's, which stays
		}
		if ch.Op == watch.Remove {
			if _, known := r.manifest[ch.Rel]; known {
				next[ch.Rel] = nil
			}
			if had && old.ID != "" {
				deleted[old.ID] = true
				c.Removed++
			}
			continue
		}
		p, err := r.read(ch.Rel)
		if err != nil {
			c.Errors++
			fmt.Fprintf(r.e.stderr, "skip %s\n", sanitize(err.Error()))
			if !strings.Contains(err.Error(), ch.Path) && !strings.Contains(err.Error(), ch.Rel) {
				fmt.Fprintf(r.e.stderr, "  (in %s)\n", sanitize(ch.Path))
			}
			// The old paper stays: better a previous version than none
			// while the file is broken.
			continue
		}
		b.Upserts = append(b.Upserts, p)
		c.IDs = append(c.IDs, p.ID)
		next[ch.Rel] = &manifestEntry{ID: p.ID, Size: ch.Size, ModTime: ch.ModTime}
		switch {
		case !had || old.ID == "":
			c.Added++
		case old.ID != p.ID:
			// Its front matter changed the ID: the old paper goes.
			deleted[old.ID] = true
			c.Added++
			c.Removed++
		default:
			c.Changed++
		}
	}
	for _, p := range b.Upserts {
		delete(deleted, p.ID) // moved between files, not gone
	}
	for id := range deleted {
		if !r.idStillUsed(id, next) {
			b.Deletes = append(b.Deletes, id)
		}
	}
	sort.Strings(b.Deletes)
	if b.Len() > 0 {
		x, err := r.lease.acquire(ctx)
		if err != nil {
			return err
		}
		// A batch already read is written even after Ctrl-C, within a
		// grace period, like search.Ingest's.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), watchApplyGrace)
		err = x.Apply(actx, b)
		cancel()
		if err != nil {
			return fmt.Errorf("write %d papers from %s: %w", b.Len(), r.dir, err)
		}
	}
	c.Committed = time.Now()
	for rel, en := range next {
		if en == nil {
			delete(r.manifest, rel)
		} else {
			r.manifest[rel] = *en
		}
	}
	if err := r.saveManifest(); err != nil {
		fmt.Fprintf(r.e.stderr, "quire: %s (the next start reads the changed files again)\n", sanitize(err.Error()))
	}
	if b.Len() > 0 {
		r.lease.committed(c.Added, c.Changed, c.Removed, c.Committed)
		line := fmt.Sprintf("+%d −%d papers", c.Added, c.Removed)
		if c.Changed > 0 {
			line += fmt.Sprintf(", %d changed", c.Changed)
		}
		fmt.Fprintf(r.e.stdout, "%s, %d ms after the last write\n", line, c.Committed.Sub(c.LastWrite).Milliseconds())
		if err := r.lease.learnVectors(ctx); err != nil {
			return err
		}
	}
	if r.onCommit != nil {
		r.onCommit(*c)
	}
	return nil
}

// papers counts the papers the manifest's files gave.
func (r *watchRun) papers() int {
	ids := map[string]bool{}
	for _, en := range r.manifest {
		if en.ID != "" {
			ids[en.ID] = true
		}
		for _, id := range en.IDs {
			ids[id] = true
		}
	}
	return len(ids)
}

// idStillUsed reports whether another file (after this batch) holds id:
// a document's paper, or a library's entry.
func (r *watchRun) idStillUsed(id string, next map[string]*manifestEntry) bool {
	holds := func(en *manifestEntry) bool { return en.ID == id || slices.Contains(en.IDs, id) }
	for _, en := range next {
		if en != nil && holds(en) {
			return true
		}
	}
	for rel, en := range r.manifest {
		if _, changing := next[rel]; !changing && holds(&en) {
			return true
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// manifestFile is where the manifest of this folder lives: beside the
// index it describes (for a cluster, in the configured index folder,
// which is then otherwise unused).
func (r *watchRun) manifestFile() string {
	h := fnv.New64a()
	h.Write([]byte(r.dir))
	name := "watch-" + strconv.FormatUint(h.Sum64(), 36) + ".json"
	return filepath.Join(r.e.home().dir, "watch", name)
}

type manifestFileData struct {
	Dir   string                   `json:"dir"`
	Files map[string]manifestEntry `json:"files"`
}

func loadManifest(p string) (map[string]manifestEntry, bool, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var m manifestFileData
	if err := json.Unmarshal(b, &m); err != nil {
		// A cache of what was indexed: when it is unreadable, the folder
		// is read again in full, which costs time, not data.
		return nil, false, nil
	}
	if m.Files == nil {
		m.Files = map[string]manifestEntry{}
	}
	return m.Files, true, nil
}

// saveManifest writes the manifest atomically (temp file, fsync, rename).
func (r *watchRun) saveManifest() error {
	b, err := json.Marshal(manifestFileData{Dir: r.dir, Files: r.manifest})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.manifestPath), 0o755); err != nil {
		return fmt.Errorf("save the watch manifest: %w", err)
	}
	tmp := r.manifestPath + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("save the watch manifest: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, r.manifestPath)
	}
	if err != nil {
		return fmt.Errorf("save the watch manifest %s: %w", r.manifestPath, err)
	}
	return nil
}
