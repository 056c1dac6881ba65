package pdf

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// txt is one string drawn at (x, y) in points (y up) in Helvetica or
// Helvetica-Bold.
type txt struct {
	x, y, size float64
	s          string
	bold       bool
}

// makePDF writes a minimal PDF with one page per element of pages, each
// 612x792 points; encrypt adds an /Encrypt dictionary to the trailer.
func makePDF(pages [][]txt, encrypt bool) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	b.WriteString("%PDF-1.4\n")
	n := len(pages)
	// 1 catalog, 2 pages, 3 font, 4 bold font, then page+content pairs.
	kids := []string{}
	for i := range n {
		kids = append(kids, fmt.Sprintf("%d 0 R", 5+2*i))
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	for i, pg := range pages {
		var c strings.Builder
		for _, t := range pg {
			f := "F1"
			if t.bold {
				f = "F2"
			}
			esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(t.s)
			fmt.Fprintf(&c, "BT /%s %g Tf %g %g Td (%s) Tj ET\n", f, t.size, t.x, t.y, esc)
		}
		if len(pg) == 0 {
			c.WriteString("0 0 0 rg 100 100 400 500 re f\n") // a "scan": ink, no text
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>", 6+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.String()))
	}
	if encrypt {
		obj("<< /Filter /Standard /V 1 /R 2 /O <" + strings.Repeat("41", 32) + "> /U <" + strings.Repeat("42", 32) + "> /P -4 >>")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	trailer := fmt.Sprintf("<< /Size %d /Root 1 0 R", len(offs)+1)
	if encrypt {
		trailer += fmt.Sprintf(" /Encrypt %d 0 R /ID [<%s> <%s>]", len(offs), strings.Repeat("AB", 16), strings.Repeat("AB", 16))
	}
	fmt.Fprintf(&b, "trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return b.Bytes()
}

// column lays out lines top-down from y at x.
func column(x, y float64, lines ...string) []txt {
	var out []txt
	for i, l := range lines {
		out = append(out, txt{x: x, y: y - float64(i)*12, size: 10, s: l})
	}
	return out
}

var (
	extOnce sync.Once
	ext     *Extractor
	extErr  error
)

func extractor(t *testing.T) *Extractor {
	t.Helper()
	extOnce.Do(func() { ext, extErr = New(context.Background(), Options{Workers: 2}) })
	if extErr != nil {
		t.Fatal(extErr)
	}
	return ext
}

func paperPage(n int) []txt {
	pg := []txt{
		{x: 72, y: 760, size: 8, s: "Journal of Tests, Volume 3"},
		{x: 300, y: 40, size: 8, s: fmt.Sprint(n)},
	}
	return pg
}

func TestTwoColumnPaper(t *testing.T) {
	p1 := append(paperPage(1),
		txt{x: 120, y: 700, size: 18, s: "Reading Order in Two Columns", bold: true},
		txt{x: 200, y: 670, size: 11, s: "Ada Lovelace and Charles Babbage"},
		txt{x: 280, y: 640, size: 10, s: "Abstract", bold: true},
		txt{x: 100, y: 625, size: 9, s: "We show that the left column is read before the right one."},
		txt{x: 72, y: 590, size: 12, s: "1 Introduction", bold: true},
	)
	p1 = append(p1, column(72, 570, "Left column first line of the intro-", "duction goes on here with the office", "and ends the left column text.", "More left words to fill a line.", "Left again with some words here.", "Last left line of the page.", "Arxiv: arXiv:2101.01234v2 and doi", "10.1234/abcd.5678 are here.", "Filler line nine on the left.")...)
	p1 = append(p1, column(320, 570, "Right column starts here and", "continues down the right side.", "Right line three of the text.", "Right line four of the text.", "Right line five of the text.", "Right line six of the text.", "Right line seven of the text.", "Right line eight of the text.", "Right line nine of the text.")...)
	p2 := append(paperPage(2), column(72, 700, "Second page body text.")...)
	p2 = append(p2, txt{x: 72, y: 650, size: 10, s: "Figure 1: A caption of a figure."})
	p2 = append(p2, column(72, 620, "After the figure the text goes on.")...)
	p3 := append(paperPage(3), txt{x: 72, y: 700, size: 12, s: "References", bold: true})
	p3 = append(p3, column(72, 680, "Babbage C (1864). Passages from the Life of a Philosopher.")...)
	p, warns, err := extractor(t).Paper(context.Background(), "two.pdf", makePDF([][]txt{p1, p2, p3}, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) > 0 {
		t.Errorf("warnings %q", warns)
	}
	if p.Title != "Reading Order in Two Columns" {
		t.Errorf("title %q", p.Title)
	}
	if strings.Join(p.Authors, "|") != "Ada Lovelace|Charles Babbage" {
		t.Errorf("authors %q", p.Authors)
	}
	if p.Abstract != "We show that the left column is read before the right one." {
		t.Errorf("abstract %q", p.Abstract)
	}
	if p.DOI != "10.1234/abcd.5678" || p.URL != "https://arxiv.org/abs/2101.01234" || p.Year != 2021 {
		t.Errorf("doi %q url %q year %d", p.DOI, p.URL, p.Year)
	}
	ft := p.FullText
	for _, want := range []string{"## 1 Introduction", "introduction goes on", "office", "\n\nFigure 1: A caption of a figure.\n\n"} {
		if !strings.Contains(ft, want) {
			t.Errorf("full text lacks %q:\n%s", want, ft)
		}
	}
	if l, r := strings.Index(ft, "Filler line nine"), strings.Index(ft, "Right column starts"); l < 0 || r < 0 || l > r {
		t.Errorf("left column not before right (%d, %d):\n%s", l, r, ft)
	}
	if strings.Contains(ft, "Journal of Tests") || strings.Contains(ft, "\n\n2\n\n") {
		t.Errorf("running header or page number kept:\n%s", ft)
	}
	if strings.Contains(ft, "Babbage C (1864)") || !strings.Contains(p.References, "Babbage C (1864)") {
		t.Errorf("references not split off: refs %q", p.References)
	}
	if len(p.Pages) != 3 || p.Pages[0] != 0 || !strings.HasPrefix(ft[p.Pages[1]:], "Second page body text.") {
		t.Errorf("pages %v", p.Pages)
	}
}

func TestNoTextLayer(t *testing.T) {
	p, warns, err := extractor(t).Paper(context.Background(), "scan.pdf", makePDF([][]txt{nil, nil}, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0] != "no text layer; OCR not available" || p.FullText != "" {
		t.Errorf("warnings %q, text %q", warns, p.FullText)
	}
}

func TestBadPDFs(t *testing.T) {
	good := makePDF([][]txt{column(72, 700, "Some text.")}, false)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"enc.pdf":   {makePDF([][]txt{column(72, 700, "Secret.")}, true), "enc.pdf: encrypted PDF"},
		"trunc.pdf": {good[:len(good)/3], "trunc.pdf: damaged or truncated PDF"},
		"junk.pdf":  {[]byte("not a pdf at all"), "junk.pdf: damaged or truncated PDF"},
		"empty.pdf": {nil, "empty.pdf: "},
	} {
		_, _, err := extractor(t).Paper(context.Background(), name, c.data)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err %v, want prefix %q", name, err, c.want)
		}
	}
	// The extractor still works after the failures.
	if p, _, err := extractor(t).Paper(context.Background(), "good.pdf", good); err != nil || !strings.Contains(p.FullText, "Some text.") {
		t.Errorf("after failures: %q, %v", p.FullText, err)
	}
}

func TestMemoryLimit(t *testing.T) {
	e, err := New(context.Background(), Options{Workers: 1, MemoryLimit: 19 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Bytes after %%EOF are legal; PDFium still copies them in.
	big := append(makePDF([][]txt{column(72, 700, "Some text.")}, false), bytes.Repeat([]byte(" "), 24<<20)...)
	_, _, err = e.Paper(context.Background(), "big.pdf", big)
	t.Logf("%v", err)
	if err == nil || !strings.HasPrefix(err.Error(), "big.pdf: ") {
		t.Errorf("19 MiB limit: err %v, want an error naming big.pdf", err)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"ﬁnd ﬂow ﬀ ﬃ ﬄ":    "find flow ff ffi ffl",
		"Roundo\x1b error": "Roundoff error",
		"M \u0308achler":   "Mächler",
		"Mächler":          "Mächler",
		"a\u00a0 b":        "a b",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	var b strings.Builder
	for _, l := range []string{"estima-", "tion of non-", "Linear effects"} {
		appendLine(&b, l)
	}
	if got := b.String(); got != "estimation of non- Linear effects" {
		t.Errorf("de-hyphenation: %q", got)
	}
}
