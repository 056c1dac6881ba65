package workflow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/prompt"
)

const wf = `---
name: wf
variables:
  - name: product
steps:
  - name: gather
    body: "pains of {{.Vars.product}}"
  - name: draft
    foreach: gather
    limit: 3
    body: "draft {{.Item}} for {{.Vars.product}}"
  - name: index
    body: "index of {{.Steps.draft}}"
---
body
`

func parse(t *testing.T) *prompt.Prompt {
	t.Helper()
	p, err := prompt.Parse("wf.md", []byte(wf))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Here:\n```json\n[\"a\", \"b\", \"a\"]\n```", []string{"a", "b"}},
		{`[{"title":"slow search","score":3},{"name":"n"},{"x":1}]`, []string{"slow search", "n", `{"x":1}`}},
		{"Pains [ranked]:\n1. **slow** search\n2) setup\n- docs\n* \n+ cost\nnot an item", []string{"slow search", "setup", "docs", "cost"}},
		{"nothing here", nil},
	}
	for _, c := range cases {
		if got := ParseList(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRunFeedsStepsAndLimitsFanOut(t *testing.T) {
	p := parse(t)
	var inFlight, most atomic.Int32
	var mu sync.Mutex
	var seen []string
	exec := func(ctx context.Context, s prompt.Step, text string, vars map[string]string) (string, error) {
		mu.Lock()
		seen = append(seen, text)
		mu.Unlock()
		switch s.Name {
		case "gather":
			return "- p1\n- p2\n- p3\n- p4\n- p5", nil
		case "draft":
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			inFlight.Add(-1)
			if vars["item"] == "p2" {
				return "", errors.New("model failed")
			}
			return "D(" + vars["item"] + ")", nil
		}
		return "I[" + text + "]", nil
	}
	var prog []Progress
	res, err := Run(context.Background(), p, map[string]string{"product": "Quire"}, exec, Options{Progress: func(g Progress) { prog = append(prog, g) }})
	if err != nil {
		t.Fatal(err)
	}
	if seen[0] != "pains of Quire" {
		t.Errorf("gather rendered %q", seen[0])
	}
	items := res.Items["draft"]
	if len(items) != 3 || items[0].Output != "D(p1)" || items[1].Err == nil || items[2].Output != "D(p3)" {
		t.Fatalf("items %+v", items)
	}
	if res.Steps["index"] != "I[index of D(p1)\n\nD(p3)]" {
		t.Errorf("index %q", res.Steps["index"])
	}
	if m := most.Load(); m > 2 || m < 1 {
		t.Errorf("%d items ran at once, want at most 2", m)
	}
	var done int
	for _, g := range prog {
		if g.Step == "draft" && g.Done {
			done++
			if g.Total != 3 {
				t.Errorf("progress total %d", g.Total)
			}
		}
	}
	if done != 3 {
		t.Errorf("%d item progress reports, want 3", done)
	}

	res, err = Run(context.Background(), p, map[string]string{"product": "Quire"}, exec, Options{Limit: 1, Concurrency: 1})
	if err != nil || len(res.Items["draft"]) != 1 {
		t.Errorf("run limit: %v %+v", err, res.Items)
	}
}

func TestRunCancelKeepsFinished(t *testing.T) {
	p := parse(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	exec := func(ctx context.Context, s prompt.Step, text string, vars map[string]string) (string, error) {
		if s.Name == "gather" {
			return `["a","b","c"]`, nil
		}
		if s.Name == "index" {
			t.Error("index ran after cancel")
		}
		if calls.Add(1) == 1 {
			return "done " + vars["item"], nil
		}
		cancel()
		<-ctx.Done()
		return "", ctx.Err()
	}
	res, err := Run(ctx, p, map[string]string{"product": "x"}, exec, Options{Concurrency: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	items := res.Items["draft"]
	if items[0].Output != "done a" || items[2].Output != "" || calls.Load() != 2 {
		t.Errorf("items %+v, calls %d", items, calls.Load())
	}
	if !strings.Contains(res.Steps["draft"], "done a") {
		t.Errorf("finished output lost: %q", res.Steps["draft"])
	}
}

func TestRunStopsOnFailedStep(t *testing.T) {
	p := parse(t)
	exec := func(ctx context.Context, s prompt.Step, text string, vars map[string]string) (string, error) {
		return "", fmt.Errorf("boom")
	}
	if _, err := Run(context.Background(), p, nil, exec, Options{}); err == nil || !strings.Contains(err.Error(), "step gather: boom") {
		t.Errorf("err %v", err)
	}
}
