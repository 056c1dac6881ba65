package pdf

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/quire-research/quire/corpus"
)

// span is a run of text on one line in one font, in PDF points (y up).
type span struct {
	text        string
	x0, x1      float64
	top, bottom float64
	size        float64
	bold        bool
	mono        bool // a fixed-width face: code
}

type page struct {
	width, height float64
	spans         []span
}

// line is one visual line of one column.
type line struct {
	text        string
	x0, x1      float64
	top, bottom float64
	size        float64
	bold        bool
	mono        bool // mostly in a fixed-width face: code, never a heading
	col         int  // 0 full width, 1 left, 2 right
	// cells is the raw text cut where a gap wider than wideGap ems parts
	// its spans (names side by side in a byline), nil when there is none;
	// only a byline's are cleaned (fillMeta), so other lines cost nothing.
	// Raised marks are left out of them, as of bare.
	cells []string
	// bare is the text without raised marks (see raisedMark), "" when
	// the line has none: a byline's names without their affiliation
	// letters ("Dirk Eddelbuettel" for "Dirk Eddelbuettelc").
	bare string
}

// byline is the line as a byline reads it: without raised marks.
func (l line) byline() string {
	if l.bare != "" {
		return l.bare
	}
	return l.text
}

// raisedMark reports whether s is an affiliation or footnote mark: a
// few characters, smaller than the line's size and raised above its
// baseline base.
func raisedMark(s span, size, base float64) bool {
	return s.size <= 0.8*size && s.bottom >= base+0.25*size && utf8.RuneCountInString(strings.TrimSpace(s.text)) <= 3
}

// wideGap is the gap, in ems, that parts the cells of a line: a word space
// is about a third of an em, a byline's column gutter two or more.
const wideGap = 1.5

// lines groups a page's spans into lines in reading order: full-width
// lines above the columns, the left column, the right column, then
// full-width lines below.
func (pg page) lines() []line {
	if len(pg.spans) == 0 {
		return nil
	}
	mid := pg.width / 2
	grouped, twoCol := pg.columns()
	if !twoCol {
		return linesOf(grouped, 0) // most pages: grouped once
	}
	groups := [3][]span{}
	for _, s := range pg.spans {
		c := 0
		if s.x1 <= mid+4 || s.x0 >= mid-4 {
			c = 1
			if s.x0 >= mid-4 {
				c = 2
			}
		}
		groups[c] = append(groups[c], s)
	}
	var out [3][]line
	for c := range groups {
		out[c] = joinLines(groups[c], c)
	}
	// Full-width lines cut the page into bands; within a band the left
	// column is read before the right.
	all := append(append(out[0], out[1]...), out[2]...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].top > all[j].top })
	res := make([]line, 0, len(all))
	var left, right []line
	for _, l := range all {
		switch l.col {
		case 1:
			left = append(left, l)
		case 2:
			right = append(right, l)
		default:
			res = append(append(append(res, left...), right...), l)
			left, right = left[:0:0], right[:0:0]
		}
	}
	return append(append(res, left...), right...)
}

// columns groups the page's spans into lines (baselines) and reports
// whether the page is set in two columns: both halves hold text on many
// lines, and few lines run across the middle. A line
// runs across when a span covers the middle or the gap there is no wider
// than a word space. Lines are counted, not spans: a PDF that writes each
// word as a span of its own gives a full-width line a dozen spans on each
// side of the middle and one or none across it, which read as columns
// and interleaved the halves of every line.
func (pg page) columns() ([][]span, bool) {
	mid := pg.width / 2
	all := baselines(slices.Clone(pg.spans))
	var across, left, right int
	for _, g := range all {
		l, r := math.Inf(-1), math.Inf(1) // the text's edges nearest the middle
		size, crosses := 1.0, false
		for _, s := range g {
			size = max(size, s.size)
			switch {
			case s.x0 < mid-4 && s.x1 > mid+4:
				crosses = true
			case s.x1 <= mid+4:
				l = max(l, s.x1)
			default:
				r = min(r, s.x0)
			}
		}
		switch {
		case crosses || r-l <= wideGap*size:
			across++
		default:
			if !math.IsInf(l, -1) {
				left++
			}
			if !math.IsInf(r, 1) {
				right++
			}
		}
	}
	return all, left > 4 && right > 4 && across*5 < left+right
}

