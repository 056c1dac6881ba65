package tui

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// searchBar is the query field with its history and completion state.
type searchBar struct {
	ed       editor
	history  []string
	histIdx  int    // == len(history) when not browsing
	histLine string // the line being typed before browsing began
	parseErr string
	// selected is set while the whole query is selected (restored from the
	// last session): a typed key replaces it, a cursor key keeps it.
	selected bool

	// Completion at the cursor, recomputed after every edit.
	comp       query.Completion
	compOK     bool
	candidates []candidate
	// After a Tab, a second Tab replaces the inserted candidate with the
	// next one.
	cycle *compCycle
}

type candidate struct {
	Insert string // what replaces the completion span
	Label  string
	Count  int
}

type compCycle struct {
	start, end int // byte span of the inserted text
	cands      []candidate
	idx        int
	value      string // the bar's value right after insertion
}

// hitsMsg carries the first page of a search; facetsMsg its facet counts.
type hitsMsg struct {
	seq  uint64
	text string
	res  *search.Result
	err  error
}

type facetsMsg struct {
	seq uint64
	res *search.Result
	err error
}

type pageMsg struct {
	seq  uint64
	page int
	hits []search.Hit
	err  error
}

type statsMsg struct {
	stats *search.Stats
	err   error
}

func statsCmd(b Backend) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := b.Stats(ctx)
		return statsMsg{st, err}
	}
}

// startSearch parses the bar and starts a search for it, cancelling the
// one in flight. Every keystroke that changes the text calls it: there is
// no debounce, stale searches are cancelled and their results dropped.
func (m *Model) startSearch() tea.Cmd {
	text := m.bar.ed.Value()
	q, err := query.Parse(text)
	if err != nil {
		m.bar.parseErr = err.Error()
		return nil
	}
	m.bar.parseErr = ""
	if m.cancel != nil {
		m.cancel()
	}
	m.seq++
	ctx, cancel := context.WithCancel(context.Background())
	m.searchCtx, m.cancel = ctx, cancel
	m.searchStart = m.now()
	m.searching = true
	seq, b := m.seq, m.backend
	hitsReq := search.Request{Query: q, Limit: m.results.pageSize, Snippets: true, Passages: true}
	facetReq := search.Request{Query: q, Facets: search.AllFacets, FacetSize: m.opts.FacetSize}
	return tea.Batch(
		func() tea.Msg {
			res, err := b.Search(ctx, hitsReq)
			return hitsMsg{seq: seq, text: text, res: res, err: err}
		},
		func() tea.Msg {
			res, err := b.Search(ctx, facetReq)
			return facetsMsg{seq: seq, res: res, err: err}
		},
	)
}

// fetchPage loads one page of the current search's hits.
func (m *Model) fetchPage(page int) tea.Cmd {
	q, err := query.Parse(m.query)
	if err != nil || m.searchCtx == nil {
		return nil
	}
	m.results.inflight[page] = true
	ctx, seq, b, size := m.searchCtx, m.seq, m.backend, m.results.pageSize
	req := search.Request{Query: q, Limit: size, Offset: page * size, Snippets: true, Passages: true}
	return func() tea.Msg {
		res, err := b.Search(ctx, req)
		if err != nil {
			return pageMsg{seq: seq, page: page, err: err}
		}
		return pageMsg{seq: seq, page: page, hits: res.Hits}
	}
}

func (m *Model) onHits(msg hitsMsg) tea.Cmd {
	if msg.seq != m.seq {
		return nil // a newer keystroke superseded it
	}
	m.searching = false
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			m.setError(msg.err)
		}
		return nil
	}
	m.latency = m.now().Sub(m.searchStart)
	m.query = msg.text
	m.results.reset(msg.seq, msg.res)
	return tea.Batch(m.ensurePages(), m.previewSelected())
}

