package corpus

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
)

// JSONLFiles is a source over local JSONL files (plain or gzip), read in the
// order given, one unit per file.
type JSONLFiles struct {
	Label  string // shown as Name; defaults to the first path
	Paths  []string
	Decode LineDecoder
	Limits Limits // zero means DefaultLimits
}

func (s *JSONLFiles) Name() string {
	if s.Label != "" {
		return s.Label
	}
	if len(s.Paths) == 1 {
		return s.Paths[0]
	}
	return fmt.Sprintf("%s (+%d files)", s.Paths[0], len(s.Paths)-1)
}

func (s *JSONLFiles) Size(context.Context) int64 {
	var total int64
	for _, p := range s.Paths {
		fi, err := os.Stat(p)
		if err != nil {
			return -1
		}
		total += fi.Size()
	}
	return total
}

func (s *JSONLFiles) Papers(ctx context.Context, from Cursor) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		var base int64
		for unit, path := range s.Paths {
			if unit < from.Unit {
				if fi, err := os.Stat(path); err == nil {
					base += fi.Size()
				}
				continue
			}
			n, ok := s.readFile(ctx, unit, path, from, base, yield)
			if !ok {
				return
			}
			base += n
		}
	}
}

// readFile yields one file's records. An unreadable file, or one that is
// not a regular file (a named pipe would block the read forever), is
// reported like a bad record so the other files still get read.
func (s *JSONLFiles) readFile(ctx context.Context, unit int, path string, from Cursor, base int64, yield func(Record, error) bool) (int64, bool) {
	fail := func(err error) (int64, bool) {
		return 0, yield(Record{}, &RecordError{Pos: Position{File: path}, Cursor: Cursor{Unit: unit}, Err: err})
	}
	f, err := openRegular(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	known, err := verifyIfGzip(ctx, f)
	if ctx.Err() != nil {
		return 0, false
	}
	if err != nil {
		return fail(err)
	}
	return scanJSONL(ctx, f, unitScan{name: path, unit: unit, from: from, base: base, dec: s.Decode, lim: s.Limits, known: known, yield: yield})
}

// openRegular opens a file for reading, refusing anything but a regular
// file (after following links): a FIFO or device would block or never end.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	return os.Open(path)
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "type " + m.Type().String()
}

// verifyIfGzip checks every member of a gzip file before its records are
// read (see gzip.go) and leaves f at its start. It returns nil for a plain
// file.
func verifyIfGzip(ctx context.Context, f *os.File) ([]gzipMember, error) {
	br := bufio.NewReaderSize(f, 512)
	if !isGzip(br) {
		_, err := f.Seek(0, io.SeekStart)
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	known, err := verifyGzip(ctx, f)
	if err != nil {
		return nil, err
	}
	_, err = f.Seek(0, io.SeekStart)
	return known, err
}
