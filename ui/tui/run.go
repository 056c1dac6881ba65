package tui

import (
	"context"
	"errors"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"
)

// Run runs the app on a terminal until the user quits, then saves the
// session. Cancelling ctx stops it.
func Run(ctx context.Context, o Options, in io.Reader, out io.Writer) error {
	m := New(o)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	final, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrInterrupted) {
		err = nil
	}
	if fm, ok := final.(*Model); ok {
		if serr := fm.SaveSession(); serr != nil && err == nil {
			err = fmt.Errorf("saving the session: %w", serr)
		}
	}
	return err
}
