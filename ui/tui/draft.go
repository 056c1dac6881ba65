package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/agent/evidence"
)

type editReadyMsg struct {
	pane Focus
	path string
	err  error
}

type editedMsg struct {
	pane Focus
	path string
	err  error
}

type draftLoadedMsg struct {
	pane Focus
	text string
	err  error
}

type exportedMsg struct {
	path string
	err  error
}

// editDraft writes the pane's text to a file and opens $EDITOR on it; the
// program gives the terminal to the editor until it exits.
func (m *Model) editDraft(p *streamPane) tea.Cmd {
	if p.text == "" {
		m.setError(fmt.Errorf("nothing to edit yet"))
		return nil
	}
	if p.streaming {
		m.setError(fmt.Errorf("wait for the draft to finish, or press esc to stop it"))
		return nil
	}
	text, pane := p.text, p.kind
	return func() tea.Msg {
		f, err := os.CreateTemp("", "quire-draft-*.md")
		if err != nil {
			return editReadyMsg{pane: pane, err: err}
		}
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return editReadyMsg{pane: pane, path: f.Name(), err: err}
	}
}

func (m *Model) onEditReady(msg editReadyMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	args := strings.Fields(m.opts.Editor)
	if len(args) == 0 {
		args = []string{"vi"}
	}
	c := exec.Command(args[0], append(args[1:], msg.path)...)
	pane, path := msg.pane, msg.path
	return tea.ExecProcess(c, func(err error) tea.Msg { return editedMsg{pane: pane, path: path, err: err} })
}

func (m *Model) onEdited(msg editedMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(fmt.Errorf("editor: %w", msg.err))
	}
	pane, path := msg.pane, msg.path
	return func() tea.Msg {
		b, err := os.ReadFile(path)
		os.Remove(path)
		return draftLoadedMsg{pane: pane, text: string(b), err: err}
	}
}

func (m *Model) onDraftLoaded(msg draftLoadedMsg) {
	if msg.err != nil {
		m.setError(msg.err)
		return
	}
	p := m.pane(msg.pane)
	p.text = msg.text
	p.stableEnd, p.stableLines = 0, nil
	m.rerender(p, m.paneWidth())
	if msg.pane == FocusDraft {
		if n := len(m.drafts); n > 0 && m.drafts[n-1].Prompt == p.prompt {
			m.drafts[n-1].Text = p.text
		} else {
			m.saveDraft(p)
		}
	}
	m.setStatus("draft updated from the editor")
}

// exportDraft writes the pane's markdown to a new file in the export dir.
func (m *Model) exportDraft(p *streamPane) tea.Cmd {
	if p.text == "" {
		m.setError(fmt.Errorf("nothing to export yet"))
		return nil
	}
	dir := m.opts.ExportDir
	if dir == "" && m.opts.StateDir != "" {
		dir = filepath.Join(m.opts.StateDir, "drafts")
	}
	if dir == "" {
		dir = "."
	}
	name := slug(p.title)
	if name == "" {
		name = "draft"
	}
	text := p.document()
	file := filepath.Join(dir, name+"-"+m.now().Format("20060102-150405")+".md")
	return func() tea.Msg {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return exportedMsg{err: err}
		}
		err := os.WriteFile(file, []byte(text), 0o644)
		return exportedMsg{path: file, err: err}
	}
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// document is the pane's markdown as a file: the same bytes `quire draft`
// prints for the same run (evidence.Document).
func (p *streamPane) document() string {
	return evidence.Document(p.text, evidenceSources(p.sources))
}

func evidenceSources(srcs []Source) []evidence.Source {
	out := make([]evidence.Source, len(srcs))
	for i, s := range srcs {
		out[i] = evidence.Source{N: s.N, PaperID: s.ID, Title: s.Title, Year: s.Year, Basket: s.Basket}
	}
	return out
}

// DraftDocument is the draft pane's document: what `w` exports.
func (m *Model) DraftDocument() string { return m.draft.document() }
