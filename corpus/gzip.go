package corpus

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// A gzip file is one or more members, each with a CRC-32 of its data that
// is only checked at the member's end. A flipped byte can inflate to
// plausible garbage long before that check fails, so records must not be
// trusted until their member is verified. Local files are verified in a
// first pass (verifyGzip) and nothing from a damaged member is yielded;
// streamed input (S3) cannot be read twice cheaply, so records are yielded
// as they come and a damaged member's error lists those that already were.

// ErrDamaged matches (with errors.Is) every error about input that failed
// an integrity check, so that callers can fail the run rather than count a
// skipped record.
var ErrDamaged = errors.New("damaged input")

// maxListedIDs bounds the ids a DamagedError keeps; the line range is exact.
const maxListedIDs = 100

// DamagedError is a gzip member whose data failed its checksum or could not
// be inflated.
type DamagedError struct {
	Member int   // 1-based member of the file
	Err    error // gzip.ErrChecksum or the inflate error
	// FirstLine and LastLine are the unit's lines that came from the
	// member (0 when none did).
	FirstLine, LastLine int64
	// Withheld counts the lines from the member that were not yielded.
	Withheld int64
	// Released counts the records from the member that were yielded before
	// the damage was found (streamed input only): they may be garbled and
	// may have been written. ReleasedFirst and ReleasedLast are their lines
	// and ReleasedIDs the first maxListedIDs of their ids.
	Released                    int64
	ReleasedFirst, ReleasedLast int64
	ReleasedIDs                 []string
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "damaged gzip data (member %d, %v)", e.Member, e.Err)
	if e.Withheld > 0 {
		fmt.Fprintf(&b, ": %d lines (%s) not read", e.Withheld, lineRange(e.FirstLine, e.LastLine))
	}
	if e.Released > 0 {
		fmt.Fprintf(&b, "; %d records (%s) were read before the damage showed and may be garbled in the index: ids %s",
			e.Released, lineRange(e.ReleasedFirst, e.ReleasedLast), strings.Join(e.ReleasedIDs, ", "))
		if more := e.Released - int64(len(e.ReleasedIDs)); more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
	}
	if e.Withheld == 0 && e.Released == 0 {
		b.WriteString(": no records came from it")
	}
	b.WriteString("; get the file again and re-read it with --force")
	return b.String()
}

// Unwrap lets errors.Is match both ErrDamaged and the gzip error.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

func lineRange(first, last int64) string {
	if first == last {
		return fmt.Sprintf("line %d", first)
	}
	return fmt.Sprintf("lines %d–%d", first, last)
}

// isDamage reports whether a gzip error means the inflated data cannot be
// trusted. A stream cut short is not damage: what came before the cut is
// exactly what was written.
func isDamage(err error) bool {
	var ce flate.CorruptInputError
	return errors.Is(err, gzip.ErrChecksum) || errors.As(err, &ce)
}

// gzipMember is where one member's data lies in the inflated stream.
type gzipMember struct {
	start, end int64 // end is -1 until the member has been read to its end
	err        error // why the member failed, nil if it passed
}

// gzipStream inflates a gzip stream member by member, recording where each
// one starts and ends and whether it passed its checksum. Unlike
// gzip.Reader it reads on past a member that fails its checksum, since the
// next member is independent of it.
type gzipStream struct {
	src     *bufio.Reader // a ByteReader, so each member ends exactly
	zr      *gzip.Reader
	off     int64 // inflated bytes returned so far
	members []gzipMember
	err     error // sticky: io.EOF at the end
}

// gzipPool keeps gzip readers (and their inflaters' tables) for reuse.
var gzipPool sync.Pool

func newGzipStream(src *bufio.Reader) (*gzipStream, error) {
	zr, _ := gzipPool.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(src)
	} else {
		err = zr.Reset(src)
	}
	if err != nil {
		if zr != nil {
			gzipPool.Put(zr)
		}
		return nil, fmt.Errorf("gzip: %w", err)
	}
	zr.Multistream(false)
	return &gzipStream{src: src, zr: zr, members: []gzipMember{{end: -1}}}, nil
}

// close hands the gzip reader back for reuse.
func (g *gzipStream) close() {
	if g.zr != nil {
		gzipPool.Put(g.zr)
		g.zr = nil
	}
}

