package corpus

import (
	"context"
	"fmt"
	"iter"
	"os"
)

// JSONLFiles is a source over local JSONL files (plain or gzip), read in the
// order given, one unit per file.
type JSONLFiles struct {
	Label  string // shown as Name; defaults to the first path
	Paths  []string
	Decode LineDecoder
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
			f, err := os.Open(path)
			if err != nil {
				// An unreadable file is reported like a bad record so the
				// other files still get read.
				if !yield(Record{}, &RecordError{Pos: Position{File: path}, Cursor: Cursor{Unit: unit}, Err: err}) {
					return
				}
				continue
			}
			n, ok := scanJSONL(ctx, f, unitScan{name: path, unit: unit, from: from, base: base, dec: s.Decode, yield: yield})
			f.Close()
			if !ok {
				return
			}
			base += n
		}
	}
}