// baselines groups spans that share a baseline, top to bottom, each
// group left to right.
func baselines(spans []span) [][]span {
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].top > spans[j].top })
	var groups [][]span
	for _, s := range spans {
		placed := false
		for i := len(groups) - 1; i >= 0 && i >= len(groups)-3; i-- {
			g := groups[i][0]
			h := max(min(g.top-g.bottom, s.top-s.bottom), 1)
			overlap := min(g.top, s.top) - max(g.bottom, s.bottom)
			// Punctuation's box is a sliver that may hang below the
			// words' (a comma after a word in another font): any
			// overlap puts it on their line, not on one of its own.
			if overlap > 0.5*h || overlap > 0 && punctuation(s.text) {
				groups[i] = append(groups[i], s)
				placed = true
				break
			}
		}
		if !placed {
			groups = append(groups, []span{s})
		}
	}
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].x0 < g[j].x0 })
	}
	return groups
}

// punctuation reports whether s is punctuation and spaces only (not
// maths: an operator's box says where it sits in a formula).
func punctuation(s string) bool {
	return strings.TrimSpace(s) != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPunct(r) && !unicode.IsSpace(r) }) < 0
}

// joinLines merges spans sharing a baseline, top to bottom.
func joinLines(spans []span, col int) []line { return linesOf(baselines(spans), col) }

// linesOf makes a line of each group of spans sharing a baseline
// (baselines), in column col.
func linesOf(groups [][]span, col int) []line {
	out := make([]line, 0, len(groups))
	for _, g := range groups {
		l := line{x0: g[0].x0, x1: g[0].x1, top: g[0].top, bottom: g[0].bottom, col: col}
		bold, mono, letters := 0, 0, 0
		// The line's size is that of most of its text, so a large
		// initial or a superscript does not decide it.
		bySize := map[float64]int{}
		for _, s := range g {
			l.x1 = max(l.x1, s.x1)
			l.top, l.bottom = max(l.top, s.top), min(l.bottom, s.bottom)
			n := utf8.RuneCountInString(strings.TrimSpace(s.text))
			bySize[math.Round(s.size*2)/2] += n
			letters += n
			if s.bold {
				bold += n
			}
			if s.mono {
				mono += n
			}
		}
		l.bold = bold*2 > letters
		l.mono = mono*2 > letters
		most := -1
		for sz, n := range bySize {
			if n > most || (n == most && sz > l.size) {
				l.size, most = sz, n
			}
		}
		base := math.Inf(1) // the baseline of the line's own size
		for _, s := range g {
			if math.Round(s.size*2)/2 == l.size {
				base = min(base, s.bottom)
			}
		}
		// b is the line; bare leaves out raised marks, for a byline.
		var b, bare strings.Builder
		cellAt := []int{0} // byte offsets in bare where a cell starts
		marked := false
		for i, s := range g {
			mark := raisedMark(s, l.size, base)
			marked = marked || mark
			if i > 0 {
				gap := s.x0 - g[i-1].x1
				if gap > wideGap*max(s.size, 1) {
					cellAt = append(cellAt, bare.Len())
				}
				space := gap > 0.15*max(s.size, 1) && !strings.HasPrefix(s.text, " ")
				if space && !strings.HasSuffix(b.String(), " ") {
					b.WriteByte(' ')
				}
				if space && !mark && bare.Len() > 0 && !strings.HasSuffix(bare.String(), " ") {
					bare.WriteByte(' ')
				}
			}
			b.WriteString(s.text)
			if !mark {
				bare.WriteString(s.text)
			}
		}
		raw := b.String()
		l.text = clean(raw)
		if marked {
			l.bare = clean(bare.String())
		}
		if len(cellAt) > 1 {
			braw := bare.String()
			cellAt = append(cellAt, len(braw))
			for i := 1; i < len(cellAt); i++ {
				l.cells = append(l.cells, strings.TrimSpace(braw[cellAt[i-1]:cellAt[i]]))
			}
		}
		if l.text != "" {
			out = append(out, l)
		}
	}
	return out
}

var spaces = regexp.MustCompile(`[ \t\x{00a0}]+`)

// clean applies NFKC (ligatures ﬁ ﬂ ﬀ ﬃ ﬄ become letters, full-width
// forms plain) and drops control characters PDFium emits for soft hyphens
// and line breaks.
func clean(s string) string {
	// TeX places an accent before its letter ("M ̈achler"): move the mark
	// after the letter so NFKC composes "ä".
	s = norm.NFKC.String(s)
	if looseAccent.MatchString(s) {
		s = norm.NFC.String(looseAccent.ReplaceAllString(s, "$2$1"))
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u00ad' || r == '\u0002':
			return '-' // PDFium marks a line-end hyphen as U+0002
		case r >= 0x1b && r <= 0x1f:
			// TeX T1 fonts without a ToUnicode map leave ligatures at
			// their slots: ff fi fl ffi ffl.
			return r
		case r == '\r' || r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r) || r == '\ufffe' || r == '\uffff':
			return -1
		}
		return r
	}, s)
	s = t1Ligatures.Replace(s)
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

