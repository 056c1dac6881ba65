package tui

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

type paletteItem struct {
	title, desc, key string
	act              action
	arg              actArg
}

// palette is the fuzzy command palette.
type palette struct {
	ed      editor
	all     []paletteItem
	matches []paletteItem
	cursor  int
}

// paletteItems lists every command with the key that runs the same action
// in the focused pane (none when no key reaches it there).
func (m *Model) paletteItems() []paletteItem {
	// The key shown is the one that runs the action in the focused pane,
	// or, from the search bar, in the results, where paper keys work.
	here, results := m.keys.helpFor(m.focus, nil), m.keys.helpFor(FocusResults, nil)
	keyFor := func(a action) string {
		if k := here.keyFor(a); k != "" || m.focus != FocusSearch {
			return k
		}
		return results.keyFor(a)
	}
	it := func(title, desc string, a action) paletteItem {
		return paletteItem{title: title, desc: desc, key: keyFor(a), act: a}
	}
	items := []paletteItem{it("Ask a question", "about the results (a follow-up when an answer is open)", actAsk),
		it("Ask about the basket", "the marked papers first, then the results", actAskBasket)}
	for _, p := range m.prompts {
		desc := p.Description
		if p.Mode != "" {
			desc = "[" + p.Mode + "] " + desc
		}
		title := "Draft: " + p.Name
		if p.Workflow {
			title = "Run workflow: " + p.Name
		}
		items = append(items, paletteItem{title: title, desc: desc, key: m.promptKeys.label[p.Name], act: actRunPrompt, arg: actArg{prompt: p.Name}})
	}
	// The sources of the answer or draft on screen, by number.
	if src := m.citePane().sources; isDetail(m.detail) && m.detail != FocusReader {
		cite := m.keys.Cite.Keys()
		for _, s := range src {
			k := ""
			if s.N >= 1 && s.N <= len(cite) && isDetail(m.focus) {
				k = keyLabel(cite[s.N-1])
			}
			items = append(items, paletteItem{title: fmt.Sprintf("Read source [%d]", s.N), desc: s.Title, key: k, act: actCite, arg: actArg{n: s.N}})
		}
	}
	items = append(items,
		it("Search", "focus the search bar", actFocusSearch),
		it("Show basket", "the marked papers, in a pane", actShowBasket),
		it("Conversations", "open, rename, delete or resume saved conversations", actConversations),
		it("New conversation", "the next question starts afresh", actNewConversation),
		it("Clear basket", "unmark every paper", actClearBasket),
		it("Clear filters", "keep the words, drop every filter", actClearFilters),
		it("More like this", "search with the selected paper's title terms", actMoreLike),
		it("Copy BibTeX", "of the selected paper, to the clipboard", actCopyBibTeX),
		it("Copy citation", "plain text, of the selected paper", actCopyCitation),
		it("Open DOI/URL", "of the selected paper, in the browser", actOpenURL),
		it("Show answer", "the last answer", actShowAnswer),
		it("Show draft", "the last draft", actShowDraft),
		it("Edit draft", "in $EDITOR", actEdit),
		it("Export draft", "to a markdown file", actExport),
		it("Switch theme", "dark, light, high contrast", actTheme),
		it("Show new papers", "search again, seeing papers a watcher added", actRefresh),
		it("Help", "every key binding", actHelp),
		it("Quit", "", actQuit),
	)
	return items
}

func (m *Model) openPalette(filter string) {
	m.palette = palette{all: m.paletteItems()}
	m.palette.ed.SetValue(filter)
	m.palette.filter()
	m.overlay = overlayPalette
}

func (p *palette) filter() {
	q := strings.ToLower(p.ed.Value())
	type scored struct {
		it    paletteItem
		score int
		i     int
	}
	var s []scored
	for i, it := range p.all {
		if sc, ok := fuzzy(q, strings.ToLower(it.title+" "+it.desc)); ok {
			s = append(s, scored{it, sc, i})
		}
	}
	sort.SliceStable(s, func(a, b int) bool { return s[a].score > s[b].score })
	p.matches = p.matches[:0]
	for _, x := range s {
		p.matches = append(p.matches, x.it)
	}
	p.cursor = 0
}

// fuzzy matches pattern as a subsequence of s; consecutive letters and
// letters at word starts score higher.
func fuzzy(pattern, s string) (int, bool) {
	if pattern == "" {
		return 0, true
	}
	pr := []rune(pattern)
	j, score, run := 0, 0, 0
	prev := ' '
	for _, r := range s {
		if j < len(pr) && r == pr[j] {
			j++
			run++
			score += run * 2
			if !unicode.IsLetter(prev) {
				score += 5
			}
		} else {
			run = 0
		}
		prev = r
	}
	if j < len(pr) {
		return 0, false
	}
	return score, true
}

func (m *Model) promptByName(name string) (PromptInfo, bool) {
	for _, p := range m.prompts {
		if p.Name == name {
			return p, true
		}
	}
	return PromptInfo{}, false
}
