package pdf

import (
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
)

// R output printed by knitr opens with "##": such a paragraph is text, not
// a section heading, so the extractor escapes it as Markdown does and the
// chunker does not cut a section at it.
func TestHashParagraphIsNotAHeading(t *testing.T) {
	body := []string{
		"We fit the model to the simulated data and print the first",
		"coefficient of the fitted object, which is close to the value",
		"that was used to simulate the data in the first place.",
		"",
		"## [1] 0.5012 0.2498",
		"",
		"The estimate agrees with the truth to two decimal places, as the",
		"standard error of the estimate would lead one to expect here.",
	}
	var spans []span
	y := 700.0
	for _, s := range body {
		if s == "" {
			y -= 10
			continue
		}
		spans = append(spans, span{text: s, x0: 72, x1: 72 + 5*float64(len(s)), bottom: y, top: y + 10, size: 10})
		y -= 12
	}
	p, _ := assemble([]page{{width: 612, height: 792, spans: spans}}, info{})
	if !strings.Contains(p.FullText, `\## [1] 0.5012`) {
		t.Errorf("full text %q: want the R output escaped", p.FullText)
	}
	for _, c := range corpus.ChunkPaper(&p, corpus.ChunkOptions{}) {
		if strings.Contains(c.Section, "0.5012") {
			t.Errorf("section %q made of R output", c.Section)
		}
	}
}

// A face is bold by its name; PDFium's weight counts only without one
// (it puts regular text faces at 625–744).
func TestBoldFont(t *testing.T) {
	for _, c := range []struct {
		name   string
		weight int
		want   bool
	}{
		{"LMRoman10-Regular", 744, false},
		{"CMR10", 744, false},
		{"CharterBT-Roman", 635, false},
		{"LMRoman12-Bold", 680, true},
		{"ABCDEF+CMBX12", 400, true},
		{"SFBX1440", 665, true},
		{"NimbusSanL-Bold", 695, true},
		{"ptmb8r", 0, true},
		{"ptmr8r", 0, false},
		{"", 700, true},
		{"", 600, false},
	} {
		if got := boldFont(c.name, c.weight); got != c.want {
			t.Errorf("boldFont(%q, %d) = %v, want %v", c.name, c.weight, got, c.want)
		}
	}
}

// When most of the body is bold, bold marks no heading: short lines of a
// paragraph stay in it; a larger numbered heading is still one.
func TestBoldBodyHasNoBoldHeadings(t *testing.T) {
	lines := []struct {
		s    string
		size float64
	}{
		{"2 Methods", 14},
		{"We fit the model to the simulated data and print the first", 10},
		{"coefficient of the fitted object", 10},
		{"", 0},
		{"Then a second paragraph follows here, long enough to be body", 10},
		{"text of the paper, as these lines are", 10},
	}
	var spans []span
	y := 700.0
	for _, l := range lines {
		if l.s == "" {
			y -= 10
			continue
		}
		spans = append(spans, span{text: l.s, x0: 72, x1: 72 + 5*float64(len(l.s)), bottom: y, top: y + l.size, size: l.size, bold: true})
		y -= l.size + 2
	}
	p, _ := assemble([]page{{width: 612, height: 792, spans: spans}}, info{})
	var heads []string
	for _, l := range strings.Split(p.FullText, "\n") {
		if strings.HasPrefix(l, "## ") {
			heads = append(heads, l)
		}
	}
	if len(heads) != 1 || heads[0] != "## 2 Methods" {
		t.Errorf("headings %q in %q, want only the numbered one", heads, p.FullText)
	}
}

// A sentence running over a page break stays in one paragraph, and the
// second page starts where its first line landed; a page whose last
// paragraph ended a sentence starts a new one.
func TestParagraphAcrossPages(t *testing.T) {
	pg := func(lines ...string) page {
		var spans []span
		y := 700.0
		for _, s := range lines {
			spans = append(spans, span{text: s, x0: 72, x1: 72 + 5*float64(len(s)), bottom: y, top: y + 10, size: 10})
			y -= 12
		}
		return page{width: 612, height: 792, spans: spans}
	}
	p, _ := assemble([]page{
		pg("The promoter data set has 106 observations of gene sequences.", "Promoters have a region where"),
		pg("a protein must make contact with the helical sequence.", "Then the spirals data set follows here."),
		pg("New paragraphs start on this page after a full stop."),
	}, info{})
	if !strings.Contains(p.FullText, "Promoters have a region where a protein must make contact") {
		t.Errorf("full text %q: want the sentence whole across the page break", p.FullText)
	}
	if len(p.Pages) != 3 || !strings.HasPrefix(p.FullText[p.Pages[1]:], "a protein") || !strings.HasPrefix(p.FullText[p.Pages[2]:], "New paragraphs") {
		t.Fatalf("pages %v of %q: want page 2 at %q and page 3 at %q", p.Pages, p.FullText, "a protein", "New paragraphs")
	}
	if !strings.Contains(p.FullText, "follows here.\n\nNew paragraphs") {
		t.Errorf("full text %q: want a new paragraph after a full stop", p.FullText)
	}
}

