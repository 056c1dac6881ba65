// Package prompt is Quire's library of saved prompts: markdown files whose
// YAML front matter says how to run them (mode, retrieval k and filters,
// model, temperature, variables, the sections of a draft) and whose body is
// a text/template over the query, the evidence, the selection and the
// variables.
//
// The built-ins ship inside the binary (builtin/*.md); a file in the user's
// prompt folder with the same name replaces one. A file that cannot be read
// gets an *Error naming the file and the line.
package prompt

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/config/suggest"
	"github.com/quire-research/quire/search/query"
)

// Mode says what running a prompt produces.
type Mode string

const (
	ModeAnswer Mode = "answer" // one grounded answer
	ModeDraft  Mode = "draft"  // a document, section by section
	ModeAgent  Mode = "agent"  // a tool-using loop, then an answer
)

// Fill says how an offline draft fills a section without a model.
type Fill string

const (
	FillEvidence Fill = "evidence" // quoted sentences relevant to the query and the hint
	FillTODO     Fill = "todo"     // a judgment call: a TODO marker with the hint
	FillFAQ      Fill = "faq"      // each question, answered from the evidence or marked TODO
	FillSources  Fill = "sources"  // the list of sources
)

// Variable is a named value the body can use as {{.Vars.name}}.
type Variable struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	Default     string `yaml:"default" json:"default,omitempty"`
	Required    bool   `yaml:"required" json:"required,omitempty"`
}

// Section is one heading of a draft.
type Section struct {
	Title string `yaml:"title" json:"title"`
	Fill  Fill   `yaml:"fill" json:"fill,omitempty"`
	// Hint steers extraction (extra search words) or says what a TODO
	// needs; it is a template like the body.
	Hint      string   `yaml:"hint" json:"hint,omitempty"`
	Questions []string `yaml:"questions" json:"questions,omitempty"`
}

// Prompt is one saved prompt.
type Prompt struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description" json:"description,omitempty"`
	Key         string     `yaml:"key" json:"key,omitempty"`
	Mode        Mode       `yaml:"mode" json:"mode"`
	K           int        `yaml:"k" json:"k,omitempty"`
	Filters     string     `yaml:"filters" json:"filters,omitempty"`
	Model       string     `yaml:"model" json:"model,omitempty"`
	Temperature *float64   `yaml:"temperature" json:"temperature,omitempty"`
	Variables   []Variable `yaml:"variables" json:"variables,omitempty"`
	Sections    []Section  `yaml:"sections" json:"sections,omitempty"`
	// Tools names the tools the prompt may call; a name may be a glob
	// ("usage.*"). Empty means the caller's default set.
	Tools []string `yaml:"tools" json:"tools,omitempty"`
	// Steps make the prompt a workflow (see agent/workflow): each step's
	// output is {{.Steps.name}} to the steps after it.
	Steps []Step `yaml:"steps" json:"steps,omitempty"`

	// Body is the template text; File is where the prompt came from
	// ("builtin/prfaq.md" or a path); Builtin says which.
	Body    string `yaml:"-" json:"body"`
	File    string `yaml:"-" json:"file"`
	Builtin bool   `yaml:"-" json:"builtin"`
	// Source is the whole file, for showing and copying.
	Source string `yaml:"-" json:"-"`

	bodyLine int // line of the file where Body starts
	tmpl     *template.Template
	stepTmpl []*template.Template // per step; nil for a step that names a prompt
}

// Step is one named prompt of a workflow: an inline Body template or a
// reference to a saved Prompt. With Foreach it fans out over the list an
// earlier step wrote, once per item (bound to {{.Item}}), at most Limit
// items.
type Step struct {
	Name    string `yaml:"name" json:"name"`
	Body    string `yaml:"body" json:"body,omitempty"`
	Prompt  string `yaml:"prompt" json:"prompt,omitempty"`
	Foreach string `yaml:"foreach" json:"foreach,omitempty"`
	Limit   int    `yaml:"limit" json:"limit,omitempty"`
}

// MaxForeach caps a step's fan-out whatever its limit says.
const MaxForeach = 50

// Data is what a body template sees.
type Data struct {
	Query     string            // the search query, filters included
	Question  string            // the question asked, when there is one
	Evidence  string            // the numbered sources, delimited, ready to paste
	Sources   []evidence.Source // the same sources as values
	Selection string            // text or paper the user selected
	Vars      map[string]string // variables, defaults filled
	Steps     map[string]string // outputs of a workflow's earlier steps
	Item      string            // the item a foreach step runs for
}

