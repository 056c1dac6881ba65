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
