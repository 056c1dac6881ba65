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
	if one.twoColumns() {
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
	if !two.twoColumns() {
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
