package corpus

import (
	"strings"
	"testing"
	"unicode"
)

const chunkTestText = `# Sparse Retrieval for Scientific Claims

We study retrieval of evidence for scientific claims. Claims are short and abstracts are long, which makes lexical matching brittle.

## 1 Introduction

Fact checking needs evidence. Prior work uses dense retrieval, e.g. DPR, but sparse models remain strong baselines on SciFact. We revisit BM25 with careful tokenisation and show it is competitive.

### 1.1 Background

BM25 scores documents by term frequency and inverse document frequency. Its parameters k1 and b control saturation and length normalisation.

2 Methods

We index titles and abstracts. Queries are claims. We tune k1 in [0.5, 1.5] and b in [0.3, 0.9] on the training split.

RESULTS

BM25 reaches nDCG@10 of 0.678 on the dev half. Dense retrieval is not better on this collection.`

// checkChunks asserts the invariants every chunking must keep: chunks in
// order, Text is the exact slice, everything between and around chunks is
// white space, and no chunk exceeds MaxTokens unless it is a single word.
func checkChunks(t *testing.T, p *Paper, o ChunkOptions, chunks []Chunk) {
	t.Helper()
	r := o.resolved()
	text := p.FullText
	prevStart, covered := -1, 0
	for i, c := range chunks {
		if c.Index != i || c.PaperID != p.ID {
			t.Fatalf("chunk %d: index %d, paper %q", i, c.Index, c.PaperID)
		}
		if c.Start < 0 || c.End > len(text) || c.Start >= c.End {
			t.Fatalf("chunk %d: offsets [%d,%d) outside text of %d bytes", i, c.Start, c.End, len(text))
		}
		if c.Text != text[c.Start:c.End] {
			t.Fatalf("chunk %d: Text is not FullText[%d:%d]", i, c.Start, c.End)
		}
		if c.Start <= prevStart {
			t.Fatalf("chunk %d starts at %d, not after the previous start %d", i, c.Start, prevStart)
		}
		if c.Start > covered && strings.TrimSpace(text[covered:c.Start]) != "" {
			t.Fatalf("chunk %d: text %q before it is in no chunk", i, text[covered:c.Start])
		}
		if c.Tokens != CountTokens(c.Text) {
			t.Fatalf("chunk %d: Tokens %d, CountTokens %d", i, c.Tokens, CountTokens(c.Text))
		}
		if c.Tokens > r.MaxTokens && strings.IndexFunc(c.Text, unicode.IsSpace) >= 0 {
			t.Fatalf("chunk %d: %d tokens > max %d and more than one word: %q", i, c.Tokens, r.MaxTokens, c.Text)
		}
		prevStart, covered = c.Start, max(covered, c.End)
	}
	if strings.TrimSpace(text[covered:]) != "" {
		t.Fatalf("text after the last chunk is in no chunk: %q", clip(text[covered:], 80))
	}
}

func TestChunkSections(t *testing.T) {
	t.Parallel()
	p := &Paper{ID: "p", FullText: chunkTestText}
	o := ChunkOptions{MaxTokens: 64, MinTokens: 8}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	var got []string
	for _, c := range chunks {
		got = append(got, c.Section)
	}
	// "1 Introduction" has text of its own; "2 Methods" and "RESULTS" are
	// plain-text headings.
	want := []string{"Sparse Retrieval for Scientific Claims", "1 Introduction", "1.1 Background", "2 Methods", "RESULTS"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sections %q, want %q", got, want)
	}
	if !strings.HasPrefix(chunks[2].Text, "### 1.1 Background") {
		t.Errorf("a section's first chunk should start with its heading: %q", chunks[2].Text)
	}
}

func TestChunkHeadingOnlyParent(t *testing.T) {
	t.Parallel()
	text := "1 Introduction\n\n1.1 Background\n\n" + strings.Repeat("Some background text here. ", 10) + "\n\n2 Methods\n\n" + strings.Repeat("We did things. ", 10)
	p := &Paper{ID: "p", FullText: text}
	o := ChunkOptions{MaxTokens: 100, MinTokens: 4}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	if len(chunks) != 2 || chunks[0].Section != "1.1 Background" || chunks[0].Start != 0 || chunks[1].Section != "2 Methods" {
		t.Fatalf("got %+v", chunks)
	}
}

func TestChunkSmallSectionsMerge(t *testing.T) {
	t.Parallel()
	text := "Introduction\n\n" + strings.Repeat("A long enough introduction sentence goes here. ", 6) + "\n\nAcknowledgments\n\nWe thank the reviewers."
	p := &Paper{ID: "p", FullText: text}
	o := ChunkOptions{MaxTokens: 200, MinTokens: 16}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	if len(chunks) != 1 || chunks[0].Section != "Introduction" {
		t.Fatalf("a tiny last section should join the one before: %+v", chunks)
	}
}

