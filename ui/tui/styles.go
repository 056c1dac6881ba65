package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette is a theme: a few semantic colours. Nil colours mean "terminal
// default", which is how NO_COLOR is honoured.
type Palette struct {
	Name                                    string
	Fg, Muted, Primary, Accent, Error, Mark color.Color
	SelFg, SelBg, Border, Bar               color.Color
	Glamour                                 string // glamour standard style
}

func darkPalette() Palette {
	return Palette{Name: "dark", Fg: lipgloss.Color("#dddddd"), Muted: lipgloss.Color("#8a8a8a"),
		Primary: lipgloss.Color("#7aa2f7"), Accent: lipgloss.Color("#e0af68"), Error: lipgloss.Color("#f7768e"),
		Mark: lipgloss.Color("#ffd866"), SelFg: lipgloss.Color("#ffffff"), SelBg: lipgloss.Color("#2f3b54"),
		Border: lipgloss.Color("#444b6a"), Bar: lipgloss.Color("#9ece6a"), Glamour: "dark"}
}

func lightPalette() Palette {
	return Palette{Name: "light", Fg: lipgloss.Color("#1f1f1f"), Muted: lipgloss.Color("#6b6b6b"),
		Primary: lipgloss.Color("#1d4ed8"), Accent: lipgloss.Color("#9a3412"), Error: lipgloss.Color("#b91c1c"),
		Mark: lipgloss.Color("#7c2d12"), SelFg: lipgloss.Color("#000000"), SelBg: lipgloss.Color("#dbe4ff"),
		Border: lipgloss.Color("#a3a3a3"), Bar: lipgloss.Color("#15803d"), Glamour: "light"}
}

func highContrastPalette() Palette {
	w, b := lipgloss.Color("#ffffff"), lipgloss.Color("#000000")
	return Palette{Name: "high-contrast", Fg: w, Muted: w, Primary: lipgloss.Color("#ffff00"),
		Accent: lipgloss.Color("#00ffff"), Error: lipgloss.Color("#ff5555"), Mark: lipgloss.Color("#ffff00"),
		SelFg: b, SelBg: w, Border: w, Bar: w, Glamour: "dark"}
}

// noColorPalette leaves every colour to the terminal: attributes (bold,
// underline, reverse) and glyphs carry everything.
func noColorPalette() Palette { return Palette{Name: "no-color", Glamour: "notty"} }

// Styles is every style the views use, built from one Palette.
type Styles struct {
	P                                              Palette
	Base, Muted, Title, Bold, Accent, Error, Mark  lipgloss.Style
	Selected, Cursor, Chip, Border, FocusBorder    lipgloss.Style
	Bar, BarEmpty, Status, StatusKey, Heading, Key lipgloss.Style
}

func fg(s lipgloss.Style, c color.Color) lipgloss.Style {
	if c == nil {
		return s
	}
	return s.Foreground(c)
}

// NewStyles builds the styles of a palette.
func NewStyles(p Palette) Styles {
	n := lipgloss.NewStyle()
	s := Styles{P: p}
	s.Base = fg(n, p.Fg)
	s.Muted = fg(n, p.Muted)
	if p.Muted == nil {
		s.Muted = n.Faint(true)
	}
	s.Title = fg(n.Bold(true), p.Fg)
	s.Bold = n.Bold(true)
	s.Accent = fg(n.Bold(true), p.Accent)
	s.Error = fg(n.Bold(true), p.Error)
	// Matches are underlined as well as coloured, so they show without colour.
	s.Mark = fg(n.Bold(true).Underline(true), p.Mark)
	s.Selected = n.Bold(true)
	if p.SelBg != nil {
		s.Selected = s.Selected.Background(p.SelBg).Foreground(p.SelFg)
	} else {
		s.Selected = s.Selected.Reverse(true)
	}
	s.Cursor = n.Reverse(true)
	s.Chip = fg(n.Bold(true), p.Primary)
	s.Border = fg(n, p.Border)
	s.FocusBorder = fg(n.Bold(true), p.Primary)
	s.Bar = fg(n, p.Bar)
	s.BarEmpty = fg(n, p.Border)
	if p.Border == nil {
		s.BarEmpty = n.Faint(true)
	}
	s.Status = fg(n, p.Muted)
	s.StatusKey = fg(n.Bold(true), p.Primary)
	s.Heading = fg(n.Bold(true), p.Accent)
	s.Key = fg(n.Bold(true), p.Primary)
	return s
}

// paletteFor resolves a config theme name; auto follows dark until the
// terminal says otherwise.
func paletteFor(theme string, noColor, dark bool) Palette {
	if noColor {
		return noColorPalette()
	}
	switch theme {
	case "light":
		return lightPalette()
	case "high-contrast":
		return highContrastPalette()
	case "dark":
		return darkPalette()
	}
	if dark {
		return darkPalette()
	}
	return lightPalette()
}
