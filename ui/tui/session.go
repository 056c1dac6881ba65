package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// sessionFile is what is remembered between runs.
type sessionFile struct {
	Version int          `json:"version"`
	Query   string       `json:"query"`
	History []string     `json:"history,omitempty"`
	Basket  []basketItem `json:"basket,omitempty"`
	// BasketSaved is when the basket was last changed.
	BasketSaved time.Time    `json:"basket_saved,omitzero"`
	Drafts      []savedDraft `json:"drafts,omitempty"`
	Theme       string       `json:"theme,omitempty"`
}

type savedDraft struct {
	Prompt string    `json:"prompt"`
	Title  string    `json:"title,omitempty"`
	Text   string    `json:"text"`
	Saved  time.Time `json:"saved"`
	// Sources close the exported document.
	Sources []Source `json:"sources,omitempty"`
}

const maxDrafts = 20

func sessionPath(dir string) string { return filepath.Join(dir, "session.json") }

func loadSession(dir string) (*sessionFile, error) {
	if dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(sessionPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s sessionFile
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("session %s is damaged, starting afresh: %w", sessionPath(dir), err)
	}
	return &s, nil
}

func (m *Model) restore(s *sessionFile) {
	if s == nil {
		return
	}
	m.bar.ed.SetValue(s.Query)
	m.bar.history = s.History
	m.bar.histIdx = len(s.History)
	m.basket.items = s.Basket
	m.basket.saved = s.BasketSaved
	if len(s.Basket) > 0 && s.BasketSaved.IsZero() {
		m.basket.saved = m.now() // a session file from before the date was kept
	}
	if n := m.restoredNotice(); n != "" && !m.statusErr {
		m.setStatus(n)
	}
	m.drafts = s.Drafts
	if n := len(s.Drafts); n > 0 {
		d := s.Drafts[n-1]
		m.draft = streamPane{kind: FocusDraft, title: d.Title, prompt: d.Prompt, text: d.Text, sources: d.Sources}
	}
	if s.Theme != "" && m.theme == "auto" {
		// A theme switched with ctrl+t last time wins over auto.
		m.theme = s.Theme
		m.applyTheme()
	}
}

func (m *Model) session() sessionFile {
	theme := ""
	if m.theme != m.opts.Theme {
		theme = m.theme
	}
	saved := m.basket.saved
	if saved.IsZero() && m.basket.Len() > 0 {
		saved = m.now()
	}
	return sessionFile{Version: 1, Query: m.bar.ed.Value(), History: m.bar.history, Basket: m.basket.items, BasketSaved: saved,
		Drafts: m.drafts, Theme: theme}
}

// SaveSession writes the session file. Run calls it when the program ends.
func (m *Model) SaveSession() error {
	if m.opts.StateDir == "" {
		return nil
	}
	b, err := json.MarshalIndent(m.session(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.opts.StateDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(m.opts.StateDir, "session-*.json")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), sessionPath(m.opts.StateDir))
}

// saveDraft keeps a finished draft for the session file.
func (m *Model) saveDraft(p *streamPane) {
	m.drafts = append(m.drafts, savedDraft{Prompt: p.prompt, Title: p.title, Text: p.text, Saved: m.now(), Sources: p.sources})
	if len(m.drafts) > maxDrafts {
		m.drafts = m.drafts[len(m.drafts)-maxDrafts:]
	}
}

// SavedBasket reads the basket the app saved in stateDir, for `quire ask
// --basket app`: the IDs in the order they were marked, and when the basket
// was last changed.
func SavedBasket(stateDir string) ([]string, time.Time, error) {
	s, err := loadSession(stateDir)
	if err != nil || s == nil {
		return nil, time.Time{}, err
	}
	ids := make([]string, len(s.Basket))
	for i, it := range s.Basket {
		ids[i] = it.ID
	}
	return ids, s.BasketSaved, nil
}
