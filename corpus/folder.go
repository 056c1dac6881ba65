package corpus

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// MaxDocumentBytes bounds one Markdown or text paper. A bigger file is a
// dump or a log that ended up in the folder by mistake, not a paper.
const MaxDocumentBytes = 64 << 20

// Folder is a source over a directory tree of Markdown and plain-text
// papers, one paper per file (see DecodeDocument for how a file becomes a
// paper).
//
// Units are the .md, .markdown, .txt and .pdf files under the directory, sorted by
// their slash-separated path relative to it; hidden files and directories
// are skipped. The list is taken once, by NewFolder, so unit numbers stay
// stable for the life of the source.
//
// A unit is one whole document, so a record's Cursor is {Unit: i, Line: 1},
// read as "unit i is consumed". Resuming from it skips units up to and
// including i; the zero Cursor skips nothing, and {Unit: i, Line: 0} skips
// only the units before i.
type Folder struct {
	dir     string
	name    string // the source's name when not dir (NewFolderFile)
	source  string
	files   []docFile
	size    int64
	skipped []*RecordError // entries the listing could not use, reported by Papers
	// Limits bound each paper; zero means DefaultLimits.
	Limits Limits
	// PDF reads the folder's .pdf files; nil reports each as an error.
	PDF PDFReader
	// Workers is how many PDFs are read at once, ahead of the one being
	// yielded; 0 means the number of CPUs.
	Workers int
}

type docFile struct {
	rel  string // slash-separated path relative to the folder
	size int64
}

// NewFolder lists the papers under dir. source is stamped on every paper
// whose front matter does not name its own; "" means the folder's name, as
// BEIR collections are labelled by theirs. It is an error for the folder to
// hold no paper at all: that is almost always a wrong path. Subdirectories
// that cannot be read and document names that are not regular files (a
// named pipe would block the read) are skipped and reported by Papers.
func NewFolder(dir string, source string) (*Folder, error) {
	return newFolder(dir, source, os.DirFS(dir))
}

// NewFolderFile is a Folder of one Markdown, text or PDF file, so `quire
// ingest paper.pdf` reads it as a paper (not as JSONL). The paper gets the
// ID and source it gets when its folder is ingested; the source's name is
// the file, so each file is a checkpoint of its own.
func NewFolderFile(file, source string) (*Folder, error) {
	name := filepath.Base(file)
	if !IsPaperFile(name) {
		return nil, fmt.Errorf("%s is not a .md, .markdown, .txt or .pdf file", file)
	}
	info, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("folder: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", file, fileKind(info.Mode()))
	}
	dir := filepath.Dir(file)
	if source == "" {
		if abs, err := filepath.Abs(dir); err == nil {
			source = filepath.Base(abs)
		}
	}
	return &Folder{dir: dir, name: file, source: source, files: []docFile{{rel: name, size: info.Size()}}, size: info.Size()}, nil
}

// newFolder lists dir through fsys, which tests replace to make a
// subdirectory unreadable even to root.
func newFolder(dir, source string, fsys fs.FS) (*Folder, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("folder: %s is not a directory", dir)
	}
	if source == "" {
		if abs, err := filepath.Abs(dir); err == nil {
			source = filepath.Base(abs)
		}
	}
	f := &Folder{dir: dir, source: source}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error { return f.visit(fsys, p, d, err) })
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", dir, err)
	}
	if len(f.files) == 0 {
		msg := fmt.Sprintf("folder %s holds no .md, .markdown, .txt or .pdf file", dir)
		if len(f.skipped) > 0 {
			msg += fmt.Sprintf(" that could be read (%d skipped, first %v)", len(f.skipped), f.skipped[0])
		}
		return nil, errors.New(msg)
	}
	// WalkDir's lexical order is per directory; sorting the whole relative
	// path gives one order that does not depend on the walk.
	sort.Slice(f.files, func(i, j int) bool { return f.files[i].rel < f.files[j].rel })
	return f, nil
}

