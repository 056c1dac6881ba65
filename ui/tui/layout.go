package tui

// rect is a screen area in cells.
type rect struct{ X, Y, W, H int }

func (r rect) contains(x, y int) bool {
	return r.W > 0 && r.H > 0 && x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// Layout is where each part goes, recomputed on resize and when the detail
// pane opens or closes. Columns are separated by one-cell rules.
type Layout struct {
	Search, Chips            rect
	Sidebar, Results, Detail rect
	Status, Hint             rect
	Body                     rect
	Wide                     bool // results and the detail pane side by side
}

// wideAt is the width from which the reader sits beside the results.
const wideAt = 120

func computeLayout(w, h int, detailFocused bool) Layout {
	w, h = max(w, 20), max(h, 6)
	l := Layout{Wide: w >= wideAt}
	l.Search = rect{0, 0, w, 1}
	l.Chips = rect{0, 1, w, 1}
	l.Status = rect{0, h - 2, w, 1}
	l.Hint = rect{0, h - 1, w, 1}
	body := rect{0, 2, w, h - 4}
	l.Body = body
	side := 0
	switch {
	case w >= 160:
		side = 30
	case w >= 100:
		side = 26
	case w >= 60:
		side = 22
	}
	switch {
	case l.Wide:
		rest := w - side - 1
		resW := rest * 45 / 100
		l.Sidebar = rect{0, body.Y, side, body.H}
		l.Results = rect{side + 1, body.Y, resW, body.H}
		l.Detail = rect{side + 1 + resW + 1, body.Y, rest - resW - 1, body.H}
	case detailFocused:
		l.Detail = rect{0, body.Y, w, body.H}
	default:
		if side > 0 {
			l.Sidebar = rect{0, body.Y, side, body.H}
			l.Results = rect{side + 1, body.Y, w - side - 1, body.H}
		} else {
			l.Results = rect{0, body.Y, w, body.H}
		}
	}
	return l
}

func isDetail(f Focus) bool {
	return f == FocusReader || f == FocusAnswer || f == FocusDraft || f == FocusBasket
}

func (m *Model) relayout() {
	old := m.layout
	m.layout = computeLayout(m.width, m.height, isDetail(m.focus))
	m.results.height = max(0, m.layout.Results.H-1)
	if m.results.total > 0 {
		m.results.clampTop()
	}
	m.help.SetWidth(m.width - 4)
	_ = old
}