var looseAccent = regexp.MustCompile(`[ \x{00a0}]([\x{0300}-\x{036f}])(\pL)`)

var t1Ligatures = strings.NewReplacer("\x1b", "ff", "\x1c", "fi", "\x1d", "fl", "\x1e", "ffi", "\x1f", "ffl")

var digits = regexp.MustCompile(`\d+`)

// running finds header/footer lines: text (digits masked) that recurs at
// the same height near the top or bottom of many pages, and bare page
// numbers there.
func running(pages []page, lines [][]line) map[[2]int]bool {
	drop := map[[2]int]bool{}
	type key struct {
		text string
		y    int
	}
	count := map[key]int{}
	edge := func(pg page, l line) bool {
		return l.bottom > pg.height*0.85 || l.top < pg.height*0.12
	}
	for p, ls := range lines {
		seen := map[key]bool{}
		for _, l := range ls {
			if !edge(pages[p], l) {
				continue
			}
			k := key{digits.ReplaceAllString(strings.ToLower(l.text), "#"), int(l.bottom / 6)}
			if !seen[k] {
				seen[k] = true
				count[k]++
			}
		}
	}
	need := max(3, len(pages)/3)
	for p, ls := range lines {
		for i, l := range ls {
			if !edge(pages[p], l) {
				continue
			}
			k := key{digits.ReplaceAllString(strings.ToLower(l.text), "#"), int(l.bottom / 6)}
			if (len(pages) >= 3 && count[k] >= need) || pageNumber(l.text) {
				drop[[2]int{p, i}] = true
			}
		}
	}
	return drop
}

var pageNum = regexp.MustCompile(`^(?i:page\s+)?(\d{1,4}|[ivxlc]{1,6})(\s*(/|of)\s*\d{1,4})?$`)

func pageNumber(s string) bool { return pageNum.MatchString(strings.TrimSpace(s)) }

var sectionRe = regexp.MustCompile(`^(\d{1,2}(\.\d{1,2}){0,3}\.?|[A-Z]\.|[IVX]{1,4}\.)\s+\p{Lu}`)

var numberPrefix = regexp.MustCompile(`^(\\d{1,2}(\\.\\d{1,2}){0,3}\\.?|[A-Z]\\.|[IVX]{1,4}\\.)\\s+`)

var refHeads = map[string]bool{"references": true, "bibliography": true, "literature cited": true, "works cited": true, "reference": true}