// visit is the WalkDir callback collecting document files. p is slash-
// separated and relative to the folder.
func (f *Folder) visit(fsys fs.FS, p string, d fs.DirEntry, err error) error {
	if err != nil {
		if p == "." {
			return err // the folder itself: nothing to skip to
		}
		// An unreadable subdirectory or entry is skipped like an
		// unreadable file, not the end of the whole walk.
		f.skip(p, err)
		if d != nil && d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	hidden := strings.HasPrefix(d.Name(), ".") && p != "."
	if d.IsDir() {
		if hidden {
			return fs.SkipDir
		}
		return nil
	}
	if hidden || !isDocumentName(d.Name()) && !IsPDFName(d.Name()) {
		return nil
	}
	// Stat follows symbolic links, so a linked paper is read like any other.
	info, err := fs.Stat(fsys, p)
	switch {
	case err != nil:
		f.skip(p, err)
	case !info.Mode().IsRegular():
		f.skip(p, fmt.Errorf("not a regular file (%s)", fileKind(info.Mode())))
	default:
		f.files = append(f.files, docFile{rel: p, size: info.Size()})
		f.size += info.Size()
	}
	return nil
}

func (f *Folder) skip(rel string, err error) {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is in Pos already
	}
	name := filepath.Join(f.dir, filepath.FromSlash(rel))
	f.skipped = append(f.skipped, &RecordError{Pos: Position{File: name}, Err: err})
}

// isDocumentName reports whether a file or object name is a Markdown or
// plain-text paper, by extension and ignoring case.
func isDocumentName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".txt":
		return true
	}
	return false
}

// Without drops the listed files whose absolute path is in abs (a
// library's attachments, read through its entries instead) and reports
// how many it dropped. Call it before Papers: it renumbers the units.
func (f *Folder) Without(abs map[string]bool) int {
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return 0
	}
	n := len(f.files)
	f.files = slices.DeleteFunc(f.files, func(d docFile) bool {
		if abs[filepath.Join(dir, filepath.FromSlash(d.rel))] {
			f.size -= d.size
			return true
		}
		return false
	})
	return n - len(f.files)
}

// Name is the folder path, or the file's for NewFolderFile.
func (f *Folder) Name() string {
	if f.name != "" {
		return f.name
	}
	return f.dir
}

// Size is the total size of the listed files.
func (f *Folder) Size(context.Context) int64 { return f.size }

// Len is the number of papers (units) listed.
func (f *Folder) Len() int { return len(f.files) }

// Papers reads the files in order. A file that cannot be read or decoded is
// yielded as a *RecordError and the next file follows. Cancelling ctx stops
// the stream between files without an error, like the other sources.
func (f *Folder) Papers(ctx context.Context, from Cursor) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		if from == (Cursor{}) {
			// Reported once, by the run that starts the source.
			for _, e := range f.skipped {
				if !yield(Record{}, e) {
					return
				}
			}
		}
		// PDFs are read by up to Workers goroutines ahead of the file being
		// yielded; records still come out in file order, so cursors grow.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type result struct {
			rec Record
			err error
		}
		workers := cmp.Or(f.Workers, runtime.NumCPU())
		ahead := make(chan chan result, workers)
		go func() {
			defer close(ahead)
			var done int64
			for i, file := range f.files {
				done += file.size
				if documentConsumed(i, from) {
					continue
				}
				ch := make(chan result, 1)
				select {
				case ahead <- ch:
				case <-ctx.Done():
					return
				}
				if IsPDFName(file.rel) {
					done := done // the loop moves on while this PDF is read
					go func() {
						rec, err := f.read(ctx, i, file, done)
						ch <- result{rec, err}
					}()
				} else {
					rec, err := f.read(ctx, i, file, done)
					ch <- result{rec, err}
				}
			}
		}()
		for ch := range ahead {
			r := <-ch
			if ctx.Err() != nil {
				return
			}
			if !yield(r.rec, r.err) {
				return
			}
		}
	}
}

// documentConsumed reports whether from covers whole-document unit i: any
// Line past 0 means the document was yielded.
func documentConsumed(unit int, from Cursor) bool {
	return unit < from.Unit || unit == from.Unit && from.Line > 0
}

