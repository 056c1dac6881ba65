package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// ConversationStore is offered by backends that save conversations: the
// app lists them, and opens, renames, deletes and resumes them.
type ConversationStore interface {
	Conversations(ctx context.Context) ([]ConversationInfo, error)
	Conversation(ctx context.Context, id string) (*Conversation, error)
	RenameConversation(ctx context.Context, id, title string) error
	DeleteConversation(ctx context.Context, id string) error
}

// ConversationInfo is one saved conversation in the list.
type ConversationInfo struct {
	ID, Title string
	Updated   time.Time
}

// Conversation is a saved conversation with its turns, oldest first.
type Conversation struct {
	ID, Title string
	Turns     []ConversationTurn
}

// ConversationTurn is one question, its answer and its sources.
type ConversationTurn struct {
	Question, Answer string
	Sources          []Source
	Rating           int // the user's verdict: +1, -1 or 0
}

// convList is the conversations overlay.
type convList struct {
	items   []ConversationInfo
	cursor  int
	loading bool
	confirm string // ID of the conversation a second delete key removes
}

type convListMsg struct {
	items []ConversationInfo
	err   error
}

type convOpenedMsg struct {
	conv *Conversation
	err  error
}

type convChangedMsg struct {
	what string
	id   string
	err  error
}

var errNoConversations = errors.New("conversations are not saved (set llm.data_dir to keep them)")

func (m *Model) convStore() (ConversationStore, bool) {
	cs, ok := m.backend.(ConversationStore)
	return cs, ok
}

// openConversations shows the list and loads it.
func (m *Model) openConversations() tea.Cmd {
	cs, ok := m.convStore()
	if !ok {
		m.setError(errNoConversations)
		return nil
	}
	m.convs = convList{loading: true}
	m.overlay = overlayConversations
	return func() tea.Msg {
		items, err := cs.Conversations(context.Background())
		return convListMsg{items: items, err: err}
	}
}

func (m *Model) onConvList(msg convListMsg) {
	m.convs.loading = false
	if msg.err != nil {
		m.setError(msg.err)
		return
	}
	m.convs.items = msg.items
	m.convs.cursor = max(0, min(m.convs.cursor, len(msg.items)-1))
}

func (m *Model) selectedConv() (ConversationInfo, bool) {
	c := &m.convs
	if c.cursor < 0 || c.cursor >= len(c.items) {
		return ConversationInfo{}, false
	}
	return c.items[c.cursor], true
}

// conversationsKey handles a key in the conversations list.
func (m *Model) conversationsKey(msg tea.KeyPressMsg) tea.Cmd {
	c := &m.convs
	confirm := c.confirm
	c.confirm = ""
	a, _, ok := m.keys.match([]action{actAccept, actMenuUp, actMenuDown, actCancel, actUp, actDown, actConvRename, actConvDelete}, msg)
	if !ok {
		return nil
	}
	cs, _ := m.convStore()
	it, has := m.selectedConv()
	switch a {
	case actCancel:
		m.overlay = overlayNone
	case actUp, actMenuUp:
		c.cursor = max(0, c.cursor-1)
	case actDown, actMenuDown:
		c.cursor = max(0, min(len(c.items)-1, c.cursor+1))
	case actAccept:
		if !has {
			return nil
		}
		m.overlay = overlayNone
		return func() tea.Msg {
			conv, err := cs.Conversation(context.Background(), it.ID)
			return convOpenedMsg{conv: conv, err: err}
		}
	case actConvRename:
		if !has {
			return nil
		}
		m.input = inputLine{label: "Rename conversation", kind: actConvRename, target: it.ID}
		m.input.ed.SetValue(it.Title)
		m.overlay = overlayInput
	case actConvDelete:
		if !has {
			return nil
		}
		if confirm != it.ID {
			c.confirm = it.ID
			m.setStatus(fmt.Sprintf("press %s again to delete “%s”", m.keyHelp(actConvDelete), it.Title))
			return nil
		}
		return func() tea.Msg {
			return convChangedMsg{what: "deleted", id: it.ID, err: cs.DeleteConversation(context.Background(), it.ID)}
		}
	}
	return nil
}

