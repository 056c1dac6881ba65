package tui

import (
	"sort"

	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/ui/progress"
)

// facetPane is the sidebar: each facet's values with counts, the year as a
// histogram, and a cursor over the values.
type facetPane struct {
	facets []search.Facet
	items  []facetItem
	cursor int // index into items (values only)
	top    int
	// note says why there are no facets at all (an engine that cannot
	// count them), shown instead of "no facets yet".
	note string
}

type facetItem struct {
	header bool
	facet  string // facet name (a query key)
	value  string
	count  int
	peak   int // largest count in the facet, for bars
	spark  string
}

func (f *facetPane) byName(name string) (search.Facet, bool) {
	for _, x := range f.facets {
		if x.Name == name {
			return x, true
		}
	}
	return search.Facet{}, false
}

// set replaces the counts, keeping the cursor on the same value if it is
// still there.
func (f *facetPane) set(facets []search.Facet) {
	var keep facetItem
	if f.cursor < len(f.items) {
		keep = f.items[f.cursor]
	}
	f.facets = facets
	f.items = f.items[:0]
	for _, name := range search.AllFacets {
		fc, ok := f.byName(name)
		if !ok || len(fc.Values) == 0 {
			continue
		}
		vals := append([]search.FacetValue(nil), fc.Values...)
		peak := 1
		for _, v := range vals {
			peak = max(peak, v.Count)
		}
		head := facetItem{header: true, facet: name}
		if name == search.FacetYear {
			sort.Slice(vals, func(i, j int) bool { return vals[i].Value < vals[j].Value })
			head.spark = sparkline(vals)
			head.value = vals[0].Value + "–" + vals[len(vals)-1].Value
			// Most recent first in the list.
			sort.Slice(vals, func(i, j int) bool { return vals[i].Value > vals[j].Value })
		}
		f.items = append(f.items, head)
		for _, v := range vals {
			f.items = append(f.items, facetItem{facet: name, value: v.Value, count: v.Count, peak: peak})
		}
	}
	f.cursor = 0
	for i, it := range f.items {
		if !it.header && it.facet == keep.facet && it.value == keep.value {
			f.cursor = i
			break
		}
	}
	if f.cursor < len(f.items) && f.items[f.cursor].header {
		f.move(1)
	}
}

func (f *facetPane) selected() (facetItem, bool) {
	if f.cursor < 0 || f.cursor >= len(f.items) || f.items[f.cursor].header {
		return facetItem{}, false
	}
	return f.items[f.cursor], true
}

// move the cursor over values, skipping headers.
func (f *facetPane) move(delta int) {
	if len(f.items) == 0 {
		return
	}
	step := 1
	if delta < 0 {
		step, delta = -1, -delta
	}
	i := f.cursor
	for n := 0; n < delta; n++ {
		j := i + step
		for j >= 0 && j < len(f.items) && f.items[j].header {
			j += step
		}
		if j < 0 || j >= len(f.items) {
			break
		}
		i = j
	}
	f.cursor = i
}

// viewTop is top clamped so the cursor is on screen, without changing f.
func (f *facetPane) viewTop(h int) int {
	c := *f
	c.clamp(h)
	return c.top
}

func (f *facetPane) clamp(h int) {
	if f.cursor < f.top+1 { // keep a header visible above the first value
		f.top = max(0, f.cursor-1)
	}
	if f.cursor >= f.top+h {
		f.top = f.cursor - h + 1
	}
	f.top = max(0, min(f.top, len(f.items)-h))
}

func (f *facetPane) View(m *Model, w, h int, focused bool) []string {
	st := &m.styles
	lines := make([]string, 0, h)
	lines = append(lines, paneHeader(st, "Filters", w, focused))
	top := f.viewTop(h - 1)
	q := m.parsedQuery()
	if len(f.items) == 0 && f.note != "" {
		for _, l := range wrap(f.note, max(1, w-1)) {
			if len(lines) < h {
				lines = append(lines, fit(st.Muted.Render(" "+l), w))
			}
		}
	} else if len(f.items) == 0 {
		lines = append(lines, fit(st.Muted.Render(" no facets yet"), w))
	}
	for i := top; i < len(f.items) && len(lines) < h; i++ {
		it := f.items[i]
		if it.header {
			label := strings.ToUpper(it.facet[:1]) + it.facet[1:]
			if it.spark != "" {
				sw := max(0, w-len(label)-2)
				spark := it.spark
				if len([]rune(spark)) > sw {
					spark = string([]rune(spark)[len([]rune(spark))-sw:])
				}
				lines = append(lines, fit(st.Heading.Render(label)+" "+st.Bar.Render(spark), w))
			} else {
				lines = append(lines, fit(st.Heading.Render(label), w))
			}
			continue
		}
		// Checked is what a click would turn off: the exact value.
		on := q.HasExact(facetKey(it.facet), it.value)
		box := "[ ]"
		if on {
			box = "[x]"
		}
		count := progress.HumanCount(int64(it.count))
		var row string
		if it.facet == search.FacetYear {
			barW := max(0, w-len(box)-1-5-len(count)-2)
			n := (it.count*barW + it.peak - 1) / it.peak
			row = box + " " + it.value + " " + st.Bar.Render(strings.Repeat("█", n)) + strings.Repeat(" ", barW-n) + " " + count
		} else {
			valW := max(1, w-len(box)-2-len(count))
			row = box + " " + fit(it.value, valW) + " " + st.Muted.Render(count)
		}
		if i == f.cursor && focused {
			lines = append(lines, st.Selected.Render(fit(ansi.Strip(row), w)))
		} else {
			lines = append(lines, fit(row, w))
		}
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// sparkline draws counts as one line of block characters.
func sparkline(vals []search.FacetValue) string {
	blocks := []rune("▁▂▃▄▅▆▇█")
	peak := 1
	for _, v := range vals {
		peak = max(peak, v.Count)
	}
	var b strings.Builder
	for _, v := range vals {
		b.WriteRune(blocks[(v.Count*(len(blocks)-1)+peak-1)/peak])
	}
	return b.String()
}

// facetKey maps a facet name to the query key that filters on it.
func facetKey(name string) string {
	if name == search.FacetField {
		return query.KeyField
	}
	return name
}
