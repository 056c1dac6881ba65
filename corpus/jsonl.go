package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// LineDecoder turns one line of JSON into a paper. It returns a *FieldError
// when a field has the wrong type or is missing, so the reader can name it.
type LineDecoder func(line []byte) (Paper, error)

// MaxLineBytes bounds one JSONL record by default (Limits.MaxLineBytes);
// OpenAlex works can be hundreds of KB, anything past this is a broken file
// rather than a paper.
const MaxLineBytes = 64 << 20

// scanBufferBytes is the line reader's buffer. Longer lines are gathered
// piece by piece, so it only sets the read size; a small buffer keeps
// opening a unit cheap (it matters for many small objects and for fuzzing).
const scanBufferBytes = 64 << 10

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
	if !isGzip(br) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return zr, nil
}

// isGzip reports whether br starts with the gzip magic bytes.
func isGzip(br *bufio.Reader) bool {
	magic, _ := br.Peek(2)
	return len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

// unitScan is the state shared by every line-oriented unit reader.
type unitScan struct {
	name  string // file or object name for positions
	unit  int
	from  Cursor // skip up to here
	base  int64  // bytes of earlier units, for Record.Bytes
	dec   LineDecoder
	lim   Limits
	known []gzipMember // from a verification pass over the same bytes, if one was made
	yield func(Record, error) bool
}

// scanner reads one unit line by line.
type scanner struct {
	unitScan
	cr   *countingReader
	br   *bufio.Reader
	gz   *gzipStream // nil for plain input
	line int64       // lines read so far
	off  int64       // decompressed bytes consumed so far
	long []byte      // a line longer than the buffer, gathered
	dmg  damageLog
}

// scanJSONL reads one unit of line-delimited JSON and yields its records.
// It returns the raw bytes consumed and false if the consumer stopped early
// or ctx was cancelled. A broken stream (truncated gzip, read error) is
// yielded as a *RecordError at the line where it broke, and the unit ends.
// Lines from a gzip member that fails its checksum are never yielded when
// s.known says so in advance; see damageLog for streamed input.
func scanJSONL(ctx context.Context, r io.Reader, s unitScan) (int64, bool) {
	s.lim = s.lim.resolved()
	sc := &scanner{unitScan: s, cr: &countingReader{r: r}}
	raw := getReader(sc.cr)
	defer putReader(raw)
	var in io.Reader = raw
	if isGzip(raw) {
		g, err := newGzipStream(raw)
		if err != nil {
			e := &RecordError{Pos: Position{File: s.name, Line: 1}, Cursor: Cursor{Unit: s.unit}, Err: err}
			return sc.cr.n, s.yield(Record{}, e)
		}
		defer g.close()
		sc.gz, in = g, g
	}
	sc.br = getReader(in)
	defer putReader(sc.br)
	return sc.cr.n, sc.run(ctx)
}

// Buffers are pooled: a unit is often small (an S3 object, a fuzz input),
// and allocating and zeroing the buffers cost more than reading it.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, scanBufferBytes) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

func (sc *scanner) run(ctx context.Context) bool {
	for {
		if sc.line%256 == 0 && ctx.Err() != nil {
			return false
		}
		start := sc.off
		data, tooLong, err := sc.readLine()
		if tooLong || len(data) > 0 {
			sc.line++
			if !sc.handle(data, tooLong, start) {
				return false
			}
		}
		if cap(sc.long) > scanBufferBytes<<4 {
			sc.long = nil // do not keep a giant line's buffer for the rest of the unit
		}
		if !sc.reportDamage(false) {
			return false
		}
		if err != nil {
			return sc.finish(err)
		}
	}
}

// readLine returns the next line (nil and tooLong when it is longer than
// the limit, having read past it) and the error that ended it, if any.
func (sc *scanner) readLine() (data []byte, tooLong bool, err error) {
	sc.long = sc.long[:0]
	for {
		chunk, err := sc.br.ReadSlice('\n')
		sc.off += int64(len(chunk))
		full := errors.Is(err, bufio.ErrBufferFull)
		if !tooLong && len(sc.long)+len(chunk) > sc.lim.MaxLineBytes {
			tooLong, sc.long = true, sc.long[:0]
		}
		switch {
		case tooLong && full:
			continue // drain the rest of the oversized line
		case tooLong:
			return nil, true, err
		case full:
			sc.long = sc.gather(chunk)
			continue
		case len(sc.long) > 0:
			sc.long = sc.gather(chunk)
			return sc.long, false, err
		}
		return chunk, false, err
	}
}

// gather appends chunk to the long line, doubling its buffer (up to the
// line limit) rather than letting append grow it by a quarter at a time,
// which for a 50 MB line allocates five times the line.
func (sc *scanner) gather(chunk []byte) []byte {
	need := len(sc.long) + len(chunk)
	if need > cap(sc.long) {
		grown := make([]byte, len(sc.long), min(max(2*cap(sc.long), need, scanBufferBytes), sc.lim.MaxLineBytes+1))
		copy(grown, sc.long)
		sc.long = grown
	}
	return append(sc.long, chunk...)
}

// handle yields one line's record unless it is before the resume point or
// comes from a damaged gzip member.
func (sc *scanner) handle(data []byte, tooLong bool, start int64) bool {
	if sc.unit == sc.from.Unit && sc.line <= sc.from.Line {
		return true
	}
	member, damaged := sc.dmg.locate(sc.members(), start, sc.off)
	if damaged {
		sc.dmg.withhold(member, sc.line)
		return true
	}
	pos := Position{File: sc.name, Line: sc.line}
	cur := Cursor{Unit: sc.unit, Line: sc.line}
	if tooLong {
		err := fmt.Errorf("line longer than %s (ingest.max_line_bytes)", byteSize(sc.lim.MaxLineBytes))
		return sc.yield(Record{}, &RecordError{Pos: pos, Cursor: cur, Err: err})
	}
	rec, err := sc.decode(data, pos, cur)
	switch {
	case err != nil:
		return sc.yield(Record{}, err)
	case rec.Paper.ID == "":
		return true // a blank line
	}
	if sc.gz != nil && !sc.verified(member) {
		sc.dmg.release(member, sc.line, rec.Paper.ID)
	}
	rec.Bytes = sc.base + sc.cr.n
	return sc.yield(rec, nil)
}

// members is what is known of the unit's gzip members: the verification
// pass's list, then whatever the live stream has found past it.
func (sc *scanner) members() []gzipMember {
	if sc.gz == nil {
		return nil
	}
	if len(sc.known) >= len(sc.gz.members) {
		return sc.known
	}
	return sc.gz.members
}

// verified reports whether member i is known to have passed its checksum.
func (sc *scanner) verified(i int) bool {
	m := sc.members()
	return i < len(m) && m[i].end >= 0 && m[i].err == nil
}

// reportDamage yields an error for each damaged member whose lines have all
// been read, or for every damaged member when the unit is over.
func (sc *scanner) reportDamage(atEnd bool) bool {
	if sc.gz == nil {
		return true
	}
	for _, e := range sc.dmg.due(sc.members(), sc.off, atEnd) {
		pos := Position{File: sc.name, Line: max(e.FirstLine, 1)}
		re := &RecordError{Pos: pos, Cursor: Cursor{Unit: sc.unit, Line: sc.line}, Err: e}
		if !sc.yield(Record{}, re) {
			return false
		}
	}
	return true
}

func (sc *scanner) finish(err error) bool {
	if !sc.reportDamage(true) {
		return false
	}
	if errors.Is(err, io.EOF) || sc.dmg.explains(err) {
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("input ends early (truncated gzip or cut-off download); records after this point were not read")
	}
	e := &RecordError{Pos: Position{File: sc.name, Line: sc.line + 1}, Cursor: Cursor{Unit: sc.unit, Line: sc.line}, Err: err}
	return sc.yield(Record{}, e)
}

// decode turns one line into a record, or a *RecordError. A blank line
// gives a zero record and no error.
func (s unitScan) decode(data []byte, pos Position, cur Cursor) (Record, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return Record{}, nil
	}
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
		return Record{}, &RecordError{Pos: pos, Cursor: cur, Err: fmt.Errorf("not valid UTF-8 (first bad byte at column %d)", bad+1)}
	}
	p, err := s.dec(data)
	var capped []string
	if err == nil {
		// Cut before Normalize so a giant field is not copied again.
		if capped, err = s.lim.Cap(&p); err == nil {
			p.Normalize()
			err = p.Validate()
		}
	}
	if err != nil {
		return Record{}, &RecordError{Pos: pos, Cursor: cur, Err: err}
	}
	return Record{Paper: p, Pos: pos, Cursor: cur, Warnings: append(capped, p.Warnings()...)}, nil
}
