package corpus

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chunk is a passage of a paper, the unit that gets embedded and retrieved.
type Chunk struct {
	PaperID string `json:"paper_id"`
	Index   int    `json:"index"`
	// Section is the heading the passage sits under ("2.1 Data",
	// "INTRODUCTION"), "abstract" for the title+abstract chunk, or "" for
	// text before the first heading.
	Section string `json:"section,omitempty"`
	// Text is exactly FullText[Start:End]: no white space is added or
	// collapsed, so highlights map back onto the source. The one exception
	// is the title+abstract chunk of a paper without full text, whose Text
	// is title and abstract and whose Start/End index the abstract.
	Text   string `json:"text"`
	Start  int    `json:"start"`
	End    int    `json:"end"`
	Tokens int    `json:"tokens"`
	// Page and PageEnd are the 1-based pages the passage starts and ends
	// on, 0 when the paper has no page offsets (Paper.Pages).
	Page    int `json:"page,omitempty"`
	PageEnd int `json:"page_end,omitempty"`
}

// Chunking strategies.
const (
	ChunkSection   = "section"   // sections, then paragraphs packed up to MaxTokens
	ChunkParagraph = "paragraph" // one chunk per paragraph
	ChunkWindow    = "window"    // fixed token windows, ignoring structure
)

// Defaults for zero ChunkOptions fields.
const (
	DefaultMaxTokens     = 256
	DefaultOverlapTokens = 32
	DefaultMinTokens     = 32
)

// ChunkOptions control ChunkPaper. The zero value is the default: section
// strategy, 256 tokens, 32 overlap, 32 minimum. A negative OverlapTokens or
// MinTokens turns that feature off. Default overlap and minimum shrink to a
// quarter of a small MaxTokens so that MaxTokens alone is a valid setting.
type ChunkOptions struct {
	Strategy  string `json:"strategy,omitempty"` // ChunkSection (default), ChunkParagraph or ChunkWindow
	MaxTokens int    `json:"max_tokens,omitempty"`
	// OverlapTokens are repeated from the end of the previous chunk where
	// text is cut into windows: everywhere with ChunkWindow, inside
	// paragraphs too long for one chunk otherwise. Chunks cut at paragraph
	// or section boundaries do not overlap: those boundaries are natural.
	OverlapTokens int `json:"overlap_tokens,omitempty"`
	// MinTokens: smaller pieces merge with a neighbour when the result fits.
	MinTokens int `json:"min_tokens,omitempty"`
}

// Validate reports options ChunkPaper cannot honour as given.
func (o ChunkOptions) Validate() error {
	switch o.Strategy {
	case "", ChunkSection, ChunkParagraph, ChunkWindow:
	default:
		return fmt.Errorf("chunk strategy %q: want %s, %s or %s", o.Strategy, ChunkSection, ChunkParagraph, ChunkWindow)
	}
	if o.MaxTokens < 0 {
		return fmt.Errorf("chunk max tokens %d: must be positive (0 means %d)", o.MaxTokens, DefaultMaxTokens)
	}
	r := o.resolved()
	if o.OverlapTokens > 0 && o.OverlapTokens >= r.MaxTokens {
		return fmt.Errorf("chunk overlap %d tokens: must be smaller than max tokens (%d)", o.OverlapTokens, r.MaxTokens)
	}
	if o.MinTokens > r.MaxTokens {
		return fmt.Errorf("chunk min tokens %d: must not exceed max tokens (%d)", o.MinTokens, r.MaxTokens)
	}
	return nil
}

