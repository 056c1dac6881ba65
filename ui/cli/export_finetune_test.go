package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/finetune"
)

// TestExportFinetune runs the command on the recorded session in
// agent/finetune/testdata, loaded and re-saved through the real store.
func TestExportFinetune(t *testing.T) {
	home := t.TempDir()
	src := agent.NewStore(repoFile(t, "agent/finetune/testdata/store"))
	dst := agent.NewStore(filepath.Join(home, "data", "quire"))
	for _, kind := range []string{agent.KindConversation, agent.KindDraft} {
		list, err := src.List(kind)
		if err != nil || len(list) == 0 {
			t.Fatalf("fixture %s: %v", kind, err)
		}
		for _, r := range list {
			full, err := src.Load(kind, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dst.Save(full); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(home, "out")
	// Three SFT records are below Bedrock's minimum: reported, nothing written.
	r := quire(t, home, "export", "finetune", "--format", "bedrock-sft", "--out", out)
	if r.code == 0 || !strings.Contains(r.stderr, "needs at least 32") || !strings.Contains(r.stderr, "dropped conv-2 turn 2: no stored model input") {
		t.Fatalf("code %d stderr %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "train.jsonl")); err == nil {
		t.Fatal("train.jsonl written below the record minimum")
	}
	r = mustRun(t, quire(t, home, "export", "finetune", "--format", "dpo", "--val", "0", "--out", out), "export dpo")
	f, err := os.Open(filepath.Join(out, "train.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		var p finetune.Pair
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.Chosen == "" || p.Rejected == "" || p.Prompt[len(p.Prompt)-1].Role != "user" {
			t.Errorf("line %d: %v %+v", n+1, err, p)
		}
	}
	if n != 2 || !strings.Contains(r.stdout, "2 training") {
		t.Errorf("%d pairs; stdout %s", n, r.stdout)
	}
	if r := quire(t, home, "export", "finetune", "--format", "nope", "--out", out); r.code == 0 || !strings.Contains(r.stderr, `format "nope"`) {
		t.Errorf("bad format: code %d stderr %s", r.code, r.stderr)
	}
}

// A rating made in the app is saved with the turn and comes back when the
// conversation is opened, and the export sees it.
func TestAppRatingSurvivesSaveLoad(t *testing.T) {
	st := agent.NewStore(t.TempDir())
	rec := &agent.Record{Kind: agent.KindConversation, Title: "t", Turns: []agent.Turn{
		{Question: "q1", Answer: "a1"}, {Question: "q2", Answer: "a2", Input: "<question>q2</question>"}}}
	if _, err := st.Save(rec); err != nil {
		t.Fatal(err)
	}
	b := &agentBackend{a: agent.New(nil, nil, agent.Options{Store: st})}
	if err := b.Rate(context.Background(), rec.ID, false, -1); err != nil {
		t.Fatal(err)
	}
	c, err := b.Conversation(context.Background(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Turns[1].Rating != -1 || c.Turns[0].Rating != 0 {
		t.Fatalf("ratings after reload: %+v", c.Turns)
	}
	if err := b.KeepEdit(context.Background(), rec.ID, false, "a2, edited"); err != nil {
		t.Fatal(err)
	}
	saved, err := st.Load(agent.KindConversation, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := saved.Turns[1]; last.Answer != "a2" || last.Edited != "a2, edited" || last.Rating != -1 {
		t.Fatalf("after the edit: %+v", last)
	}
	if err := b.Rate(context.Background(), rec.ID, true, 1); err == nil {
		t.Error("rating a draft that does not exist should fail")
	}
	if err := b.Rate(context.Background(), rec.ID, false, 2); err == nil {
		t.Error("rating 2 accepted")
	}
}
