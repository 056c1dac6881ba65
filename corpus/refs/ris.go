package refs

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quire-research/quire/corpus"
)

// ParseRIS parses RIS text. An entry without a DOI gets an ID hashed from
// its title, first author and year, so it is stable across re-exports.
func ParseRIS(file string, data []byte) ([]Entry, []error) {
	var out []Entry
	var errs []error
	var cur *Entry
	var start int64
	fail := func(line int64, format string, args ...any) {
		errs = append(errs, &corpus.RecordError{
			Pos: corpus.Position{File: file, Line: line}, Err: fmt.Errorf(format, args...)})
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var line int64
	for sc.Scan() {
		line++
		text := strings.TrimRight(strings.TrimPrefix(sc.Text(), "\ufeff"), "\r ")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if len(text) < 5 || text[2:5] != "  -" {
			if cur != nil && cur.Paper.Abstract != "" {
				cur.Paper.Abstract += " " + strings.TrimSpace(text) // wrapped abstract
				continue
			}
			fail(line, "not a RIS tag line: %q", text)
			continue
		}
		tag, val := text[:2], strings.TrimSpace(text[5:])
		if tag == "TY" {
			if cur != nil {
				fail(start, "entry has no ER line")
			}
			cur, start = &Entry{Line: line}, line
			continue
		}
		if cur == nil {
			fail(line, "%s outside an entry (missing TY)", tag)
			continue
		}
		p := &cur.Paper
		switch tag {
		case "TI", "T1":
			p.Title = val
		case "AU", "A1":
			p.Authors = append(p.Authors, risName(val))
		case "PY", "Y1", "DA":
			if p.Year == 0 && len(val) >= 4 {
				n, err := strconv.Atoi(val[:4])
				if err != nil || n < corpus.MinYear || n > corpus.MaxYear {
					fail(line, "%s: %q is not a year", tag, val)
					cur = nil
					continue
				}
				p.Year = n
			}
		case "AB", "N2":
			p.Abstract = val
		case "KW":
			p.Categories = append(p.Categories, val)
		case "DO":
			p.DOI = val
		case "UR":
			p.URL = val
		case "JO", "JF", "T2":
			if p.Venue == "" {
				p.Venue = val
			}
		case "L1":
			path := strings.TrimPrefix(val, "file://")
			if strings.EqualFold(filepath.Ext(path), ".pdf") {
				if !filepath.IsAbs(path) {
					path = filepath.Join(filepath.Dir(file), path)
				}
				cur.Files = append(cur.Files, path)
			}
		case "ER":
			if p.Title == "" {
				fail(start, "title: entry has no TI or T1")
			} else {
				p.ID = p.DOI
				if p.ID == "" {
					h := sha256.Sum256([]byte(strings.ToLower(p.Title) + "\x00" + strings.Join(p.Authors, ";") + "\x00" + strconv.Itoa(p.Year)))
					p.ID = "ris:" + hex.EncodeToString(h[:8])
				}
				out = append(out, *cur)
			}
			cur = nil
		}
	}
	if cur != nil {
		fail(start, "entry has no ER line")
	}
	if err := sc.Err(); err != nil {
		fail(line+1, "%v", err)
	}
	return out, errs
}

// risName turns "Last, First" into "First Last".
func risName(v string) string {
	if i := strings.Index(v, ","); i >= 0 {
		return strings.TrimSpace(strings.TrimSpace(v[i+1:]) + " " + strings.TrimSpace(v[:i]))
	}
	return v
}
