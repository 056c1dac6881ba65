package tui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// fakeBackend searches a small in-memory corpus with plain substring
// matching, so tests are fast and exact.
type fakeBackend struct {
	mu       sync.Mutex
	papers   []corpus.Paper
	searches []search.Request
	asks     []AskRequest
	drafts   []DraftRequest
	askErr   error
	script   []timedEvent // what Ask and Draft stream
	prompts  []PromptInfo
	// block, when set, makes Search wait for the context (a slow engine).
	block bool
	convs []*Conversation
	// passages are the hits' passages, by paper ID, when asked for.
	passages map[string][]search.Passage
	// spell maps a word no paper has to the spelling an engine offers.
	spell map[string]string
}

type timedEvent struct {
	after time.Duration
	ev    Event
}

func fakePapers(n int) []corpus.Paper {
	venues := []string{"Nature", "Cell Reports", "NeurIPS", "ACL"}
	fields := []string{"Biology", "Computer Science", "Physics"}
	topics := []string{"protein folding", "gene editing with CRISPR", "language models", "quantum error correction", "graph neural networks"}
	authors := []string{"Ada Lovelace", "Alan Turing", "Rosalind Franklin", "Barbara McClintock", "Grace Hopper", "Jennifer Doudna"}
	out := make([]corpus.Paper, n)
	for i := range out {
		t := topics[i%len(topics)]
		out[i] = corpus.Paper{
			ID:       fmt.Sprintf("p%03d", i),
			Title:    fmt.Sprintf("Advances in %s, part %d", t, i),
			Abstract: fmt.Sprintf("We study %s at scale. Our method improves %s benchmarks by a wide margin across many settings.", t, t),
			Authors:  []string{authors[i%len(authors)], authors[(i+2)%len(authors)], authors[(i+4)%len(authors)]},
			Year:     2015 + i%10,
			Venue:    venues[i%len(venues)],
			Fields:   []string{fields[i%len(fields)]},
			DOI:      fmt.Sprintf("10.5555/fake.%d", i),
			Source:   "fake",
		}
	}
	out[0].FullText = "1 Introduction\n\nProteins fold.\n\n2 Methods\n\nWe simulate them."
	return out
}

func newFakeBackend(n int) *fakeBackend {
	return &fakeBackend{papers: fakePapers(n), prompts: []PromptInfo{
		{Name: "pr-faq", Description: "Amazon-style press release and FAQ", Key: "P", Mode: "draft", Vars: []string{"product"}},
		{Name: "lit-review", Description: "literature review of the basket", Mode: "draft"},
	}}
}

func (b *fakeBackend) match(q query.Query, p *corpus.Paper) bool {
	text := strings.ToLower(p.Title + " " + p.Abstract)
	words, typos := 0, 0
	for _, w := range strings.Fields(strings.ToLower(q.Text)) {
		if strings.HasPrefix(w, "-") {
			continue
		}
		// A word with a spelling is in no paper: as in the engine, the
		// other words find papers without it, and alone it finds none.
		words++
		if _, ok := b.spell[w]; ok {
			typos++
			continue
		}
		if !strings.Contains(text, strings.Trim(w, `"`)) {
			return false
		}
	}
	if words > 0 && typos == words {
		return false
	}
	// A repeated single-valued key (year, venue, source, id) means either,
	// as in the engine: such a key passes when any of its filters does.
	either := map[string]bool{}
	for _, f := range q.Filters {
		switch f.Key {
		case query.KeyAuthor, query.KeyField, query.KeyCategory:
		default:
			if !f.Negate {
				either[f.Key] = either[f.Key] || b.holds(f, p)
			}
		}
	}
	for _, f := range q.Filters {
		if ok, single := either[f.Key]; single && !f.Negate {
			if !ok {
				return false
			}
			continue
		}
		if b.holds(f, p) == f.Negate {
			return false
		}
	}
	return true
}

// holds reports whether one filter (its sign aside) holds for p.
func (b *fakeBackend) holds(f query.Filter, p *corpus.Paper) bool {
	var have []string
	switch f.Key {
	case query.KeyYear:
		return (f.Min == 0 || p.Year >= f.Min) && (f.Max == 0 || p.Year <= f.Max)
	case query.KeyVenue:
		have = []string{p.Venue}
	case query.KeySource:
		have = []string{p.Source}
	case query.KeyAuthor:
		have = p.Authors
	case query.KeyField:
		have = p.Fields
	case query.KeyID:
		have = []string{p.ID}
	}
	for _, v := range f.Values {
		for _, h := range have {
			if h == v || !f.Exact && strings.EqualFold(h, v) {
				return true
			}
		}
	}
	return false
}

