package finetune

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quire-research/quire/agent"
)

var update = flag.Bool("update", false, "rewrite testdata/store from fixture()")

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// fixture is a recorded session: a two-turn conversation (the second
// turn regenerated and rated), an edited draft, a disliked turn and a
// turn saved before inputs were kept.
func fixture() []agent.Record {
	sys := "You answer from the sources given."
	return []agent.Record{
		{ID: "conv-1", Kind: agent.KindConversation, Title: "dense retrieval", Created: t0, Updated: t0,
			Turns: []agent.Turn{
				{At: t0, Question: "What is dense retrieval?", System: sys,
					Input:  "<source id=\"1\">DPR encodes passages.</source>\n\n<question>What is dense retrieval?</question>",
					Answer: "Dense retrieval encodes text as vectors [1].", Rating: 1},
				{At: t0.Add(time.Hour), Question: "And BM25?", System: sys,
					Input:  "<source id=\"2\">BM25 weighs terms.</source>\n\n<question>And BM25?</question>",
					Answer: "BM25 is a sparse term-weighting model [2].", Rating: 1,
					Alternatives: []agent.Alternative{{At: t0.Add(time.Hour), Answer: "BM25 is a neural model.", Rating: -1}}},
			}},
		{ID: "draft-1", Kind: agent.KindDraft, Title: "summary", Created: t0, Updated: t0,
			Turns: []agent.Turn{{At: t0.Add(24 * time.Hour), Question: "Summarise", System: sys,
				Input: "<source id=\"1\">DPR.</source>\n\n<question>Summarise</question>", Answer: "Draft v1.", Edited: "Draft v2, edited."}}},
		{ID: "conv-2", Kind: agent.KindConversation, Title: "bad", Created: t0, Updated: t0,
			Turns: []agent.Turn{
				{At: t0.Add(48 * time.Hour), Question: "Q?", System: sys, Input: "<question>Q?</question>", Answer: "Wrong.", Rating: -1},
				{At: t0.Add(49 * time.Hour), Question: "Old?", Answer: "No input stored."},
			}},
	}
}

