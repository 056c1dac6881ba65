package embedded

import (
	"encoding/json"
	"strconv"
)

// decodeChunkRefs reads a record's stored passage bounds. Rescoring reads
// them for every hit it rescores, and encoding/json took a fifth of a
// sentence's search at 100,000 full texts; the stored form is always the
// flat one json.Marshal wrote (mapping.go), which this reads directly.
// Anything else (an escaped section title, say) goes to encoding/json.
func decodeChunkRefs(b []byte) ([]chunkRef, error) {
	if refs, ok := scanChunkRefs(b); ok {
		return refs, nil
	}
	refs := []chunkRef{}
	err := json.Unmarshal(b, &refs)
	return refs, err
}

// scanChunkRefs parses [{"i":0,"s":"Intro","a":0,"b":812,"t":130},…]
// with plain strings and non-negative integers; ok is false for any
// other input.
func scanChunkRefs(b []byte) (refs []chunkRef, ok bool) {
	i := 0
	next := func(c byte) bool {
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	if !next('[') {
		return nil, false
	}
	refs = []chunkRef{}
	if next(']') {
		return refs, i == len(b)
	}
	for {
		if !next('{') {
			return nil, false
		}
		var r chunkRef
		for {
			if !next('"') || i+2 >= len(b) || b[i+1] != '"' || b[i+2] != ':' {
				return nil, false
			}
			key := b[i]
			i += 3
			if key == 's' {
				if !next('"') {
					return nil, false
				}
				j := i
				for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
					j++
				}
				if j == len(b) || b[j] != '"' {
					return nil, false
				}
				r.Section = string(b[i:j])
				i = j + 1
			} else {
				j := i
				for j < len(b) && b[j] >= '0' && b[j] <= '9' {
					j++
				}
				n, err := strconv.Atoi(string(b[i:j]))
				if err != nil {
					return nil, false
				}
				i = j
				switch key {
				case 'i':
					r.Index = n
				case 'a':
					r.Start = n
				case 'b':
					r.End = n
				case 't':
					r.Tokens = n
				case 'p':
					r.Page = n
				case 'q':
					r.PageEnd = n
				default:
					return nil, false
				}
			}
			if next('}') {
				break
			}
			if !next(',') {
				return nil, false
			}
		}
		refs = append(refs, r)
		if next(']') {
			return refs, i == len(b)
		}
		if !next(',') {
			return nil, false
		}
	}
}
