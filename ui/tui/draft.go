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
	pane    Focus
	text    string
	err     error
	keepErr error // the edit is shown but could not be stored with the run
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
	keep := m.keepEdit(m.pane(pane))
	return func() tea.Msg {
		b, err := os.ReadFile(path)
		os.Remove(path)
		var keepErr error
		if err == nil && keep != nil {
			keepErr = keep(string(b))
		}
		return draftLoadedMsg{pane: pane, text: string(b), err: err, keepErr: keepErr}
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
	if msg.keepErr != nil {
		m.setError(fmt.Errorf("the edit is shown but not saved with the run: %w", msg.keepErr))
	}
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
	srcs, b := p.sources, m.backend
	return func() tea.Msg {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return exportedMsg{err: err}
		}
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			return exportedMsg{err: err}
		}
		if len(srcs) == 0 {
			return exportedMsg{path: file}
		}
		// The sources as BibTeX beside the markdown, with cited pages.
		bib, err := sourcesBibTeX(b, srcs)
		if err == nil {
			err = os.WriteFile(strings.TrimSuffix(file, ".md")+".bib", []byte(bib), 0o644)
		}
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
		out[i] = evidence.Source{N: s.N, PaperID: s.ID, Title: s.Title, Year: s.Year, Basket: s.Basket,
			Section: s.Section, Page: s.Page, PageEnd: s.PageEnd, Start: s.Start, End: s.End}
	}
	return out
}

// DraftDocument is the draft pane's document: what `w` exports.
func (m *Model) DraftDocument() string { return m.draft.document() }

// sourceWhere is a source's section and pages for the sources list, the
// same words the exported document uses.
func sourceWhere(s Source) string {
	return evidenceSources([]Source{s})[0].Passage()
}