// assemble builds the paper from the pages' lines.
func assemble(pages []page, meta info) (corpus.Paper, []string) {
	var p corpus.Paper
	var warnings []string
	lines := make([][]line, len(pages))
	chars := 0
	for i, pg := range pages {
		lines[i] = pg.lines()
		for _, l := range lines[i] {
			chars += len(l.text)
		}
	}
	fillMeta(&p, lines, meta)
	if chars < 20*max(len(pages), 1)/10 {
		warnings = append(warnings, "no text layer; OCR not available")
		return p, warnings
	}
	drop := running(pages, lines)
	body := bodySize(lines)
	if boldBody(lines, body) {
		// Bold is then no mark of a heading: some fonts report every
		// glyph as bold, and each short line read as one.
		for _, ls := range lines {
			for i := range ls {
				ls[i].bold = false
			}
		}
	}

	var text, refs strings.Builder
	inRefs := false
	// inContents is set under a "Contents" heading, until a heading that
	// is not an entry or a paragraph longer than any entry: its entries
	// set as headings or alone in a paragraph are dropped too.
	inContents := false
	out := &text
	var para strings.Builder
	// A heading set over two or more lines (an FAQ's question) is held
	// until a line that does not continue it, and written as one.
	var head strings.Builder
	var headLine *line
	// lone is the line that began the paragraph being read, while it is
	// the only one.
	var lone *line
	// block writes one block (a heading or a paragraph) after a blank line.
	block := func(s string) {
		if out.Len() > 0 {
			out.WriteString("\n\n")
		}
		out.WriteString(s)
	}
	flushHead := func() {
		if head.Len() > 0 {
			block("## " + head.String())
			head.Reset()
		}
		headLine = nil
	}
	// nextPara is where flush will write the next paragraph in the body
	// text: after the blank line that separates it.
	nextPara := func() int {
		if text.Len() > 0 {
			return text.Len() + 2
		}
		return 0
	}
	flush := func() {
		flushHead()
		if para.Len() > 0 && out == &text && (contentsParagraph(para.String()) || inContents && contentsEntry(para.String())) {
			// Pages that began inside the paragraph begin where the
			// next one will.
			next := nextPara()
			for i := len(p.Pages) - 1; i >= 0 && p.Pages[i] > next; i-- {
				p.Pages[i] = next
			}
			para.Reset()
			return
		}
		if para.Len() > maxEntry && !leaderRe.MatchString(para.String()) {
			// Body text: the contents, if any, are over. Without this a
			// PDF whose later headings all went unseen would stay in them.
			inContents = false
		}
		if para.Len() > 0 {
			s := para.String()
			if strings.HasPrefix(s, "#") {
				// R output printed by knitr ("## [1] 0.5") is text: escaped
				// as Markdown does, or the chunker cuts a section there.
				s = "\\" + s
			}
			block(s)
			para.Reset()
		}
	}
	for pi, ls := range lines {
		// A sentence running over the page break stays one paragraph,
		// or no passage would hold it whole.
		pending := -1 // the page's entry in p.Pages, set at its first line
		flushHead()
		if cont := para.Len() > 0 && !inRefs && continues(para.String(), firstKept(ls, drop, pi), body); !cont {
			flush()
		} else {
			pending = len(p.Pages)
		}
		if !inRefs {
			// The page starts where its first paragraph will.
			p.Pages = append(p.Pages, nextPara())
		}
		var prev *line
		for i := range ls {
			if drop[[2]int{pi, i}] {
				continue
			}
			l := &ls[i]
			heading := isHeading(*l, prev, body)
			face := l.bold && l.size >= body-0.5 || l.size > body*1.12
			if headLine != nil && face && continuesHeading(*headLine, *l) && head.Len() < maxHeading {
				// The next line of a heading may end with a full stop or
				// be long ("… showing the time index.").
				appendLine(&head, l.text)
				headLine, prev = l, l
				continue
			}
			if lone != nil && lone == prev && face && continuesHeading(*prev, *l) && isHeading(*l, nil, body) {
				// The heading's first line was too long to read as one
				// alone, and began a paragraph: it is the heading's.
				head.WriteString(para.String())
				para.Reset()
				appendLine(&head, l.text)
				headLine, prev, lone = l, l, nil
				continue
			}
			if heading {
				flush()
				name := strings.Trim(strings.ToLower(numberPrefix.ReplaceAllString(l.text, "")), " .:")
				switch {
				case refHeads[name] || refHeads[strings.ToLower(l.text)]:
					inRefs, out = true, &refs
					prev = l
					continue
				case inRefs && (strings.HasPrefix(name, "appendix") || strings.HasPrefix(strings.ToLower(l.text), "appendix") || strings.HasPrefix(strings.ToLower(l.text), "a ")):
					inRefs, out = false, &text
				case !inRefs && contentsHeads[name]:
					inContents = true
					prev = l
					continue
				case inContents && contentsEntry(l.text):
					prev = l
					continue
				}
				inContents = false
				head.WriteString(l.text)
				headLine, prev = l, l
				continue
			}
			flushHead()
			if newParagraph(*l, prev, body) {
				flush()
			}
			lone = nil
			if para.Len() == 0 {
				lone = l
			}
			appendLine(&para, l.text)
			if pending >= 0 {
				// Where this line landed within the paragraph, as flush
				// will write it.
				start := nextPara()
				if strings.HasPrefix(para.String(), "#") {
					start++
				}
				p.Pages[pending] = start + para.Len() - len(l.text)
				pending = -1
			}
			prev = l
		}
	}
	flush()
	p.FullText = strings.TrimSpace(text.String())
	for len(p.Pages) > 0 && p.Pages[len(p.Pages)-1] > len(p.FullText) {
		p.Pages[len(p.Pages)-1] = len(p.FullText)
	}
	p.References = strings.TrimSpace(refs.String())
	return p, warnings
}

// firstKept is page pi's first line not dropped as a running header.
func firstKept(ls []line, drop map[[2]int]bool, pi int) *line {
	for i := range ls {
		if !drop[[2]int{pi, i}] {
			return &ls[i]
		}
	}
	return nil
}

// continues reports whether a page whose first line is l goes on with
// the paragraph para ended the last page with: para stops short of a
// sentence end and l is body text starting in lower case ("a region
// where" / "a protein must make contact").
func continues(para string, l *line, body float64) bool {
	if l == nil || isHeading(*l, nil, body) || strings.ContainsAny(para[len(para)-1:], ".!?:") {
		return false
	}
	r, _ := utf8.DecodeRuneInString(l.text)
	return unicode.IsLower(r)
}

