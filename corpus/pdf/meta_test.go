package pdf

import (
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
)

// A byline's institution, address and code lines are not authors; the
// names around them are.
func TestBylineKeepsNamesOnly(t *testing.T) {
	at := func(text string, size, top float64) line {
		return line{text: text, size: size, top: top, bottom: top - size}
	}
	page := []line{
		at("Sparse Models for Tired Statisticians", 17, 700),
		at("Jane Doe and Ravi Kumar", 11, 670),
		at("Universität Innsbruck GKX Associates Inc.", 10, 656),
		at("Institut für Statistik, Augasse 2-6, A-1090 Wien", 10, 644),
		at("Call:", 10, 632),
		at("lm(formula = y ~ x, data = d)", 10, 620),
		at("Ana de la Cruz", 11, 608),
		at("Abstract", 11, 590),
		at("We fit sparse models to tired statisticians.", 10, 578),
	}
	var p corpus.Paper
	fillMeta(&p, [][]line{page}, info{})
	if want := []string{"Jane Doe", "Ravi Kumar", "Ana de la Cruz"}; !slices.Equal(p.Authors, want) {
		t.Errorf("authors %q, want %q", p.Authors, want)
	}
	if p.Title != "Sparse Models for Tired Statisticians" {
		t.Errorf("title %q", p.Title)
	}
}

// Names set side by side come apart at the gutter; a document with no
// abstract loses its first heading and sentence, and a bare country, from
// the byline; group authors stay.
func TestBylineCellsAndNonNames(t *testing.T) {
	at := func(text string, size, top float64) line {
		return line{text: text, size: size, top: top, bottom: top - size}
	}
	two := at("Torsten Hothorn Kurt Hornik", 12, 670)
	two.cells = []string{"Torsten Hothorn", "Kurt Hornik"}
	campus := at("Universität Wien Austria", 10, 656)
	campus.cells = []string{"Universität Wien", "Austria"}
	page := []line{
		at("Permutation Tests in Practice", 17, 700),
		two,
		campus,
		at("by Mark van de Wiel AND xts Development Team", 11, 642),
		at("Introduction", 12, 620),
		at("The numerical computation of a probability is", 10, 606),
	}
	var p corpus.Paper
	fillMeta(&p, [][]line{page}, info{})
	if want := []string{"Torsten Hothorn", "Kurt Hornik", "Mark van de Wiel", "xts Development Team"}; !slices.Equal(p.Authors, want) {
		t.Errorf("authors %q, want %q", p.Authors, want)
	}
}

// A wide gap between spans parts a line into cells; word spaces do not.
func TestJoinLinesCells(t *testing.T) {
	sp := func(text string, x0, x1 float64) span {
		return span{text: text, x0: x0, x1: x1, top: 665, bottom: 653, size: 12}
	}
	ls := joinLines([]span{sp("Edzer Pebesma", 207, 285), sp("Roger S. Bivand", 321, 404), sp("et al.", 408, 430)}, 0)
	if len(ls) != 1 || ls[0].text != "Edzer Pebesma Roger S. Bivand et al." {
		t.Fatalf("lines %+v", ls)
	}
	if want := []string{"Edzer Pebesma", "Roger S. Bivand et al."}; !slices.Equal(ls[0].cells, want) {
		t.Errorf("cells %q, want %q", ls[0].cells, want)
	}
	if ls := joinLines([]span{sp("The ", 100, 118), sp("R", 121, 128), sp(" package", 130, 170)}, 0); ls[0].cells != nil {
		t.Errorf("prose split into cells %q", ls[0].cells)
	}
}

// wordSpans sets words as one span each from x0, as some PDFs write
// them, on the baseline at top.
func wordSpans(words []string, x0, top float64) []span {
	var out []span
	x := x0
	for _, w := range words {
		wd := 5 * float64(len(w)) // 10pt text: about half an em a letter
		out = append(out, span{text: w, x0: x, x1: x + wd, top: top, bottom: top - 10, size: 10})
		x += wd + 3 // a word space, a third of an em
	}
	return out
}

// A page is read as two columns only when its lines leave a gutter at the
// middle, however finely its text is cut into spans: a full-width page
// written word by word stays one column, and its lines come out whole.
func TestColumnsFromLinesNotSpans(t *testing.T) {
	sentence := strings.Fields("The quick survey of sparse matrix formats in the library shows that compressed columns suit most of the operations")
	var one page
	one.width = 612
	for i := range 30 {
		one.spans = append(one.spans, wordSpans(sentence, 72, 700-14*float64(i))...)
	}
	if _, two := one.columns(); two {
		t.Error("a full-width page written word by word read as two columns")
	}
	want := strings.Join(sentence, " ")
	for _, l := range one.lines() {
		if l.text != want {
			t.Fatalf("line %q, want %q", l.text, want)
		}
	}

	var two page
	two.width = 612
	left, right := strings.Fields("left column words here"), strings.Fields("right column words here")
	for i := range 30 {
		y := 700 - 14*float64(i)
		two.spans = append(two.spans, wordSpans(left, 72, y)...)
		two.spans = append(two.spans, wordSpans(right, 330, y)...)
	}
	if _, isTwo := two.columns(); !isTwo {
		t.Fatal("a two-column page written word by word read as one column")
	}
	ls := two.lines()
	for i, l := range ls {
		if wantText := strings.Join(left, " "); i >= 30 {
			wantText = strings.Join(right, " ")
			if l.text != wantText {
				t.Fatalf("line %d %q, want the right column's %q after all the left's", i, l.text, wantText)
			}
		} else if l.text != wantText {
			t.Fatalf("line %d %q, want the left column's %q", i, l.text, wantText)
		}
	}
}

