package embedded

import "context"

// passageDocs finds the papers that own a query's best passages, each
// passage a BM25 document of its own: the candidates whole-body BM25 ranks
// too low for passage rescoring to see (rerank.go). The index does not
// keep passage documents yet; TestRescoreDepth measures a bleve index of
// them through this (docs/passages.md, "Passages as documents").
type passageDocs interface {
	papers(ctx context.Context, c clauses) ([]string, error)
}

// byPassage returns the hits, other than rescored, whose papers own the
// query's best passages, scored as the ranking scores them.
func (lx *lexical) byPassage(ctx context.Context, rescored []scored, c clauses) ([]scored, error) {
	src := lx.p.x.passageDocs
	if src == nil {
		return nil, nil
	}
	ids, err := src.papers(ctx, c)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var out []scored
	for si, sh := range lx.segs {
		if sh.hits.IsEmpty() {
			continue
		}
		bm, err := sh.ss.DocNumbers(ids)
		if err != nil {
			return nil, err
		}
		bm.And(sh.hits)
		for _, s := range rescored {
			if s.seg == si {
				bm.Remove(uint32(s.local))
			}
		}
		if bm.IsEmpty() {
			continue
		}
		var cands []scored
		for it := bm.Iterator(); it.HasNext(); {
			cands = append(cands, scored{seg: si, local: uint64(it.Next())})
		}
		if err := lx.p.scoreAll(sh, cands); err != nil {
			return nil, err
		}
		out = append(out, cands...)
	}
	return out, nil
}
