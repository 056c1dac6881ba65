package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/quire-research/quire/search"
)

// longPaper gives p000 a full text of many distinct paragraphs and the
// fake engine three passages for it, best first and out of text order.
func longPaper(b *fakeBackend) (paras []string) {
	for i := range 40 {
		paras = append(paras, fmt.Sprintf("Paragraph%02d marker words here: the folding experiment number %d went as planned and nothing else happened.", i, i))
	}
	full := "1 Introduction\n\n" + strings.Join(paras[:20], "\n\n") + "\n\n2 Results\n\n" + strings.Join(paras[20:], "\n\n")
	b.papers[0].FullText = full
	at := func(i int, sec string, pg, pgEnd int) search.Passage {
		s := strings.Index(full, paras[i])
		return search.Passage{Section: sec, Page: pg, PageEnd: pgEnd, Start: s, End: s + len(paras[i]), Text: search.Snippet{Text: paras[i]}}
	}
	b.passages = map[string][]search.Passage{"p000": {at(25, "2 Results", 4, 5), at(8, "1 Introduction", 2, 0), at(33, "2 Results", 6, 0)}}
	return paras
}

// shownAt is the first reader body line of the screen: the rendered line
// the reader is scrolled to.
func shownAt(m *Model) string { return m.reader.lines[min(m.reader.scroll, len(m.reader.lines)-1)] }

func TestReaderOpensAtPassagesAndSteps(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	longPaper(b)
	typeText(t, m, "protein")
	press(t, m, "enter", "enter")
	if m.Focused() != FocusReader || m.reader.id != "p000" || len(m.reader.lines) == 0 {
		t.Fatalf("reader not open on p000: focus %v id %q", m.Focused(), m.reader.id)
	}
	s := screen(m)
	if !strings.Contains(s, "passage 1/3 · 2 Results, pp. 4–5") {
		t.Errorf("header lacks the passage, section and pages:\n%s", s)
	}
	if !strings.Contains(s, "Paragraph25") || strings.Contains(s, "Paragraph08") {
		t.Errorf("reader is not scrolled to the best passage:\n%s", s)
	}
	want := []string{"Paragraph08", "Paragraph33", "Paragraph25"}
	for i, w := range want {
		press(t, m, "n")
		if s := screen(m); !strings.Contains(s, w) {
			t.Errorf("n #%d: want %s on screen:\n%s", i+1, w, s)
		}
	}
	if !strings.Contains(m.status, "passage 1 of 3 (wrapped)") {
		t.Errorf("wrapping past the last passage not said: %q", m.status)
	}
	press(t, m, "N")
	if m.reader.at != 2 || !strings.Contains(screen(m), "passage 3/3 · 2 Results, p. 6") {
		t.Errorf("N from the first passage should wrap to the last: at %d\n%s", m.reader.at, screen(m))
	}
	if got := bibtexPages(m.reader.paper, m.readerPages("p000")); !strings.Contains(got, "pages = {6},") {
		t.Errorf("BibTeX from the reader lacks the passage's page:\n%s", got)
	}
	press(t, m, "f")
	if got := strings.Trim(ansi.Strip(shownAt(m)), " #"); got != "Full text" {
		t.Errorf("f scrolled to %q, want the Full text heading", got)
	}
	press(t, m, "n")
	if !strings.Contains(screen(m), "Paragraph25") {
		t.Error("n after f does not return to the passages")
	}
}

func TestReaderWithoutPassagesOpensAtTop(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	longPaper(b)
	typeText(t, m, "protein")
	press(t, m, "enter", "j", "enter") // the second protein hit: no passages
	if m.reader.id == "p000" || m.reader.id == "" {
		t.Fatalf("reader on %q, want a paper without passages", m.reader.id)
	}
	if m.reader.scroll != 0 || strings.Contains(screen(m), "passage 1/") {
		t.Errorf("a hit without passages should open at the top with no passage header: scroll %d", m.reader.scroll)
	}
	press(t, m, "n")
	if !strings.Contains(m.status, "no matching passages") || m.reader.scroll != 0 {
		t.Errorf("n without passages: status %q scroll %d", m.status, m.reader.scroll)
	}
	b.mu.Lock()
	asked := false
	for _, r := range b.searches {
		asked = asked || r.Snippets && r.Passages
	}
	b.mu.Unlock()
	if !asked {
		t.Error("the app's search did not ask for passages")
	}
}

