package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"
)

// Rater is offered by backends that keep ratings with saved runs, for
// fine-tuning exports.
type Rater interface {
	// Rate sets the verdict (+1, -1, 0) on the last turn of the saved
	// conversation (draft false) or draft (draft true) with this ID.
	Rate(ctx context.Context, id string, draft bool, rating int) error
	// KeepEdit stores the user's $EDITOR rewrite of that turn's answer
	// beside the original.
	KeepEdit(ctx context.Context, id string, draft bool, edited string) error
}

// keepEdit returns a func, run inside the editor's Cmd, that stores an
// edit of the pane's saved run; nil when there is nowhere to keep it.
func (m *Model) keepEdit(p *streamPane) func(edited string) error {
	r, ok := m.backend.(Rater)
	if !ok || p.saved == "" {
		return nil
	}
	id, draft, orig := p.saved, p.kind == FocusDraft, p.text
	return func(edited string) error {
		if edited == orig {
			return nil
		}
		return r.KeepEdit(context.Background(), id, draft, edited)
	}
}

type ratedMsg struct {
	pane   Focus
	id     string
	rating int
	err    error
}

// rate toggles a verdict on the pane's saved run: the same key again
// clears it. The pane shows the new verdict once the store has it.
func (m *Model) rate(p *streamPane, up bool) tea.Cmd {
	r, ok := m.backend.(Rater)
	switch {
	case !ok:
		m.setError(errNoConversations)
		return nil
	case p.streaming:
		m.setError(errors.New("wait for the answer to finish before rating it"))
		return nil
	case p.saved == "":
		m.setError(errors.New("nothing saved to rate here (set llm.data_dir to keep runs)"))
		return nil
	}
	v := -1
	if up {
		v = 1
	}
	if p.rating == v {
		v = 0
	}
	id, kind := p.saved, p.kind
	return func() tea.Msg {
		err := r.Rate(context.Background(), id, kind == FocusDraft, v)
		return ratedMsg{pane: kind, id: id, rating: v, err: err}
	}
}

func (m *Model) onRated(msg ratedMsg) {
	if msg.err != nil {
		m.setError(msg.err)
		return
	}
	p := &m.answer
	if msg.pane == FocusDraft {
		p = &m.draft
	}
	if p.saved != msg.id {
		return // the pane moved on to another run
	}
	p.rating = msg.rating
	switch msg.rating {
	case 1:
		m.setStatus("rated good (kept for fine-tuning exports)")
	case -1:
		m.setStatus("rated bad (kept for fine-tuning exports)")
	default:
		m.setStatus("rating cleared")
	}
}
