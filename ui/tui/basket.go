package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// basket is the evidence basket: papers marked for answers and drafts, in
// the order they were marked. Answers use it only when asked to (A, or tab
// in the question line): a basket restored from an earlier session must
// never slip into an unrelated question.
type basket struct {
	items []basketItem
	// saved is when a restored basket was last changed (zero when it was
	// built in this session).
	saved time.Time

	cursor, top int
}

type basketItem struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	// Agent is set for papers an agent's tool added.
	Agent bool `json:"agent,omitempty"`
}

func (b *basket) Has(id string) bool {
	return slices.ContainsFunc(b.items, func(it basketItem) bool { return it.ID == id })
}

// Toggle marks or unmarks a paper and reports whether it is now marked.
func (b *basket) Toggle(id, title string) bool {
	if i := slices.IndexFunc(b.items, func(it basketItem) bool { return it.ID == id }); i >= 0 {
		b.items = slices.Delete(b.items, i, i+1)
		b.clamp()
		b.saved = time.Time{} // this session's basket now
		return false
	}
	b.items = append(b.items, basketItem{ID: id, Title: title})
	b.saved = time.Time{}
	return true
}

func (b *basket) IDs() []string {
	out := make([]string, len(b.items))
	for i, it := range b.items {
		out[i] = it.ID
	}
	return out
}

func (b *basket) Len() int { return len(b.items) }

func (b *basket) clamp() {
	b.cursor = max(0, min(b.cursor, len(b.items)-1))
}

// clear empties the basket and forgets where it came from.
func (b *basket) clear() {
	b.items, b.saved, b.cursor, b.top = nil, time.Time{}, 0, 0
}

// addFromAgent adds the papers of an agent's basket that are not in ours
// yet, and returns their IDs.
func (b *basket) addFromAgent(ids []string) []string {
	var added []string
	for _, id := range ids {
		if id == "" || b.Has(id) {
			continue
		}
		b.items = append(b.items, basketItem{ID: id, Agent: true})
		added = append(added, id)
	}
	if len(added) > 0 {
		b.saved = time.Time{}
	}
	return added
}

// basketTitlesMsg carries the titles of papers an agent added.
type basketTitlesMsg struct {
	titles map[string]string
}

// fetchTitles looks up the titles of ids (papers an agent added arrive as
// bare IDs).
func fetchTitles(b Backend, ids []string) tea.Cmd {
	if len(ids) == 0 {
		return nil
	}
	return func() tea.Msg {
		out := map[string]string{}
		for _, id := range ids {
			if p, err := b.Get(context.Background(), id); err == nil && p != nil {
				out[id] = p.Title
			}
		}
		return basketTitlesMsg{titles: out}
	}
}

func (m *Model) onBasketTitles(msg basketTitlesMsg) {
	for i, it := range m.basket.items {
		if t, ok := msg.titles[it.ID]; ok && it.Title == "" {
			m.basket.items[i].Title = t
		}
	}
}

