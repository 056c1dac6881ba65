// Package workflow runs a saved prompt's steps in order, each step's output
// feeding the later ones as {{.Steps.name}}, and fans a foreach step out
// over the list an earlier step wrote, a few items at a time.
package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/quire-research/quire/agent/prompt"
)

// Exec runs one step (or one item of a foreach step). text is the step's
// rendered body, or "" for a step that names a saved prompt; vars are the
// workflow's variables with "item" set for a foreach item.
type Exec func(ctx context.Context, s prompt.Step, text string, vars map[string]string) (string, error)

// Progress is one report: a step started or finished, or one of its items.
type Progress struct {
	Step  string
	Item  string // the foreach item, "" for a whole step
	Index int    // 1-based item number
	Total int    // items in the fan-out (0 for a plain step)
	Done  bool
	Err   error
}

// Options bound a run.
type Options struct {
	Concurrency int // items at once (default 2)
	Limit       int // caps every foreach, on top of each step's limit (0: none)
	Progress    func(Progress)
}

// Result is what each step produced; a foreach step's outputs are kept
// per item, in list order ("" for an item that did not finish).
type Result struct {
	Steps map[string]string
	Items map[string][]Item
}

// Item is one foreach item and what its run wrote.
type Item struct {
	Value  string
	Output string
	Err    error
}

// Run runs p's steps. On cancellation or a failing plain step it returns
// what finished so far with the error; a failing foreach item is recorded
// in its Item and the others go on.
func Run(ctx context.Context, p *prompt.Prompt, vars map[string]string, exec Exec, o Options) (Result, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	report := o.Progress
	if report == nil {
		report = func(Progress) {}
	}
	res := Result{Steps: map[string]string{}, Items: map[string][]Item{}}
	for i, s := range p.Steps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if s.Foreach == "" {
			report(Progress{Step: s.Name})
			out, err := runOne(ctx, p, i, res, vars, "", exec)
			report(Progress{Step: s.Name, Done: true, Err: err})
			if err != nil {
				return res, fmt.Errorf("step %s: %w", s.Name, err)
			}
			res.Steps[s.Name] = out
			continue
		}
		list := ParseList(res.Steps[s.Foreach])
		if n := limitOf(s.Limit, o.Limit); len(list) > n {
			list = list[:n]
		}
		items := make([]Item, len(list))
		for j, v := range list {
			items[j].Value = v
		}
		sem := make(chan struct{}, o.Concurrency)
		var wg sync.WaitGroup
		var mu sync.Mutex // serialises progress reports
		for j := range items {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			wg.Add(1)
			go func(j int) {
				defer func() { <-sem; wg.Done() }()
				it := &items[j]
				mu.Lock()
				report(Progress{Step: s.Name, Item: it.Value, Index: j + 1, Total: len(items)})
				mu.Unlock()
				it.Output, it.Err = runOne(ctx, p, i, res, vars, it.Value, exec)
				mu.Lock()
				report(Progress{Step: s.Name, Item: it.Value, Index: j + 1, Total: len(items), Done: true, Err: it.Err})
				mu.Unlock()
			}(j)
		}
		wg.Wait()
		res.Items[s.Name] = items
		var outs []string
		for _, it := range items {
			if it.Err == nil && it.Output != "" {
				outs = append(outs, it.Output)
			}
		}
		res.Steps[s.Name] = strings.Join(outs, "\n\n")
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	return res, nil
}

func limitOf(step, run int) int {
	n := prompt.MaxForeach
	if step > 0 && step < n {
		n = step
	}
	if run > 0 && run < n {
		n = run
	}
	return n
}

// runOne renders and runs step i; res.Steps is only read here, and only
// written between steps, so items running at once share it safely.
func runOne(ctx context.Context, p *prompt.Prompt, i int, res Result, vars map[string]string, item string, exec Exec) (string, error) {
	v := make(map[string]string, len(vars)+1)
	for k, x := range vars {
		v[k] = x
	}
	if p.Steps[i].Foreach != "" {
		v["item"] = item
	}
	text, err := p.RenderStep(i, prompt.Data{Vars: v, Steps: res.Steps, Item: item})
	if err != nil {
		return "", err
	}
	return exec(ctx, p.Steps[i], text, v)
}

var listRE = regexp.MustCompile(`^\s*(?:[-*+]|\d{1,3}[.)])\s+(.+?)\s*$`)

// ParseList reads the items a step wrote: the first JSON array in the
// text (strings, or objects shown by their "title", "name" or whole JSON),
// else its markdown list lines (-, *, + or numbered). Blank and repeated
// items are dropped.
func ParseList(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if i := strings.Index(text, "["); i >= 0 {
		var raw []json.RawMessage
		if err := json.NewDecoder(strings.NewReader(text[i:])).Decode(&raw); err == nil {
			for _, r := range raw {
				add(itemText(r))
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if m := listRE.FindStringSubmatch(line); m != nil {
			add(strings.NewReplacer("**", "", "__", "", "`", "").Replace(m[1]))
		}
	}
	return out
}

func itemText(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	var m map[string]any
	if json.Unmarshal(r, &m) == nil {
		for _, k := range []string{"title", "name", "pain_point", "pain"} {
			if v, ok := m[k].(string); ok && v != "" {
				return v
			}
		}
	}
	return string(r)
}
