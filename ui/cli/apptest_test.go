package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/ui/tui"
)

// testApp is the terminal app over the index in home, with the agent the
// configuration describes, driven message by message as Bubble Tea would.
type testApp struct {
	t *testing.T
	m *tui.Model
}

func newTestApp(t *testing.T, home string, opts func(*tui.Options)) *testApp {
	t.Helper()
	envs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME":   filepath.Join(home, "data"),
		"XDG_CACHE_HOME":  filepath.Join(home, "cache"),
		"NO_COLOR":        "1",
	}
	getenv := func(k string) string { return envs[k] }
	cfg, err := config.Load(config.ConfigPathFromArgs(nil, getenv), getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: context.Background(), getenv: getenv, cfg: cfg}
	x, err := openEngine(e, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	o := agent.OptionsFromConfig(cfg.LLM)
	o.Prompts = loadPrompts(e)
	o.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	b := newAgentBackend(&tui.EngineBackend{Engine: x}, agent.New(x, nil, o))
	to := tuiOptions(e, b)
	to.StateDir = ""
	if opts != nil {
		opts(&to)
	}
	a := &testApp{t: t, m: tui.New(to)}
	a.run(func() tea.Msg { return tea.WindowSizeMsg{Width: 120, Height: 40} })
	a.run(a.m.Init())
	return a
}

// run runs cmd and everything that follows from it, feeding each message
// to Update, until nothing is left.
func (a *testApp) run(cmd tea.Cmd) {
	a.t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 100000 {
			a.t.Fatal("runaway commands")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			if fmt.Sprintf("%T", msg) == "tea.execMsg" {
				continue
			}
			_, next := a.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// keys presses keys in bubbles/key notation ("enter", "ctrl+p", "w").
func (a *testApp) keys(keys ...string) {
	a.t.Helper()
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown}
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch {
		case strings.HasPrefix(k, "ctrl+"):
			msg = tea.KeyPressMsg{Code: []rune(k[5:])[0], Mod: tea.ModCtrl}
		case special[k] != 0:
			msg = tea.KeyPressMsg{Code: special[k]}
		default:
			msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		_, cmd := a.m.Update(msg)
		a.run(cmd)
	}
}

// typeText types s, one key per rune.
func (a *testApp) typeText(s string) {
	a.t.Helper()
	for _, r := range s {
		msg := tea.KeyPressMsg{Code: r, Text: string(r)}
		if r == ' ' {
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		}
		_, cmd := a.m.Update(msg)
		a.run(cmd)
	}
}