// onAgentBasket merges the basket an agent's tools built into ours.
func (m *Model) onAgentBasket(ids []string) tea.Cmd {
	added := m.basket.addFromAgent(ids)
	if len(added) == 0 {
		return nil
	}
	m.setStatus(fmt.Sprintf("the agent added %d %s to the basket (B shows it)", len(added), plural(len(added), "paper", "papers")))
	return fetchTitles(m.backend, added)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// since says when a restored basket dates from, for people: "today",
// "yesterday", "Tuesday", or "3 Mar".
func since(t, now time.Time) string {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	days := int(day(y2, m2, d2).Sub(day(y1, m1, d1)).Hours() / 24)
	switch {
	case days <= 0:
		return "today"
	case days == 1:
		return "yesterday"
	case days < 7:
		return t.Weekday().String()
	}
	return t.Format("2 Jan")
}

// restoredNotice tells about a basket left from an earlier session.
func (m *Model) restoredNotice() string {
	n := m.basket.Len()
	if n == 0 || m.basket.saved.IsZero() {
		return ""
	}
	return fmt.Sprintf("basket: %d %s from %s (used only when asked) · %s shows · %s clears",
		n, plural(n, "paper", "papers"), since(m.basket.saved, m.now()), m.keyHelp(actShowBasket), m.keyHelp(actClearBasket))
}

// keyHelp is how the key of action a is shown ("" when it has none).
func (m *Model) keyHelp(a action) string {
	if b := m.keys.binding(a); b != nil && b.Enabled() && len(b.Keys()) > 0 {
		return b.Help().Key
	}
	return "the palette"
}

// openBasket shows the basket pane.
func (m *Model) openBasket() {
	m.pushBack()
	m.basket.clamp()
	m.focus, m.detail = FocusBasket, FocusBasket
	m.relayout()
}

func (m *Model) clearBasket() {
	n := m.basket.Len()
	m.basket.clear()
	m.setStatus(fmt.Sprintf("basket cleared (%d %s)", n, plural(n, "paper", "papers")))
}

// basketNavigate moves the basket pane's cursor.
func (m *Model) basketNavigate(a action) {
	b := &m.basket
	h := max(1, m.layout.Detail.H-3)
	switch a {
	case actUp:
		b.cursor--
	case actDown:
		b.cursor++
	case actPageUp:
		b.cursor -= h
	case actPageDown:
		b.cursor += h
	case actTop:
		b.cursor = 0
	case actBottom:
		b.cursor = len(b.items) - 1
	}
	b.clamp()
}

// basketSelected is the paper under the basket pane's cursor.
func (m *Model) basketSelected() (basketItem, bool) {
	b := &m.basket
	if b.cursor < 0 || b.cursor >= len(b.items) {
		return basketItem{}, false
	}
	return b.items[b.cursor], true
}

// View draws the basket pane.
func (b *basket) View(m *Model, w, h int, focused bool) []string {
	st := &m.styles
	title := fmt.Sprintf("Basket · %d %s", len(b.items), plural(len(b.items), "paper", "papers"))
	if !b.saved.IsZero() && len(b.items) > 0 {
		title += " from " + since(b.saved, m.now())
	}
	lines := []string{paneHeader(st, title, w, focused)}
	if len(b.items) == 0 {
		lines = append(lines, st.Muted.Render(fmt.Sprintf(" Empty: mark papers with %s in the results or the reader.", m.keyHelp(actMark))))
	} else {
		lines = append(lines, st.Muted.Render(fmt.Sprintf(" %s asks about these papers · %s reads · %s removes · %s clears",
			m.keyHelp(actAskBasket), m.keyHelp(actOpen), m.keyHelp(actMark), m.keyHelp(actClearBasket))))
	}
	room := max(1, h-len(lines))
	if b.cursor < b.top {
		b.top = b.cursor
	}
	if b.cursor >= b.top+room {
		b.top = b.cursor - room + 1
	}
	b.top = max(0, min(b.top, len(b.items)-room))
	for i := b.top; i < len(b.items) && len(lines) < h; i++ {
		it := b.items[i]
		mark := "  "
		if i == b.cursor && focused {
			mark = "› "
		}
		name := it.Title
		if name == "" {
			name = it.ID
		}
		row := fmt.Sprintf("%s%d. %s", mark, i+1, name)
		var tags []string
		if it.Title != "" {
			tags = append(tags, it.ID)
		}
		if it.Agent {
			tags = append(tags, "added by the agent")
		}
		if len(tags) > 0 {
			row += st.Muted.Render(" · " + strings.Join(tags, " · "))
		}
		lines = append(lines, fit(row, w))
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// basketStatus is the status bar's basket part: its size, and for a
// restored basket, its day.
func (m *Model) basketStatus() string {
	s := fmt.Sprintf("basket %d", m.basket.Len())
	if !m.basket.saved.IsZero() && m.basket.Len() > 0 {
		s += " from " + since(m.basket.saved, m.now())
	}
	return s
}