func TestChunkWindowOverlapAndSentences(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 40 {
		b.WriteString("Sentence number ")
		b.WriteString(strings.Repeat("x", i%5+1))
		b.WriteString(" has a handful of plain words in it. ")
	}
	p := &Paper{ID: "w", FullText: strings.TrimSpace(b.String())}
	o := ChunkOptions{Strategy: ChunkWindow, MaxTokens: 50, OverlapTokens: 10, MinTokens: 10}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	if len(chunks) < 5 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	for i, c := range chunks[:len(chunks)-1] {
		if !strings.HasSuffix(c.Text, ".") {
			t.Errorf("chunk %d does not end at a sentence: %q", i, c.Text)
		}
		next := chunks[i+1]
		if next.Start >= c.End {
			t.Errorf("chunk %d has no overlap with the next", i)
		} else if ov := CountTokens(p.FullText[next.Start:c.End]); ov > 10 {
			t.Errorf("chunk %d: overlap of %d tokens > 10", i, ov)
		}
	}
}

func TestChunkWindowNoOverlap(t *testing.T) {
	t.Parallel()
	p := &Paper{ID: "w", FullText: strings.Repeat("word ", 500)}
	o := ChunkOptions{Strategy: ChunkWindow, MaxTokens: 100, OverlapTokens: -1, MinTokens: -1}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	if len(chunks) != 5 {
		t.Fatalf("%d chunks, want 5", len(chunks))
	}
	for i := 1; i < len(chunks); i++ {
		if chunks[i].Start < chunks[i-1].End {
			t.Errorf("chunks %d and %d overlap with overlap disabled", i-1, i)
		}
	}
}

func TestChunkTail(t *testing.T) {
	t.Parallel()
	// 105 words at MaxTokens 50 leaves a 5-word tail: it reaches back for
	// context until it has MinTokens instead of standing alone.
	p := &Paper{ID: "w", FullText: strings.Repeat("word ", 105)}
	o := ChunkOptions{Strategy: ChunkWindow, MaxTokens: 50, OverlapTokens: -1, MinTokens: 20}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	if last := chunks[len(chunks)-1]; len(chunks) != 3 || last.Tokens != 20 {
		t.Errorf("%d chunks, the last of %d tokens; want 3, the last of 20", len(chunks), last.Tokens)
	}
}

func TestChunkParagraphs(t *testing.T) {
	t.Parallel()
	text := "First paragraph has some words in it for sure.\n\nSecond paragraph, also with words in it.\n\nTiny.\n\nFourth paragraph is the last one here."
	p := &Paper{ID: "p", FullText: text}
	o := ChunkOptions{Strategy: ChunkParagraph, MaxTokens: 100, MinTokens: 3}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	if len(chunks) != 3 || !strings.HasSuffix(chunks[1].Text, "Tiny.") {
		t.Fatalf("want 3 chunks with the tiny paragraph merged back, got %+v", chunks)
	}
}

func TestChunkLongWord(t *testing.T) {
	t.Parallel()
	blob := strings.Repeat("a.", 100) // 200 tokens, no space
	p := &Paper{ID: "p", FullText: "Before it. " + blob + " After it."}
	o := ChunkOptions{MaxTokens: 50, MinTokens: -1}
	chunks := ChunkPaper(p, o)
	checkChunks(t, p, o, chunks)
	found := false
	for _, c := range chunks {
		found = found || c.Text == blob
	}
	if !found {
		t.Errorf("an over-long word should be a chunk of its own: %+v", chunks)
	}
}