// resolved fills defaults and clamps what Validate would reject, so
// ChunkPaper never fails or loops whatever it is given.
func (o ChunkOptions) resolved() ChunkOptions {
	if o.Strategy != ChunkParagraph && o.Strategy != ChunkWindow {
		o.Strategy = ChunkSection
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	o.OverlapTokens = resolveSmall(o.OverlapTokens, DefaultOverlapTokens, o.MaxTokens)
	o.OverlapTokens = min(o.OverlapTokens, o.MaxTokens-1)
	o.MinTokens = min(resolveSmall(o.MinTokens, DefaultMinTokens, o.MaxTokens), o.MaxTokens)
	return o
}

func resolveSmall(v, def, maxTokens int) int {
	switch {
	case v < 0:
		return 0
	case v == 0:
		return min(def, maxTokens/4)
	}
	return v
}

// CountTokens approximates how many tokens a language model sees, cheaply
// and without a vocabulary: each run of letters and digits counts one, each
// other non-space character (punctuation, symbols) counts one, and each
// CJK character counts one because those scripts have no spaces. English
// prose comes out near 1.1–1.2 per word while BPE tokenizers give about 1.3
// per word, so a budget taken from a model's limit wants ~20% headroom.
func CountTokens(s string) int {
	n := 0
	inRun := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
				if !inRun {
					n++
				}
				inRun = true
			case asciiSpace(c):
				inRun = false
			default:
				n++
				inRun = false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			inRun = false
		case isIdeograph(r):
			n++
			inRun = false
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if !inRun {
				n++
			}
			inRun = true
		default:
			n++
			inRun = false
		}
	}
	return n
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

func isIdeograph(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

// ChunkPaper splits a paper's full text into passages of at most
// o.MaxTokens (a single longer word is the only exception); words are
// never split. A paper without full text gives one chunk of title and
// abstract. Options are expected to pass Validate; anything else is clamped.
func ChunkPaper(p *Paper, o ChunkOptions) []Chunk {
	o = o.resolved()
	d := parseDoc(p.FullText)
	if len(d.words) == 0 {
		return abstractChunk(p)
	}
	var spans []span
	if o.Strategy == ChunkWindow {
		spans = d.windows(0, len(d.words), o)
		for i := range spans {
			spans[i].label = d.headingAt(d.words[spans[i].a].start)
		}
	} else {
		for g, grp := range d.groups() {
			for _, s := range d.pack(grp, o) {
				s.group = g
				spans = append(spans, s)
			}
		}
		spans = d.mergeSmall(spans, o)
	}
	chunks := make([]Chunk, len(spans))
	for i, s := range spans {
		start, end := d.words[s.a].start, d.words[s.b-1].end
		chunks[i] = Chunk{PaperID: p.ID, Index: i, Section: s.label, Text: p.FullText[start:end],
			Start: start, End: end, Tokens: d.tokens(s.a, s.b),
			Page: p.PageAt(start), PageEnd: p.PageAt(max(end-1, start))}
	}
	return chunks
}

// BodyChunks is ChunkPaper with the default options, keeping only
// passages of the full text: a paper without one has none (not the
// title+abstract chunk). These are the passages every engine indexes and
// shows, numbered alike.
func BodyChunks(p *Paper) []Chunk {
	out := []Chunk{}
	for _, c := range ChunkPaper(p, ChunkOptions{}) {
		if c.Start < 0 || c.End > len(p.FullText) || c.Start >= c.End || p.FullText[c.Start:c.End] != c.Text {
			continue
		}
		out = append(out, c)
	}
	return out
}

func abstractChunk(p *Paper) []Chunk {
	title, abs := strings.TrimSpace(p.Title), strings.TrimSpace(p.Abstract)
	text := title
	if text != "" && abs != "" {
		text += "\n\n"
	}
	text += abs
	if text == "" {
		return nil
	}
	start := strings.Index(p.Abstract, abs)
	if abs == "" {
		start = 0
	}
	return []Chunk{{PaperID: p.ID, Section: "abstract", Text: text, Start: start, End: start + len(abs), Tokens: CountTokens(text)}}
}

// word is a maximal run of non-space bytes of the text.
type word struct {
	start, end int
	brk        uint8 // how good a place to cut after this word is
}

const (
	breakNone uint8 = iota
	breakSentence
	breakParagraph
	breakSection // the next word starts a heading
)

// block is a paragraph or a heading line, as a range of words.
type block struct {
	a, b    int
	heading string
}

// span is a chunk in the making: words [a, b).
type span struct {
	a, b  int
	label string
	group int
}

type doc struct {
	text     string
	words    []word
	cum      []int // cum[i] is the token count of words[:i]
	blocks   []block
	headings []block // heading blocks, in order, for labelling windows
}

func (d *doc) tokens(a, b int) int { return d.cum[b] - d.cum[a] }

// parseDoc splits text into words and blocks in one pass over its lines.
func parseDoc(text string) *doc {
	d := &doc{text: text, cum: []int{0}}
	para := -1 // index in d.blocks of the open paragraph
	// A heading may follow a blank line or another heading directly.
	prevBreak, prevLine := true, ""
	marked := marksHeadings(text)
	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		if le < 0 {
			le = len(text)
		} else {
			le += ls
		}
		line := strings.TrimSpace(text[ls:le])
		first := len(d.words)
		d.addWords(ls, le)
		switch h, ok := headingOf(line, prevBreak, prevLine, marked); {
		case line == "":
			para = -1
		case ok:
			d.blocks = append(d.blocks, block{first, len(d.words), h})
			d.headings = append(d.headings, d.blocks[len(d.blocks)-1])
			para = -1
		case para < 0:
			d.blocks = append(d.blocks, block{a: first, b: len(d.words)})
			para = len(d.blocks) - 1
		default:
			d.blocks[para].b = len(d.words)
		}
		prevBreak = line == "" || (len(d.blocks) > 0 && d.blocks[len(d.blocks)-1].heading != "" && para < 0)
		prevLine = line
		ls = le + 1
	}
	d.markBreaks()
	return d
}

