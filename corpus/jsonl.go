package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// LineDecoder turns one line of JSON into a paper. It returns a *FieldError
// when a field has the wrong type or is missing, so the reader can name it.
type LineDecoder func(line []byte) (Paper, error)

// MaxLineBytes bounds one JSONL record; OpenAlex works can be hundreds of KB,
// anything past this is a broken file rather than a paper.
const MaxLineBytes = 64 << 20

// countingReader counts bytes read from the raw (possibly compressed) input.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Decompress returns a reader of r's content, gunzipping it when it starts
// with the gzip magic bytes, whatever the file is called.
func Decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// unitScan is the state shared by every line-oriented unit reader.
type unitScan struct {
	name  string // file or object name for positions
	unit  int
	from  Cursor // skip up to here
	base  int64  // bytes of earlier units, for Record.Bytes
	dec   LineDecoder
	yield func(Record, error) bool
}

// scanJSONL reads one unit of line-delimited JSON and yields its records.
// It returns the raw bytes consumed and false if the consumer stopped early
// or ctx was cancelled. A broken stream (truncated gzip, read error) is
// yielded as a *RecordError at the line where it broke, and the unit ends.
func scanJSONL(ctx context.Context, r io.Reader, s unitScan) (int64, bool) {
	cr := &countingReader{r: r}
	in, err := Decompress(cr)
	if err != nil {
		return cr.n, s.yield(Record{}, &RecordError{Pos: Position{File: s.name, Line: 1}, Cursor: Cursor{Unit: s.unit}, Err: err})
	}
	br := bufio.NewReaderSize(in, 1<<20)
	var line int64
	var long []byte
	for {
		if line%256 == 0 && ctx.Err() != nil {
			return cr.n, false
		}
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > MaxLineBytes {
				line++
				cur := Cursor{Unit: s.unit, Line: line}
				e := &RecordError{Pos: Position{File: s.name, Line: line}, Cursor: cur, Err: fmt.Errorf("line longer than %d MiB", MaxLineBytes>>20)}
				// Drain the rest of the oversized line.
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = br.ReadSlice('\n')
				}
				if !s.yield(Record{}, e) {
					return cr.n, false
				}
				long = long[:0]
				if err != nil {
					return finish(cr, s, line, err)
				}
				continue
			}
			long = append(long, chunk...)
			continue
		}
		data := chunk
		if len(long) > 0 {
			long = append(long, chunk...)
			data = long
		}
		if len(data) > 0 {
			line++
			if !(s.unit == s.from.Unit && line <= s.from.Line) {
				if !s.emit(data, line, s.base+cr.n) {
					return cr.n, false
				}
			}
		}
		long = long[:0]
		if err != nil {
			return finish(cr, s, line, err)
		}
	}
}

func finish(cr *countingReader, s unitScan, line int64, err error) (int64, bool) {
	if errors.Is(err, io.EOF) {
		return cr.n, true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("input ends early (truncated gzip or cut-off download); records after this point were not read")
	}
	e := &RecordError{Pos: Position{File: s.name, Line: line + 1}, Cursor: Cursor{Unit: s.unit, Line: line}, Err: err}
	return cr.n, s.yield(Record{}, e)
}

// emit decodes one line and yields it. It returns false if the consumer
// stopped.
func (s unitScan) emit(data []byte, line, bytesSoFar int64) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return true
	}
	pos := Position{File: s.name, Line: line}
	cur := Cursor{Unit: s.unit, Line: line}
	if !utf8.Valid(data) {
		bad := len(data)
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				bad = i
				break
			}
			i += size
		}
		return s.yield(Record{}, &RecordError{Pos: pos, Cursor: cur, Err: fmt.Errorf("not valid UTF-8 (first bad byte at column %d)", bad+1)})
	}
	p, err := s.dec(data)
	if err == nil {
		p.Normalize()
		err = p.Validate()
	}
	if err != nil {
		return s.yield(Record{}, &RecordError{Pos: pos, Cursor: cur, Err: err})
	}
	return s.yield(Record{Paper: p, Pos: pos, Cursor: cur, Bytes: bytesSoFar, Warnings: p.Warnings()}, nil)
}
