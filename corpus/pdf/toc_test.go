package pdf

import (
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
)

// Paragraphs from the shared vignettes: tables of contents are dropped;
// R's sparse-matrix printouts and a two-column page that interleaves its
// contents with body text are kept.
func TestContentsParagraph(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"What is xts? . . . . . . . . . . . 2 Why should I use xts rather than zoo or another time-series package? . . . . . 2 How do I install xts? . . . . . . . . 2", true},
		{"2 Survival curves 9 2.1 One event type, one event per subject . . . . . . . . 9 2.2 Repeated events . . . . . . . . 14", true},
		{"6.1 Constraining the dimension of intersection . . . . . . . . . . . . . 15", true},
		{"3.1.2.4 sd_soundex() . . . . . . . . . . . . . . . . 8", true},
		{"0.1 Jump starting the psych package . . . . . . . . . . iv 0.2 Psychometric functions . . . . . . . . v", true},
		{"t . . . . 1", false},
		{"casein . . . . . . . . . . . . . . . . . . . . 1 1 1 1", false},
		{"meatmeal . . . . . . . . 1 1 1 1 . . . . soybean . . . . . . . . 1 1 1 1 . . . .", false},
		{"[1 ,] . 7 . . . . . . . . [2 ,] . . . . . . . . . . [3 ,] . . . . . . . . 14 .", false},
		{"5.2 Beta diversity . . . . . . . . . . . . . 7 where pi is the proportion of species i, and S is", false},
		{"trait tree . . . . . . . . . . . . . . . . 4", false},
		{"The estimate is 0.5 . . . and the rest of the sentence follows here.", false},
		{"A paragraph of body text without any leader at all, ending in 2", false},
	} {
		if got := contentsParagraph(c.s); got != c.want {
			t.Errorf("contentsParagraph(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

// A table of contents, its chapters set as bold headings and its
// sections with dot leaders (one entry running onto the next page), is
// not in the full text; the section it lists is, once, and page 2
// starts at it.
func TestContentsDropped(t *testing.T) {
	body := "We fit the model to the simulated data and print the first coefficient"
	pages := [][]tocLine{{
		{"A Study of Things", 17, true, 0},
		{"Contents", 14, true, 0},
		{"1 Introduction 2", 12, true, 0},
		{"1.1 Background . . . . . . . . . . . . . . . . . . . . . . . . . . . 2", 10, false, 0},
		{"1.2 Notation . . . . . . . . . . . . . . . . . . . . . . . . . . . . 3", 10, false, 0},
		{"2 Methods 4", 12, true, 0},
		{"2.1 Data . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . 4", 10, false, 0},
		{"2.2 Generalized linear and", 10, false, 0},
	}, {
		{"mixed models . . . . . . . . . . . . . . . . . . . . . . . . . . . . 5", 10, false, 0},
		{"1 Introduction", 14, true, 0},
		{body, 10, false, 0},
		{"of the fitted object, which is close to the value that was used to", 10, false, 0},
		{"simulate the data in the first place, as one would expect here.", 10, false, 0},
		{"The estimate agrees with the truth to two decimal places, as the", 10, false, 0},
		{"standard error of the estimate would lead one to expect it to.", 10, false, 0},
	}}
	var in []page
	for _, lines := range pages {
		in = append(in, linePage(lines))
	}
	p, _ := assemble(in, info{})
	for _, gone := range []string{"Contents", ". . . .", "Methods", "Background"} {
		if strings.Contains(p.FullText, gone) {
			t.Errorf("full text holds %q:\n%s", gone, p.FullText)
		}
	}
	if n := strings.Count(p.FullText, "## 1 Introduction"); n != 1 {
		t.Errorf("%d headings \"1 Introduction\", want 1:\n%s", n, p.FullText)
	}
	if !strings.Contains(p.FullText, body) {
		t.Errorf("full text lost the body:\n%s", p.FullText)
	}
	if len(p.Pages) != 2 || !strings.HasPrefix(p.FullText[p.Pages[1]:], "## 1 Introduction") {
		t.Errorf("page starts %v in %q: want page 2 to start at the introduction", p.Pages, p.FullText)
	}
	for _, c := range corpus.ChunkPaper(&p, corpus.ChunkOptions{}) {
		if strings.Contains(c.Text, ". . . .") || strings.Contains(c.Section, "Contents") {
			t.Errorf("passage %q in section %q is contents", c.Text, c.Section)
		}
	}
}

// The contents end at body text even when no heading follows them (the
// layout saw none): a short paragraph that reads like an entry is kept.
func TestContentsEndAtBodyText(t *testing.T) {
	lines := []tocLine{
		{"Contents", 14, true, 30},
		{"1 Introduction 2", 12, true, 30},
		{"We fit the model to the simulated data and print the first coefficient", 10, false, 14},
		{"of the fitted object, which is close to the value that was used to", 10, false, 14},
		{"simulate the data in the first place, as one would expect here, and", 10, false, 14},
		{"the standard error agrees with the spread seen over the replications.", 10, false, 30},
		{"A total of 15 subjects were enrolled in 2019", 10, false, 0},
	}
	p, _ := assemble([]page{linePage(lines)}, info{})
	if !strings.Contains(p.FullText, "A total of 15 subjects were enrolled in 2019") || !strings.Contains(p.FullText, "We fit the model") {
		t.Errorf("body text lost:\n%s", p.FullText)
	}
	if strings.Contains(p.FullText, "Introduction 2") {
		t.Errorf("contents entry kept:\n%s", p.FullText)
	}
}

// tocLine is one line of a test page, set at x 72 from the top down.
type tocLine struct {
	s    string
	size float64
	bold bool
	// gap is the distance to the next line; 0 for a line's spacing
	// (1.4 × size), a heading's (bold) a size more.
	gap float64
}

func linePage(lines []tocLine) page {
	var spans []span
	y := 700.0
	for _, l := range lines {
		spans = append(spans, span{text: l.s, x0: 72, x1: 72 + 5*float64(len(l.s)), bottom: y, top: y + l.size, size: l.size, bold: l.bold})
		switch {
		case l.gap > 0:
			y -= l.gap
		case l.bold:
			y -= l.size * 2.4
		default:
			y -= l.size * 1.4
		}
	}
	return page{width: 612, height: 792, spans: spans}
}