func (d *doc) addWords(ls, le int) {
	for i := ls; i < le; {
		size, sp := spaceAt(d.text, i)
		if sp {
			i += size
			continue
		}
		j := i + size
		for j < le {
			size, sp := spaceAt(d.text, j)
			if sp {
				break
			}
			j += size
		}
		d.words = append(d.words, word{start: i, end: j})
		d.cum = append(d.cum, d.cum[len(d.cum)-1]+CountTokens(d.text[i:j]))
		i = j
	}
}

// spaceAt reports the size of the rune at s[i] and whether it is white
// space, with a fast path for ASCII.
func spaceAt(s string, i int) (int, bool) {
	if c := s[i]; c < utf8.RuneSelf {
		return 1, asciiSpace(c)
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return size, unicode.IsSpace(r)
}

// markBreaks flags words after which a cut reads well: before a heading,
// at a paragraph end, at a sentence end. Never right after a heading,
// which belongs with the text below it.
func (d *doc) markBreaks() {
	for i := range d.words {
		if i+1 < len(d.words) && endsSentence(d.text[d.words[i].start:d.words[i].end], d.text[d.words[i+1].start:d.words[i+1].end]) {
			d.words[i].brk = breakSentence
		}
	}
	for _, b := range d.blocks {
		switch {
		case b.heading != "":
			d.words[b.b-1].brk = breakNone
			if b.a > 0 {
				d.words[b.a-1].brk = breakSection
			}
		case d.words[b.b-1].brk != breakSection:
			d.words[b.b-1].brk = breakParagraph
		}
	}
}

// abbreviations end in a period without ending a sentence.
var abbreviations = map[string]bool{
	"e.g.": true, "i.e.": true, "al.": true, "fig.": true, "figs.": true, "eq.": true,
	"eqs.": true, "vs.": true, "cf.": true, "ref.": true, "refs.": true, "sec.": true,
	"no.": true, "dr.": true, "mr.": true, "ms.": true, "prof.": true, "st.": true,
	"approx.": true, "resp.": true, "tab.": true,
}

func endsSentence(w, next string) bool {
	if c := w[len(w)-1]; c < utf8.RuneSelf && !strings.ContainsRune(`.!?"')]}`, rune(c)) {
		return false // most words: no need to trim
	}
	core := strings.TrimRight(w, `"')]}”’»`)
	if core == "" || !strings.ContainsRune(".!?", rune(core[len(core)-1])) {
		return false
	}
	if abbreviations[strings.ToLower(core)] {
		return false
	}
	// "J." is an initial, not a sentence.
	if len(core) == 2 && core[0] >= 'A' && core[0] <= 'Z' {
		return false
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(next, `"'([{“‘«`))
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// groups cuts the blocks into sections at headings. A heading with no text
// of its own ("1 Introduction" straight before "1.1 Background") joins the
// next section, which keeps its own name; a heading-only last section joins
// the one before.
func (d *doc) groups() [][]block {
	var gs [][]block
	var pending []block // heading-only sections waiting for text
	for _, b := range d.blocks {
		if b.heading != "" || len(gs) == 0 {
			if len(gs) > 0 && len(gs[len(gs)-1]) == 1 && gs[len(gs)-1][0].heading != "" {
				pending = append(pending, gs[len(gs)-1]...)
				gs = gs[:len(gs)-1]
			}
			gs = append(gs, append(pending, b))
			pending = nil
			continue
		}
		gs[len(gs)-1] = append(gs[len(gs)-1], b)
	}
	if n := len(gs); n > 1 && len(gs[n-1]) == 1 && gs[n-1][0].heading != "" {
		gs[n-2] = append(gs[n-2], gs[n-1]...)
		gs = gs[:n-1]
	}
	return gs
}

// sectionName is the last heading among a group's leading headings.
func sectionName(grp []block) string {
	name := ""
	for _, b := range grp {
		if b.heading == "" {
			break
		}
		name = b.heading
	}
	return name
}

// pack turns a section's blocks into spans. Headings always stay with the
// text after them; the section strategy then packs whole paragraphs up to
// MaxTokens, the paragraph strategy keeps one per span; a paragraph too big
// for one span is cut into windows.
func (d *doc) pack(grp []block, o ChunkOptions) []span {
	name := sectionName(grp)
	var out []span
	cur := span{a: -1}
	headOnly := false
	for _, b := range grp {
		switch {
		case cur.a < 0:
			cur, headOnly = span{a: b.a, b: b.b}, b.heading != ""
		case headOnly || (o.Strategy == ChunkSection && b.heading == "" && d.tokens(cur.a, b.b) <= o.MaxTokens):
			cur.b, headOnly = b.b, b.heading != ""
		default:
			out = append(out, d.fit(cur, o)...)
			cur, headOnly = span{a: b.a, b: b.b}, b.heading != ""
		}
	}
	if cur.a >= 0 {
		out = append(out, d.fit(cur, o)...)
	}
	for i := range out {
		out[i].label = name
	}
	return out
}

// fit returns s as is when it fits, else cut into windows.
func (d *doc) fit(s span, o ChunkOptions) []span {
	if d.tokens(s.a, s.b) <= o.MaxTokens {
		return []span{s}
	}
	return d.windows(s.a, s.b, o)
}

// windows cuts words [a, b) into spans of at most MaxTokens. A span ends at
// the best break (section, paragraph, sentence) in its second half when
// there is one, else after the last word that fits; the next span starts up
// to OverlapTokens earlier, at a sentence start if the overlap holds one. A
// span always takes at least one word, so a word longer than MaxTokens
// becomes a span of its own.
func (d *doc) windows(a, b int, o ChunkOptions) []span {
	var out []span
	for i := a; i < b; {
		j := i + 1
		for j < b && d.tokens(i, j+1) <= o.MaxTokens {
			j++
		}
		if j < b {
			j = d.breakBefore(i, j, o.MaxTokens/2)
		}
		out = append(out, span{a: i, b: j})
		if j >= b {
			break
		}
		next := j
		for next-1 > i && d.tokens(next-1, j) <= o.OverlapTokens {
			next--
		}
		for k := next; k < j; k++ {
			if d.words[k-1].brk != breakNone {
				next = k
				break
			}
		}
		// The overlap must leave room for new text, or the loop would stall.
		if d.tokens(next, j+1) > o.MaxTokens {
			next = j
		}
		i = next
	}
	return d.settleTail(out, b, o)
}

// breakBefore moves a window end j back to the best break in (i, j) that
// keeps at least minTok tokens: the latest of the strongest kind.
func (d *doc) breakBefore(i, j, minTok int) int {
	best, bestKind := j, breakNone
	for k := j - 1; k >= i && d.tokens(i, k+1) >= minTok && bestKind < breakSection; k-- {
		if kind := d.words[k].brk; kind > bestKind {
			best, bestKind = k+1, kind
		}
	}
	return best
}

// settleTail handles a last window under MinTokens: it joins the window
// before when both fit in MaxTokens, else it reaches back into that window
// until it has MinTokens, so no chunk is a lonely fragment and little text
// is repeated.
func (d *doc) settleTail(out []span, b int, o ChunkOptions) []span {
	n := len(out)
	if n < 2 || d.tokens(out[n-1].a, b) >= o.MinTokens {
		return out
	}
	prev, last := &out[n-2], &out[n-1]
	if d.tokens(prev.a, b) <= o.MaxTokens {
		prev.b = b
		return out[:n-1]
	}
	for last.a-1 > prev.a && d.tokens(last.a, b) < o.MinTokens && d.tokens(last.a-1, b) <= o.MaxTokens {
		last.a--
	}
	return out
}

// mergeSmall folds spans under MinTokens into a neighbour when the result
// fits: within a section, or across sections when the small span is the
// whole section. Backward first, since a short tail usually ends what came
// before. The merged span keeps the label of the larger part.
func (d *doc) mergeSmall(ss []span, o ChunkOptions) []span {
	for i := 0; i < len(ss); i++ {
		s := ss[i]
		if d.tokens(s.a, s.b) >= o.MinTokens {
			continue
		}
		whole := (i == 0 || ss[i-1].group != s.group) && (i == len(ss)-1 || ss[i+1].group != s.group)
		if i > 0 && (whole || ss[i-1].group == s.group) && d.tokens(ss[i-1].a, s.b) <= o.MaxTokens {
			ss[i-1] = d.join(ss[i-1], s)
			ss = append(ss[:i], ss[i+1:]...)
			i -= 2
			continue
		}
		if i+1 < len(ss) && (whole || ss[i+1].group == s.group) && d.tokens(s.a, ss[i+1].b) <= o.MaxTokens {
			ss[i+1] = d.join(s, ss[i+1])
			ss = append(ss[:i], ss[i+1:]...)
			i--
		}
	}
	return ss
}

func (d *doc) join(x, y span) span {
	big := y
	if d.tokens(x.a, x.b) >= d.tokens(y.a, y.b) {
		big = x
	}
	return span{a: x.a, b: y.b, label: big.label, group: big.group}
}

// headingAt is the heading in force at byte offset off.
func (d *doc) headingAt(off int) string {
	name := ""
	for _, h := range d.headings {
		if d.words[h.a].start > off {
			break
		}
		name = h.heading
	}
	return name
}

// sectionWords are headings papers use without numbers.
var sectionWords = map[string]bool{
	"abstract": true, "introduction": true, "background": true, "related work": true,
	"method": true, "methods": true, "methodology": true, "materials and methods": true,
	"experiments": true, "experimental setup": true, "evaluation": true, "results": true,
	"discussion": true, "conclusion": true, "conclusions": true, "limitations": true,
	"future work": true, "acknowledgments": true, "acknowledgements": true,
	"references": true, "bibliography": true, "appendix": true,
}

// headingOf recognises a section heading line: markdown "## Title"
// anywhere; numbered ("2 Methods", "2.1. Data", "IV. RESULTS"), all-caps
// ("MATERIALS AND METHODS") or common bare names ("Introduction") only when
// short and after a blank line or a finished sentence, which keeps
// hard-wrapped prose such as "3 Gy were delivered to the" from counting.
//
// In a text that marks its headings (marked: Markdown, or a PDF's text,
// where the extractor wrote "## " for what the layout shows as one), a
// short paragraph is more often a figure's axis labels ("0.6 Survival
// 0.4"), a table's header or R output ("FALSE FALSE", "CCA1 CCA2") than
// a heading the layout missed: there all-caps lines are not headings, and
// numbered ones must pass plausibleNumbered.
func headingOf(line string, prevBreak bool, prevLine string, marked bool) (string, bool) {
	if h, ok := markdownHeading(line); ok {
		return h, true
	}
	if len(line) > 100 || strings.Count(line, " ") > 11 {
		return "", false
	}
	if !prevBreak && !strings.ContainsAny(lastByte(prevLine), ".!?:") {
		return "", false
	}
	if last := lastByte(line); strings.ContainsAny(last, ".,;") {
		return "", false
	}
	switch {
	case sectionWords[strings.ToLower(strings.TrimSuffix(line, ":"))]:
		return line, true
	case marked:
		if numberedHeading(line) && plausibleNumbered(line) {
			return line, true
		}
	case numberedHeading(line) || capsHeading(line):
		return line, true
	}
	return "", false
}

// marksHeadings says whether text has a Markdown heading line.
func marksHeadings(text string) bool {
	for rest := text; rest != ""; {
		line, next, _ := strings.Cut(rest, "\n")
		if _, ok := markdownHeading(line); ok {
			return true
		}
		rest = next
	}
	return false
}

// plausibleNumbered says whether numbered heading line reads as a
// section's in a text whose layout marked its headings: a section number
// from 0.1 to 15, and a title of words (one of three letters or more)
// with no number and no code in it. Axis labels ("0.6 Survival 0.4",
// "20 Turkey"), formulas ("1 P M T") and numbered code lines fail.
func plausibleNumbered(line string) bool {
	num, title, _ := strings.Cut(line, " ")
	num = strings.TrimSuffix(num, ".")
	if n, err := strconv.Atoi(num); err == nil && (n < 1 || n > 15) || strings.HasPrefix(num, "0.0") {
		return false
	}
	return !hasNumber(title) && !strings.ContainsAny(title, "{}<>=;|") &&
		slices.ContainsFunc(strings.Fields(title), func(w string) bool {
			return utf8.RuneCountInString(w) >= 3 && !strings.ContainsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		})
}

// hasNumber says whether s has a word made of digits (and . , - −).
func hasNumber(s string) bool {
	for _, w := range strings.Fields(s) {
		if strings.ContainsFunc(w, unicode.IsDigit) && !strings.ContainsFunc(w, func(r rune) bool {
			return !unicode.IsDigit(r) && !strings.ContainsRune(".,-−", r)
		}) {
			return true
		}
	}
	return false
}

func lastByte(s string) string {
	if s == "" {
		return ""
	}
	return s[len(s)-1:]
}

func markdownHeading(line string) (string, bool) {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(line) || (line[n] != ' ' && line[n] != '\t') {
		return "", false
	}
	h := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[n:]), "#"))
	return h, h != ""
}

