package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// addFixtureLines seeds a fuzzer with every line of the named fixtures.
func addFixtureLines(f *testing.F, names ...string) {
	for _, name := range names {
		data, err := os.ReadFile(corpusFixture(name))
		if err != nil {
			f.Fatal(err)
		}
		for line := range bytes.Lines(data) {
			f.Add(bytes.TrimSpace(line))
		}
	}
	for _, s := range []string{``, `{}`, `null`, `[]`, `"x"`, `{"id":null}`, `{"id":1e400}`, "{\"id\":\"\xff\"}",
		`{"title":{"title":{"title":[[[]]]}}}`, `{"year":-0.0}`, `{"year":99999999999999999999}`} {
		f.Add([]byte(s))
	}
}

// fuzzDecoder checks a decoder never panics, returns either a paper or an
// error, and that whatever it returns survives Normalize and Validate.
func fuzzDecoder(t *testing.T, dec LineDecoder, line []byte) {
	p, err := dec(line)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		var fe *FieldError
		if errors.As(err, &fe) && fe.Field == "" {
			t.Fatalf("FieldError without a field: %v", err)
		}
		return
	}
	p.Normalize()
	_ = p.Validate()
	_ = p.Warnings()
	ChunkPaper(&p, ChunkOptions{})
}

func FuzzBEIRDecoder(f *testing.F) {
	addFixtureLines(f, "beir/corpus.jsonl")
	dec := BEIRDecoder("fuzz")
	f.Fuzz(func(t *testing.T, line []byte) { fuzzDecoder(t, dec, line) })
}

func FuzzArxivDecoder(f *testing.F) {
	addFixtureLines(f, "arxiv-snapshot.jsonl")
	f.Add([]byte(`{"id":"math/0701123","versions":[{"version":"v1","created":"garbage"}],"update_date":"99"}`))
	dec := ArxivDecoder("")
	f.Fuzz(func(t *testing.T, line []byte) { fuzzDecoder(t, dec, line) })
}

func FuzzOpenAlexDecoder(f *testing.F) {
	addFixtureLines(f, "openalex.jsonl")
	f.Add([]byte(`{"id":"W1","abstract_inverted_index":{"a":[2147483647,-5],"b":[0,0]}}`))
	dec := OpenAlexDecoder("")
	f.Fuzz(func(t *testing.T, line []byte) { fuzzDecoder(t, dec, line) })
}

// FuzzMappedDecoder also checks the JSON walkers against encoding/json:
// for any valid object they must see the same members and string values.
func FuzzMappedDecoder(f *testing.F) {
	addFixtureLines(f, "mapped.jsonl", "arxiv-snapshot.jsonl", "openalex.jsonl")
	fm, err := ParseFieldMap("venue=journal.name,authors=authorships.author.display_name,title=titles.0")
	if err != nil {
		f.Fatal(err)
	}
	defaults, custom := mustMappedF(f, nil), mustMappedF(f, fm)
	f.Fuzz(func(t *testing.T, line []byte) {
		fuzzDecoder(t, defaults, line)
		fuzzDecoder(t, custom, line)
		checkWalkers(t, line)
	})
}

func mustMappedF(f *testing.F, fm FieldMap) LineDecoder {
	dec, err := MappedDecoder(fm, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	return dec
}

func checkWalkers(t *testing.T, line []byte) {
	var want map[string]json.RawMessage
	if json.Unmarshal(line, &want) != nil || want == nil {
		return
	}
	got := map[string]json.RawMessage{}
	eachMember(line, func(k, v []byte) bool {
		got[string(k)] = v
		return true
	})
	if len(got) != len(want) {
		t.Fatalf("walker saw %d members, encoding/json %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || !bytes.Equal(bytes.TrimSpace(g), bytes.TrimSpace(w)) {
			t.Fatalf("member %q: walker %q, encoding/json %q", k, g, w)
		}
		var ws string
		if json.Unmarshal(w, &ws) == nil {
			if gs, _ := rawString(g); gs != ws {
				t.Fatalf("member %q: unquote %q, encoding/json %q", k, gs, ws)
			}
		}
		var wl []json.RawMessage
		if json.Unmarshal(w, &wl) == nil {
			var gl []json.RawMessage
			eachElement(g, func(v []byte) bool { gl = append(gl, v); return true })
			if len(gl) != len(wl) {
				t.Fatalf("member %q: walker sees %d elements, encoding/json %d", k, len(gl), len(wl))
			}
		}
	}
}

// fuzzScanMaxInput bounds FuzzScanJSONL's inputs. The fuzzer minimises
// every new interesting input with a search quadratic in its length: with
// whole fixture files (3-7 KB) as seeds it spent its budget minimising one
// input (9 executions in 60 s). Small seeds and this cap keep it at
// thousands of executions a second. Gzip input still inflates to long
// lines, and a quarter of the inputs (by length) get a tiny line limit so
// the over-long line path is fuzzed too.
const fuzzScanMaxInput = 1 << 10

// fuzzScanMaxInflated bounds what a gzip input may inflate to: deflate
// turns 1 KB into up to 1 MB, and minimising such an input costs
// milliseconds per try, which stalls the fuzzer for its whole budget.
const fuzzScanMaxInflated = 64 << 10

// inflatesPast reports whether data is gzip inflating to more than n bytes.
func inflatesPast(data []byte, n int64) bool {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return false
	}
	got, _ := io.CopyN(io.Discard, zr, n+1)
	return got > n
}