func TestExportCarriesPassagePages(t *testing.T) {
	dir := t.TempDir()
	m, b := newTestModel(t, 100, 30, func(o *Options) { o.ExportDir = dir; o.StateDir = dir })
	b.script = []timedEvent{
		{0, Event{Kind: EventSources, Sources: []Source{
			{N: 1, ID: "p000", Title: "Advances in protein folding, part 0", Section: "2 Results", Page: 4, PageEnd: 5},
			{N: 2, ID: "p000", Title: "Advances in protein folding, part 0", Section: "3 Discussion", Page: 7},
			{N: 3, ID: "p005", Title: "Advances in protein folding, part 5", Section: "abstract"},
		}}},
		{0, Event{Kind: EventDelta, Text: "Folding improved [1], as discussed [2]; see also [3]."}},
		{0, Event{Kind: EventDone}},
	}
	press(t, m, "enter", "ctrl+p")
	typeText(t, m, "lit-review")
	press(t, m, "enter")
	if len(b.drafts) != 1 {
		t.Fatalf("no draft ran (overlay %v)", m.overlay)
	}
	if s := screen(m); !strings.Contains(s, "· 2 Results, pp. 4–5") {
		t.Errorf("sources list lacks section and pages:\n%s", s)
	}
	press(t, m, "w")
	files, _ := filepath.Glob(filepath.Join(dir, "lit-review-*.md"))
	if len(files) != 1 {
		t.Fatalf("exported %v (status %q)", files, m.status)
	}
	md, _ := os.ReadFile(files[0])
	for _, want := range []string{"- [1] Advances in protein folding, part 0 — `p000` · 2 Results, pp. 4–5\n",
		"- [2] Advances in protein folding, part 0 — `p000` · 3 Discussion, p. 7\n",
		"- [3] Advances in protein folding, part 5 — `p005`\n"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	bib, err := os.ReadFile(strings.TrimSuffix(files[0], ".md") + ".bib")
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(string(bib), "\n@")
	if len(entries) != 2 {
		t.Fatalf("want one entry per paper, got %d:\n%s", len(entries), bib)
	}
	if !strings.Contains(entries[0], "doi = {10.5555/fake.0}") || !strings.Contains(entries[0], "pages = {4--7}") {
		t.Errorf("first entry lacks its DOI or the cited pages 4--7:\n%s", entries[0])
	}
	if strings.Contains(entries[1], "pages") {
		t.Errorf("a source without pages got a pages field:\n%s", entries[1])
	}
}

// A passage whose first words a table of contents repeats opens at the
// passage, not at the contents line.
func TestReaderPassageNotAtContents(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	paras := longPaper(b)
	full := b.papers[0].FullText
	toc := "Contents\n\n" + paras[25][:60] + " . . . 4\n\n"
	b.papers[0].FullText = toc + full
	for i := range b.passages["p000"] {
		b.passages["p000"][i].Start += len(toc)
		b.passages["p000"][i].End += len(toc)
	}
	typeText(t, m, "protein")
	press(t, m, "enter", "enter")
	s := screen(m)
	if !strings.Contains(s, "number 25 went as") || strings.Contains(s, ". . . 4") {
		t.Errorf("reader not at the passage itself:\n%s", s)
	}
}

func TestCitationOpensAtItsPassage(t *testing.T) {
	m, b := newTestModel(t, 100, 30)
	paras := longPaper(b)
	full := b.papers[0].FullText
	cited := func(n, i int, sec string, pg int) Source {
		s := strings.Index(full, paras[i])
		return Source{N: n, ID: "p000", Title: b.papers[0].Title, Section: sec, Page: pg, Start: s, End: s + len(paras[i])}
	}
	b.script = []timedEvent{{0, Event{Kind: EventSources, Sources: []Source{
		cited(1, 25, "2 Results", 4),
		{N: 2, ID: "p005", Title: b.papers[5].Title},
		cited(3, 8, "1 Introduction", 2),
	}}}, {0, Event{Kind: EventDelta, Text: "Folding went as planned [1], [2], [3]."}}, {0, Event{Kind: EventDone}}}
	typeText(t, m, "protein")
	press(t, m, "enter", "a")
	typeText(t, m, "how did it go?")
	press(t, m, "enter", "3")
	if m.Focused() != FocusReader || m.reader.id != "p000" {
		t.Fatalf("[3] did not open p000: focus %v id %q", m.Focused(), m.reader.id)
	}
	s := screen(m)
	if !strings.Contains(s, "[3] · cited passage 2/2 · 1 Introduction, p. 2") || !strings.Contains(s, "Paragraph08") || strings.Contains(s, "Paragraph25") {
		t.Errorf("[3] should open at its passage, Paragraph08:\n%s", s)
	}
	press(t, m, "n")
	if s := screen(m); !strings.Contains(s, "[1] · cited passage 1/2 · 2 Results, p. 4") || !strings.Contains(s, "Paragraph25") {
		t.Errorf("n should step to the paper's other cited passage, [1]:\n%s", s)
	}
	// Back to the answer and into [1]: the paper is already rendered.
	press(t, m, "esc", "1")
	if s := screen(m); m.reader.at != 0 || !strings.Contains(s, "[1] · cited passage 1/2") || !strings.Contains(s, "Paragraph25") {
		t.Errorf("[1] should open at Paragraph25:\n%s", s)
	}
	// A source sent without a passage (an abstract) opens at the top.
	press(t, m, "esc", "2")
	if s := screen(m); m.reader.id != "p005" || m.reader.scroll != 0 || strings.Contains(s, "cited passage") {
		t.Errorf("[2] should open p005 at its top: id %q scroll %d\n%s", m.reader.id, m.reader.scroll, s)
	}
}

// In the sources list a long title gives way to the section and page,
// which are all that tell one paper's passages apart.
func TestSourcesListKeepsSectionOverTitle(t *testing.T) {
	m, b := newTestModel(t, 80, 24)
	long := "A Computational Framework for Conditional Inference with Permutation Tests in Practice"
	b.script = []timedEvent{{0, Event{Kind: EventSources, Sources: []Source{
		{N: 1, ID: "p000", Title: long, Section: "1 Introduction", Page: 1},
		{N: 2, ID: "p000", Title: long, Section: "3 Discussion", Page: 7},
	}}}, {0, Event{Kind: EventDelta, Text: "It is a framework [1], [2]."}}, {0, Event{Kind: EventDone}}}
	typeText(t, m, "protein")
	press(t, m, "enter", "a")
	typeText(t, m, "what is it?")
	press(t, m, "enter")
	s := screen(m)
	for _, want := range []string{"[1] A Computational Framework", "… · 1 Introduction, p. 1", "… · 3 Discussion, p. 7"} {
		if !strings.Contains(s, want) {
			t.Errorf("sources list lacks %q:\n%s", want, s)
		}
	}
}
