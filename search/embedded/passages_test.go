package embedded

import (
	"context"
	"strings"
	"testing"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

func TestHitPassagesPointAtMatchingSection(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	// Each section is long enough (about 130 words) that the chunker keeps
	// it as a passage of its own.
	pad := func(s string) string { return strings.Repeat(s+" ", 10) }
	page1 := "1 Introduction\n\n" + pad("We study how soil bacteria respond to drought in grassland plots.") + "\n\n"
	page2 := "2 Methods\n\n" + pad("Root samples were sequenced with long reads and assembled into genomes.") + "\n\n" +
		"3 Results\n\n" + pad("Yields of clover rose sharply in the plots over the season.") +
		"Nitrogen fixation rose sharply after rewetting the dry grassland soil.\n"
	full := page1 + page2
	papers := []corpus.Paper{
		{ID: "ft", Title: "Soil bacteria under drought", Abstract: "Soil microbes and drought.",
			FullText: full, Pages: []int{0, len(page1)}},
		{ID: "meta", Title: "Nitrogen fixation in legumes", Abstract: "Nitrogen fixation by rhizobia."},
	}
	apply(t, x, &search.Batch{Upserts: papers})
	req, err := search.NewRequest("nitrogen fixation rewetting", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Passages = true
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, h := range res.Hits {
		switch h.ID {
		case "meta":
			seen++
			if len(h.Passages) != 0 {
				t.Errorf("paper without full text got passages %+v", h.Passages)
			}
		case "ft":
			seen++
			if len(h.Passages) == 0 || len(h.Passages) > maxPassages {
				t.Fatalf("passages %+v, want 1..%d", h.Passages, maxPassages)
			}
			p := h.Passages[0]
			body := full[p.Start:p.End]
			if !strings.Contains(body, "rewetting") || p.Page != 2 || !strings.Contains(p.Section, "Results") {
				t.Errorf("best passage %+v (text %q), want the Results section on page 2", p, body)
			}
			var marked []string
			for _, m := range p.Text.Marks {
				marked = append(marked, strings.ToLower(p.Text.Text[m[0]:m[1]]))
			}
			if !strings.Contains(strings.Join(marked, " "), "rewetting") {
				t.Errorf("marks %v in %q", marked, p.Text.Text)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("hits %v, want both papers", ids(res))
	}
}
