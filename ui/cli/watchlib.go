package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/refs"
	"github.com/quire-research/quire/corpus/watch"
)

// A watched folder with reference libraries at its top (a Zotero or JabRef
// export) is read as 'quire ingest DIR' reads it (refs.Shelf): a paper per
// entry, with the library's metadata and its attached PDF's text, and no
// paper of its own for an attached file. A change to a library, or to a
// file one of its entries attaches, reads that library again: its entries
// are upserted, entries gone are deleted, and files it stops (or starts)
// attaching become (or stop being) papers of their own. An attachment
// unchanged since it was indexed takes its text from the index, so a
// Zotero auto-export rewriting the .bib costs a parse, not a re-extraction
// of every PDF.

// attachment is the library entry that attaches a file.
type attachment struct{ lib, id string }

// libraryName reports whether rel may be a library: a .bib, .ris or .json
// at the folder's top (refs.Libraries reads no deeper).
func libraryName(rel string) bool {
	return !strings.Contains(rel, "/") && refs.HasLibraryExt(rel)
}

// watchMatch is the watcher's Match: documents and libraries.
func watchMatch(rel string) bool { return watch.IsDocument(rel) || libraryName(rel) }

// relOf is abs relative to the watched folder, slash-separated, if inside.
func (r *watchRun) relOf(abs string) (string, bool) {
	rel, err := filepath.Rel(r.dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// entries parses the library lib (relative) without reading attachments.
func (r *watchRun) entries(lib string) ([]refs.Entry, *refs.Library, error) {
	l, err := refs.OpenLibrary(r.abs(lib), r.f.label)
	if err != nil {
		return nil, nil, err
	}
	es, err := l.Entries()
	return es, l, err
}

// findAttachments reads which files the folder's libraries attach.
func (r *watchRun) findAttachments() {
	r.attached = map[string]attachment{}
	for _, p := range refs.Libraries(r.dir) {
		lib, _ := r.relOf(p)
		es, _, err := r.entries(lib)
		if err != nil {
			continue // reported when the library is read
		}
		r.attach(lib, es, r.attached)
	}
}

// attach records in into the files lib's entries attach; a file another
// library attaches already stays with that one.
func (r *watchRun) attach(lib string, es []refs.Entry, into map[string]attachment) {
	for _, e := range es {
		for _, f := range e.Files {
			if rel, ok := r.relOf(f); ok {
				if _, taken := into[rel]; !taken {
					into[rel] = attachment{lib, e.Paper.ID}
				}
			}
		}
	}
}

// libraries takes the changes to libraries and their attachments out of
// changes, reads those libraries into st, and returns the other changes
// (with files a library stopped attaching, to be read on their own).
func (r *watchRun) libraries(ctx context.Context, changes []watch.Change, st *applyState) ([]watch.Change, error) {
	dirty := map[string]bool{}
	var rest []watch.Change
	for _, ch := range changes {
		old := r.manifest[ch.Rel]
		switch {
		case old.Library || libraryName(ch.Rel) && ch.Op != watch.Remove && refs.IsLibrary(ch.Path):
			dirty[ch.Rel] = true
		case r.attached[ch.Rel].lib != "":
			dirty[r.attached[ch.Rel].lib] = true
		case libraryName(ch.Rel) && !watch.IsDocument(ch.Rel):
			// A .json that is not CSL-JSON: recorded so that a restart
			// does not count it as changed, never read.
			if ch.Op == watch.Remove {
				st.next[ch.Rel] = nil
			} else {
				st.next[ch.Rel] = &manifestEntry{Size: ch.Size, ModTime: ch.ModTime}
			}
		default:
			rest = append(rest, ch)
		}
	}
	libs := make([]string, 0, len(dirty))
	for lib := range dirty {
		libs = append(libs, lib)
	}
	slices.Sort(libs)
	for _, lib := range libs {
		freed, err := r.readLibrary(ctx, lib, st)
		if err != nil {
			return nil, err
		}
		rest = append(rest, freed...)
	}
	// A file a library now attaches is read through its entry.
	return slices.DeleteFunc(rest, func(ch watch.Change) bool { return r.attached[ch.Rel].lib != "" }), nil
}

// readLibrary reads lib (relative) into st: its entries upserted, its
// entries gone deleted (none while any entry is bad, so that a typo saved
// mid-edit loses nothing), and the attachments it gained and lost. It
// returns the files it no longer attaches, as changes to read on their
// own. Only a stop (ctx) is an error; a library that cannot be read is
// reported and keeps what it gave before.
func (r *watchRun) readLibrary(ctx context.Context, lib string, st *applyState) ([]watch.Change, error) {
	old := r.manifest[lib]
	skip := func(err error) {
		st.c.Errors++
		fmt.Fprintf(r.e.stderr, "skip %s\n", sanitize(err.Error()))
	}
	fi, err := os.Stat(r.abs(lib))
	gone := errors.Is(err, os.ErrNotExist)
	if err != nil && !gone {
		skip(err)
		return nil, nil
	}
	var (
		es     []refs.Entry
		papers []corpus.Paper
		clean  = true
	)
	if !gone {
		var l *refs.Library
		if es, l, err = r.entries(lib); err != nil {
			skip(err)
			return nil, nil
		}
		l.PDF = r.attachmentReader()
		for rec, err := range l.Papers(ctx, corpus.Cursor{}) {
			if err != nil {
				skip(err)
				clean = false
				continue
			}
			for _, w := range rec.Warnings {
				fmt.Fprintf(r.e.stderr, "warning %s:%d: %s\n", sanitize(lib), rec.Pos.Line, sanitize(w))
			}
			papers = append(papers, rec.Paper)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read %s: %w", lib, context.Cause(ctx))
		}
	}

	ids := make([]string, 0, len(papers))
	for _, p := range papers {
		st.b.Upserts = append(st.b.Upserts, p)
		st.c.IDs = append(st.c.IDs, p.ID)
		if slices.Contains(old.IDs, p.ID) {
			st.c.Changed++
		} else {
			st.c.Added++
		}
		ids = append(ids, p.ID)
	}
	for _, id := range old.IDs {
		switch {
		case slices.Contains(ids, id):
		case clean:
			st.deleted[id] = true
			st.c.Removed++
		default:
			ids = append(ids, id)
		}
	}
	if gone {
		st.next[lib] = nil
	} else {
		slices.Sort(ids)
		st.next[lib] = &manifestEntry{Library: true, IDs: slices.Compact(ids), Size: fi.Size(), ModTime: fi.ModTime()}
	}

	now := map[string]attachment{}
	r.attach(lib, es, now)
	if !clean {
		// A bad entry's files stay attached until it parses again, or
		// they would be indexed twice meanwhile.
		for rel, a := range r.attached {
			if _, ok := now[rel]; a.lib == lib && !ok {
				now[rel] = a
			}
		}
	}
	var freed []watch.Change
	for rel, a := range r.attached {
		if _, still := now[rel]; a.lib != lib || still {
			continue
		}
		delete(r.attached, rel)
		if fi, err := os.Stat(r.abs(rel)); err == nil && watch.IsDocument(rel) {
			freed = append(freed, watch.Change{Op: watch.Write, Rel: rel, Path: r.abs(rel),
				Size: fi.Size(), ModTime: fi.ModTime(), Settled: time.Now()})
		} else if _, known := r.manifest[rel]; known {
			st.next[rel] = nil
		}
	}
	for rel, a := range now {
		if prev, ok := r.attached[rel]; ok && prev.lib != lib {
			continue
		}
		r.attached[rel] = a
		fi, err := os.Stat(r.abs(rel))
		if err != nil {
			// Attached but absent: the entry is a paper without text.
			if _, known := r.manifest[rel]; known {
				st.next[rel] = nil
			}
			continue
		}
		if m, had := r.manifest[rel]; had && m.Via == "" && m.ID != "" {
			st.deleted[m.ID] = true // its own paper gives way to the entry
			st.c.Removed++
		}
		st.next[rel] = &manifestEntry{ID: a.id, Via: lib, Size: fi.Size(), ModTime: fi.ModTime()}
	}
	return freed, nil
}

// attachmentReader reads an attachment as the watcher's PDF reader does,
// except that one unchanged since its entry was indexed is taken from
// the index.
func (r *watchRun) attachmentReader() corpus.PDFReader {
	return func(ctx context.Context, name string, data []byte) (corpus.Paper, []string, error) {
		if p, ok := r.indexed(ctx, name); ok {
			return p, nil, nil
		}
		return r.pdf(ctx, name, data)
	}
}

func (r *watchRun) indexed(ctx context.Context, name string) (corpus.Paper, bool) {
	rel, ok := r.relOf(name)
	if !ok {
		return corpus.Paper{}, false
	}
	m, ok := r.manifest[rel]
	if !ok || m.Via == "" || m.ID == "" {
		return corpus.Paper{}, false
	}
	fi, err := os.Stat(name)
	if err != nil || fi.Size() != m.Size || !fi.ModTime().Equal(m.ModTime) {
		return corpus.Paper{}, false
	}
	x, err := r.lease.acquire(ctx)
	if err != nil {
		return corpus.Paper{}, false
	}
	p, err := x.Get(ctx, m.ID)
	if err != nil || p.FullText == "" {
		return corpus.Paper{}, false
	}
	return *p, true
}
