package embedded

import (
	"cmp"
	"context"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// A sentence pasted from a paper finds that paper by its passage, but only
// if whole-body BM25 first puts the paper among the passageRerankDepth
// hits that are rescored. In a library of papers on one subject a
// sentence's words are in every paper, and a short paper that quotes it
// once can rank far below: "R package offering a number of
// functionalities to work on time-indexed data" left xts's FAQ, whose
// second page holds it word for word, 73rd of 110 vignettes. So when no
// rescored hit quotes the query, the papers beyond them that hold its
// rarest neighbouring pairs, in order, are rescored too.
const (
	// quoteProbes is how many of the query's pairs, the rarest, are looked
	// for, and quoteFound how many of them a paper must hold in order: one
	// may be lost to an extraction difference (a word split at a line end).
	quoteProbes = 3
	quoteFound  = 2
	// quoteDocs bounds the papers whose positions are read: those that
	// have every word of the probed pairs. Past it the pairs are too
	// common to single out a source, and reading their positions costs
	// more than the search: with 1,024 a segment, body-sentence queries on
	// 100,000 synthetic full texts (whose sentences share templates) took
	// p50 68 ms instead of 39.
	quoteDocs = 512
	// quoteExtra bounds the papers added.
	quoteExtra = 10
)

// pairProbe is one of the query's neighbouring pairs of body clauses and
// how far apart the query has them.
type pairProbe struct {
	a, b, gap int
}

// rarestPairs returns the query's n pairs whose commoner term is rarest.
func rarestPairs(c clauses, n int) []pairProbe {
	var out []pairProbe
	for pr, gap := range c.bigrams {
		out = append(out, pairProbe{pr[0], pr[1], gap})
	}
	rarity := func(p pairProbe) float64 { return min(c.body[p.a].idf, c.body[p.b].idf) }
	slices.SortFunc(out, func(x, y pairProbe) int {
		if r := cmp.Compare(rarity(y), rarity(x)); r != 0 {
			return r
		}
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	})
	return out[:min(n, len(out))]
}

// quoteSources returns the hits, other than top's, whose full text holds
// at least quoteFound of the query's quoteProbes rarest pairs in the
// query's order and no further apart, scored as the ranking scores them:
// the candidates for the paper a pasted sentence came from. Best first,
// at most quoteExtra.
func (lx *lexical) quoteSources(ctx context.Context, top []scored, c clauses) ([]scored, error) {
	probes := rarestPairs(c, quoteProbes)
	need := min(quoteFound, len(probes))
	if need == 0 {
		return nil, nil
	}
	type found struct {
		s     scored
		pairs int
	}
	var out []found
	// Every segment's papers with all the probes' words, counted over the
	// segments before any position is read.
	docs := make([]*roaring.Bitmap, len(lx.segs))
	bodies := make([]map[int]segment.PostingsList, len(lx.segs))
	var total uint64
	for si, sh := range lx.segs {
		if sh.hits.IsEmpty() {
			continue
		}
		body := map[int]segment.PostingsList{} // clause → its postings here
		for _, cu := range sh.cur {
			if k, ok := c.want[string(cu.q.term)]; ok && cu.q == c.body[k] {
				body[k] = cu.pl
			}
		}
		d := sh.hits.Clone()
		for _, pr := range probes {
			for _, k := range []int{pr.a, pr.b} {
				if pl, ok := body[k]; ok && !d.IsEmpty() {
					has := roaring.New()
					orInto(has, pl)
					d.And(has)
				} else {
					d.Clear()
				}
			}
		}
		for _, s := range top {
			if s.seg == si {
				d.Remove(uint32(s.local))
			}
		}
		if total += d.GetCardinality(); total > quoteDocs {
			return nil, nil
		}
		docs[si], bodies[si] = d, body
	}
	for si, sh := range lx.segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, body := docs[si], bodies[si]
		if d == nil || d.IsEmpty() {
			continue
		}
		cands := make([]scored, 0, d.GetCardinality())
		for it := d.Iterator(); it.HasNext(); {
			cands = append(cands, scored{seg: si, local: uint64(it.Next())})
		}
		held, err := heldPairs(body, probes, cands)
		if err != nil {
			return nil, err
		}
		var keep []scored
		var pairs []int
		for i, n := range held {
			if n >= need {
				keep = append(keep, cands[i])
				pairs = append(pairs, n)
			}
		}
		if len(keep) == 0 {
			continue
		}
		if err := lx.p.scoreAll(sh, keep, true); err != nil {
			return nil, err
		}
		for i, s := range keep {
			out = append(out, found{s, pairs[i]})
		}
	}
	slices.SortStableFunc(out, func(x, y found) int {
		return cmp.Or(cmp.Compare(y.pairs, x.pairs), cmp.Compare(y.s.score, x.s.score))
	})
	res := make([]scored, 0, min(len(out), quoteExtra))
	for _, f := range out[:min(len(out), quoteExtra)] {
		res = append(res, f.s)
	}
	return res, nil
}

// heldPairs counts, for each of cands (one segment's), the probes it
// holds: the pair's second term after its first, no further than the
// query has them.
func heldPairs(body map[int]segment.PostingsList, probes []pairProbe, cands []scored) ([]int, error) {
	at := bySegment(cands)[cands[0].seg]
	pos := map[int][][]int{} // clause → each candidate's positions
	for _, pr := range probes {
		for _, k := range []int{pr.a, pr.b} {
			if _, ok := pos[k]; ok {
				continue
			}
			ps := make([][]int, len(cands))
			err := sweep(body[k], cands, at, true, func(i int, pst segment.Posting) {
				for _, l := range pst.Locations() {
					ps[i] = append(ps[i], int(l.Pos()))
				}
			})
			if err != nil {
				return nil, err
			}
			pos[k] = ps
		}
	}
	held := make([]int, len(cands))
	for i := range cands {
		for _, pr := range probes {
			if inOrder(pos[pr.a][i], pos[pr.b][i], pr.gap) {
				held[i]++
			}
		}
	}
	return held, nil
}

// inOrder is true when some position in b follows one in a by 1 to gap.
// Both are ascending.
func inOrder(a, b []int, gap int) bool {
	j := 0
	for _, p := range a {
		for j < len(b) && b[j] <= p {
			j++
		}
		if j < len(b) && b[j] <= p+gap {
			return true
		}
	}
	return false
}

// scoreAll gives each of hits (documents of segment sh) its BM25 over all
// of the query's clauses, as maxScore would; without body, over all but
// the full-text ones.
func (p *plan) scoreAll(sh segHits, hits []scored, body bool) error {
	at := bySegment(hits)[hits[0].seg]
	for _, cu := range sh.cur {
		if !body && cu.q.field == fBody {
			continue
		}
		w := cu.q.weight * cu.q.idf
		err := sweep(cu.pl, hits, at, false, func(i int, pst segment.Posting) {
			hits[i].score += p.postedBM25(w, pst, cu.q.avgLen)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
