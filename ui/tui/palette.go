package tui

import (
	"sort"
	"strings"
	"unicode"
)

// command is something the palette can run.
type command int

const (
	cmdAsk command = iota + 1
	cmdDraft
	cmdSearch
	cmdShowBasket
	cmdClearBasket
	cmdClearFilters
	cmdMoreLike
	cmdCopyBibTeX
	cmdCopyCitation
	cmdOpenURL
	cmdEditDraft
	cmdExportDraft
	cmdShowAnswer
	cmdShowDraft
	cmdTheme
	cmdHelp
	cmdQuit
)

type paletteItem struct {
	title, desc, key string
	cmd              command
	arg              string // the prompt name for cmdDraft
}

// palette is the fuzzy command palette.
type palette struct {
	ed      editor
	all     []paletteItem
	matches []paletteItem
	cursor  int
}

func (m *Model) paletteItems() []paletteItem {
	k := m.keys
	h := func(b interface{ Keys() []string }) string {
		if ks := b.Keys(); len(ks) > 0 {
			return ks[0]
		}
		return ""
	}
	items := []paletteItem{
		{"Ask a question", "about the results, or the basket when it has papers", h(k.Ask), cmdAsk, ""},
	}
	for _, p := range m.prompts {
		desc := p.Description
		if p.Mode != "" {
			desc = "[" + p.Mode + "] " + desc
		}
		items = append(items, paletteItem{"Draft: " + p.Name, desc, p.Key, cmdDraft, p.Name})
	}
	items = append(items,
		paletteItem{"Search", "focus the search bar", h(k.FocusSearch), cmdSearch, ""},
		paletteItem{"Show basket", "list the marked papers", h(k.Basket), cmdShowBasket, ""},
		paletteItem{"Clear basket", "unmark every paper", "", cmdClearBasket, ""},
		paletteItem{"Clear filters", "keep the words, drop every filter", "", cmdClearFilters, ""},
		paletteItem{"More like this", "search with the selected paper's title terms", h(k.MoreLike), cmdMoreLike, ""},
		paletteItem{"Copy BibTeX", "of the selected paper, to the clipboard", h(k.CopyBibTeX), cmdCopyBibTeX, ""},
		paletteItem{"Copy citation", "plain text, of the selected paper", h(k.CopyCitation), cmdCopyCitation, ""},
		paletteItem{"Open DOI/URL", "of the selected paper, in the browser", h(k.OpenURL), cmdOpenURL, ""},
		paletteItem{"Show answer", "the last answer", "", cmdShowAnswer, ""},
		paletteItem{"Show draft", "the last draft", "", cmdShowDraft, ""},
		paletteItem{"Edit draft", "in $EDITOR", h(k.Edit), cmdEditDraft, ""},
		paletteItem{"Export draft", "to a markdown file", h(k.Export), cmdExportDraft, ""},
		paletteItem{"Switch theme", "dark, light, high contrast", h(k.Theme), cmdTheme, ""},
		paletteItem{"Help", "every key binding", h(k.Help), cmdHelp, ""},
		paletteItem{"Quit", "", h(k.Quit), cmdQuit, ""},
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

// inputLine is a one-line prompt: a question, or a prompt's variables one
// after another.
type inputLine struct {
	label  string
	ed     editor
	kind   command // cmdAsk or cmdDraft
	prompt PromptInfo
	vars   map[string]string
	varIdx int
}

func (m *Model) askInput() {
	m.input = inputLine{label: "Ask", kind: cmdAsk}
	m.overlay = overlayInput
}

// draftInput starts a draft, asking for the prompt's variables first.
func (m *Model) draftInput(p PromptInfo) bool {
	m.input = inputLine{kind: cmdDraft, prompt: p, vars: map[string]string{}}
	if len(p.Vars) == 0 {
		return false
	}
	m.input.label = p.Name + " · " + p.Vars[0]
	m.overlay = overlayInput
	return true
}

func (m *Model) promptByName(name string) (PromptInfo, bool) {
	for _, p := range m.prompts {
		if p.Name == name {
			return p, true
		}
	}
	return PromptInfo{}, false
}