func (m *Model) onFacets(msg facetsMsg) {
	if msg.seq != m.seq || msg.err != nil || msg.res == nil {
		return
	}
	m.facets.set(msg.res.Facets)
	m.facets.note = msg.res.FacetNote
	for _, f := range msg.res.Facets {
		if len(f.Values) > 0 {
			m.compFacets = msg.res.Facets
			break
		}
	}
	m.refreshCompletion()
}

func (m *Model) onPage(msg pageMsg) tea.Cmd {
	if msg.seq != m.results.gen {
		return nil
	}
	delete(m.results.inflight, msg.page)
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			m.setError(msg.err)
		}
		return nil
	}
	m.results.pages[msg.page] = msg.hits
	m.results.evict()
	return m.previewSelected()
}

// spellMsg is the answer to Enter's spelling check.
type spellMsg struct {
	seq  uint64
	text string
	sp   *search.Spelling
	err  error
}

// checkSpelling asks the engine, when Enter is pressed on a search that
// found papers, for spellings of the words that no paper has: only then,
// since as the line is typed its last word is often half a word. Enter
// does not wait for it; nil when there is nothing to check: the search is
// still running, the line has changed, or it was checked already.
func (m *Model) checkSpelling() tea.Cmd {
	r := &m.results
	if r.total == 0 || r.checked || m.searching || m.searchCtx == nil || m.bar.ed.Value() != m.query {
		return nil
	}
	q, err := query.Parse(m.query)
	if err != nil || q.Text == "" {
		return nil
	}
	r.checked = true
	ctx, seq, text, b := m.searchCtx, m.seq, m.query, m.backend
	return func() tea.Msg {
		res, err := b.Search(ctx, search.Request{Query: q, Spelling: true})
		if err != nil {
			return spellMsg{seq: seq, text: text, err: err}
		}
		return spellMsg{seq: seq, text: text, sp: res.Spelling}
	}
}

// onSpelling keeps the spellings Enter asked for, shown above the hits
// while the line is unchanged. A failed check is not worth an error: the
// search it checks has already answered.
func (m *Model) onSpelling(msg spellMsg) {
	if msg.seq != m.results.gen || m.searching || m.bar.ed.Value() != msg.text || msg.err != nil ||
		msg.sp == nil || msg.sp.Corrected(msg.text) == msg.text {
		return
	}
	m.results.spelling = msg.sp
	m.results.clampTop()
}

// toResults is Enter's move from the bar to the hits.
func (m *Model) toResults() tea.Cmd {
	if m.results.total > 0 {
		m.setFocus(FocusResults)
	}
	return m.previewSelected()
}

// setQuery replaces the bar's text (a facet toggle, a chip removal, history,
// "more like this") and searches for it.
func (m *Model) setQuery(s string) tea.Cmd {
	m.bar.ed.SetValue(s)
	m.bar.selected = false
	m.bar.cycle = nil
	m.refreshCompletion()
	return m.startSearch()
}

// pushHistory records the current query, most recent last, without
// repeating the previous entry.
func (m *Model) pushHistory() {
	s := strings.TrimSpace(m.bar.ed.Value())
	h := m.bar.history
	if s != "" && (len(h) == 0 || h[len(h)-1] != s) {
		h = append(h, s)
		if len(h) > 200 {
			h = h[len(h)-200:]
		}
	}
	m.bar.history, m.bar.histIdx = h, len(h)
}

func (m *Model) historyMove(delta int) tea.Cmd {
	h := &m.bar
	if len(h.history) == 0 {
		return nil
	}
	if h.histIdx >= len(h.history) {
		h.histIdx = len(h.history)
		h.histLine = h.ed.Value()
	}
	i := h.histIdx + delta
	if i < 0 || i > len(h.history) {
		return nil
	}
	h.histIdx = i
	line := h.histLine
	if i < len(h.history) {
		line = h.history[i]
	}
	return m.setQuery(line)
}

