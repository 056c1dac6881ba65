package cli

import (
	"context"
	"errors"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/ui/tui"
)

// The agent backend keeps the app's conversations in the agent's store.
var _ tui.ConversationStore = (*agentBackend)(nil)
var _ tui.Rater = (*agentBackend)(nil)

var errNotSaved = errors.New("conversations are not saved (set llm.data_dir to keep them)")

func (b *agentBackend) store() (*agent.Store, error) {
	if s := b.a.Store(); s != nil {
		return s, nil
	}
	return nil, errNotSaved
}

func (b *agentBackend) Conversations(context.Context) ([]tui.ConversationInfo, error) {
	s, err := b.store()
	if err != nil {
		return nil, err
	}
	recs, err := s.List(agent.KindConversation)
	if err != nil {
		return nil, err
	}
	out := make([]tui.ConversationInfo, len(recs))
	for i, r := range recs {
		out[i] = tui.ConversationInfo{ID: r.ID, Title: r.Title, Updated: r.Updated}
	}
	return out, nil
}

func (b *agentBackend) Conversation(_ context.Context, id string) (*tui.Conversation, error) {
	s, err := b.store()
	if err != nil {
		return nil, err
	}
	r, err := s.Load(agent.KindConversation, id)
	if err != nil {
		return nil, err
	}
	c := &tui.Conversation{ID: r.ID, Title: r.Title}
	for _, t := range r.Turns {
		c.Turns = append(c.Turns, tui.ConversationTurn{Question: t.Question, Answer: t.Answer, Sources: tuiSources(t.Sources), Rating: t.Rating})
	}
	return c, nil
}

func (b *agentBackend) RenameConversation(_ context.Context, id, title string) error {
	s, err := b.store()
	if err != nil {
		return err
	}
	return s.Rename(agent.KindConversation, id, title)
}

// Rate keeps the user's verdict with the saved run, for fine-tuning exports.
func (b *agentBackend) Rate(_ context.Context, id string, draft bool, rating int) error {
	s, err := b.store()
	if err != nil {
		return err
	}
	return s.Rate(runKind(draft), id, rating)
}

// KeepEdit stores the user's rewrite beside the generated answer.
func (b *agentBackend) KeepEdit(_ context.Context, id string, draft bool, edited string) error {
	s, err := b.store()
	if err != nil {
		return err
	}
	return s.KeepEdit(runKind(draft), id, edited)
}

// runKind is the store kind of a saved answer or draft.
func runKind(draft bool) string {
	if draft {
		return agent.KindDraft
	}
	return agent.KindConversation
}

func (b *agentBackend) DeleteConversation(_ context.Context, id string) error {
	s, err := b.store()
	if err != nil {
		return err
	}
	return s.Delete(agent.KindConversation, id)
}

func tuiRetry(r *agent.Retry) *tui.Retry {
	if r == nil {
		return nil
	}
	return &tui.Retry{Attempt: r.Attempt, Max: r.Max, Wait: r.Wait, Reason: r.Reason}
}
