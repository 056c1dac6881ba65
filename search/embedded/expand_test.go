package embedded

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// The expansion round reads each hit's term frequencies and field lengths
// from the postings; they must give the BM25 that analysing the hit's
// stored title and abstract gives.
func TestExpansionRescoreMatchesAnalysedFields(t *testing.T) {
	t.Parallel()
	x := newTestIndex(t)
	papers := generated(t, synth.Options{Papers: 80, Seed: 3})
	apply(t, x, &search.Batch{Upserts: papers[:40]}) // two segments
	apply(t, x, &search.Batch{Upserts: papers[40:]})
	ctx := context.Background()
	snap, err := x.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	text := strings.Join(strings.Fields(papers[5].Title)[:3], " ")
	q, err := query.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	lx, err := x.lexicalHits(ctx, snap, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := lx.rank(ctx, 30); err != nil {
		t.Fatal(err)
	}
	p := lx.p
	var feedback []string
	for _, s := range lx.top[:3] {
		h, err := p.load(s)
		if err != nil {
			t.Fatal(err)
		}
		feedback = append(feedback, h.Paper.Title+"\n"+h.Paper.Abstract)
	}
	terms, err := p.expansion(text, feedback)
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) < 3 || len(lx.top) < 10 {
		t.Fatalf("%d expansion terms, %d hits: too few to compare", len(terms), len(lx.top))
	}
	got, err := lx.rescored(ctx, terms)
	if err != nil {
		t.Fatal(err)
	}
	before := map[hitKey]float64{}
	for _, s := range lx.top {
		before[hitKey{s.seg, s.local}] = s.score
	}
	an, stats := x.an.prose, x.lengthStats()
	gained := 0
	for _, s := range got.top {
		h, err := p.load(s)
		if err != nil {
			t.Fatal(err)
		}
		title := an.Analyze([]byte(h.Paper.Title))
		both := append(title[:len(title):len(title)], an.Analyze([]byte(h.Paper.Abstract))...)
		want := expandKeep * before[hitKey{s.seg, s.local}]
		for f, toks := range [2]analysis.TokenStream{both, title} {
			field := [2]string{fText, fTitle}[f]
			boost := [2]float64{1, x.opts.TitleBoost}[f]
			for _, t := range terms {
				tf := 0
				for _, tok := range toks {
					if string(tok.Term) == t.term {
						tf++
					}
				}
				if tf > 0 && t.idf[f] > 0 {
					want += p.bm25(boost*t.weight*t.idf[f], float64(tf), float64(len(toks)), stats.avg(field))
				}
			}
		}
		if want > expandKeep*before[hitKey{s.seg, s.local}]+1e-9 {
			gained++
		}
		if math.Abs(s.score-want) > 1e-6*want {
			t.Errorf("%s: rescored %g from the postings, %g analysed", h.ID, s.score, want)
		}
	}
	if gained == 0 {
		t.Error("no hit holds an expansion term: the comparison tests nothing")
	}
}