// refreshCompletion works out what can be completed at the cursor.
func (m *Model) refreshCompletion() {
	b := &m.bar
	b.comp, b.compOK = query.CompletionAt(b.ed.Value(), b.ed.BytePos())
	b.candidates = nil
	if !b.compOK {
		return
	}
	switch b.comp.Kind {
	case query.CompleteKey:
		for _, k := range query.MatchKeys(b.comp.Prefix) {
			b.candidates = append(b.candidates, candidate{Insert: k + ":", Label: k + ":"})
		}
	case query.CompleteValue:
		b.candidates = m.valueCandidates(b.comp.Key, b.comp.Prefix)
	}
}

// valueCandidates lists facet values of key that start with prefix (then
// those that contain it), busiest first.
func (m *Model) valueCandidates(key, prefix string) []candidate {
	name := key
	if key == query.KeyField {
		name = search.FacetField
	}
	cf := facetPane{facets: m.compFacets}
	f, ok := cf.byName(name)
	if !ok {
		return nil
	}
	p := strings.ToLower(prefix)
	var first, rest []candidate
	for _, v := range f.Values {
		lv := strings.ToLower(v.Value)
		c := candidate{Insert: query.QuoteValue(v.Value), Label: v.Value, Count: v.Count}
		switch {
		case strings.HasPrefix(lv, p):
			first = append(first, c)
		case strings.Contains(lv, p):
			rest = append(rest, c)
		}
	}
	out := append(first, rest...)
	if key == query.KeyYear {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Label > out[j].Label })
	} else {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	}
	return out
}

// complete accepts the first candidate, or on a repeated Tab the next one.
func (m *Model) complete() (tea.Cmd, bool) {
	b := &m.bar
	v := b.ed.Value()
	if c := b.cycle; c != nil && c.value == v && len(c.cands) > 1 {
		c.idx = (c.idx + 1) % len(c.cands)
		ins := c.cands[c.idx].Insert
		nv := v[:c.start] + ins + v[c.end:]
		c.end = c.start + len(ins)
		b.ed.SetValue(nv)
		b.ed.SetBytePos(c.end)
		c.value = nv
		return m.startSearch(), true
	}
	if !b.compOK || len(b.candidates) == 0 {
		return nil, false
	}
	ins := b.candidates[0].Insert
	nv := v[:b.comp.Start] + ins + v[b.comp.End:]
	end := b.comp.Start + len(ins)
	b.ed.SetValue(nv)
	b.ed.SetBytePos(end)
	b.cycle = &compCycle{start: b.comp.Start, end: end, cands: b.candidates, value: nv}
	cands := b.candidates
	m.refreshCompletion()
	if b.comp.Kind == query.CompleteValue && len(cands) > 0 && len(b.candidates) > 0 && b.candidates[0].Insert == ins {
		b.candidates = nil // the value is complete; don't offer it again
	}
	return m.startSearch(), true
}

// parsedQuery is the bar's query, or the last one that parsed.
func (m *Model) parsedQuery() query.Query {
	if q, err := query.Parse(m.bar.ed.Value()); err == nil {
		return q
	}
	q, _ := query.Parse(m.query)
	return q
}

// toggleFacet adds or removes exactly a facet value, as Enter or a click
// on it does: author:="Yang Liu" finds the papers the facet counted, not
// every paper with a Yang and a Liu among its authors. A second value of
// the same facet joins the first as either (author:="A","B"; a second year
// adds year:2020 beside year:2019, which also means either).
func (m *Model) toggleFacet(it facetItem) tea.Cmd {
	return m.setQuery(m.parsedQuery().ToggleExact(facetKey(it.facet), it.value).String())
}

// removeFilter drops a chip.
func (m *Model) removeFilter(f query.Filter) tea.Cmd {
	q := m.parsedQuery()
	if f.Key == query.KeyYear {
		return m.setQuery(q.Without(f.Key, f.String()[len(f.Key)+1+boolInt(f.Negate):]).String())
	}
	for _, v := range f.Values {
		q = q.Without(f.Key, v)
	}
	return m.setQuery(q.String())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