func (f *Folder) read(ctx context.Context, unit int, file docFile, bytesSoFar int64) (Record, error) {
	name := filepath.Join(f.dir, filepath.FromSlash(file.rel))
	cur := Cursor{Unit: unit, Line: 1}
	data, err := readDocument(name)
	if err != nil {
		return Record{}, &RecordError{Pos: Position{File: name}, Cursor: cur, Err: err}
	}
	if IsPDFName(file.rel) {
		return f.readPDF(ctx, file.rel, name, data, cur, bytesSoFar)
	}
	p, err := DecodeDocument(file.rel, data, f.source)
	if err != nil {
		return Record{}, placeDocumentError(err, name, cur)
	}
	return documentRecord(p, name, cur, bytesSoFar, f.Limits)
}

// readPDF makes a paper of a PDF (DecodePDF) and records it.
func (f *Folder) readPDF(ctx context.Context, rel, name string, data []byte, cur Cursor, bytesSoFar int64) (Record, error) {
	p, warns, err := DecodePDF(ctx, rel, data, f.source, f.PDF)
	if err != nil {
		return Record{}, &RecordError{Pos: Position{File: name}, Cursor: cur, Err: err}
	}
	rec, err := documentRecord(p, name, cur, bytesSoFar, f.Limits)
	rec.Warnings = append(warns, rec.Warnings...)
	return rec, err
}

// DecodePDF makes a paper of the PDF named rel inside its collection, as
// DecodeDocument does for text: its ID is rel without .pdf; its title the
// first page's, else the file name, with a warning.
func DecodePDF(ctx context.Context, rel string, data []byte, source string, read PDFReader) (Paper, []string, error) {
	if read == nil {
		return Paper{}, nil, errors.New("PDFs are not read by this source")
	}
	p, warns, err := read(ctx, rel, data)
	if err != nil {
		return Paper{}, nil, err
	}
	p.ID = strings.TrimSuffix(rel, path.Ext(rel))
	p.Source = source
	if strings.TrimSpace(p.Title) == "" {
		p.Title = strings.TrimSuffix(path.Base(rel), path.Ext(rel))
		warns = append(warns, "no title found on the first page; the file name is used")
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return Paper{}, nil, err
	}
	return p, warns, nil
}

// IsPaperFile reports whether a file name is one a folder reads as a
// paper: Markdown, text or PDF.
func IsPaperFile(name string) bool { return isDocumentName(name) || IsPDFName(name) }

// IsPDFName reports whether a file name is a PDF, ignoring case.
func IsPDFName(name string) bool { return strings.EqualFold(path.Ext(name), ".pdf") }

func documentRecord(p Paper, name string, cur Cursor, bytesSoFar int64, lim Limits) (Record, error) {
	capped, err := lim.Cap(&p)
	if err != nil {
		return Record{}, &RecordError{Pos: Position{File: name}, Cursor: cur, Err: err}
	}
	return Record{Paper: p, Pos: Position{File: name}, Cursor: cur, Bytes: bytesSoFar, Warnings: append(capped, p.Warnings()...)}, nil
}

// placeDocumentError moves a DecodeDocument error to where the source knows
// the document is (a full path or an s3:// URL) and sets its cursor.
func placeDocumentError(err error, name string, cur Cursor) error {
	var re *RecordError
	if !errors.As(err, &re) {
		return &RecordError{Pos: Position{File: name}, Cursor: cur, Err: err}
	}
	out := *re
	out.Pos.File = name
	out.Cursor = cur
	return &out
}

func readDocument(name string) ([]byte, error) {
	fh, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return readDocumentBytes(fh)
}

// readDocumentBytes reads a whole document, refusing one past MaxDocumentBytes
// instead of filling memory with it.
func readDocumentBytes(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("larger than %d MiB; not read as a paper", MaxDocumentBytes>>20)
	}
	return data, nil
}