// Affiliation marks set raised and small after each name stay in the
// line's text but not in its byline, so the authors are the names alone;
// a lowered subscript and small text on the baseline are no marks.
func TestBylineDropsRaisedMarks(t *testing.T) {
	sp := func(text string, x0, x1, bottom, size float64) span {
		return span{text: text, x0: x0, x1: x1, top: bottom + size, bottom: bottom, size: size}
	}
	ls := joinLines([]span{
		sp("Binxiang Ni", 52, 95, 695, 7.9), sp("1", 95.5, 98, 700, 5.7),
		sp(", Dirk Eddelbuettel", 98.5, 242, 695, 7.9), sp("c", 242.5, 245, 700, 5.7),
		sp(", and Qiang Kou", 245.5, 305, 695, 7.9), sp("d", 305.5, 309, 700, 5.7),
	}, 0)
	if len(ls) != 1 {
		t.Fatalf("%d lines, want 1", len(ls))
	}
	if got, want := ls[0].byline(), "Binxiang Ni, Dirk Eddelbuettel, and Qiang Kou"; got != want {
		t.Errorf("byline %q, want %q", got, want)
	}
	if !strings.Contains(ls[0].text, "Eddelbuettelc") {
		t.Errorf("text %q lost the mark", ls[0].text)
	}
	title := line{text: "Sparse Matrix Support", size: 21.9, top: 735, bottom: 715}
	var p corpus.Paper
	fillMeta(&p, [][]line{{title, ls[0], {text: "Abstract", size: 8, top: 660, bottom: 652}, {text: "Some words.", size: 8, top: 650, bottom: 642}}}, info{})
	if want := []string{"Binxiang Ni", "Dirk Eddelbuettel", "Qiang Kou"}; !slices.Equal(p.Authors, want) {
		t.Errorf("authors %q, want %q", p.Authors, want)
	}

	for _, g := range [][]span{
		{sp("Water is H", 50, 100, 695, 10), sp("2", 101, 104, 692, 7), sp("O here", 106, 140, 695, 10)},          // lowered
		{sp("Jane Doe", 50, 100, 695, 10), sp("PHD", 102, 118, 695, 7), sp(" and Ravi Kumar", 120, 190, 695, 10)}, // on the baseline
	} {
		if l := joinLines(g, 0)[0]; l.byline() != l.text {
			t.Errorf("byline %q dropped what is no raised mark from %q", l.byline(), l.text)
		}
	}
}

// A comma whose box hangs below the words' (set after a word in another
// font) stays on their line instead of making one of its own.
func TestPunctuationJoinsItsLine(t *testing.T) {
	sp := func(text string, x0, x1, bottom, top float64) span {
		return span{text: text, x0: x0, x1: x1, top: top, bottom: bottom, size: 10.5}
	}
	ls := joinLines([]span{
		sp("dsTMatrix", 52.1, 103.0, 252.5, 259.2), sp(", ", 103.7, 105.5, 250.8, 253.6),
		sp("dgRMatrix", 109.5, 160.4, 250.0, 259.2), sp(".", 161.1, 162.4, 252.4, 253.8),
		sp("In the Armadillo library", 64.1, 180, 238.7, 246.5),
	}, 0)
	var got []string
	for _, l := range ls {
		got = append(got, l.text)
	}
	if want := []string{"dsTMatrix, dgRMatrix.", "In the Armadillo library"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestPageYear(t *testing.T) {
	page := func(texts ...string) []line {
		var ls []line
		for _, s := range texts {
			ls = append(ls, line{text: s})
		}
		return ls
	}
	cases := []struct {
		name  string
		lines []line
		want  int
	}{
		{"a citation first, then newer ones: the latest",
			page("Partytioning", "In the fifty years since Morgan and Sonquist (1963) published", "CTree (Hothorn 2006) and (R Core Team 2013), see Loh 2014"), 2014},
		{"a date line wins over later citations",
			page("Simulations", "Manuel Koller", "April 2, 2022", "cites Koller and Stahel (2011) and Maronna 2023"), 2022},
		{"the first year of the date line: written, then typeset",
			page("Design issues", "Spring 2008; Aug 2022 (typeset on November 10, 2022)", "as Bates (2019) says"), 2008},
		{"a journal issue line",
			page("Journal of Statistical Software, July 2008, Volume 27, Issue 3.", "Hyndman (2002)"), 2008},
		{"an ISO date", page("geepack version 1.3.9 as of 2022-08-16", "Liang and Zeger (1986)"), 2022},
		{"a day before the month", page("ks", "24 November 2022", "Wand (1995)"), 2022},
		{"a copyright", page("Pages 257-263. Copyright © 2006 American Statistical Association", "Strasser (1999), 2009 too"), 2006},
		{"a copyright sign with no year falls back", page("garbled ©¨", "Genz (1992)", "Bretz (1999)"), 1999},
		{"years past now are ignored", page("by 2031 we expect", "Smith (2019)"), 2019},
		{"a may that is a verb does not date", page("results may 1999 differ", "Smith 2001"), 2001},
		{"no year", page("Title", "Author"), 0},
	}
	for _, c := range cases {
		if got := pageYear(c.lines, 2026); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
}
