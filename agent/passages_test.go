package agent

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/search"
)

// passageEngine wraps an index and gives p5 one retrieved passage (its
// Results paragraph), as an engine with passages would; it records
// whether passages were asked for.
type passageEngine struct {
	search.Engine
	asked bool
}

func (e *passageEngine) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	e.asked = e.asked || req.Passages
	res, err := e.Engine.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	for i := range res.Hits {
		h := &res.Hits[i]
		if h.ID != "p5" {
			continue
		}
		start := strings.Index(h.Paper.FullText, "On ImageNet")
		h.Passages = []search.Passage{{Section: "Results", Page: 4, PageEnd: 5, Start: start, End: len(h.Paper.FullText),
			Text: search.Snippet{Text: "…a 152-layer residual network…"}}}
	}
	return res, nil
}

func TestAskSendsRetrievedPassagesWithSectionAndPages(t *testing.T) {
	t.Parallel()
	eng := &passageEngine{Engine: testIndex(t)}
	p := &script{turns: [][]llm.Event{{text("Deep residual nets work [1]."), stop(llm.StopEnd)}}}
	a := New(eng, p, Options{})
	// "gradients" would make the word-overlap fallback pick the
	// Introduction; the engine's passage is the Results paragraph.
	st, err := a.Ask(context.Background(), AskRequest{Question: "residual networks vanishing gradients"})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := Collect(st)
	if err != nil {
		t.Fatal(err)
	}
	if !eng.asked {
		t.Error("retrieval did not set Request.Passages")
	}
	var src *evidence.Source
	for _, s := range evs[0].Sources {
		if s.PaperID == "p5" {
			src = &s
		}
	}
	if src == nil {
		t.Fatalf("p5 not among sources: %+v", evs[0].Sources)
	}
	if src.Section != "Results" || src.Page != 4 || src.PageEnd != 5 {
		t.Errorf("source where = %q p%d-%d, want Results pp. 4-5", src.Section, src.Page, src.PageEnd)
	}
	// The offsets let the reader open the citation at the passage.
	p5, err := eng.Get(context.Background(), "p5")
	if err != nil {
		t.Fatal(err)
	}
	if ft := p5.FullText; src.End <= src.Start || !strings.HasPrefix(ft[src.Start:src.End], "On ImageNet") || src.End != len(ft) {
		t.Errorf("source offsets %d–%d do not hold the passage", src.Start, src.End)
	}
	if !strings.HasPrefix(src.Text, "On ImageNet a 152-layer") || strings.Contains(src.Text, "vanishing") {
		t.Errorf("source text is not the passage: %q", src.Text)
	}
	body := p.requests()[0].Messages[0].Parts[0].Text
	if !strings.Contains(body, `section="Results" pages="4-5">`+"\nOn ImageNet") {
		t.Errorf("prompt lacks the passage block with its pages:\n%s", body)
	}
	if srcBlock, _, _ := strings.Cut(body, "</sources>"); strings.Contains(srcBlock, "vanishing gradients") {
		t.Errorf("prompt carries the word-overlap pick instead of the passage:\n%s", body)
	}
	if got := evidence.SourceList([]evidence.Source{*src}); !strings.Contains(got, "· Results, pp. 4–5") {
		t.Errorf("source list lacks section and pages: %q", got)
	}
	if back := evidence.Parse(body); len(back) == 0 || !hasPages(back, 4, 5) {
		t.Errorf("Parse lost the pages: %+v", back)
	}
}

func hasPages(ss []evidence.Source, lo, hi int) bool {
	for _, s := range ss {
		if s.Page == lo && s.PageEnd == hi {
			return true
		}
	}
	return false
}

func TestJoinOverlaps(t *testing.T) {
	t.Parallel()
	at := func(sec string, s, e, pg, pgEnd int) search.Passage {
		return search.Passage{Section: sec, Start: s, End: e, Page: pg, PageEnd: pgEnd}
	}
	cases := []struct {
		name string
		in   []search.Passage
		want []search.Passage
	}{
		{"overlap joins, in the better's place",
			[]search.Passage{at("2", 100, 200, 4, 4), at("1", 0, 50, 1, 1), at("2", 180, 300, 4, 5)},
			[]search.Passage{at("2", 100, 300, 4, 5), at("1", 0, 50, 1, 1)}},
		{"white space between joins, words between do not",
			[]search.Passage{at("2", 100, 200, 4, 0), at("2", 203, 300, 5, 0), at("2", 400, 500, 6, 0)},
			[]search.Passage{at("2", 100, 300, 4, 5), at("2", 400, 500, 6, 0)}},
		{"another section stays apart",
			[]search.Passage{at("2", 100, 200, 4, 0), at("3", 150, 300, 5, 0)},
			[]search.Passage{at("2", 100, 200, 4, 0), at("3", 150, 300, 5, 0)}},
		{"a bridge joins all three",
			[]search.Passage{at("2", 0, 100, 3, 0), at("2", 180, 300, 4, 0), at("2", 90, 190, 3, 4)},
			[]search.Passage{at("2", 0, 300, 3, 4)}},
		{"offsets past the text are left alone",
			[]search.Passage{at("2", 100, 2000, 4, 0), at("2", 150, 300, 5, 0)},
			[]search.Passage{at("2", 100, 2000, 4, 0), at("2", 150, 300, 5, 0)}},
	}
	// Words everywhere but a paragraph break at 200–203.
	text := []byte(strings.Repeat("word ", 200))
	copy(text[200:], "\n\n ")
	for _, c := range cases {
		if got := joinOverlaps(c.in, string(text)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}