// DecodeDocument turns one Markdown or plain-text document into a paper.
//
// Metadata comes from YAML front matter (between "---" lines) or TOML front
// matter (between "+++" lines) with the keys id, title, abstract, authors,
// year, venue, fields, categories, doi, url and source; "author" and "date"
// are read as authors and year too, since blog and Pandoc tools write them.
// Other keys are ignored. Lists may be given as one string: authors are cut
// like JSON author strings ("A. Smith and B. Jones"), fields and categories
// on commas or semicolons.
//
// What the front matter leaves out comes from the body: the title is the
// first "# heading" (or setext "===" heading), else the first non-empty
// line; the abstract is an "Abstract" section (a heading, a line saying
// "Abstract", or a paragraph opening with "Abstract:"), else the first
// paragraph after the title. FullText is the whole body after the front
// matter. The ID is the front matter's id, else name without its extension.
//
// name is the document's slash-separated name inside its collection. Errors
// are *RecordError values with Pos naming name and, where one is known, the
// line inside the document; Err is a *FieldError when a field is wrong.
// Sources replace Pos.File and set the Cursor.
func DecodeDocument(name string, data []byte, source string) (Paper, error) {
	p, err := decodeDocument(name, data, source)
	if err != nil {
		var le *docLineError
		if errors.As(err, &le) {
			return Paper{}, &RecordError{Pos: Position{File: name, Line: int64(le.line)}, Err: le.err}
		}
		return Paper{}, &RecordError{Pos: Position{File: name}, Err: err}
	}
	return p, nil
}

// docLineError is an error at a known line of a document.
type docLineError struct {
	line int
	err  error
}

func (e *docLineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *docLineError) Unwrap() error { return e.err }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func decodeDocument(name string, data []byte, source string) (Paper, error) {
	if line, col, ok := checkUTF8(data); !ok {
		return Paper{}, &docLineError{line, fmt.Errorf("not valid UTF-8 (first bad byte at column %d)", col)}
	}
	fm, err := splitFrontMatter(bytes.TrimPrefix(data, utf8BOM))
	if err != nil {
		return Paper{}, err
	}
	p := Paper{Source: source}
	if fm.format != "" {
		entries, err := fm.entries()
		if err != nil {
			return Paper{}, err
		}
		if err := applyMeta(&p, entries); err != nil {
			return Paper{}, err
		}
	}
	body := string(fm.body)
	fillFromBody(&p, body)
	p.FullText = body
	if p.ID == "" {
		p.ID = strings.TrimSuffix(name, path.Ext(name))
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return Paper{}, err
	}
	return p, nil
}

// checkUTF8 finds the first invalid byte, as a 1-based line and column.
func checkUTF8(data []byte) (line, col int, ok bool) {
	if utf8.Valid(data) {
		return 0, 0, true
	}
	line, start := 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, i - start + 1, false
		}
		if r == '\n' {
			line++
			start = i + 1
		}
		i += size
	}
	return line, 1, false
}

// frontMatter is a document cut at the end of its front matter.
type frontMatter struct {
	format string // "yaml", "toml", or "" when there is none
	text   []byte // between the fences
	line   int    // document line of text's first line
	body   []byte
}

// splitFrontMatter looks for a front matter fence on the first line and
// its closing fence. A document opening a fence it never closes is broken:
// reading it as a body would index the metadata as prose.
func splitFrontMatter(data []byte) (frontMatter, error) {
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	var format, closing, alt string
	switch string(bytes.TrimRight(first, " \t\r")) {
	case "---":
		format, closing, alt = "YAML", "---", "..."
	case "+++":
		format, closing, alt = "TOML", "+++", "+++"
	default:
		return frontMatter{body: data}, nil
	}
	for off := 0; off < len(rest); {
		end := len(rest)
		if i := bytes.IndexByte(rest[off:], '\n'); i >= 0 {
			end = off + i
		}
		next := min(end+1, len(rest))
		if l := string(bytes.TrimRight(rest[off:end], " \t\r")); l == closing || l == alt {
			return frontMatter{format: format, text: rest[:off], line: 2, body: rest[next:]}, nil
		}
		off = next
	}
	return frontMatter{}, &docLineError{1, fmt.Errorf("%s front matter opened with %q is never closed", format, closing)}
}