// load reads the fixture through the real store, so a change to the
// stored shape shows up here.
func load(t *testing.T) []agent.Record {
	t.Helper()
	st := agent.NewStore(filepath.Join("testdata", "store"))
	want := fixture()
	if *update {
		for i := range want {
			if _, err := st.Save(&want[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	var got []agent.Record
	for _, r := range want {
		rec, err := st.Load(r.Kind, r.ID)
		if err != nil {
			t.Fatalf("%v (run go test ./agent/finetune -update)", err)
		}
		got = append(got, *rec)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatal("testdata/store is out of step with fixture(); run go test ./agent/finetune -update")
	}
	return got
}

var small = Limits{MinRecords: 1, MaxRecords: 100, MaxVal: 100, MaxTokens: 1000}

func decode[T any](t *testing.T, lines [][]byte) []T {
	t.Helper()
	var out []T
	for _, l := range lines {
		var v T
		dec := json.NewDecoder(strings.NewReader(string(l)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, v)
	}
	return out
}

func reasons(r Result) string {
	var b strings.Builder
	for _, d := range r.Drops {
		b.WriteString(d.Source + ": " + d.Reason + "\n")
	}
	return b.String()
}

func TestSFT(t *testing.T) {
	recs := load(t)
	res, err := Build(recs, Options{Format: SFT, Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	got := decode[Conversation](t, res.Train)
	// conv-1 two turns and draft-1; conv-2 turn 1 is rated -1, below the default 0.
	if len(got) != 3 {
		t.Fatalf("got %d records, want 3; drops:\n%s", len(got), reasons(res))
	}
	for _, c := range got {
		if c.SchemaVersion != Schema || len(c.System) != 1 || c.Messages[len(c.Messages)-1].Role != "assistant" {
			t.Errorf("bad record %+v", c)
		}
		if validate(SFT, c, small) != "" {
			t.Errorf("invalid output: %s", validate(SFT, c, small))
		}
	}
	// The second turn carries the first as history and its input verbatim.
	second := got[1]
	if len(second.Messages) != 4 || second.Messages[2].Content[0].Text != recs[0].Turns[1].Input {
		t.Errorf("second turn prompt = %+v", second.Messages)
	}
	if got[2].Messages[1].Content[0].Text != "Draft v2, edited." {
		t.Errorf("draft answer %q, want the edit", got[2].Messages[1].Content[0].Text)
	}
	if !strings.Contains(reasons(res), "conv-2 turn 2: no stored model input") {
		t.Errorf("missing drop reason:\n%s", reasons(res))
	}
}

func TestDistillPromptsOnly(t *testing.T) {
	res, err := Build(load(t), Options{Format: Distill, MinRating: -1, Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	got := decode[Conversation](t, res.Train)
	if len(got) != 4 {
		t.Fatalf("got %d, want 4 (min-rating -1 keeps the disliked turn)", len(got))
	}
	for _, c := range got {
		if c.Messages[len(c.Messages)-1].Role != "user" {
			t.Errorf("distill record ends with %s", c.Messages[len(c.Messages)-1].Role)
		}
	}
}

func TestDPOPairs(t *testing.T) {
	res, err := Build(load(t), Options{Format: DPO, Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	got := decode[Pair](t, res.Train)
	want := map[string]string{"BM25 is a sparse term-weighting model [2].": "BM25 is a neural model.", "Draft v2, edited.": "Draft v1."}
	if len(got) != len(want) {
		t.Fatalf("got %d pairs, want %d: %+v", len(got), len(want), got)
	}
	for _, p := range got {
		if want[p.Chosen] != p.Rejected {
			t.Errorf("pair chosen %q rejected %q", p.Chosen, p.Rejected)
		}
	}
}

func TestOverLimitDroppedNotWritten(t *testing.T) {
	recs := load(t)
	recs[2].Turns[0].Rating = 1
	recs[2].Turns[0].Input = strings.Repeat("x", 5000)
	res, err := Build(recs, Options{Format: SFT, Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reasons(res), "conv-2 turn 1: about 1") || !strings.Contains(reasons(res), "over the 1000-token limit") {
		t.Errorf("no limit drop:\n%s", reasons(res))
	}
	dir := t.TempDir()
	if err := Write(dir, res); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "train.jsonl"))
	if strings.Contains(string(data), "xxxx") || strings.Count(string(data), "\n") != 3 {
		t.Errorf("train.jsonl:\n%s", data)
	}
	// Too few records: an error, nothing to write.
	if _, err := Build(recs, Options{Format: SFT, Limits: Limits{MinRecords: 50, MaxRecords: 100, MaxVal: 10, MaxTokens: 1000}}); err == nil {
		t.Error("want an error below the record minimum")
	}
}

func TestDedup(t *testing.T) {
	recs := load(t)
	dup := recs[1]
	dup.ID = "draft-copy"
	res, err := Build(append(recs, dup), Options{Format: SFT, Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Train) != 3 || !strings.Contains(reasons(res), "draft-copy turn 1: duplicate of draft-1 turn 1") {
		t.Errorf("%d records; drops:\n%s", len(res.Train), reasons(res))
	}
}

func TestSplitDeterministic(t *testing.T) {
	recs := load(t)
	opt := Options{Format: Distill, MinRating: -1, ValFrac: 0.5, Limits: small}
	a, err := Build(recs, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Reversed input: each record stays on its side.
	rev := make([]agent.Record, len(recs))
	for i := range recs {
		rev[len(recs)-1-i] = recs[i]
	}
	b, err := Build(rev, opt)
	if err != nil {
		t.Fatal(err)
	}
	set := func(lines [][]byte) map[string]bool {
		m := map[string]bool{}
		for _, l := range lines {
			m[string(l)] = true
		}
		return m
	}
	if !reflect.DeepEqual(set(a.Val), set(b.Val)) || !reflect.DeepEqual(set(a.Train), set(b.Train)) {
		t.Error("split depends on input order")
	}
	if len(a.Train)+len(a.Val) != 4 {
		t.Errorf("train %d + val %d, want 4", len(a.Train), len(a.Val))
	}
}

func TestFilters(t *testing.T) {
	recs := load(t)
	res, err := Build(recs, Options{Format: Distill, MinRating: -1, Since: t0.Add(12 * time.Hour), Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Train) != 2 { // draft-1 and conv-2 turn 1
		t.Errorf("since: %d records, want 2", len(res.Train))
	}
	res, err = Build(recs, Options{Format: Distill, MinRating: 1, Limits: small})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Train) != 2 { // the two liked conv-1 turns
		t.Errorf("min-rating 1: %d records, want 2", len(res.Train))
	}
}

func TestValidateRoles(t *testing.T) {
	c := Conversation{SchemaVersion: Schema, Messages: []Message{msg("user", "a"), msg("user", "b")}}
	if why := validate(Distill, c, small); !strings.Contains(why, "alternate") {
		t.Errorf("validate = %q", why)
	}
	c.SchemaVersion = "x"
	if validate(SFT, c, small) == "" {
		t.Error("wrong schema passed")
	}
}

// An earlier generation's edit beats that generation, whatever the
// current turn's rating.
func TestAlternativeEditIsAPair(t *testing.T) {
	turn := agent.Turn{Answer: "new", Alternatives: []agent.Alternative{{Answer: "old", Edited: "old, fixed"}}}
	ps := pairs(turn)
	if len(ps) != 1 || ps[0].Chosen != "old, fixed" || ps[0].Rejected != "old" {
		t.Fatalf("pairs %+v", ps)
	}
}
