package refs

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quire-research/quire/corpus"
)

// Library is a reference library file (.bib, .ris, or CSL-JSON .json) as
// a source: one paper per entry, full text from its attached PDF when
// PDF is set. The file is one unit; an entry's Cursor is {0, its first
// line}, so a resumed ingest skips the entries it wrote.
type Library struct {
	path, source string
	parse        func(file string, data []byte) ([]Entry, []error)
	size         int64
	// PDF reads attachments; nil leaves entries without full text.
	PDF corpus.PDFReader
}

// IsLibrary reports whether name is a reference library by its extension
// (.json only when it holds a JSON array: CSL-JSON).
func IsLibrary(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return HasLibraryExt(name) && (ext != ".json" || isJSONArray(name))
}

// HasLibraryExt reports whether name has a library's extension (.bib, .ris
// or .json), without reading it.
func HasLibraryExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".bib", ".ris", ".json":
		return true
	}
	return false
}

func isJSONArray(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := f.Read(buf)
	return strings.HasPrefix(strings.TrimLeft(string(buf[:n]), " \t\r\n\ufeff"), "[")
}

// OpenLibrary opens path by its extension. source labels every paper;
// "" means the file's name without its extension.
func OpenLibrary(path, source string) (*Library, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	l := &Library{path: path, source: source, size: fi.Size()}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".bib":
		l.parse = ParseBib
	case ".ris":
		l.parse = ParseRIS
	case ".json":
		l.parse = ParseCSL
	default:
		return nil, fmt.Errorf("library %s: not .bib, .ris or CSL-JSON .json", path)
	}
	if l.source == "" {
		l.source = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return l, nil
}

// Name is the file's path.
func (l *Library) Name() string { return l.path }

// Size is the file's size: progress counts the whole file once parsed.
func (l *Library) Size(context.Context) int64 { return l.size }

// Papers parses the file and yields its entries in order, bad ones as
// *corpus.RecordError, each attachment read as its entry comes up.
func (l *Library) Papers(ctx context.Context, from corpus.Cursor) iter.Seq2[corpus.Record, error] {
	return func(yield func(corpus.Record, error) bool) {
		data, err := os.ReadFile(l.path)
		if err != nil {
			yield(corpus.Record{}, fmt.Errorf("library: %w", err))
			return
		}
		entries, errs := l.parse(l.path, data)
		// Entries and errors merge in file order so cursors only grow.
		type item struct {
			line int64
			e    *Entry
			err  *corpus.RecordError
		}
		var items []item
		for i := range entries {
			items = append(items, item{line: entries[i].Line, e: &entries[i]})
		}
		for _, err := range errs {
			re, ok := err.(*corpus.RecordError)
			if !ok {
				re = &corpus.RecordError{Pos: corpus.Position{File: l.path}, Err: err}
			}
			items = append(items, item{line: re.Pos.Line, err: re})
		}
		slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.line, b.line) })
		for _, it := range items {
			if ctx.Err() != nil {
				return
			}
			cur := corpus.Cursor{Unit: 0, Line: max(it.line, 1)}
			if !cur.After(from) {
				continue
			}
			if it.err != nil {
				re := *it.err
				re.Cursor = cur
				if !yield(corpus.Record{}, &re) {
					return
				}
				continue
			}
			e := it.e
			var warns []string
			if l.PDF != nil && len(e.Files) > 0 {
				warns = Attach(ctx, e, l.PDF)
			}
			p := e.Paper
			if p.Source == "" {
				p.Source = l.source
			}
			p.Normalize()
			pos := corpus.Position{File: l.path, Line: it.line}
			if err := p.Validate(); err != nil {
				if !yield(corpus.Record{}, &corpus.RecordError{Pos: pos, Cursor: cur, Err: err}) {
					return
				}
				continue
			}
			rec := corpus.Record{Paper: p, Pos: pos, Cursor: cur, Bytes: l.size * int64(it.line) / max(int64(lineCount(data)), 1),
				Warnings: append(warns, p.Warnings()...)}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// Entries parses the library without reading its attachments: each
// entry's paper (metadata only) and attached files, made absolute. An
// unreadable file is an error; bad entries are left to Papers to report.
func (l *Library) Entries() ([]Entry, error) {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	entries, _ := l.parse(l.path, data)
	for i := range entries {
		for j, f := range entries[i].Files {
			if abs, err := filepath.Abs(f); err == nil {
				entries[i].Files[j] = abs
			}
		}
	}
	return entries, nil
}

func lineCount(data []byte) int { return bytes.Count(data, []byte("\n")) + 1 }