// scanSeeds are small inputs for the line reader: single records, a few
// lines together, each also gzipped, and a gzip stream of two members.
func scanSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range []string{"mapped.jsonl", "arxiv-snapshot.jsonl"} {
		data, err := os.ReadFile(corpusFixture(name))
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitAfter(data, []byte("\n"))
		few := bytes.Join(lines[:min(3, len(lines))], nil)
		for _, in := range [][]byte{lines[0], few} {
			if len(in) > fuzzScanMaxInput/2 {
				in = in[:fuzzScanMaxInput/2]
			}
			out = append(out, in, gzipBytes(f, in), gzipBytes(f, in)[:20])
		}
	}
	two := append(gzipBytes(f, []byte(`{"id":"a","title":"A"}`+"\n")), gzipBytes(f, []byte(`{"id":"b","title":"B"}`+"\n"))...)
	out = append(out, two)
	out = append(out, []byte("{\"id\":\"a\",\"title\":\"x\"}\r\n\n\xff\xfe\n{"), []byte{0x1f, 0x8b})
	return out
}

// FuzzScanJSONL feeds arbitrary bytes (plain or gzip) through the line
// reader: it must never panic, and every error must be a *RecordError.
func FuzzScanJSONL(f *testing.F) {
	for _, in := range scanSeeds(f) {
		f.Add(in)
	}
	dec := mustMappedF(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		var lastLine int64
		yield := func(r Record, err error) bool {
			if err != nil {
				var re *RecordError
				if !errors.As(err, &re) {
					t.Fatalf("error %T is not a *RecordError: %v", err, err)
				}
				if !strings.HasPrefix(re.Error(), "fuzz.jsonl") {
					t.Fatalf("error %q does not name the file", re)
				}
				return true
			}
			if r.Pos.Line <= lastLine {
				t.Fatalf("line %d after line %d", r.Pos.Line, lastLine)
			}
			lastLine = r.Pos.Line
			if err := r.Paper.Validate(); err != nil {
				t.Fatalf("yielded an invalid paper: %v", err)
			}
			return true
		}
		if len(data) > fuzzScanMaxInput || inflatesPast(data, fuzzScanMaxInflated) {
			return
		}
		var lim Limits
		if len(data)%4 == 3 {
			lim.MaxLineBytes = 64
		}
		scanJSONL(context.Background(), bytes.NewReader(data), unitScan{name: "fuzz.jsonl", dec: dec, yield: yield, lim: lim})
	})
}

// FuzzChunkPaper checks the chunk invariants (see checkChunks) for any
// text and any options, including invalid ones, which are clamped.
func FuzzChunkPaper(f *testing.F) {
	f.Add(chunkTestText, uint8(0), int16(64), int16(8), int16(8))
	f.Add(chunkTestText, uint8(1), int16(0), int16(0), int16(0))
	f.Add(chunkTestText, uint8(2), int16(20), int16(19), int16(20))
	f.Add("# A\n\n# B\n\n# C", uint8(0), int16(1), int16(-1), int16(1))
	f.Add(strings.Repeat("x ", 300)+strings.Repeat("y", 500), uint8(2), int16(16), int16(4), int16(4))
	f.Add("Ünïcödé  \u00a0 text\u2028with\u0085odd spaces.\n\n2 Méthodes\n\n深度学习很好。", uint8(0), int16(3), int16(1), int16(1))
	f.Add("\xff\xfe bad \xc3 utf8", uint8(1), int16(2), int16(-5), int16(-5))
	f.Fuzz(func(t *testing.T, text string, strategy uint8, maxTok, overlap, minTok int16) {
		o := ChunkOptions{
			Strategy:      []string{"", ChunkSection, ChunkParagraph, ChunkWindow, "bogus"}[int(strategy)%5],
			MaxTokens:     int(maxTok),
			OverlapTokens: int(overlap),
			MinTokens:     int(minTok),
		}
		p := &Paper{ID: "f", FullText: text, Title: "T", Abstract: "A"}
		chunks := ChunkPaper(p, o)
		if strings.TrimSpace(text) == "" {
			if len(chunks) != 1 || chunks[0].Section != "abstract" {
				t.Fatalf("no full text: want the abstract chunk, got %+v", chunks)
			}
			return
		}
		checkChunks(t, p, o, chunks)
		_ = o.Validate()
	})
}
