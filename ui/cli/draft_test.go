package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/quire-research/quire/ui/tui"
)

func TestDraftOfflinePRFAQToFile(t *testing.T) {
	home := agentHome(t)
	out := filepath.Join(home, "prfaq.md")
	r := quire(t, home, "draft", "prfaq", "--var", "product=HaloMap", "-q", "dark matter halos", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("--out still wrote to stdout:\n%s", r.stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	prev := -1
	for _, h := range []string{"Headline", "Subheading", "Summary", "Problem", "Solution", "Leader quote", "How it works",
		"Customer quote", "Call to action", "External FAQ", "Internal FAQ"} {
		i := strings.Index(md, "\n## "+h+"\n")
		if i < 0 || i < prev {
			t.Fatalf("section %q missing or out of order:\n%s", h, md)
		}
		prev = i
	}
	if !strings.Contains(md, "**TODO:**") || !strings.Contains(md, "HaloMap") || !strings.Contains(md, "universal form. [") {
		t.Errorf("draft:\n%s", md)
	}
	files, _ := filepath.Glob(filepath.Join(home, "data", "quire", "drafts", "*.json"))
	if len(files) != 1 {
		t.Errorf("saved drafts: %v", files)
	}
}

func TestDraftErrors(t *testing.T) {
	home := agentHome(t)
	if r := quire(t, home, "draft", "nope", "-q", "x"); r.code == 0 || !strings.Contains(r.stderr, "prfaq") {
		t.Errorf("unknown prompt: %d %s", r.code, r.stderr)
	}
	if r := quire(t, home, "draft", "prfaq", "-q", "x", "--var", "colour=red"); r.code == 0 || !strings.Contains(r.stderr, "no variable \"colour\"") {
		t.Errorf("unknown var: %d %s", r.code, r.stderr)
	}
	if r := quire(t, home, "draft", "prfaq", "--var", "novalue"); r.code == 0 || !strings.Contains(r.stderr, "want name=value") {
		t.Errorf("malformed --var: %d %s", r.code, r.stderr)
	}
	if r := quire(t, home, "draft", "prfqa", "-q", "x"); r.code == 0 || !strings.Contains(r.stderr, `no prompt "prfqa": did you mean prfaq?`) {
		t.Errorf("misspelt prompt: %d %s", r.code, r.stderr)
	}
	if r := quire(t, home, "draft", "prfaq", "graph", "explorer"); r.code != exitUsage || !strings.Contains(r.stderr, `the query goes in -q: quire draft prfaq -q "graph explorer"`) {
		t.Errorf("query as a second word: %d %s", r.code, r.stderr)
	}
}

// The app's draft pane, its `w` export and `quire draft` print the same
// document for the same prompt, query and variables, byte for byte, with
// each heading once.
func TestDraftSameInAppExportAndCLI(t *testing.T) {
	home := agentHome(t)
	r := quire(t, home, "draft", "prfaq", "-q", "dark matter halos", "--var", "product=HaloMap", "--var", "customer=astronomers", "--no-save")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	cli := r.stdout
	if strings.Count(cli, "## Headline\n") != 1 || !strings.Contains(cli, "\n## Sources\n\n- [1] ") {
		t.Fatalf("cli draft:\n%s", cli)
	}
	dir := t.TempDir()
	app := newTestApp(t, home, func(o *tui.Options) { o.ExportDir = dir })
	app.typeText("dark matter halos")
	app.keys("enter", "ctrl+p")
	app.typeText("prfaq")
	app.keys("enter")
	app.typeText("HaloMap")
	app.keys("enter")
	app.typeText("astronomers")
	app.keys("enter")
	if got := app.m.DraftDocument(); got != cli {
		t.Errorf("app pane differs from the CLI:\n--- app\n%s\n--- cli\n%s", got, cli)
	}
	app.keys("w")
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(files) != 1 {
		t.Fatalf("exported %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if string(b) != cli {
		t.Errorf("export differs from the CLI:\n--- export\n%s\n--- cli\n%s", b, cli)
	}
}

// Empty input for a prompt variable takes its default, in the app as on the
// command line (--var name=): one code path, the same draft.
func TestDraftVarDefaultSameInAppAndCLI(t *testing.T) {
	home := agentHome(t)
	r := quire(t, home, "draft", "prfaq", "-q", "dark matter halos", "--var", "product=HaloMap", "--var", "customer=", "--no-save")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "One line a research team would click on") {
		t.Fatalf("--var customer= did not take the default:\n%s", r.stdout)
	}
	app := newTestApp(t, home, nil)
	app.typeText("dark matter halos")
	app.keys("enter", "ctrl+p")
	app.typeText("prfaq")
	app.keys("enter")
	screen := ansi.Strip(app.m.Render())
	for _, want := range []string{"prfaq · product (1 of 2)", "what is being announced"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the input lacks %q:\n%s", want, screen)
		}
	}
	app.typeText("HaloMap")
	app.keys("enter")
	screen = ansi.Strip(app.m.Render())
	for _, want := range []string{"default: research team", "who it is for", "keeps the default"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the input lacks %q:\n%s", want, screen)
		}
	}
	app.keys("enter")
	if got := app.m.DraftDocument(); got != r.stdout {
		t.Errorf("app differs from the CLI:\n--- app\n%s\n--- cli\n%s", got, r.stdout)
	}
}