// metaEntry is one top-level front matter key, whatever the syntax.
type metaEntry struct {
	key  string
	line int // document line of the key
	kind metaKind
	text string   // for metaText
	list []string // for metaList
	what string   // for metaOther: "a mapping", "a list holding a list", ...
}

type metaKind uint8

const (
	metaText metaKind = iota
	metaList
	metaOther // a mapping or nested list: fine for keys Quire ignores
)

func (fm frontMatter) entries() ([]metaEntry, error) {
	if fm.format == "TOML" {
		return tomlEntries(fm.text, fm.line)
	}
	return yamlEntries(fm.text, fm.line)
}

func yamlEntries(text []byte, first int) ([]metaEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, yamlSyntaxError(err, first)
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty front matter
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &docLineError{first + root.Line - 1, errors.New("YAML front matter is not a set of key: value pairs")}
	}
	out := make([]metaEntry, 0, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], yamlDeref(root.Content[i+1])
		e := metaEntry{key: k.Value, line: first + k.Line - 1, kind: metaOther, what: yamlKindName(v)}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag == "!!null" {
				continue
			}
			e.kind, e.text = metaText, v.Value
		case yaml.SequenceNode:
			e.kind = metaList
			for _, it := range v.Content {
				it = yamlDeref(it)
				if it.Kind != yaml.ScalarNode {
					e.kind, e.list, e.what = metaOther, nil, "a list holding "+yamlKindName(it)
					break
				}
				if it.Tag != "!!null" {
					e.list = append(e.list, it.Value)
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// yamlKindName names a YAML node's shape for messages.
func yamlKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return "text"
	}
	return "a YAML node of another kind"
}

func yamlDeref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// yamlSyntaxError moves the line in a yaml.v3 message ("yaml: line 3: ...",
// counted inside the front matter) to the document's line numbering.
func yamlSyntaxError(err error, first int) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, what, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil {
			return &docLineError{first + n - 1, errors.New("YAML front matter: " + what)}
		}
	}
	return &docLineError{first - 1, errors.New("YAML front matter: " + msg)}
}

func tomlEntries(text []byte, first int) ([]metaEntry, error) {
	var m map[string]any
	if _, err := toml.Decode(string(text), &m); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &docLineError{first + pe.Position.Line - 1, errors.New("TOML front matter: " + pe.Message)}
		}
		return nil, &docLineError{first - 1, fmt.Errorf("TOML front matter: %w", err)}
	}
	lines := strings.Split(string(text), "\n")
	out := make([]metaEntry, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e := metaEntry{key: k, line: first + tomlKeyLine(lines, k), kind: metaOther, what: tomlKindName(m[k])}
		switch v := m[k].(type) {
		case []any:
			e.kind = metaList
			for _, it := range v {
				s, ok := tomlScalar(it)
				if !ok {
					e.kind, e.list, e.what = metaOther, nil, "a list holding "+tomlKindName(it)
					break
				}
				e.list = append(e.list, s)
			}
		default:
			if s, ok := tomlScalar(v); ok {
				e.kind, e.text = metaText, s
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// tomlKindName names a decoded TOML value's shape for messages.
func tomlKindName(v any) string {
	switch v.(type) {
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return "text"
}

// tomlScalar renders a TOML scalar as text; dates keep their year first so
// a "date" key still yields a year.
func tomlScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case time.Time:
		return v.Format(time.RFC3339), true
	}
	return "", false
}

// tomlKeyLine finds the 0-based line of a top-level key, for messages: the
// TOML decoder does not report where keys are. Top-level keys come before
// the first [table] header, so the search stops there.
func tomlKeyLine(lines []string, key string) int {
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			break
		}
		l = strings.TrimPrefix(strings.TrimPrefix(l, `"`), "'")
		if rest, ok := strings.CutPrefix(l, key); ok {
			rest = strings.TrimLeft(rest, `"' `)
			if strings.HasPrefix(rest, "=") {
				return i
			}
		}
	}
	return 0
}

