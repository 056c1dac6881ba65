package pdf

import (
	"slices"
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