// numberedHeading matches "2 Methods", "2.1. Data" and "IV. Results": a
// short section number, then a capitalised title.
func numberedHeading(line string) bool {
	num, title, ok := strings.Cut(line, " ")
	title = strings.TrimSpace(title)
	if !ok || title == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(title)
	if !unicode.IsUpper(r) {
		return false
	}
	if roman := strings.TrimSuffix(num, "."); roman != num && romanNumerals[roman] {
		return true
	}
	parts := strings.Split(strings.TrimSuffix(num, "."), ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 2 || !allDigitBytes(p) {
			return false
		}
	}
	return true
}

var romanNumerals = map[string]bool{"I": true, "II": true, "III": true, "IV": true, "V": true,
	"VI": true, "VII": true, "VIII": true, "IX": true, "X": true, "XI": true, "XII": true}

// capsHeading matches "INTRODUCTION" or "MATERIALS AND METHODS": at least
// three letters, none lower case, and nothing that looks like a formula.
func capsHeading(line string) bool {
	letters := 0
	for _, r := range line {
		switch {
		case unicode.IsLower(r):
			return false
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '-' || r == '&' || r == ':' || r == '/' || r == ',' || unicode.IsDigit(r):
		default:
			return false
		}
	}
	return letters >= 3 && strings.Count(line, " ") < 8
}
