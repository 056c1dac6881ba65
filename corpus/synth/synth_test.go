package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
)

func generateAll(t *testing.T, o Options) []corpus.Paper {
	t.Helper()
	var out []corpus.Paper
	if err := Generate(o, func(p corpus.Paper) error { out = append(out, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeAll(t *testing.T, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSONL(&b, o, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := writeAll(t, Options{Papers: 500, Seed: 42})
	b := writeAll(t, Options{Papers: 500, Seed: 42})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different bytes")
	}
	if c := writeAll(t, Options{Papers: 500, Seed: 43}); bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same bytes")
	}
	// Paper n does not depend on where the run starts: shards join up.
	lines := bytes.SplitAfter(a, []byte("\n"))
	shard := writeAll(t, Options{Papers: 100, Seed: 42, StartID: 400})
	if !bytes.Equal(shard, bytes.Join(lines[400:], nil)) {
		t.Error("papers 400..499 differ when generated as a shard")
	}
}

// TestJSONRoundTrip checks that WriteJSONL's hand-written encoder says what
// Generate made, in JSON encoding/json reads back into a corpus.Paper, and
// that every paper is already clean and valid.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	o := Options{Papers: 300, Seed: 7, StartID: 5}
	papers := generateAll(t, o)
	sc := bufio.NewScanner(bytes.NewReader(writeAll(t, o)))
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var got corpus.Paper
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !reflect.DeepEqual(got, papers[i]) {
			t.Fatalf("line %d decodes to\n%+v\nwant\n%+v", i+1, got, papers[i])
		}
		norm := got
		norm.Authors = slices.Clone(got.Authors)
		norm.Normalize()
		if !reflect.DeepEqual(norm, got) {
			t.Errorf("line %d changes under Normalize: %+v", i+1, norm)
		}
		if err := got.Validate(); err != nil || len(got.Warnings()) > 0 {
			t.Errorf("line %d: %v %v", i+1, err, got.Warnings())
		}
	}
	if i != len(papers) {
		t.Errorf("%d lines, want %d", i, len(papers))
	}
	if papers[0].ID != "synth-0000005" || papers[0].DOI != "10.5555/synth.0000005" || papers[0].Source != "synthetic" {
		t.Errorf("first paper %q %q %q", papers[0].ID, papers[0].DOI, papers[0].Source)
	}
}

// TestMappedFormatReadsJSONL reads the output through corpus's own generic
// JSONL format with its default field map, as `quire ingest` would. That
// map takes Source from the label given, not from the "source" key.
func TestMappedFormatReadsJSONL(t *testing.T) {
	t.Parallel()
	f, err := corpus.NewFormat(corpus.FormatJSONL, nil, Source)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Papers: 50, Seed: 3}
	papers := generateAll(t, o)
	for i, line := range bytes.Split(bytes.TrimSpace(writeAll(t, o)), []byte("\n")) {
		p, err := f.Decode(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		p.Normalize()
		if err := p.Validate(); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := papers[i]
		if p.ID != want.ID || p.Title != want.Title || p.Abstract != want.Abstract || p.Year != want.Year ||
			p.Venue != want.Venue || p.DOI != want.DOI || p.Source != want.Source ||
			!slices.Equal(p.Authors, want.Authors) || !slices.Equal(p.Categories, want.Categories) || !slices.Equal(p.Fields, want.Fields) {
			t.Fatalf("line %d reads back as\n%+v\nwant\n%+v", i+1, p, want)
		}
	}
}

func TestDistributions(t *testing.T) {
	t.Parallel()
	const n = 20000
	papers := generateAll(t, Options{Papers: n, Seed: 1})
	var authors, abstractWords int
	authorCount := map[string]int{}
	venues := map[string]int{}
	years := map[int]int{}
	for _, p := range papers {
		authors += len(p.Authors)
		if len(p.Authors) < 1 || len(p.Authors) > 12 {
			t.Fatalf("%s has %d authors", p.ID, len(p.Authors))
		}
		for _, a := range p.Authors {
			authorCount[a]++
		}
		w := len(strings.Fields(p.Abstract))
		abstractWords += w
		if w < 140 || w > 300 {
			t.Errorf("%s: abstract of %d words", p.ID, w)
		}
		if tw := len(strings.Fields(p.Title)); tw < 8 || tw > 16 {
			t.Errorf("%s: title of %d words: %q", p.ID, tw, p.Title)
		}
		if strings.ContainsAny(p.Title+p.Abstract, "{}") {
			t.Fatalf("%s: unfilled slot in %q / %q", p.ID, p.Title, p.Abstract)
		}
		if p.Year < 1990 || p.Year > 2026 {
			t.Fatalf("%s: year %d", p.ID, p.Year)
		}
		for _, c := range p.Categories {
			if !slices.Contains(p.Fields, fieldOf(c)) {
				t.Fatalf("%s: category %s without its field in %q", p.ID, c, p.Fields)
			}
		}
		venues[p.Venue]++
		years[p.Year]++
	}
	if mean := float64(authors) / n; mean < 3.6 || mean > 4.6 {
		t.Errorf("mean authors %.2f, want about 4", mean)
	}
	if mean := float64(abstractWords) / n; mean < 180 || mean > 230 {
		t.Errorf("mean abstract %.0f words, want about 200", mean)
	}
	// More papers in recent years.
	early, late := years[1990]+years[1991]+years[1992], years[2024]+years[2025]+years[2026]
	if late < 8*early {
		t.Errorf("1990–92 have %d papers, 2024–26 %d: want strong growth", early, late)
	}
	// Venues: most of the ~320 are used, with a Zipf-like head.
	if len(venues) < 250 {
		t.Errorf("%d venues used", len(venues))
	}
	counts := mapValues(venues)
	if top := counts[0]; top < 20*counts[len(counts)/2] {
		t.Errorf("venue popularity too flat: top %d, median %d", top, counts[len(counts)/2])
	}
	// Authors: a productive head and a long tail of one-paper authors.
	ac := mapValues(authorCount)
	if ac[0] < 20 || ac[len(ac)-1] != 1 || len(ac) < 20000 {
		t.Errorf("authors: %d distinct, most prolific %d, least %d", len(ac), ac[0], ac[len(ac)-1])
	}
}

// mapValues returns the counts in decreasing order.
func mapValues(m map[string]int) []int {
	out := make([]int, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

func TestTermSkew(t *testing.T) {
	t.Parallel()
	df := map[string]int{}
	papers := generateAll(t, Options{Papers: 5000, Seed: 9})
	for _, p := range papers {
		seen := map[string]bool{}
		for _, w := range strings.Fields(strings.ToLower(p.Abstract)) {
			w = strings.Trim(w, ".,:?")
			if !seen[w] {
				seen[w] = true
				df[w]++
			}
		}
	}
	counts := mapValues(df)
	// Heavy head, long tail: a few terms in most abstracts, most terms in
	// very few, as in real text.
	rare := 0
	for _, c := range counts {
		if c <= 5 {
			rare++
		}
	}
	if len(counts) < 5000 || counts[0] < 4000 || float64(rare) < 0.4*float64(len(counts)) {
		t.Errorf("vocabulary %d terms, top df %d, %d with df <= 5", len(counts), counts[0], rare)
	}
}

func TestYieldErrorStops(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	n := 0
	err := Generate(Options{Papers: 10}, func(corpus.Paper) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("err %v after %d papers", err, n)
	}
	if err := Generate(Options{Papers: -1}, nil); err == nil {
		t.Error("negative Papers accepted")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestWriteJSONLProgressAndErrors(t *testing.T) {
	t.Parallel()
	var seen []int
	if err := WriteJSONL(io.Discard, Options{Papers: 10000}, func(done int) { seen = append(seen, done) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []int{4096, 8192, 10000}) {
		t.Errorf("progress %v", seen)
	}
	if err := WriteJSONL(failWriter{}, Options{Papers: 10000}, nil); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("write error lost: %v", err)
	}
}

func TestAppendString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", `q"uote\`, "tab\tnl\nctl\x01", "Müller Ørsted 数据", "bad\xffbyte"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want, _ := json.Marshal(s)
		var w string
		json.Unmarshal(want, &w)
		if got != w {
			t.Errorf("%q round-trips to %q, encoding/json gives %q", s, got, w)
		}
	}
}

func TestAliasMatchesWeights(t *testing.T) {
	t.Parallel()
	w := []float64{5, 1, 0, 3, 1}
	a := newAlias(w)
	g := newGenerator(1)
	counts := make([]int, len(w))
	const n = 200000
	for range n {
		counts[a.sample(g.pcg)]++
	}
	for i, c := range counts {
		want := w[i] / 10 * n
		if math.Abs(float64(c)-want) > 0.02*n {
			t.Errorf("index %d drawn %d times, want about %.0f", i, c, want)
		}
	}
}

func BenchmarkWriteJSONL(b *testing.B) {
	const papers = 20000
	var size int64
	for b.Loop() {
		cw := &countWriter{}
		if err := WriteJSONL(cw, Options{Papers: papers, Seed: 1}, nil); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(papers*b.N)/b.Elapsed().Seconds(), "papers/s")
	b.ReportMetric(float64(size)/papers, "bytes/paper")
}

func BenchmarkGenerate(b *testing.B) {
	const papers = 20000
	for b.Loop() {
		if err := Generate(Options{Papers: papers, Seed: 1}, func(corpus.Paper) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(papers*b.N)/b.Elapsed().Seconds(), "papers/s")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// Full text adds a body and changes nothing else; the body has the
// numbered sections the chunker finds, paragraphs, and about as many
// passages as a real paper.
func TestFullText(t *testing.T) {
	t.Parallel()
	plain := generateAll(t, Options{Papers: 60, Seed: 3})
	full := generateAll(t, Options{Papers: 60, Seed: 3, FullText: true})
	again := writeAll(t, Options{Papers: 60, Seed: 3, FullText: true})
	if !bytes.Equal(again, writeAll(t, Options{Papers: 60, Seed: 3, FullText: true})) {
		t.Fatal("full text is not deterministic")
	}
	var words, passages int
	for i := range full {
		p := full[i]
		if p.FullText == "" {
			t.Fatalf("%s: no full text", p.ID)
		}
		body := p.FullText
		p.FullText = ""
		if !reflect.DeepEqual(p, plain[i]) {
			t.Fatalf("%s: full text changed the rest of the paper", p.ID)
		}
		p.FullText = body
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		words += len(strings.Fields(body))
		chunks := corpus.ChunkPaper(&p, corpus.ChunkOptions{})
		passages += len(chunks)
		sections := map[string]bool{}
		for _, c := range chunks {
			sections[c.Section] = true
		}
		if len(sections) < 7 || len(sections) > 11 {
			t.Errorf("%s: the chunker found %d sections, want 7–10 (%v)", p.ID, len(sections), sections)
		}
		if !sections["1 Introduction"] || !strings.Contains(body, " Conclusion\n\n") {
			t.Errorf("%s: no Introduction first and Conclusion last: %v", p.ID, sections)
		}
		if n := strings.Count(body, "\n\n"); n < 7*5 {
			t.Errorf("%s: %d blank lines, want a section heading and 4–8 paragraphs a section", p.ID, n)
		}
	}
	if avg := words / len(full); avg < 3500 || avg > 7000 {
		t.Errorf("mean body %d words, want about 5,000", avg)
	}
	if avg := float64(passages) / float64(len(full)); avg < 20 || avg > 45 {
		t.Errorf("mean %.1f passages a paper, want 20–45", avg)
	}
	t.Logf("mean %d words and %.1f passages a paper", words/len(full), float64(passages)/float64(len(full)))
}
