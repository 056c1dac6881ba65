package refs

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"sort"

	"github.com/quire-research/quire/corpus"
)

// Shelf is a folder that holds reference libraries beside its papers, as a
// Zotero or JabRef export does (My Library.bib and files/…/paper.pdf). Its
// libraries are read first, each entry taking its attached PDF's text;
// the folder's other papers follow, less the PDFs some entry attaches, so
// no paper comes twice. Units are the libraries (0..L-1), then the
// folder's files (L…), so a resumed ingest skips what it wrote.
type Shelf struct {
	dir  string
	libs []*Library
	rest *corpus.Folder // nil when every paper is attached to an entry
	// Dropped counts the folder's PDFs read through an entry instead.
	Dropped int
}

// Libraries lists the reference libraries at the top of dir (not in its
// subfolders, where attachments live), sorted.
func Libraries(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() && e.Name()[0] != '.' && IsLibrary(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// OpenShelf opens dir with the libraries libs (from Libraries). source
// labels papers that do not name their own; "" means each library's and
// the folder's name.
func OpenShelf(dir string, libs []string, source string) (*Shelf, error) {
	s := &Shelf{dir: dir}
	attached := map[string]bool{}
	for _, path := range libs {
		l, err := OpenLibrary(path, source)
		if err != nil {
			return nil, err
		}
		s.libs = append(s.libs, l)
		entries, _ := l.Entries() // an unreadable library is reported by Papers
		for _, e := range entries {
			for _, f := range e.Files {
				attached[f] = true
			}
		}
	}
	label := source
	if label == "" {
		label = filepath.Base(filepath.Clean(dir))
	}
	// A folder holding nothing but libraries and their attachments is
	// fine: NewFolder's "holds no paper" error does not apply.
	if f, err := corpus.NewFolder(dir, label); err == nil {
		s.Dropped = f.Without(attached)
		if f.Len() > 0 {
			s.rest = f
		}
	}
	return s, nil
}

// SetReaders sets how attachments and the folder's PDFs are read and the
// folder's per-paper limits.
func (s *Shelf) SetReaders(pdf corpus.PDFReader, lim corpus.Limits) {
	for _, l := range s.libs {
		l.PDF = pdf
	}
	if s.rest != nil {
		s.rest.PDF, s.rest.Limits = pdf, lim
	}
}

// Name is the folder's path.
func (s *Shelf) Name() string { return s.dir }

// Size is the libraries' and the remaining files' bytes.
func (s *Shelf) Size(ctx context.Context) int64 {
	var n int64
	for _, l := range s.libs {
		n += l.Size(ctx)
	}
	if s.rest != nil {
		n += s.rest.Size(ctx)
	}
	return n
}

// Papers yields each library's entries, then the folder's other papers,
// with cursors and byte counts in the shelf's terms.
func (s *Shelf) Papers(ctx context.Context, from corpus.Cursor) iter.Seq2[corpus.Record, error] {
	return func(yield func(corpus.Record, error) bool) {
		var done int64 // bytes of the units before the current one
		shift := func(rec corpus.Record, err error, unit int) (corpus.Record, error) {
			rec.Cursor.Unit += unit
			rec.Bytes += done
			if re, ok := err.(*corpus.RecordError); ok {
				c := *re
				c.Cursor.Unit += unit
				err = &c
			}
			return rec, err
		}
		for i, l := range s.libs {
			size := l.Size(ctx)
			if from.Unit > i {
				done += size
				continue
			}
			var lf corpus.Cursor
			if from.Unit == i {
				lf = corpus.Cursor{Line: from.Line}
			}
			for rec, err := range l.Papers(ctx, lf) {
				if !yield(shift(rec, err, i)) {
					return
				}
			}
			done += size
		}
		if s.rest == nil {
			return
		}
		l := len(s.libs)
		var rf corpus.Cursor
		if from.Unit >= l {
			rf = corpus.Cursor{Unit: from.Unit - l, Line: from.Line}
		}
		for rec, err := range s.rest.Papers(ctx, rf) {
			if !yield(shift(rec, err, l)) {
				return
			}
		}
	}
}