// applyMeta sets the paper fields named by front matter keys. A key Quire
// knows with a value of the wrong shape is an error at the key's line.
func applyMeta(p *Paper, entries []metaEntry) error {
	var date *metaEntry
	for i := range entries {
		e := &entries[i]
		field := strings.ToLower(e.key)
		var err error
		switch field {
		case "id":
			p.ID, err = e.scalar()
		case "title":
			p.Title, err = e.scalar()
		case "abstract":
			p.Abstract, err = e.scalar()
		case "venue":
			p.Venue, err = e.scalar()
		case "doi":
			var s string
			s, err = e.scalar()
			p.DOI = trimDOIPrefix(s)
		case "url":
			p.URL, err = e.scalar()
		case "source":
			var s string
			if s, err = e.scalar(); strings.TrimSpace(s) != "" {
				p.Source = s
			}
		case "authors", "author":
			field = "authors"
			p.Authors, err = e.items(splitAuthorList)
		case "fields":
			p.Fields, err = e.items(splitFieldList)
		case "categories":
			p.Categories, err = e.items(splitCategoryList)
		case "year":
			p.Year, err = e.year()
		case "date":
			date = e
		}
		if err != nil {
			return &docLineError{e.line, &FieldError{Field: field, Err: err}}
		}
	}
	if date != nil && p.Year == 0 {
		y, err := date.year()
		if err != nil {
			return &docLineError{date.line, &FieldError{Field: "year", Err: fmt.Errorf("date: %w", err)}}
		}
		p.Year = y
	}
	return nil
}

func (e *metaEntry) scalar() (string, error) {
	switch e.kind {
	case metaText:
		return e.text, nil
	case metaList:
		return "", errors.New("want text, got a list")
	}
	return "", fmt.Errorf("want text, got %s", e.what)
}

func (e *metaEntry) items(split func(string) []string) ([]string, error) {
	switch e.kind {
	case metaText:
		return split(e.text), nil
	case metaList:
		return e.list, nil
	}
	return nil, fmt.Errorf("want a list or text, got %s", e.what)
}

func (e *metaEntry) year() (int, error) {
	s, err := e.scalar()
	if err != nil || strings.TrimSpace(s) == "" {
		return 0, err
	}
	y, ok := firstYearIn(s)
	if !ok {
		return 0, fmt.Errorf("%q holds no 4-digit year", clip(s, 40))
	}
	if y < MinYear || y > MaxYear {
		return 0, fmt.Errorf("%d is out of range %d..%d", y, MinYear, MaxYear)
	}
	return y, nil
}

// docLineKind classifies a body line for finding the title and abstract.
type docLineKind uint8

const (
	docBlank docLineKind = iota
	docText
	docHeading
	docCode // inside or fencing a ``` block: never a title or abstract
)

type docLine struct {
	kind  docLineKind
	level int    // heading level, 1 for "#" and "===" headings
	text  string // trimmed; for headings without the # marks
}

// fillFromBody sets the title and abstract the front matter did not give.
func fillFromBody(p *Paper, body string) {
	if p.Title != "" && p.Abstract != "" {
		return
	}
	lines := classifyDocLines(body)
	titleAt := -1
	if p.Title == "" {
		p.Title, titleAt = bodyTitle(lines)
	}
	if p.Abstract == "" {
		p.Abstract = bodyAbstract(lines, titleAt)
	}
}

func classifyDocLines(body string) []docLine {
	raw := strings.Split(body, "\n")
	out := make([]docLine, len(raw))
	fence := ""
	for i, l := range raw {
		t := strings.TrimSpace(l)
		switch {
		case fence != "":
			out[i].kind = docCode
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			out[i].kind, fence = docCode, t[:3]
		case t == "":
			out[i].kind = docBlank
		case isSetextUnderline(t) && i > 0 && out[i-1].kind == docText:
			out[i-1].kind, out[i-1].level = docHeading, 2
			if t[0] == '=' {
				out[i-1].level = 1
			}
			out[i].kind = docBlank
		default:
			if level, text, ok := ATXHeading(t); ok {
				out[i] = docLine{kind: docHeading, level: level, text: text}
			} else {
				out[i] = docLine{kind: docText, text: t}
			}
		}
	}
	return out
}

