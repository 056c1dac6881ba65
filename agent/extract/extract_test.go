package extract

import (
	"context"
	"strings"
	"testing"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/llm"
)

func TestSentences(t *testing.T) {
	text := "We used e.g. Fig. 2 and J. Smith's data (p < 0.05). Results improved by 3.5 percent! Why? Because.\n\nNew paragraph without stop"
	var got []string
	for _, s := range Sentences(text) {
		got = append(got, text[s.Start:s.End])
	}
	want := []string{"We used e.g. Fig. 2 and J. Smith's data (p < 0.05).", "Results improved by 3.5 percent!", "Why?", "Because.", "New paragraph without stop"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	lower := "an experimental study of a wing . the slipstream was measured ."
	if n := len(Sentences(lower)); n != 2 {
		t.Errorf("lower-case text split into %d", n)
	}
}

func TestSelectRelevanceAndRedundancy(t *testing.T) {
	docs := []Doc{
		{N: 1, Title: "Gene editing", Prior: 1, Text: "CRISPR gene editing causes off-target mutations in human cells. " +
			"CRISPR gene editing causes off-target mutations in human cells too. The weather was pleasant during the experiments."},
		{N: 2, Title: "Delivery", Prior: 0.5, Text: "Off-target mutations fall when Cas9 is delivered as a ribonucleoprotein. See [12] for details on off-target mutations."},
	}
	ss := Select("Does CRISPR editing cause off-target mutations?", docs, Options{MaxSentences: 4})
	if len(ss) != 2 {
		t.Fatalf("want 2 (no near-duplicate, no off-topic, no [12] sentence): %+v", ss)
	}
	for _, s := range ss {
		d := docs[s.N-1]
		if d.Text[s.Start:s.End] != s.Text {
			t.Errorf("span does not match text: %+v", s)
		}
		if strings.Contains(s.Text, "weather") || strings.Contains(s.Text, "[12]") {
			t.Errorf("quoted %q", s.Text)
		}
	}
	if ss[0].N != 1 {
		t.Errorf("most relevant first: %+v", ss)
	}
}

// A passage from a PDF opens with its section's heading, here an FAQ's
// question over two sentences: the answer quotes the text under it, not
// the question.
func TestSelectSkipsHeadings(t *testing.T) {
	docs := []Doc{{N: 1, Title: "xts FAQ", Prior: 1, Text: "## I am using apply to run a custom function on my xts object. " +
		"Why does the returned matrix have different dimensions than the original one?\n\n" +
		"When working on rows, apply returns a transposed version of the original matrix. " +
		"Simply call t on the returned matrix to restore the original dimensions."}}
	ss := Select("why does apply return a transposed matrix with different dimensions", docs, Options{MaxSentences: 4})
	if len(ss) == 0 || !strings.HasPrefix(ss[0].Text, "When working on rows") {
		t.Fatalf("want the answer first: %+v", ss)
	}
	for _, s := range ss {
		if strings.Contains(s.Text, "custom function") || strings.Contains(s.Text, "Why does") {
			t.Errorf("quoted the heading: %q", s.Text)
		}
	}
}

func TestProviderReadsPromptAndStreams(t *testing.T) {
	srcs := []evidence.Source{{N: 1, PaperID: "a", Text: "Dark matter halos have cuspy density profiles. Unrelated filler sentence about nothing at all."}}
	msg := evidence.Format(srcs) + "\n\n" + evidence.Tagged("question", "density profiles of dark matter halos")
	st, err := New(Options{}).Stream(context.Background(), llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, msg)}})
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	var usage llm.Usage
	var stop llm.StopReason
	for st.Next() {
		switch ev := st.Current(); ev.Kind {
		case llm.EventText:
			text = append(text, ev.Text)
		case llm.EventUsage:
			usage = ev.Usage
		case llm.EventStop:
			stop = ev.StopReason
		}
	}
	if len(text) != 2 || text[0] != Label || text[1] != "Dark matter halos have cuspy density profiles. [1]\n\n" {
		t.Fatalf("deltas %q", text)
	}
	if usage.InputTokens == 0 || usage.OutputTokens == 0 || stop != llm.StopEnd {
		t.Errorf("usage %+v stop %q", usage, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, _ = New(Options{}).Stream(ctx, llm.Request{Messages: []llm.Message{llm.Text(llm.RoleUser, msg)}})
	cancel()
	if st.Next() || st.Err() == nil {
		t.Error("cancelled stream kept going")
	}
}