func (b *fakeBackend) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	b.mu.Lock()
	b.searches = append(b.searches, req)
	block := b.block
	b.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var hits []search.Hit
	counts := map[string]map[string]int{}
	add := func(f, v string) {
		if counts[f] == nil {
			counts[f] = map[string]int{}
		}
		counts[f][v]++
	}
	for i := range b.papers {
		p := &b.papers[i]
		if !b.match(req.Query, p) {
			continue
		}
		score := 10 - float64(len(hits))*0.1
		h := search.Hit{ID: p.ID, Score: score, Paper: *p}
		if req.Snippets {
			h.Snippet = snippetFor(p.Abstract, req.Query.Text)
		}
		if req.Passages {
			h.Passages = b.passages[p.ID]
		}
		hits = append(hits, h)
	}
	// Facet counts are disjunctive, as the engine's: each facet counts the
	// papers that match with its own (positive) filters off, so sibling
	// values stay visible.
	for _, name := range req.Facets {
		q := req.Query
		q.Filters = slices.DeleteFunc(slices.Clone(q.Filters), func(f query.Filter) bool {
			return f.Key == facetKey(name) && !f.Negate
		})
		for i := range b.papers {
			p := &b.papers[i]
			if !b.match(q, p) {
				continue
			}
			switch name {
			case search.FacetYear:
				add(name, strconv.Itoa(p.Year))
			case search.FacetVenue:
				add(name, p.Venue)
			case search.FacetSource:
				add(name, p.Source)
			case search.FacetAuthor:
				for _, a := range p.Authors {
					add(name, a)
				}
			case search.FacetField:
				for _, f := range p.Fields {
					add(name, f)
				}
			}
		}
	}
	res := &search.Result{Total: uint64(len(hits)), Took: time.Millisecond}
	if len(hits) == 0 {
		res.NoHits = &search.NoHits{Message: "no hits"}
	}
	if len(hits) == 0 || req.Spelling {
		sp := &search.Spelling{}
		for _, w := range strings.Fields(req.Query.Text) {
			if to, ok := b.spell[w]; ok {
				sp.Corrections = append(sp.Corrections, search.Correction{Word: w, To: to})
			}
		}
		if len(sp.Corrections) > 0 {
			sp.Text = sp.Corrected(req.Query.Text)
			sp.Hits = 42
			res.Spelling = sp
		}
	}
	for _, name := range req.Facets {
		f := search.Facet{Name: name}
		for v, c := range counts[name] {
			f.Values = append(f.Values, search.FacetValue{Value: v, Count: c})
		}
		sort.Slice(f.Values, func(i, j int) bool {
			if f.Values[i].Count != f.Values[j].Count {
				return f.Values[i].Count > f.Values[j].Count
			}
			return f.Values[i].Value < f.Values[j].Value
		})
		if name != search.FacetYear && len(f.Values) > req.FacetSize {
			f.Values = f.Values[:req.FacetSize]
		}
		res.Facets = append(res.Facets, f)
	}
	lo := min(req.Offset, len(hits))
	hi := min(lo+req.Limit, len(hits))
	res.Hits = hits[lo:hi]
	return res, nil
}

func snippetFor(text, q string) search.Snippet {
	sn := search.Snippet{Text: text}
	low := strings.ToLower(text)
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if i := strings.Index(low, w); i >= 0 && !strings.ContainsAny(w, `:-"`) {
			sn.Marks = append(sn.Marks, [2]int{i, i + len(w)})
		}
	}
	slices.SortFunc(sn.Marks, func(a, b [2]int) int { return a[0] - b[0] })
	return sn
}

func (b *fakeBackend) Get(_ context.Context, id string) (*corpus.Paper, error) {
	for i := range b.papers {
		if b.papers[i].ID == id {
			p := b.papers[i]
			return &p, nil
		}
	}
	return nil, search.ErrNotFound
}

func (b *fakeBackend) Stats(context.Context) (*search.Stats, error) {
	return &search.Stats{Engine: "fake", Papers: uint64(len(b.papers))}, nil
}

func (b *fakeBackend) Ask(ctx context.Context, r AskRequest) (Stream, error) {
	b.mu.Lock()
	b.asks = append(b.asks, r)
	b.mu.Unlock()
	if b.askErr != nil {
		return nil, b.askErr
	}
	return newFakeStream(ctx, b.script), nil
}

func (b *fakeBackend) Draft(ctx context.Context, r DraftRequest) (Stream, error) {
	b.mu.Lock()
	b.drafts = append(b.drafts, r)
	b.mu.Unlock()
	if b.askErr != nil {
		return nil, b.askErr
	}
	return newFakeStream(ctx, b.script), nil
}

func (b *fakeBackend) Prompts() []PromptInfo { return b.prompts }

func (b *fakeBackend) Info() Info {
	return Info{Engine: "fake", Embedder: "none", Provider: "extractive", Mode: "bm25"}
}

// fakeStream plays a script, waiting before each event.
type fakeStream struct {
	ctx    context.Context
	script []timedEvent
	i      int
	cur    Event
	err    error
	closed chan struct{}
	once   sync.Once
}

func newFakeStream(ctx context.Context, script []timedEvent) *fakeStream {
	return &fakeStream{ctx: ctx, script: script, closed: make(chan struct{})}
}