// Error is a problem in a prompt file, at a line (0 when unknown).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

var funcs = template.FuncMap{
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"trim":  strings.TrimSpace,
	"default": func(def, v string) string {
		if strings.TrimSpace(v) == "" {
			return def
		}
		return v
	},
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var tmplLineRE = regexp.MustCompile(`^template: [^:]*:(\d+):(?:\d+:)? ?(.*)$`)

// Parse reads one prompt file. name is used in errors and, when the front
// matter has no name, as the prompt's name (without .md).
func Parse(file string, data []byte) (*Prompt, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	if !strings.HasPrefix(text, "---\n") {
		return nil, &Error{File: file, Line: 1, Msg: "no front matter: the file must start with a line '---', then YAML, then '---'"}
	}
	rest := text[4:]
	var fmText, body string
	end := -1
	if strings.HasPrefix(rest, "---\n") || rest == "---" {
		end = 0
	} else if i := strings.Index(rest, "\n---\n"); i >= 0 {
		end = i + 1
	} else if strings.HasSuffix(rest, "\n---") {
		end = len(rest) - 3
	}
	if end < 0 {
		return nil, &Error{File: file, Line: 1, Msg: "front matter is not closed by a line '---'"}
	}
	fmText = rest[:end]
	body = strings.TrimPrefix(rest[end:], "---")
	body = strings.TrimPrefix(body, "\n")
	bodyLine := 2 + strings.Count(fmText, "\n") + 1

	p := &Prompt{File: file, Source: text, bodyLine: bodyLine}
	dec := yaml.NewDecoder(strings.NewReader(fmText))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal([]byte(fmText), &root)
	at := func(key string) int { return keyLine(&root, key) + 1 }
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(file), ".md")
	}
	p.Name = strings.TrimSpace(p.Name)
	if strings.ContainsAny(p.Name, " \t/") {
		return nil, &Error{File: file, Line: at("name"), Msg: fmt.Sprintf("name %q: use letters, digits and dashes", p.Name)}
	}
	if p.Mode == "" {
		p.Mode = ModeAnswer
	}
	if !slices.Contains([]Mode{ModeAnswer, ModeDraft, ModeAgent}, p.Mode) {
		return nil, &Error{File: file, Line: at("mode"), Msg: fmt.Sprintf("mode %q: use answer, draft or agent", p.Mode)}
	}
	if p.K < 0 || p.K > 200 {
		return nil, &Error{File: file, Line: at("k"), Msg: fmt.Sprintf("k %d: use 1..200 (0 for the default)", p.K)}
	}
	if p.Temperature != nil && (*p.Temperature < 0 || *p.Temperature > 2) {
		return nil, &Error{File: file, Line: at("temperature"), Msg: fmt.Sprintf("temperature %v: use 0..2", *p.Temperature)}
	}
	if p.Filters != "" {
		if _, err := query.Parse(p.Filters); err != nil {
			return nil, &Error{File: file, Line: at("filters"), Msg: "filters: " + err.Error()}
		}
	}
	seen := map[string]bool{}
	for _, v := range p.Variables {
		if v.Name == "" || seen[v.Name] {
			return nil, &Error{File: file, Line: at("variables"), Msg: fmt.Sprintf("variable %q: names must be present and distinct", v.Name)}
		}
		seen[v.Name] = true
	}
	for i, s := range p.Sections {
		if s.Title == "" {
			return nil, &Error{File: file, Line: at("sections"), Msg: fmt.Sprintf("section %d has no title", i+1)}
		}
		if s.Fill == "" {
			p.Sections[i].Fill = FillEvidence
		} else if !slices.Contains([]Fill{FillEvidence, FillTODO, FillFAQ, FillSources}, s.Fill) {
			return nil, &Error{File: file, Line: at("sections"), Msg: fmt.Sprintf("section %q: fill %q: use evidence, todo, faq or sources", s.Title, s.Fill)}
		}
		if _, err := template.New("hint").Funcs(funcs).Parse(s.Hint); err != nil {
			return nil, &Error{File: file, Line: at("sections"), Msg: fmt.Sprintf("section %q: hint: %v", s.Title, err)}
		}
	}
	for _, g := range p.Tools {
		if _, err := path.Match(g, ""); err != nil || strings.TrimSpace(g) == "" {
			return nil, &Error{File: file, Line: at("tools"), Msg: fmt.Sprintf("tools: %q is not a tool name or glob", g)}
		}
	}
	if err := p.parseSteps(&root); err != nil {
		return nil, err
	}
	if strings.TrimSpace(body) == "" {
		return nil, &Error{File: file, Line: bodyLine, Msg: "the prompt has no body after the front matter"}
	}
	t, err := template.New("body").Funcs(funcs).Option("missingkey=error").Parse(body)
	if err != nil {
		line, msg := templateLine(err, bodyLine)
		return nil, &Error{File: file, Line: line, Msg: "template: " + msg}
	}
	p.Body, p.tmpl = body, t
	return p, nil
}

