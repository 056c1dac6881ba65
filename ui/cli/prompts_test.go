package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPromptsListsBuiltinsAndOverrides(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home, "prompts")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	for _, name := range []string{"prfaq", "literature-review", "related-work", "method-comparison", "research-gaps", "reviewer-critique", "investigate"} {
		if !strings.Contains(r.stdout, name+" ") {
			t.Errorf("missing %s:\n%s", name, r.stdout)
		}
	}
	dir := filepath.Join(home, "config", "quire", "prompts")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "mine.md"), []byte("---\nname: prfaq\ndescription: my own PR/FAQ\nmode: draft\n---\nWrite about {{.Query}}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.md"), []byte("---\nname: bad\nmode: draft\n---\nline one\n{{.Query\n"), 0o644)
	r = quire(t, home, "prompts")
	if !strings.Contains(r.stdout, "my own PR/FAQ") || !strings.Contains(r.stdout, "mine.md") {
		t.Errorf("override not listed:\n%s", r.stdout)
	}
	if r.code == 0 || !strings.Contains(r.stderr, "bad.md:6:") {
		t.Errorf("bad file not reported with its line: %d\n%s", r.code, r.stderr)
	}
	r = quire(t, home, "prompts", "prfaq")
	if !strings.HasPrefix(r.stdout, "---\nname: prfaq\ndescription: my own") {
		t.Errorf("show:\n%s", r.stdout)
	}
	r = quire(t, home, "prompts", "research-gaps")
	if !strings.Contains(r.stdout, "fill: todo") {
		t.Errorf("built-in source not shown:\n%s", r.stdout)
	}
}

func TestPromptsReportsKeyClashes(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "config", "quire", "prompts")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "mine.md"), []byte("---\nname: mine\nkey: ctrl+p\nmode: draft\n---\nWrite about {{.Query}}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "gaps.md"), []byte("---\nname: gaps\nkey: g\nmode: draft\n---\nGaps in {{.Query}}\n"), 0o644)
	r := quire(t, home, "prompts")
	if r.code == 0 {
		t.Fatalf("a key clash passed silently:\n%s", r.stdout)
	}
	for _, want := range []string{`"ctrl+p" means both app.palette and prompt "mine"`, `prompt "gaps" and prompt "research-gaps"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// The listing shows the keys as typed in the app: the file keeps d g.
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[0] == "gaps" && !strings.Contains(line, " d g ") {
			t.Errorf("gaps line %q", line)
		}
		if len(f) > 0 && f[0] == "research-gaps" && strings.Contains(line, " d g ") {
			t.Errorf("research-gaps kept d g: %q", line)
		}
	}
	if !strings.Contains(r.stdout, "prfaq") || !strings.Contains(r.stdout, " d p ") {
		t.Errorf("built-in keys not shown with the prefix:\n%s", r.stdout)
	}
}
