package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
}
