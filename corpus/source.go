package corpus

import (
	"context"
	"fmt"
	"iter"
)

// Source streams papers from one place: a dump file, a folder, an S3 prefix.
//
// A source is made of units (files or objects) in a stable order, each read
// line by line or as one paper. That order lets ingestion resume: Papers
// skips everything up to and including the Cursor it is given.
type Source interface {
	// Name identifies the source in messages and checkpoints, e.g. a path or
	// an s3:// URL. It never contains credentials.
	Name() string
	// Size is the total number of input bytes if known in advance, else -1.
	// Progress compares it with Record.Bytes.
	Size(ctx context.Context) int64
	// Papers yields records in order. A bad record is yielded as a
	// *RecordError and the stream goes on; any other error ends the stream.
	Papers(ctx context.Context, from Cursor) iter.Seq2[Record, error]
}

// Cursor is a resumable position: the line Line of unit Unit (both counted
// from 1 for lines, 0 for units) has been consumed. The zero Cursor means
// "from the start".
type Cursor struct {
	Unit int   `json:"unit"`
	Line int64 `json:"line"`
}

// After reports whether c is strictly past o.
func (c Cursor) After(o Cursor) bool {
	if c.Unit != o.Unit {
		return c.Unit > o.Unit
	}
	return c.Line > o.Line
}

// Position names a place in the input for people: a file or object and a
// 1-based line (0 when the unit is a whole document).
type Position struct {
	File string `json:"file"`
	Line int64  `json:"line,omitempty"`
}

func (p Position) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Record is one decoded paper with where it came from.
type Record struct {
	Paper  Paper
	Pos    Position
	Cursor Cursor
	// Bytes is how many input bytes of the whole source have been consumed
	// so far (compressed bytes for gzip input), for progress against Size.
	Bytes int64
	// Warnings are problems that did not stop the paper being used.
	Warnings []string
}

// RecordError is a bad record: it is reported and skipped, and reading goes
// on. Err is often a *FieldError naming the field.
type RecordError struct {
	Pos    Position
	Cursor Cursor
	Err    error
}

func (e *RecordError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }
func (e *RecordError) Unwrap() error { return e.Err }

// PDFReader extracts a paper from a PDF's bytes: corpus/pdf's
// Extractor.Paper. Sources take one as a field instead of importing
// corpus/pdf, so the PDF engine starts only when a PDF is met. name is
// used in errors; warnings are lines such as "no text layer".
type PDFReader func(ctx context.Context, name string, data []byte) (Paper, []string, error)