var bodyRef = regexp.MustCompile(`body:(\d+)(?::\d+)?`)

// templateLine turns a text/template error's body line into a file line
// (the body starts at bodyLine) and rewrites "body:N" references in the
// message the same way. An unclosed action is placed where it started.
func templateLine(err error, bodyLine int) (int, string) {
	line, msg := 0, err.Error()
	if m := tmplLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		line, msg = n+bodyLine-1, m[2]
	}
	started := 0
	msg = bodyRef.ReplaceAllStringFunc(msg, func(ref string) string {
		n, _ := strconv.Atoi(bodyRef.FindStringSubmatch(ref)[1])
		started = n + bodyLine - 1
		return fmt.Sprintf("line %d", started)
	})
	if started > 0 && strings.Contains(msg, "started at") {
		line = started
	}
	return line, msg
}

func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	e := &Error{File: file, Msg: strings.TrimPrefix(msgs[0], "yaml: ")}
	if m := lineRE.FindStringSubmatch(msgs[0]); m != nil {
		n, _ := strconv.Atoi(m[1])
		e.Line, e.Msg = n+1, m[2] // +1: the opening '---'
	}
	e.Msg = strings.ReplaceAll(e.Msg, "prompt.Prompt", "the front matter")
	return e
}

// keyLine is the 1-based line of a top-level key inside the front matter,
// or 0.
func keyLine(root *yaml.Node, key string) int {
	if root == nil || len(root.Content) == 0 {
		return 0
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// Vars fills defaults into given and checks it against the declared
// variables: an unknown name or a missing required value is an error. An
// empty value (blank input in the app, --var name= on the command line)
// takes the default: this is the one place either decides.
func (p *Prompt) Vars(given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	var names []string
	for _, v := range p.Variables {
		names = append(names, v.Name)
		out[v.Name] = v.Default
	}
	for k, v := range given {
		if !slices.Contains(names, k) {
			if len(names) == 0 {
				return nil, fmt.Errorf("prompt %s takes no variables, but %q was given", p.Name, k)
			}
			return nil, fmt.Errorf("prompt %s has no variable %q (it takes %s)", p.Name, k, strings.Join(names, ", "))
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		out[k] = v
	}
	for _, v := range p.Variables {
		if v.Required && strings.TrimSpace(out[v.Name]) == "" {
			return nil, fmt.Errorf("prompt %s needs --var %s=… (%s)", p.Name, v.Name, v.Description)
		}
	}
	return out, nil
}

// Render runs the body template. Errors name the file and the line.
func (p *Prompt) Render(d Data) (string, error) {
	if d.Vars == nil {
		d.Vars = map[string]string{}
	}
	var b bytes.Buffer
	if err := p.tmpl.Execute(&b, d); err != nil {
		line, msg := templateLine(err, p.bodyLine)
		return "", &Error{File: p.File, Line: line, Msg: msg}
	}
	return b.String(), nil
}

// Hint renders a section's hint with the same data as the body.
func (p *Prompt) Hint(s Section, d Data) string {
	t, err := template.New("hint").Funcs(funcs).Parse(s.Hint)
	if err != nil {
		return s.Hint
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return s.Hint
	}
	return b.String()
}

//go:embed builtin/*.md
var builtinFS embed.FS

// Library is a set of prompts by name.
type Library struct {
	byName map[string]*Prompt
}

// Builtin returns the prompts that ship with Quire.
func Builtin() *Library {
	l := &Library{byName: map[string]*Prompt{}}
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	for _, e := range entries {
		data, _ := builtinFS.ReadFile("builtin/" + e.Name())
		p, err := Parse("builtin/"+e.Name(), data)
		if err != nil {
			panic(err) // tested: built-ins always parse
		}
		p.Builtin = true
		l.byName[p.Name] = p
	}
	return l
}

// Load returns the built-ins overridden by every *.md file in dir (a
// missing dir is fine). Files that fail to parse are left out and reported
// together in the error; the library is usable either way.
func Load(dir string) (*Library, error) {
	l := Builtin()
	if dir == "" {
		return l, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("prompt folder: %w", err)
	}
	var errs []error
	fromFile := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := Parse(path, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := fromFile[p.Name]; dup {
			errs = append(errs, &Error{File: path, Msg: fmt.Sprintf("prompt %q is also defined in %s", p.Name, other)})
			continue
		}
		fromFile[p.Name] = path
		l.byName[p.Name] = p
	}
	return l, errors.Join(errs...)
}

// Get finds a prompt by name, or by its key.
func (l *Library) Get(name string) (*Prompt, bool) {
	if p, ok := l.byName[name]; ok {
		return p, true
	}
	for _, p := range l.byName {
		if p.Key != "" && p.Key == name {
			return p, true
		}
	}
	return nil, false
}

// List returns every prompt, sorted by name.
func (l *Library) List() []*Prompt {
	out := make([]*Prompt, 0, len(l.byName))
	for _, p := range l.byName {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the prompt names, sorted.
func (l *Library) Names() []string {
	var out []string
	for _, p := range l.List() {
		out = append(out, p.Name)
	}
	return out
}

// Near is the prompt name within two edits of name ("prfqa" → "prfaq"),
// for a "did you mean"; "" when none is.
func (l *Library) Near(name string) string {
	for _, n := range l.Names() {
		if suggest.Distance(strings.ToLower(name), strings.ToLower(n)) <= 2 {
			return n
		}
	}
	return ""
}

// parseSteps checks the steps and compiles their bodies; errors point at
// the step's line.
func (p *Prompt) parseSteps(root *yaml.Node) error {
	seen := map[string]bool{}
	for i, s := range p.Steps {
		line := itemLine(root, "steps", i)
		fail := func(format string, a ...any) error {
			return &Error{File: p.File, Line: line, Msg: fmt.Sprintf("step %d: ", i+1) + fmt.Sprintf(format, a...)}
		}
		if s.Name == "" || strings.ContainsAny(s.Name, " \t.") {
			return fail("name %q: use letters, digits, dashes and underscores", s.Name)
		}
		if seen[s.Name] {
			return fail("name %q is used by an earlier step", s.Name)
		}
		if (s.Body == "") == (s.Prompt == "") {
			return fail("give either body (a template) or prompt (a saved prompt's name)")
		}
		if s.Foreach != "" && !seen[s.Foreach] {
			return fail("foreach %q: name an earlier step", s.Foreach)
		}
		if s.Limit < 0 || s.Limit > MaxForeach {
			return fail("limit %d: use 1..%d (0 for no limit below %d)", s.Limit, MaxForeach, MaxForeach)
		}
		if s.Limit > 0 && s.Foreach == "" {
			return fail("limit needs foreach")
		}
		var t *template.Template
		if s.Body != "" {
			var err error
			if t, err = template.New("step").Funcs(funcs).Option("missingkey=zero").Parse(s.Body); err != nil {
				return fail("body: %v", err)
			}
		}
		seen[s.Name] = true
		p.stepTmpl = append(p.stepTmpl, t)
	}
	return nil
}

// itemLine is the 1-based file line of item i of a top-level list key
// (the front matter starts on line 2).
func itemLine(root *yaml.Node, key string, i int) int {
	if root == nil || len(root.Content) == 0 {
		return 0
	}
	m := root.Content[0]
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			if v := m.Content[j+1]; i < len(v.Content) {
				return v.Content[i].Line + 1
			}
			return m.Content[j].Line + 1
		}
	}
	return 0
}

// RenderStep runs step i's body template; a step that names a saved
// prompt renders to "".
func (p *Prompt) RenderStep(i int, d Data) (string, error) {
	t := p.stepTmpl[i]
	if t == nil {
		return "", nil
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", &Error{File: p.File, Msg: fmt.Sprintf("step %s: %v", p.Steps[i].Name, err)}
	}
	return b.String(), nil
}

// AllowsTool says whether the prompt's tools list admits name; an empty
// list admits every tool.
func (p *Prompt) AllowsTool(name string) bool {
	if len(p.Tools) == 0 {
		return true
	}
	for _, g := range p.Tools {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
