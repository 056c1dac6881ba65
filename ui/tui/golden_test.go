package tui

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

// asciiScreen is the frame as an ASCII-profile terminal gets it: colours
// dropped, attributes (bold, underline, reverse) kept.
func asciiScreen(t *testing.T, m *Model) string {
	t.Helper()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: colorprofile.ASCII}
	if _, err := w.WriteString(m.Render()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/tui -run Golden -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden screen (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGoldenScreens(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {160, 48}}
	scenes := []struct {
		name string
		play func(t *testing.T, m *Model, b *fakeBackend)
	}{
		{"start", func(t *testing.T, m *Model, b *fakeBackend) {}},
		{"search", func(t *testing.T, m *Model, b *fakeBackend) { typeText(t, m, "protein") }},
		{"complete", func(t *testing.T, m *Model, b *fakeBackend) { typeText(t, m, "protein venue:") }},
		{"filtered", func(t *testing.T, m *Model, b *fakeBackend) {
			typeText(t, m, "protein")
			press(t, m, "enter", "space", "tab", "down", "enter")
		}},
		{"reader", func(t *testing.T, m *Model, b *fakeBackend) {
			typeText(t, m, "protein")
			press(t, m, "enter", "enter")
		}},
		{"answer", func(t *testing.T, m *Model, b *fakeBackend) {
			b.script = answerScript(0)
			typeText(t, m, "protein")
			press(t, m, "enter", "a")
			typeText(t, m, "what improved?")
			press(t, m, "enter")
		}},
		{"palette", func(t *testing.T, m *Model, b *fakeBackend) { press(t, m, "ctrl+p") }},
		{"help", func(t *testing.T, m *Model, b *fakeBackend) { press(t, m, "enter", "?") }},
	}
	for _, sz := range sizes {
		for _, sc := range scenes {
			name := sc.name + "-" + itoa(sz.w) + "x" + itoa(sz.h)
			t.Run(name, func(t *testing.T) {
				m, b := newTestModel(t, sz.w, sz.h)
				sc.play(t, m, b)
				got := asciiScreen(t, m)
				if n := strings.Count(got, "\n") + 1; n != sz.h {
					t.Errorf("%d rows, want %d", n, sz.h)
				}
				checkGolden(t, name, got)
			})
		}
	}
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