// renameConversation runs the rename the input line asked for.
func (m *Model) renameConversation(id, title string) tea.Cmd {
	cs, ok := m.convStore()
	if !ok {
		return nil
	}
	m.overlay = overlayConversations
	return func() tea.Msg {
		return convChangedMsg{what: "renamed", id: id, err: cs.RenameConversation(context.Background(), id, title)}
	}
}

func (m *Model) onConvChanged(msg convChangedMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
	} else {
		m.setStatus("conversation " + msg.what)
	}
	if msg.what == "deleted" && msg.err == nil && m.answer.conv == msg.id {
		m.answer.conv = "" // the next question starts a new one
	}
	if m.overlay != overlayConversations {
		return nil
	}
	cs, _ := m.convStore()
	return func() tea.Msg {
		items, err := cs.Conversations(context.Background())
		return convListMsg{items: items, err: err}
	}
}

// onConvOpened shows a saved conversation in the answer pane; the next
// question continues it.
func (m *Model) onConvOpened(msg convOpenedMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	c := msg.conv
	if c == nil || len(c.Turns) == 0 {
		m.setError(fmt.Errorf("that conversation has no turns"))
		return nil
	}
	stop := m.stopRun(&m.answer)
	last := c.Turns[len(c.Turns)-1]
	p := streamPane{kind: FocusAnswer, title: last.Question, text: last.Answer, sources: last.Sources, conv: c.ID, follow: true, saved: c.ID, rating: last.Rating}
	for _, t := range c.Turns[:len(c.Turns)-1] {
		p.turns = append(p.turns, turn{question: t.Question, text: t.Answer, sources: t.Sources})
	}
	m.answer = p
	m.pushBack()
	m.focus, m.detail = FocusAnswer, FocusAnswer
	m.relayout()
	m.rerender(&m.answer, m.paneWidth())
	m.setStatus(fmt.Sprintf("resumed “%s”: %s asks a follow-up", c.Title, m.keyHelp(actAsk)))
	return stop
}

// newConversation makes the next question start a conversation afresh.
func (m *Model) newConversation() {
	if m.answer.streaming {
		m.setError(fmt.Errorf("wait for the answer, or press esc to stop it"))
		return
	}
	m.answer = streamPane{kind: FocusAnswer}
	m.setStatus("new conversation: the next question starts afresh")
}

// conversationsBox draws the list.
func (m *Model) conversationsBox() []string {
	st := &m.styles
	width := min(m.layout.Body.W-2, 90)
	inner := width - 4
	c := &m.convs
	var lines []string
	switch {
	case c.loading:
		lines = append(lines, st.Muted.Render("loading…"))
	case len(c.items) == 0:
		lines = append(lines, st.Muted.Render("No saved conversations yet: press "+m.keyHelp(actAsk)+" to ask a question."))
	}
	room := max(3, m.layout.Body.H-6)
	top := max(0, min(c.cursor-room/2, len(c.items)-room))
	for i := top; i < len(c.items) && i < top+room; i++ {
		it := c.items[i]
		when := it.Updated.Local().Format("2 Jan 15:04")
		text := fit(it.Title, max(1, inner-2-len(when)-1)) + " " + st.Muted.Render(when)
		if i == c.cursor {
			lines = append(lines, st.Selected.Render("› "+ansi.Strip(text)))
		} else {
			lines = append(lines, "  "+text)
		}
	}
	hint := fmt.Sprintf("enter resumes · %s renames · %s deletes · esc closes", m.keyHelp(actConvRename), m.keyHelp(actConvDelete))
	lines = append(lines, "", st.Muted.Render(hint))
	return m.frame("Conversations", lines, width)
}