// typeset lays lines out down one page at 72pt from the left: a blank
// text leaves a paragraph's gap.
type typeLine struct {
	s          string
	size       float64
	bold, mono bool
}

func typeset(ls []typeLine) []page {
	var spans []span
	y := 700.0
	for _, l := range ls {
		if l.s == "" {
			y -= 10
			continue
		}
		spans = append(spans, span{text: l.s, x0: 72, x1: 72 + 0.5*l.size*float64(len(l.s)), bottom: y, top: y + l.size,
			size: l.size, bold: l.bold, mono: l.mono})
		y -= l.size + 2
	}
	return []page{{width: 612, height: 792, spans: spans}}
}

func headings(text string) []string {
	var heads []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "## ") {
			heads = append(heads, strings.TrimPrefix(l, "## "))
		}
	}
	return heads
}

const bodyLine = "The estimate agrees with the truth to two decimal places, as the"

// A heading set over several lines (an FAQ's question) is one heading,
// even when its first line is too long to read as a heading alone and
// its last ends with a full stop; a numbered heading below it is its own.
func TestHeadingOverLines(t *testing.T) {
	p, _ := assemble(typeset([]typeLine{
		{bodyLine, 10, false, false},
		{"standard error of the estimate would lead one to expect here.", 10, false, false},
		{"", 0, false, false},
		{"I am using apply to run a custom function on my xts object and so on. Why", 10, true, false},
		{"does the returned matrix have different dimen-", 10, true, false},
		{"sions than the original one? And what can I do.", 10, true, false},
		{"", 0, false, false},
		{bodyLine, 10, false, false},
		{"standard error of the estimate would lead one to expect here.", 10, false, false},
		{"", 0, false, false},
		{"2 Methods", 10, true, false},
		{"3 Results", 10, true, false},
		{bodyLine, 10, false, false},
	}), info{})
	want := []string{
		"I am using apply to run a custom function on my xts object and so on. Why does the returned matrix have different dimensions than the original one? And what can I do.",
		"2 Methods", "3 Results",
	}
	if got := headings(p.FullText); !slices.Equal(got, want) {
		t.Errorf("headings %q, want %q\nin %q", got, want, p.FullText)
	}
}

// Code is never a heading: a line in a fixed-width face, a bold keyword
// of a listing in any face, nor bold set smaller than the body (an
// abstract's text, a figure's labels), though a small "Abstract" is.
func TestCodeAndSmallBoldAreNotHeadings(t *testing.T) {
	p, _ := assemble(typeset([]typeLine{
		{"Abstract", 8, true, false},
		{"We describe a package, in a smaller bold face than the body", 8, true, false},
		{"", 0, false, false},
		{bodyLine, 10, false, false},
		{"", 0, false, false},
		{"return x * 2 ;", 10, true, true},
		{"", 0, false, false},
		{"typename", 10, true, false},
		{"", 0, false, false},
		{"Estimates", 10, true, false},
		{bodyLine, 10, false, false},
		{bodyLine, 10, false, false},
		{bodyLine, 10, false, false},
	}), info{})
	want := []string{"Abstract", "Estimates"}
	if got := headings(p.FullText); !slices.Equal(got, want) {
		t.Errorf("headings %q, want %q\nin %q", got, want, p.FullText)
	}
	if !strings.Contains(p.FullText, "return x * 2 ;") {
		t.Errorf("the code line is lost from %q", p.FullText)
	}
}

func TestMonoFont(t *testing.T) {
	for name, want := range map[string]bool{
		"ABCDEF+CMTT10": true, "LMMono10-Regular": true, "Inconsolata-zi4r": true, "pcrr8r": true,
		"Courier": true, "CMR10": false, "LMRoman10-Regular": false, "ptmr8r": false, "Helvetica": false,
	} {
		if got := monoFont(name); got != want {
			t.Errorf("monoFont(%q) = %v, want %v", name, got, want)
		}
	}
}