func TestChunkAbstractOnly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		p     Paper
		want  string
		start int
		n     int
	}{
		{"title and abstract", Paper{ID: "a", Title: "A Title", Abstract: "The abstract."}, "A Title\n\nThe abstract.", 0, 1},
		{"untrimmed abstract", Paper{ID: "a", Abstract: "  Spaced. "}, "Spaced.", 2, 1},
		{"title only", Paper{ID: "a", Title: "Only"}, "Only", 0, 1},
		{"nothing", Paper{ID: "a", FullText: " \n\t "}, "", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chunks := ChunkPaper(&tc.p, ChunkOptions{})
			if len(chunks) != tc.n {
				t.Fatalf("%d chunks, want %d", len(chunks), tc.n)
			}
			if tc.n == 0 {
				return
			}
			c := chunks[0]
			if c.Text != tc.want || c.Section != "abstract" || c.Start != tc.start || tc.p.Abstract[c.Start:c.End] != strings.TrimSpace(tc.p.Abstract) {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestChunkOptionsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		o       ChunkOptions
		wantErr string
	}{
		{ChunkOptions{}, ""},
		{ChunkOptions{Strategy: "window", MaxTokens: 512, OverlapTokens: 64}, ""},
		{ChunkOptions{MaxTokens: 16}, ""}, // defaults shrink to fit
		{ChunkOptions{OverlapTokens: -1, MinTokens: -1}, ""},
		{ChunkOptions{Strategy: "sentences"}, "strategy"},
		{ChunkOptions{MaxTokens: -5}, "max tokens"},
		{ChunkOptions{MaxTokens: 64, OverlapTokens: 64}, "overlap"},
		{ChunkOptions{MaxTokens: 64, MinTokens: 65}, "min tokens"},
	}
	for _, tc := range cases {
		err := tc.o.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tc.o, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: error %v, want one about %s", tc.o, err, tc.wantErr)
		}
	}
}

func TestCountTokens(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"   \n\t", 0},
		{"hello world", 2},
		{"state-of-the-art", 7},
		{"nDCG@10 = 0.678.", 8},
		{"naïve café", 2},
		{"深度学习", 4},
		{"e.g.", 4},
		{"\xff\xfe", 2},
	}
	for _, tc := range cases {
		if got := CountTokens(tc.s); got != tc.want {
			t.Errorf("CountTokens(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestHeadingOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line      string
		prevBreak bool
		prevLine  string
		want      string
	}{
		{"## 2.1 Data", false, "text without end", "2.1 Data"},
		{"# Title #", true, "", "Title"},
		{"#hashtag", true, "", ""},
		{"2 Methods", true, "", "2 Methods"},
		{"2.1. Data collection", false, "End of a sentence.", "2.1. Data collection"},
		{"IV. RESULTS", true, "", "IV. RESULTS"},
		{"MATERIALS AND METHODS", true, "", "MATERIALS AND METHODS"},
		{"Introduction", true, "", "Introduction"},
		{"Conclusions:", true, "", "Conclusions:"},
		// Hard-wrapped prose: mid-sentence, so not a heading.
		{"3 Gy were delivered to the", false, "patients received", ""},
		{"2 patients were excluded.", true, "", ""},
		{"2019 Results", true, "", ""},
		{"E = MC2", true, "", ""},
		{"I think so", true, "", ""},
		{"NASA", false, "the agency called", ""},
	}
	for _, tc := range cases {
		got, ok := headingOf(tc.line, tc.prevBreak, tc.prevLine, false)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("headingOf(%q) = %q, %v; want %q", tc.line, got, ok, tc.want)
		}
	}
}

// In a text whose headings are marked ("## "), as a PDF's extracted text
// is, short paragraphs of a figure's labels, a table's header or R output
// start no section; a numbered heading the layout missed still does.
// From the shared vignettes' text (survival, vegan, zoo, psych).
func TestHeadingOfMarked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ line, want string }{
		{"0.6 Survival 0.4", ""},
		{"80 Frequency 0.6 60 Survival 0.4 40", ""},
		{"20 Turkey", ""},
		{"1 P M T", ""},
		{"1 KalmanR <- function ( pos ) {", ""},
		{"CCA1 CCA2 CCA3 CCA4", ""},
		{"FALSE FALSE FALSE", ""},
		{"3.4.2 Density or violin plots", "3.4.2 Density or violin plots"},
		{"0.1 Jump starting the psych package", "0.1 Jump starting the psych package"},
		{"10. Conclusion", "10. Conclusion"},
		{"2.3 GGW", "2.3 GGW"},
		{"Introduction", "Introduction"},
	} {
		got, ok := headingOf(c.line, true, "", true)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("headingOf(%q, marked) = %q, %v; want %q", c.line, got, ok, c.want)
		}
		// Unmarked text (a .txt paper) keeps reading caps and numbered
		// lines as headings.
		if _, ok := headingOf(c.line, true, "", false); !ok && (c.line == "20 Turkey" || c.line == "FALSE FALSE FALSE") {
			t.Errorf("headingOf(%q, unmarked) is no heading", c.line)
		}
	}
	text := "## 2 Results\n\nThe curves below show it.\n\n0.6 Survival 0.4\n\n0.0\n\nFigure 2: Survival curves by group, which differ."
	for _, ch := range ChunkPaper(&Paper{FullText: text}, ChunkOptions{}) {
		if ch.Section != "2 Results" {
			t.Errorf("passage %q in section %q, want 2 Results", ch.Text, ch.Section)
		}
	}
}