// appendLine joins a line to the paragraph, undoing a line-end hyphen
// when the next line goes on in lower case ("estima-" + "tion").
func appendLine(b *strings.Builder, s string) {
	cur := b.String()
	if cur == "" {
		b.WriteString(s)
		return
	}
	r, _ := utf8.DecodeRuneInString(s)
	if strings.HasSuffix(cur, "-") && len(cur) > 1 && unicode.IsLetter(rune(cur[len(cur)-2])) && unicode.IsLower(r) {
		b.Reset()
		b.WriteString(cur[:len(cur)-1])
		b.WriteString(s)
		return
	}
	b.WriteByte(' ')
	b.WriteString(s)
}

// bodySize is the font size carrying most characters.
func bodySize(lines [][]line) float64 {
	w := map[int]int{}
	for _, ls := range lines {
		for _, l := range ls {
			w[int(math.Round(l.size*2))] += len(l.text)
		}
	}
	best, bestN := 0, -1
	for s, n := range w {
		if n > bestN || (n == bestN && s < best) {
			best, bestN = s, n
		}
	}
	return float64(best) / 2
}

// boldBody reports whether most characters at the body size are bold.
func boldBody(lines [][]line, body float64) bool {
	var bold, all int
	for _, ls := range lines {
		for _, l := range ls {
			if math.Abs(l.size-body) <= 0.5 {
				all += len(l.text)
				if l.bold {
					bold += len(l.text)
				}
			}
		}
	}
	return bold*2 > all
}

var captionRe = regexp.MustCompile(`^(Figure|Fig\.|Table|Listing|Algorithm)\s+\d+[.:]`)

func isHeading(l line, prev *line, body float64) bool {
	n := utf8.RuneCountInString(l.text)
	if n < 2 || n > 90 || strings.HasSuffix(l.text, ",") || captionRe.MatchString(l.text) || l.mono {
		return false
	}

	letters := 0
	for _, r := range l.text {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < 2 || letters*2 < n {
		return false
	}
	larger := l.size > body*1.12
	if refHeads[strings.ToLower(strings.Trim(l.text, " .:"))] && (larger || l.bold) {
		return true
	}
	if sectionRe.MatchString(l.text) && (larger || l.bold) {
		return true
	}
	if !larger && codeKeyword(l.text) {
		return false
	}
	if l.size < body-0.5 && !strings.EqualFold(strings.Trim(l.text, " .:"), "abstract") {
		// Unnumbered bold in a smaller face is an abstract's text, a
		// figure's labels or a caption ("R code"), not a heading.
		return false
	}
	return (larger || l.bold) && !strings.HasSuffix(l.text, ".") && strings.Count(l.text, " ") < 12 &&
		(prev == nil || prev.size < l.size-0.5 || !prev.bold || prev.bottom-l.top > l.size*0.8)
}

// maxHeading caps a heading joined from lines, so a bold paragraph is
// not read whole as one.
const maxHeading = 300

// continuesHeading reports whether heading line l is the next line of
// the heading that ends with prev: the same face and size, in the same
// column, a line's spacing below it, and not a numbered heading of its
// own.
func continuesHeading(prev, l line) bool {
	gap := prev.bottom - l.top
	return prev.col == l.col && prev.bold == l.bold && math.Abs(prev.size-l.size) <= 0.5 &&
		gap >= -0.2*l.size && gap < 0.8*l.size && !sectionRe.MatchString(l.text) &&
		!strings.HasSuffix(prev.text, ".")
}

// codeKeyword reports whether a line set only in bold reads as code, not
// as a heading: listings print keywords in bold ("return", "typename T ,
// typename Function >"). A heading starts with a capital, a digit or a
// name of more than one word (the "xts FAQ" of a vignette's title).
func codeKeyword(t string) bool {
	r, _ := utf8.DecodeRuneInString(t)
	return unicode.IsLower(r) && (!strings.Contains(t, " ") || codeLike(t))
}

func newParagraph(l line, prev *line, body float64) bool {
	if prev == nil || prev.col != l.col {
		return prev != nil && l.x0 > prev.x0+3 // a new column continues the paragraph unless indented
	}
	if captionRe.MatchString(l.text) {
		return true
	}
	gap := prev.bottom - l.top
	h := max(l.top-l.bottom, 1)
	if gap > 0.9*h || gap < -2*h || math.Abs(l.size-prev.size) > 1 {
		return true
	}
	// An indented first line after a line that ended a sentence short.
	return l.x0 > prev.x0+6 && slices.Contains([]byte(".:!?"), lastChar(prev.text)) && body > 0
}

func lastChar(s string) byte {
	if s == "" {
		return 0
	}
	return s[len(s)-1]
}
