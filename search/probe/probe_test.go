package probe

import (
	"context"
	"slices"
	"testing"

	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/probe/probetest"
)

func docsOf(t *testing.T, texts []string, e embed.Embedder) []Doc {
	t.Helper()
	vs, err := e.Embed(context.Background(), texts, embed.Passage)
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]Doc, len(texts))
	for i := range texts {
		docs[i] = Doc{Text: texts[i], Vector: vs[i]}
	}
	return docs
}

func TestProbeTellsWhichHalfWins(t *testing.T) {
	texts := probetest.Texts(1500, 7)
	ctx := context.Background()
	for _, tc := range []struct {
		emb      embed.Embedder
		vecWins  bool
		minDelta float64
	}{
		{probetest.Concepts{Dimensions: 64}, true, 0.2},
		{probetest.Noise{Dimensions: 64}, false, 0.2},
	} {
		res, err := Run(ctx, docsOf(t, texts, tc.emb), tc.emb, probetest.Words, Options{Probes: 200})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d probes, BM25 MRR %.3f, vector MRR %.3f", tc.emb.Name(), res.Probes, res.BM25MRR, res.VectorMRR)
		if res.Probes != 200 {
			t.Errorf("%s: %d probes, want 200", tc.emb.Name(), res.Probes)
		}
		if tc.vecWins && res.Gain() < tc.minDelta || !tc.vecWins && res.Gain() > -tc.minDelta {
			t.Errorf("%s: gain %+.3f, want the vector half to %s by %.1f", tc.emb.Name(), res.Gain(),
				map[bool]string{true: "win", false: "lose"}[tc.vecWins], tc.minDelta)
		}
	}
}

// The held-out sentence must really be held out: with it left in the
// paper, BM25 would find nearly every source paper first.
func TestProbeHoldsTheSentenceOut(t *testing.T) {
	texts := probetest.Texts(800, 9)
	docs := docsOf(t, texts, probetest.Noise{Dimensions: 16})
	res, err := Run(context.Background(), docs, probetest.Noise{Dimensions: 16}, probetest.Words, Options{Probes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.BM25MRR > 0.9 {
		t.Errorf("BM25 MRR %.3f: the sentence seems to be still in its paper", res.BM25MRR)
	}
	if res.BM25MRR == 0 {
		t.Error("BM25 never found a source paper")
	}
}

func TestProbeDeterministicAndCancellable(t *testing.T) {
	texts := probetest.Texts(300, 3)
	e := probetest.Concepts{Dimensions: 32}
	docs := docsOf(t, texts, e)
	a, err := Run(context.Background(), docs, e, probetest.Words, Options{Probes: 50})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), docs, e, probetest.Words, Options{Probes: 50})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("two runs differ: %+v, %+v", a, b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, docs, e, probetest.Words, Options{}); err == nil {
		t.Error("a cancelled probe returned no error")
	}
}

func TestProbeNeedsSentences(t *testing.T) {
	// Titles alone: nothing to hold out.
	docs := []Doc{{Text: "one title", Vector: []float32{1}}, {Text: "another", Vector: []float32{1}}}
	res, err := Run(context.Background(), docs, probetest.Noise{Dimensions: 1}, probetest.Words, Options{Probes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Probes != 0 {
		t.Errorf("%d probes from papers without sentences", res.Probes)
	}
}

func TestSentences(t *testing.T) {
	got := sentences("A title\nFirst one. Second? Third! e.g.x stays. Last")
	want := []string{"A title", "First one.", "Second?", "Third!", "e.g.x stays.", "Last"}
	if !slices.Equal(got, want) {
		t.Errorf("sentences = %q, want %q", got, want)
	}
}
