package corpus

import (
	"strings"
	"testing"
)

func TestCollapseSpace(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                       "",
		"clean text":             "clean text",
		"  lead and trail  ":     "lead and trail",
		"double  space":          "double space",
		"tab\there":              "tab here",
		"line\nbreak\r\n":        "line break",
		"no\u00a0break":          "no break",
		"café au lait":           "café au lait",
		"ideographic\u3000space": "ideographic space",
		" ":                      "",
	} {
		if got := CollapseSpace(in); got != want {
			t.Errorf("CollapseSpace(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVenueName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Phys. Rev. A 77, 013804 (2008)":        "Phys. Rev. A",
		"J. Phys. A: Math. Gen. 39 (2006) 1234": "J. Phys. A: Math. Gen.",
		"NeurIPS":                               "NeurIPS",
		"Nature vol. 5":                         "Nature",
		"3D Research":                           "3D Research",
		"2019":                                  "2019",
	} {
		if got := VenueName(in); got != want {
			t.Errorf("VenueName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPageAt(t *testing.T) {
	p := Paper{FullText: strings.Repeat("x", 300), Pages: []int{0, 100, 250}}
	for off, want := range map[int]int{0: 1, 99: 1, 100: 2, 249: 2, 250: 3, 299: 3} {
		if got := p.PageAt(off); got != want {
			t.Errorf("PageAt(%d) = %d, want %d", off, got, want)
		}
	}
	if got := (&Paper{FullText: "abc"}).PageAt(1); got != 0 {
		t.Errorf("no pages: PageAt = %d, want 0", got)
	}
	c := ChunkPaper(&Paper{ID: "p", FullText: "First page text here.\n\nSecond page text here.", Pages: []int{0, 23}}, ChunkOptions{MaxTokens: 4, OverlapTokens: -1, MinTokens: -1})
	if len(c) < 2 || c[0].Page != 1 || c[len(c)-1].Page != 2 || c[len(c)-1].PageEnd != 2 {
		t.Errorf("chunk pages: %+v", c)
	}
}

func TestBibTeX(t *testing.T) {
	p := Paper{Title: "The {Analytical} Engine", Authors: []string{"Ada Lovelace", "C. Babbage"}, Year: 1843, Venue: "Notes", DOI: "10.1/x"}
	got := p.BibTeX("4--5")
	for _, want := range []string{"@article{lovelace1843analytical,", "title = {The (Analytical) Engine}", "author = {Ada Lovelace and C. Babbage}", "pages = {4--5}", "doi = {10.1/x}"} {
		if !strings.Contains(got, want) {
			t.Errorf("BibTeX lacks %q:\n%s", want, got)
		}
	}
	if got := (&Paper{Title: "x"}).BibTeX(""); !strings.HasPrefix(got, "@misc{paper,") || strings.Contains(got, "pages") {
		t.Errorf("no venue, authors or pages:\n%s", got)
	}
}
