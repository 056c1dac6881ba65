package embedded

import (
	"cmp"
	"context"
	"slices"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Query expansion for hybrid search on corpora where the vector half is the
// stronger one (see calibrate.go). BM25 alone is then often confidently
// wrong: on MED, "language development in infancy and pre-school age"
// ranks papers on infant development first. So the BM25 half's hits are
// ranked again with the query expanded from the fused list's best papers
// (RM3: Lavrenko & Croft's relevance model mixed with the original query,
// as in Abdul-Jaleel et al., 2004), and the vector half's feedback follows
// the new BM25 order. Measured on the BEIR dev halves in
// docs/measurements.md.
const (
	expandDocs  = 5   // fused papers the relevance model is built from
	expandTerms = 10  // expansion terms kept
	expandKeep  = 0.7 // the original query's share of the weight
)

// expansionTerm is one term of the relevance model with its extra weight
// and its idf in the title+abstract and title fields.
type expansionTerm struct {
	term   string
	weight float64
	idf    [2]float64 // fText, fTitle; 0 when no paper has it there
	orig   bool       // the query has it too
}

// expansion builds the relevance model from the feedback texts: the
// expandTerms terms most probable in them, each weighted by its share of
// (1 − expandKeep) of the query's weight, so the original terms keep
// expandKeep of theirs. Terms in fewer than two papers are left out (typos
// and IDs say nothing about the topic).
func (p *plan) expansion(text string, feedback []string) ([]expansionTerm, error) {
	an := p.x.an.prose
	query := map[string]bool{}
	var qn float64
	for _, t := range an.Analyze([]byte(text)) {
		query[string(t.Term)] = true
		qn++
	}
	if qn == 0 || len(feedback) == 0 {
		return nil, nil
	}
	// p(t|R): each feedback paper's term distribution, averaged.
	rel := map[string]float64{}
	for _, f := range feedback {
		toks := an.Analyze([]byte(f))
		if len(toks) == 0 {
			continue
		}
		share := 1 / float64(len(toks)) / float64(len(feedback))
		for _, t := range toks {
			rel[string(t.Term)] += share
		}
	}
	type cand struct {
		term string
		p    float64
	}
	cands := make([]cand, 0, len(rel))
	for t, v := range rel {
		cands = append(cands, cand{t, v})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(b.p, a.p); c != 0 {
			return c
		}
		return cmp.Compare(a.term, b.term)
	})
	n, err := p.snap.DocCount()
	if err != nil {
		return nil, err
	}
	var out []expansionTerm
	var relSum float64
	for _, c := range cands {
		if len(out) == expandTerms {
			break
		}
		df, err := p.docFreq(fText, []byte(c.term))
		if err != nil {
			return nil, err
		}
		if df < 2 {
			continue
		}
		t := expansionTerm{term: c.term, weight: c.p, idf: [2]float64{idf(n, df)}, orig: query[c.term]}
		dfTitle, err := p.docFreq(fTitle, []byte(c.term))
		if err != nil {
			return nil, err
		}
		if dfTitle > 0 {
			t.idf[1] = idf(n, dfTitle)
		}
		out = append(out, t)
		relSum += c.p
	}
	for i := range out {
		out[i].weight = (1 - expandKeep) * qn * out[i].weight / relSum
	}
	return out, nil
}

// rescored reorders the BM25 half's hits for the expanded query: each hit
// keeps expandKeep of its score and gains the expansion terms' BM25 over
// its title and abstract, read from the postings (a hit's tf and, from
// its norm, its field length). Only the hits already found are reordered:
// ranking the whole index with ten more terms took 90 ms a filtered query
// at a million papers (zap's postings advance by walking), and on the dev
// collections reordering alone measured as well (docs/measurements.md).
// The total and facet counts stay those of the original query.
func (lx *lexical) rescored(ctx context.Context, terms []expansionTerm) (*lexical, error) {
	p := lx.p
	stats := p.x.lengthStats()
	top := slices.Clone(lx.top)
	for i := range top {
		top[i].score *= expandKeep
	}
	for seg, at := range bySegment(top) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for f, field := range [2]string{fText, fTitle} {
			d, err := p.segs[seg].Segment().Dictionary(field)
			if err != nil {
				return nil, err
			}
			boost := [2]float64{1, p.x.opts.TitleBoost}[f]
			for _, t := range terms {
				if t.idf[f] == 0 {
					continue
				}
				pl, err := d.PostingsList([]byte(t.term), nil, nil)
				if err != nil {
					return nil, err
				}
				w := boost * t.weight * t.idf[f]
				err = sweep(pl, top, at, false, func(i int, pst segment.Posting) {
					top[i].score += p.postedBM25(w, pst, stats.avg(field))
				})
				if err != nil {
					return nil, err
				}
			}
		}
	}
	slices.SortStableFunc(top, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	out := *lx
	out.top = top
	return &out, nil
}