func isSetextUnderline(t string) bool {
	if strings.Trim(t, "=") == "" {
		return true
	}
	return len(t) >= 2 && strings.Trim(t, "-") == ""
}

// ATXHeading parses a Markdown heading line, "## Heading ##": one to six
// #s then a space. Front ends use it to show headings as plain text.
func ATXHeading(t string) (int, string, bool) {
	level := 0
	for level < len(t) && t[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(t) && t[level] != ' ' && t[level] != '\t') {
		return 0, "", false
	}
	text := strings.TrimSpace(t[level:])
	// A closing run of #s counts only after a space, so "C#" keeps its #.
	if trimmed := strings.TrimRight(text, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		text = strings.TrimSpace(trimmed)
	}
	return level, text, true
}

// bodyTitle returns the first level-1 heading, else the first non-empty
// line. The index is the line used when it was ordinary text, so the
// abstract does not start with the title; -1 otherwise.
func bodyTitle(lines []docLine) (string, int) {
	for _, l := range lines {
		if l.kind == docHeading && l.level == 1 && l.text != "" {
			return l.text, -1
		}
	}
	for i, l := range lines {
		if _, label := cutAbstractLabel(l.text); label {
			continue // "Abstract" is never the title
		}
		switch {
		case l.kind == docText:
			return l.text, i
		case l.kind == docHeading && l.text != "":
			return l.text, -1
		}
	}
	return "", -1
}

// bodyAbstract returns the "Abstract" section, else the first paragraph
// that does not hold the title line.
func bodyAbstract(lines []docLine, titleAt int) string {
	for i, l := range lines {
		if l.kind != docText && l.kind != docHeading {
			continue
		}
		rest, ok := cutAbstractLabel(l.text)
		switch {
		case !ok:
		case l.kind == docHeading:
			// A section runs to the next heading and may have paragraphs.
			return joinDocText(rest, lines[i+1:], docHeading)
		case rest == "":
			// A label line alone: the abstract is the next paragraph.
			return joinDocText("", skipDocBlank(lines[i+1:]), docBlank)
		default:
			return joinDocText(rest, lines[i+1:], docBlank)
		}
	}
	for i := 0; i < len(lines); i++ {
		if lines[i].kind != docText {
			continue
		}
		end := i
		for end < len(lines) && lines[end].kind == docText {
			end++
		}
		if titleAt < i || titleAt >= end {
			return joinDocText("", lines[i:end], docBlank)
		}
		i = end
	}
	return ""
}

// cutAbstractLabel recognises "Abstract", "**Abstract.**", "ABSTRACT:" and
// "Abstract — text", returning the text after the label. "Abstract algebra
// is ..." is prose, not a label: text after the word needs a separator.
func cutAbstractLabel(t string) (string, bool) {
	s := strings.TrimLeft(t, "*_ ")
	const word = "abstract"
	if len(s) < len(word) || !strings.EqualFold(s[:len(word)], word) {
		return "", false
	}
	s = strings.TrimLeft(s[len(word):], "*_ ")
	if s == "" {
		return "", true
	}
	for _, sep := range []string{":", ".", "—", "–", "-"} {
		if rest, ok := strings.CutPrefix(s, sep); ok {
			return strings.TrimSpace(strings.TrimLeft(rest, "*_ ")), true
		}
	}
	return "", false
}

func skipDocBlank(lines []docLine) []docLine {
	for len(lines) > 0 && lines[0].kind == docBlank {
		lines = lines[1:]
	}
	return lines
}

// joinDocText joins first and the text lines that follow it, up to the first
// line of kind stop (or a heading, which always ends a section).
func joinDocText(first string, lines []docLine, stop docLineKind) string {
	parts := []string{first}
	for _, l := range lines {
		if l.kind == stop || l.kind == docHeading {
			break
		}
		if l.kind == docText {
			parts = append(parts, l.text)
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}