func (s *fakeStream) Next() bool {
	if s.i >= len(s.script) {
		return false
	}
	e := s.script[s.i]
	if e.after > 0 {
		t := time.NewTimer(e.after)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
			s.err = s.ctx.Err()
			return false
		case <-s.closed:
			return false
		}
	}
	if s.ctx.Err() != nil {
		s.err = s.ctx.Err()
		return false
	}
	s.cur = e.ev
	s.i++
	return true
}

func (s *fakeStream) Current() Event { return s.cur }
func (s *fakeStream) Err() error     { return s.err }
func (s *fakeStream) Close() error   { s.once.Do(func() { close(s.closed) }); return nil }

// answerScript is a short cited answer, delta by delta.
func answerScript(every time.Duration) []timedEvent {
	evs := []timedEvent{{0, Event{Kind: EventSources, Sources: []Source{
		{N: 1, ID: "p000", Title: "Advances in protein folding, part 0"},
		{N: 2, ID: "p005", Title: "Advances in protein folding, part 5"},
	}}}}
	text := "Protein folding has **improved** at scale [1].\n\nBenchmarks moved by a wide margin [2].\n\n- first point\n- second point\n"
	for _, w := range strings.SplitAfter(text, " ") {
		evs = append(evs, timedEvent{every, Event{Kind: EventDelta, Text: w}})
	}
	evs = append(evs, timedEvent{0, Event{Kind: EventUsage, Usage: Usage{In: 1200, Out: 80, CostUSD: 0.0021}}},
		timedEvent{0, Event{Kind: EventDone}})
	return evs
}

var testClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTestModel is the app over the fake backend at w×h, with every
// message from Init processed.
func newTestModel(t testing.TB, w, h int, opts ...func(*Options)) (*Model, *fakeBackend) {
	t.Helper()
	b := newFakeBackend(40)
	o := Options{Backend: b, Theme: "dark", Now: func() time.Time { return testClock }, OpenURL: func(string) error { return nil }}
	for _, f := range opts {
		f(&o)
	}
	m := New(o)
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	drain(t, m, m.Init())
	return m, b
}

// send feeds one message to Update and runs the resulting commands.
func send(m *Model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

// drain runs cmd and every command that follows from it synchronously,
// feeding their messages to Update, until nothing is left.
func drain(t testing.TB, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 10000 {
			t.Fatal("drain: runaway commands")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
		default:
			if fmt.Sprintf("%T", msg) == "tea.execMsg" {
				continue
			}
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// keyMsg builds the message for a key as bubbles/key spells it.
func keyMsg(s string) tea.KeyPressMsg {
	special := map[string]rune{"enter": tea.KeyEnter, "tab": tea.KeyTab, "esc": tea.KeyEscape, "up": tea.KeyUp,
		"down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight, "backspace": tea.KeyBackspace,
		"space": tea.KeySpace, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp, "home": tea.KeyHome, "end": tea.KeyEnd, "f1": tea.KeyF1}
	var mod tea.KeyMod
	for {
		switch {
		case strings.HasPrefix(s, "ctrl+"):
			mod |= tea.ModCtrl
			s = s[5:]
			continue
		case strings.HasPrefix(s, "shift+"):
			mod |= tea.ModShift
			s = s[6:]
			continue
		case strings.HasPrefix(s, "alt+"):
			mod |= tea.ModAlt
			s = s[4:]
			continue
		}
		break
	}
	if r, ok := special[s]; ok {
		k := tea.KeyPressMsg{Code: r, Mod: mod}
		if r == tea.KeySpace && mod == 0 {
			k.Text = " "
		}
		return k
	}
	r := []rune(s)[0]
	if mod != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	return tea.KeyPressMsg{Code: r, Text: s}
}

// press sends keys one by one, draining after each.
func press(t testing.TB, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		drain(t, m, send(m, keyMsg(k)))
	}
}

// typeText types s into whatever has focus.
func typeText(t testing.TB, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		if r == ' ' {
			press(t, m, "space")
			continue
		}
		drain(t, m, send(m, tea.KeyPressMsg{Code: r, Text: string(r)}))
	}
}

// The fake backend keeps conversations in memory (ConversationStore).
func (b *fakeBackend) Conversations(context.Context) ([]ConversationInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []ConversationInfo
	for _, c := range b.convs {
		out = append(out, ConversationInfo{ID: c.ID, Title: c.Title, Updated: testClock})
	}
	return out, nil
}

func (b *fakeBackend) Conversation(_ context.Context, id string) (*Conversation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.convs {
		if c.ID == id {
			cp := *c
			return &cp, nil
		}
	}
	return nil, fmt.Errorf("no conversation %q", id)
}

func (b *fakeBackend) RenameConversation(_ context.Context, id, title string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.convs {
		if c.ID == id {
			c.Title = title
			return nil
		}
	}
	return fmt.Errorf("no conversation %q", id)
}

func (b *fakeBackend) DeleteConversation(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.convs = slices.DeleteFunc(b.convs, func(c *Conversation) bool { return c.ID == id })
	return nil
}
