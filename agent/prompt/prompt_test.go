package prompt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent/evidence"
)

func TestBuiltinsParseAndRender(t *testing.T) {
	lib := Builtin()
	want := []string{"investigate", "literature-review", "method-comparison", "prfaq", "related-work", "research-gaps", "reviewer-critique", "roadmap"}
	if strings.Join(lib.Names(), ",") != strings.Join(want, ",") {
		t.Fatalf("names %v", lib.Names())
	}
	srcs := []evidence.Source{{N: 1, PaperID: "p", Text: "t"}}
	for _, p := range lib.List() {
		vars, err := p.Vars(map[string]string{})
		if p.Name == "investigate" || p.Name == "roadmap" {
			if err == nil {
				t.Error("investigate: required question not enforced")
			}
			required := map[string]string{"investigate": "question", "roadmap": "product"}[p.Name]
			vars, err = p.Vars(map[string]string{required: "why"})
		}
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		out, err := p.Render(Data{Query: "protein folding", Evidence: evidence.Format(srcs), Sources: srcs, Vars: vars})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if !strings.Contains(out, `<source id="1"`) {
			t.Errorf("%s: body does not include the evidence", p.Name)
		}
	}
	if p, _ := lib.Get("prfaq"); len(p.Sections) != 11 || p.Mode != ModeDraft || p.Sections[10].Fill != FillFAQ {
		t.Errorf("prfaq: %+v", p.Sections)
	}
	if p, ok := lib.Get("p"); !ok || p.Name != "prfaq" {
		t.Error("lookup by key")
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"yaml", "---\nname: x\ndescription: a: b\n---\nbody\n", 3, "mapping values"},
		{"unknown key", "---\nname: x\ncolour: red\n---\nbody\n", 3, "colour"},
		{"mode", "---\nname: x\nmode: essay\n---\nbody\n", 3, "essay"},
		{"filters", "---\nname: x\n\nfilters: year:20x8\n---\nbody\n", 4, "year"},
		{"template", "---\nname: x\n---\nfine\nfine {{.Query}}\nbroken {{.Query | nosuch}}\n", 6, "nosuch"},
		{"missing end", "---\nname: x\n---\nfine\n{{if .Query}}\nmore\n", 7, "unexpected EOF"},
		{"unclosed", "---\nname: x\n---\nfine\n{{.Query\n", 5, "unclosed"},
		{"no front matter", "just text\n", 1, "front matter"},
		{"unclosed front", "---\nname: x\nbody\n", 1, "not closed"},
	}
	for _, c := range cases {
		_, err := Parse("dir/"+c.name+".md", []byte(c.src))
		var pe *Error
		if !errors.As(err, &pe) || pe.Line != c.line || pe.File != "dir/"+c.name+".md" || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v (line %d)", c.name, err, lineOf(pe))
		}
	}
	// A missing map key fails at render time with its line.
	p, err := Parse("v.md", []byte("---\nname: v\n---\nok\n{{.Vars.nope}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Render(Data{})
	var pe *Error
	if !errors.As(err, &pe) || pe.Line != 5 {
		t.Errorf("render error %v", err)
	}
}

func lineOf(e *Error) int {
	if e == nil {
		return -1
	}
	return e.Line
}

func TestUserFolderOverridesBuiltins(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("---\nname: prfaq\ndescription: mine\nmode: draft\n---\nMine: {{.Query}}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.md"), []byte("---\nname: prfaq\n---\nAgain\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	lib, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "b.md") || !strings.Contains(err.Error(), "also defined in") {
		t.Errorf("duplicate not reported: %v", err)
	}
	p, _ := lib.Get("prfaq")
	if p.Description != "mine" || p.Builtin {
		t.Errorf("override lost: %+v", p)
	}
	if _, ok := lib.Get("research-gaps"); !ok {
		t.Error("other built-ins lost")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a missing folder is fine: %v", err)
	}
}

// An empty value takes the default, and a required variable with neither
// is an error that describes it.
func TestVarsEmptyTakesDefault(t *testing.T) {
	p, err := Parse("v.md", []byte("---\nname: v\nvariables:\n  - name: who\n    description: who it is for\n    default: research team\n  - name: what\n    description: the product\n    required: true\n---\nbody {{.Vars.who}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Vars(map[string]string{"who": "  ", "what": "Quire"})
	if err != nil || got["who"] != "research team" || got["what"] != "Quire" {
		t.Fatalf("vars %v %v", got, err)
	}
	if _, err := p.Vars(map[string]string{"who": "x", "what": ""}); err == nil || !strings.Contains(err.Error(), "the product") {
		t.Fatalf("empty required: %v", err)
	}
}

func TestStepsToolsParse(t *testing.T) {
	src := "---\nname: wf\ntools: [search, usage.*]\nsteps:\n  - name: gather\n    body: \"list pains for {{.Vars.product}}\"\n  - name: each\n    foreach: gather\n    limit: 3\n    prompt: prfaq\n  - name: sum\n    body: \"{{.Steps.gather}} / {{.Item}}\"\nvariables:\n  - name: product\n---\nbody\n"
	p, err := Parse("wf.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 3 || p.Steps[1].Foreach != "gather" || p.Steps[1].Limit != 3 {
		t.Fatalf("steps %+v", p.Steps)
	}
	if !p.AllowsTool("usage.query") || !p.AllowsTool("search") || p.AllowsTool("ingest") {
		t.Error("tool globs")
	}
	out, err := p.RenderStep(2, Data{Steps: map[string]string{"gather": "A"}, Item: "B"})
	if err != nil || out != "A / B" {
		t.Errorf("render step: %q %v", out, err)
	}
	if out, _ := p.RenderStep(1, Data{}); out != "" {
		t.Errorf("prompt step rendered %q", out)
	}

	bad := []struct {
		name, steps string
		line        int
		msg         string
	}{
		{"both", "  - name: a\n    body: x\n    prompt: prfaq\n", 4, "either body"},
		{"neither", "  - name: a\n", 4, "either body"},
		{"dup", "  - name: a\n    body: x\n  - name: a\n    body: y\n", 6, "earlier step"},
		{"forward foreach", "  - name: a\n    body: x\n    foreach: b\n  - name: b\n    body: y\n", 4, "foreach \"b\""},
		{"limit", "  - name: a\n    body: x\n  - name: b\n    body: y\n    foreach: a\n    limit: 500\n", 6, "limit 500"},
		{"limit without foreach", "  - name: a\n    body: x\n    limit: 2\n", 4, "limit needs foreach"},
		{"bad name", "  - name: a b\n    body: x\n", 4, "name \"a b\""},
		{"template", "  - name: a\n    body: \"{{.Item\"\n", 4, "body"},
		{"unknown key", "  - name: a\n    bdy: x\n", 5, "bdy"},
	}
	for _, c := range bad {
		_, err := Parse("wf.md", []byte("---\nname: wf\nsteps:\n"+c.steps+"---\nbody\n"))
		var pe *Error
		if !errors.As(err, &pe) || pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) || pe.File != "wf.md" {
			t.Errorf("%s: got %v, want line %d with %q", c.name, err, c.line, c.msg)
		}
	}
	_, err = Parse("wf.md", []byte("---\nname: wf\n\ntools: [\"a[\"]\n---\nbody\n"))
	var pe *Error
	if !errors.As(err, &pe) || pe.Line != 4 || !strings.Contains(pe.Msg, "tools") {
		t.Errorf("bad glob: %v", err)
	}
}
