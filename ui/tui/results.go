package tui

import (
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

// rowsPerHit is the height of one hit: title, byline, snippet.
const rowsPerHit = 3

// maxPages bounds the page cache: pages far from the cursor are dropped,
// so scrolling through a million hits holds a few thousand at most.
const maxPages = 64

// resultList is the virtualised hit list: it knows the total, holds the
// pages it has fetched and renders only the rows on screen.
type resultList struct {
	gen      uint64 // the search the pages belong to
	total    int
	pageSize int
	pages    map[int][]search.Hit
	inflight map[int]bool
	cursor   int // selected hit
	top      int // first hit on screen
	maxScore float64
	height   int // rows available for hits, set by layout
	// spelling is the engine's spellings for the query's words that no
	// paper has: offered when the search found nothing, or, when it found
	// papers on its other words, after Enter asked for them (checkSpelling).
	spelling *search.Spelling
	// checked is set once Enter has asked for spellings for this search.
	checked bool
}

func (r *resultList) reset(gen uint64, res *search.Result) {
	r.gen = gen
	r.total = int(min(res.Total, uint64(1<<31-1)))
	if r.total < len(res.Hits) {
		r.total = len(res.Hits)
	}
	r.pages = map[int][]search.Hit{0: res.Hits}
	r.inflight = map[int]bool{}
	r.cursor, r.top = 0, 0
	r.maxScore = 0
	r.spelling = res.Spelling
	r.checked = false
	if len(res.Hits) > 0 {
		r.maxScore = res.Hits[0].Score
	}
}

// hit returns hit i if its page is loaded.
func (r *resultList) hit(i int) (*search.Hit, bool) {
	if r.pageSize <= 0 || i < 0 || i >= r.total {
		return nil, false
	}
	p, ok := r.pages[i/r.pageSize]
	if !ok || i%r.pageSize >= len(p) {
		return nil, false
	}
	return &p[i%r.pageSize], true
}

func (r *resultList) selected() (*search.Hit, bool) { return r.hit(r.cursor) }

func (r *resultList) visibleHits() int { return max(1, (r.height-r.offerRows())/rowsPerHit) }

// offerRows is the height of the spellings offered above hits (View).
func (r *resultList) offerRows() int {
	if r.total > 0 && r.spelling != nil {
		return 2
	}
	return 0
}

// move the cursor by delta hits, keeping it on screen.
func (r *resultList) move(delta int) {
	r.setCursor(r.cursor + delta)
}

func (r *resultList) setCursor(i int) {
	if r.total == 0 {
		r.cursor, r.top = 0, 0
		return
	}
	r.cursor = min(max(i, 0), r.total-1)
	r.clampTop()
}

func (r *resultList) clampTop() {
	n := r.visibleHits()
	if r.cursor < r.top {
		r.top = r.cursor
	}
	if r.cursor >= r.top+n {
		r.top = r.cursor - n + 1
	}
	r.top = max(0, min(r.top, r.total-n))
}

// scroll moves the window (mouse wheel) and drags the cursor along.
func (r *resultList) scroll(delta int) {
	n := r.visibleHits()
	r.top = max(0, min(r.top+delta, r.total-n))
	r.cursor = min(max(r.cursor, r.top), r.top+n-1)
	r.cursor = max(0, min(r.cursor, r.total-1))
}

// missingPages lists the pages the screen (and one screen either side)
// needs that are neither loaded nor being fetched.
func (r *resultList) missingPages() []int {
	if r.total == 0 || r.pageSize <= 0 {
		return nil
	}
	n := r.visibleHits()
	lo := max(0, r.top-n) / r.pageSize
	hi := min(r.total-1, r.top+2*n) / r.pageSize
	var out []int
	for p := lo; p <= hi; p++ {
		if _, ok := r.pages[p]; !ok && !r.inflight[p] {
			out = append(out, p)
		}
	}
	return out
}

// evict drops the pages farthest from the cursor beyond maxPages.
func (r *resultList) evict() {
	for len(r.pages) > maxPages {
		cur := r.cursor / r.pageSize
		far, dist := -1, -1
		for p := range r.pages {
			if d := abs(p - cur); d > dist {
				far, dist = p, d
			}
		}
		delete(r.pages, far)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ensurePages fetches the pages the screen needs.
func (m *Model) ensurePages() tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range m.results.missingPages() {
		cmds = append(cmds, m.fetchPage(p))
	}
	return tea.Batch(cmds...)
}

// View renders the list in w×h cells: a header and hits of three rows.
func (r *resultList) View(m *Model, w, h int, focused bool) []string {
	st := &m.styles
	lines := make([]string, 0, h)
	head := "Results"
	if r.total > 0 {
		first := r.top + 1
		last := min(r.total, r.top+r.visibleHits())
		head = fmt.Sprintf("Results %s–%s of %s", progress.HumanCount(int64(first)), progress.HumanCount(int64(last)), progress.HumanCount(int64(r.total)))
	}
	lines = append(lines, paneHeader(st, head, w, focused))
	if s, ok := m.suggestion(); ok && r.total > 0 {
		how := m.keyHelp(actSubmit) + " searches it"
		if m.focus != FocusSearch {
			how = m.keyHelp(actFocusSearch) + " then " + how
		}
		n := int64(min(r.spelling.Hits, 1<<63-1))
		lines = append(lines, fit("  "+st.Muted.Render("Did you mean ")+s+st.Muted.Render("?"), w),
			fit(st.Muted.Render("  "+progress.HumanNoun(n, "hit", "hits")+" · "+how), w))
	} else if r.total > 0 {
		for range r.offerRows() { // kept while a new search runs
			lines = append(lines, fit("", w))
		}
	}
	if r.total == 0 {
		msg := "No results."
		if m.searching {
			msg = "Searching…"
		} else if s, ok := m.suggestion(); ok {
			msg = "No paper has these words."
			lines = append(lines, fit(st.Muted.Render("  "+msg+" Did you mean"), w), fit("  "+s, w),
				fit(st.Muted.Render("  "+m.keyHelp(actSubmit)+" searches it"), w))
			msg = ""
		} else if m.query != "" {
			msg = "No results. Remove a filter (x) or try other words."
		}
		if msg != "" {
			lines = append(lines, fit(st.Muted.Render("  "+msg), w))
		}
	}
	barW := 5
	for i := r.top; len(lines)+rowsPerHit <= h && i < r.total; i++ {
		hit, ok := r.hit(i)
		sel := i == r.cursor
		if !ok {
			lines = append(lines, fit(st.Muted.Render(fmt.Sprintf("  %d. loading…", i+1)), w), fit("", w), fit("", w))
			continue
		}
		p := &hit.Paper
		cur := "  "
		if sel {
			cur = "▸ "
		}
		box := "[ ] "
		if m.basket.Has(hit.ID) {
			box = "[x] "
		}
		num := strconv.Itoa(i+1) + ". "
		bar := scoreBar(hit.Score, r.maxScore, barW)
		titleW := w - len(cur) - len(box) - len(num) - barW - 1
		title := p.Title
		if title == "" {
			title = hit.ID
		}
		var line1 string
		if sel {
			line1 = st.Selected.Render(cur+box+num+fit(title, titleW)+" ") + st.Bar.Render(bar)
		} else {
			line1 = cur + box + num + st.Title.Render(fit(title, titleW)) + " " + st.Bar.Render(bar)
		}
		lines = append(lines, fit(line1, w))
		lines = append(lines, fit("    "+st.Muted.Render(byline(p)), w))
		snip := hit.Snippet
		if snip.Text == "" {
			snip = search.Snippet{Text: p.Abstract}
		}
		lines = append(lines, "    "+markedLine(st, snip, w-4))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// scoreBar draws score relative to the best hit in w cells; the glyphs
// (▰ full, ▱ empty) carry it without colour.
func scoreBar(score, best float64, w int) string {
	n := 0
	if best > 0 {
		n = int(score/best*float64(w) + 0.5)
	}
	n = min(max(n, 0), w)
	return strings.Repeat("▰", n) + strings.Repeat("▱", w-n)
}

// suggestion is the search bar's line with the spellings the engine
// offered for words no paper has, while the line is still the one
// searched: when the search found nothing, or, after Enter asked, when
// it found papers on the other words.
func (m *Model) suggestion() (string, bool) {
	sp := m.results.spelling
	if sp == nil || m.searching || m.bar.ed.Value() != m.query {
		return "", false
	}
	s := sp.Corrected(m.query)
	return s, s != m.query
}