func (g *gzipStream) Read(p []byte) (int, error) {
	for g.err == nil {
		n, err := g.zr.Read(p)
		g.off += int64(n)
		if err != nil {
			g.endMember(err)
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, g.err
}

// endMember closes the current member with the error that ended it and
// starts the next one, unless the stream cannot go on.
func (g *gzipStream) endMember(err error) {
	m := &g.members[len(g.members)-1]
	m.end = g.off
	if err != io.EOF {
		m.err = err
		if !errors.Is(err, gzip.ErrChecksum) {
			g.err = err // inflate error or cut short: where the next member starts is unknown
			return
		}
	}
	switch err := g.zr.Reset(g.src); {
	case err == io.EOF:
		g.err = io.EOF
	case err != nil:
		g.err = fmt.Errorf("gzip: after member %d: %w", len(g.members), err)
	default:
		g.zr.Multistream(false)
		g.members = append(g.members, gzipMember{start: g.off, end: -1})
	}
}

// verifyGzip inflates a whole gzip stream and returns its members, so a
// scan of the same bytes can withhold every line of a damaged one. A stream
// whose first header is bad returns no members: the scan reports that.
func verifyGzip(ctx context.Context, r io.Reader) ([]gzipMember, error) {
	br := getReader(r)
	defer putReader(br)
	g, err := newGzipStream(br)
	if err != nil {
		return nil, nil
	}
	defer g.close()
	buf := make([]byte, 256<<10)
	for i := 0; ; i++ {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, err := g.Read(buf); err != nil {
			return g.members, nil
		}
	}
}

// damageLog follows which gzip member each line comes from, withholding
// lines of members known to be damaged and remembering the records yielded
// from members not yet verified, until each member can be reported.
type damageLog struct {
	cur      int // member of the last line located
	reported int // members before this one are settled
	state    map[int]*memberDamage
}

type memberDamage struct {
	first, last int64
	withheld    int64
	released    int64
	relFirst    int64
	relLast     int64
	ids         []string
}

// locate returns the member holding the line at inflated bytes [start, end)
// and whether any member it touches is damaged.
func (d *damageLog) locate(members []gzipMember, start, end int64) (int, bool) {
	for d.cur+1 < len(members) && members[d.cur+1].start <= start {
		d.cur++
	}
	for j := d.cur; j < len(members) && (j == d.cur || members[j].start < end); j++ {
		if isDamage(members[j].err) {
			return d.cur, true
		}
	}
	return d.cur, false
}

func (d *damageLog) get(member int, line int64) *memberDamage {
	if d.state == nil {
		d.state = map[int]*memberDamage{}
	}
	s := d.state[member]
	if s == nil {
		s = &memberDamage{first: line}
		d.state[member] = s
	}
	s.last = line
	return s
}

func (d *damageLog) withhold(member int, line int64) { d.get(member, line).withheld++ }

func (d *damageLog) release(member int, line int64, id string) {
	s := d.get(member, line)
	if s.released == 0 {
		s.relFirst = line
	}
	s.released++
	s.relLast = line
	if len(s.ids) < maxListedIDs {
		s.ids = append(s.ids, id)
	}
}

// due settles the members whose lines have all been read (every member
// when atEnd) and returns an error for each damaged one.
func (d *damageLog) due(members []gzipMember, off int64, atEnd bool) []*DamagedError {
	var out []*DamagedError
	for ; d.reported < len(members); d.reported++ {
		m := members[d.reported]
		if !atEnd && (m.end < 0 || m.end > off) {
			break
		}
		s := d.state[d.reported]
		delete(d.state, d.reported)
		if !isDamage(m.err) {
			continue
		}
		e := &DamagedError{Member: d.reported + 1, Err: m.err}
		if s != nil {
			e.FirstLine, e.LastLine, e.Withheld = s.first, s.last, s.withheld
			e.Released, e.ReleasedFirst, e.ReleasedLast, e.ReleasedIDs = s.released, s.relFirst, s.relLast, s.ids
		}
		out = append(out, e)
	}
	return out
}

// explains reports whether err, which ended a stream, was already reported
// as a damaged member.
func (d *damageLog) explains(err error) bool { return isDamage(err) }
