package embedded

import (
	"cmp"
	"context"
	"runtime"
	"slices"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// A full text is one long field, and BM25 over it rewards a paper whose
// words are spread over forty pages as much as one that holds them in one
// paragraph. The best hits are therefore rescored passage by passage: each
// one's full-text clause is replaced by the BM25 of its best passage (a
// passage weighs like the abstract, since it is about as long). A sentence
// from a paper's body then finds that paper first where the whole-body
// score left it at rank 2–20 (TestKnownItemPDFs).
//
// Rescoring reads passages as positions: the body field keeps term
// vectors and each record stores its passage bounds (mapping.go), so it
// reads where the query's terms are instead of cutting and analysing each
// body, about ten times cheaper. A paper outside the first
// passageRerankDepth by whole-body BM25 joins the rescored hits when a
// query that reads as a sentence finds it by its passage documents
// (passdocs.go) or quotes it (quotes.go).

const (
	// passageRerankDepth is how many of the best BM25 hits are rescored.
	passageRerankDepth = 50
	// passageWeight is a passage clause's boost, as the abstract's.
	passageWeight = 1.0
	// bigramWeight weighs a pair of neighbouring query terms found in the
	// passage in the query's order, no further apart than in the query,
	// against a single term: the ordered window of Metzler and Croft's
	// sequential dependence model, at its published weights (0.10 against
	// 0.85), not tuned here.
	bigramWeight = 0.10 / 0.85
	// windowWeight weighs a pair of neighbouring query terms found, in
	// either order, within window tokens of each other: the model's
	// unordered window (#uw8), again at its published weight.
	windowWeight = 0.05 / 0.85
	window       = 8
	// A query is a quotation when one passage holds at least quoteShare
	// of its neighbouring pairs in its order, and it has at least
	// quotePairs of them (seven words besides stop words): what a
	// sentence pasted from a paper gives, and a topic's few words do not.
	// Of 281 body sentences from the shared PDFs, 276 have six pairs or
	// more, and 233 of those are held whole by a passage.
	quotePairs = 6
	quoteShare = 0.75
)

// bestPassage is the outcome of rescoring one paper.
type bestPassage struct {
	body float64 // the paper's whole-body clause score
	text string  // the best passage, for the vector half (BestPassages)
	at   int     // the best passage's number, which names its vector
	// ranked are the best maxPassages passages, best first, scored before
	// passageWeight: the ones a hit shows (search/highlight). None when no
	// passage holds a clause.
	ranked []rankedChunk
	// quoted is the largest share of the query's neighbouring pairs that
	// one passage holds in the query's order (see quotation).
	quoted float64
}

// rankedChunk is a passage and its score.
type rankedChunk struct {
	chunkRef
	at     int // its place in the paper's passage list
	score  float64
	quotes bool // it holds the query as a quotation (quotePairs)
}

// hitKey names a hit within one plan's snapshot.
type hitKey struct {
	seg   int
	local uint64
}

// occ is one occurrence of a full-text query clause in a paper.
type occ struct {
	pos   int // token position, stop words counted (bleve's Position)
	start int // byte offset in the full text
	k     int // which clause
}

// rerankPassages rescores top[:passageRerankDepth] and returns top
// re-sorted. A query that reads as a quotation also rescores the papers
// that byPassage finds by their best passages, in the same pass; and when
// no rescored hit holds it, sources may find papers beyond them that do.
// They are ranked with the others. It does nothing when the query has no
// full-text clause.
func (p *plan) rerankPassages(ctx context.Context, top []scored, sources, byPassage func(context.Context, []scored, clauses) ([]scored, error)) ([]scored, error) {
	c := p.bodyClauses()
	n := min(len(top), p.x.opts.RescoreDepth)
	if len(c.body) == 0 || n == 0 {
		return top, nil
	}
	quotation := len(c.bigrams) >= quotePairs
	// A query that reads as a sentence looks for its passage among the
	// passage documents too: a topic's words rank papers the same either
	// way (TestRescoreDepth), and would pay for the search. Its papers are
	// rescored with the best hits, in one pass over the clauses' postings:
	// at 100,000 full texts each pass is most of a sentence's search.
	var extra []scored
	if quotation && byPassage != nil {
		var err error
		if extra, err = byPassage(ctx, top[:n], c); err != nil {
			return nil, err
		}
	}
	rescored := append(slices.Clone(top[:n]), extra...)
	if err := p.rescoreHits(ctx, rescored, c, n); err != nil {
		return nil, err
	}
	copy(top, rescored[:n])
	// merge puts the hits found beyond the rescored ones in top. One may
	// be among the hits past those (when more are wanted): it moves,
	// rescored, so every page of a search ranks the same.
	merge := func(extra []scored) {
		added := map[hitKey]bool{}
		for _, s := range extra {
			added[hitKey{s.seg, s.local}] = true
		}
		top = append(slices.DeleteFunc(top, func(s scored) bool { return added[hitKey{s.seg, s.local}] }), extra...)
	}
	merge(rescored[n:])
	if quotation && !slices.ContainsFunc(rescored, p.quotes) {
		more, err := sources(ctx, rescored, c)
		if err != nil {
			return nil, err
		}
		if err := p.rescoreHits(ctx, more, c, len(more)); err != nil {
			return nil, err
		}
		merge(more)
	}
	slices.SortStableFunc(top, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	if quotation {
		p.quoted = p.sourcesFirst(top)
	}
	return top, nil
}

// rescoreHits replaces each hit's whole-body clause score by its best
// passage's, in place, and keeps the passages in p.best. The hits from
// bodiless on were scored without their full-text clauses: they get
// their best passage's score, or their whole body's when no passage
// holds a clause.
func (p *plan) rescoreHits(ctx context.Context, top []scored, c clauses, bodiless int) error {
	n := len(top)
	if n == 0 {
		return nil
	}
	occs, whole, err := p.postedOccurrences(ctx, top, c.body)
	if err != nil {
		return err
	}
	best := make([]bestPassage, n)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/8))
	err = parallel(ctx, workers, n, func(_, i int) error {
		var err error
		best[i], err = p.rescore(top[i], c, occs[i], whole[i])
		return err
	})
	if err != nil {
		return err
	}
	if p.best == nil {
		p.best = make(map[hitKey]bestPassage, n)
	}
	for i, b := range best {
		if i >= bodiless {
			top[i].score += b.body
		}
		if len(b.ranked) > 0 {
			p.best[hitKey{top[i].seg, top[i].local}] = b
			top[i].score += b.ranked[0].score - b.body
		}
	}
	return nil
}

// quotes is true when one of the hit's passages holds the query as a
// quotation (quotePairs).
func (p *plan) quotes(s scored) bool { return p.best[hitKey{s.seg, s.local}].quoted >= quoteShare }

// sourcesFirst moves the hits with a passage that quotes the query (see
// quotePairs) ahead of the others, each group kept in score order, and
// returns how many there are. A pasted sentence's source outranks a
// paper that only shares its words, however often: of the known-item
// sentences whose paper came second, most lost to a sibling paper whose
// title or abstract held the subject's words (TestKnownItemPDFs).
func (p *plan) sourcesFirst(top []scored) int {
	n := 0
	for _, s := range top {
		if p.quotes(s) {
			n++
		}
	}
	if n > 0 {
		slices.SortStableFunc(top, func(a, b scored) int { return firstTrue(p.quotes(a), p.quotes(b)) })
	}
	return n
}

// firstTrue orders true before false, for sorting.
func firstTrue(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// clauses are a query's full-text clauses and their bigrams, as pairs of
// clauses (a pair's idf is the mean of its terms').
type clauses struct {
	body []*qterm
	want map[string]int // term → clause
	// bigrams maps each pair of neighbouring clauses to how far apart
	// the query has them: more than 1 where stop words part them ("R
	// objects such as vectors" pairs object and vector at 3), so a
	// sentence quoted whole matches its own bigrams.
	bigrams map[[2]int]int
	maxGap  int
}

func (p *plan) bodyClauses() clauses {
	c := clauses{want: map[string]int{}, bigrams: map[[2]int]int{}}
	for i := range p.terms {
		if p.terms[i].field == fBody {
			c.want[string(p.terms[i].term)] = len(c.body)
			c.body = append(c.body, &p.terms[i])
		}
	}
	for i := 1; i < len(p.seq); i++ {
		a, okA := c.want[p.seq[i-1]]
		b, okB := c.want[p.seq[i]]
		if okA && okB {
			gap := min(p.seqPos[i]-p.seqPos[i-1], window-1)
			pair := [2]int{a, b}
			c.bigrams[pair] = max(c.bigrams[pair], gap)
			c.maxGap = max(c.maxGap, gap)
		}
	}
	return c
}

// rescore finds one hit's whole-body clause score and its best passage's.
// A record indexed with its passages (mapping.go) is scored from posted,
// its clauses' positions, and whole, its whole-body score, as read from
// the postings; an older one is analysed and cut here, to the same scores.
func (p *plan) rescore(s scored, c clauses, posted []occ, whole float64) (bestPassage, error) {
	paper, chunks, err := p.loadPassages(s)
	if err != nil || paper.FullText == "" {
		return bestPassage{body: whole}, err
	}
	occs := posted
	if chunks == nil {
		chunks = bodyChunks(&paper)
		occs, whole = p.analysedOccurrences(paper.FullText, c)
	}
	ranked, quoted := p.scorePassages(occs, chunks, c)
	if len(ranked) == 0 {
		return bestPassage{body: whole}, nil
	}
	return bestPassage{body: whole, text: paper.FullText[ranked[0].Start:ranked[0].End], at: ranked[0].at, ranked: ranked, quoted: quoted}, nil
}

// postedOccurrences reads the body clauses' positions in each of the hits
// top from the postings, one pass over each clause's list per segment,
// and scores each whole body as the executor did. The lists are walked
// in parallel, one (segment, clause) at a time: decoding positions is
// the largest part of rescoring a long query (a pasted sentence has
// twenty clauses), and each walk is independent.
func (p *plan) postedOccurrences(ctx context.Context, top []scored, body []*qterm) ([][]occ, []float64, error) {
	type walk struct {
		seg int
		at  []int
		k   int
	}
	var walks []walk
	for seg, at := range bySegment(top) {
		for k := range body {
			walks = append(walks, walk{seg, at, k})
		}
	}
	// Each clause's findings are kept apart and merged in clause order,
	// so the sums, and so the ranking, do not depend on the schedule.
	found := make([][]occ, len(body)*len(top))
	scores := make([]float64, len(body)*len(top))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(walks)))
	err := parallel(ctx, workers, len(walks), func(_, w int) error {
		wk := walks[w]
		d, err := p.segs[wk.seg].Segment().Dictionary(fBody)
		if err != nil {
			return err
		}
		q := body[wk.k]
		pl, err := d.PostingsList(q.term, nil, nil)
		if err != nil {
			return err
		}
		return sweep(pl, top, wk.at, true, func(i int, pst segment.Posting) {
			at := wk.k*len(top) + i
			scores[at] = p.postedBM25(q.weight*q.idf, pst, q.avgLen)
			for _, l := range pst.Locations() {
				found[at] = append(found[at], occ{pos: int(l.Pos()), start: int(l.Start()), k: wk.k})
			}
		})
	})
	if err != nil {
		return nil, nil, err
	}
	occs := make([][]occ, len(top))
	whole := make([]float64, len(top))
	for i := range top {
		for k := range body {
			whole[i] += scores[k*len(top)+i]
			occs[i] = append(occs[i], found[k*len(top)+i]...)
		}
		// Clause order among equal positions, as they were appended.
		slices.SortFunc(occs[i], func(a, b occ) int { return cmp.Or(cmp.Compare(a.pos, b.pos), cmp.Compare(a.k, b.k)) })
	}
	return occs, whole, nil
}

// analysedOccurrences finds the body clauses in a full text by analysing
// it, for records stored before passages were indexed.
func (p *plan) analysedOccurrences(text string, c clauses) ([]occ, float64) {
	toks := p.x.an.prose.Analyze([]byte(text))
	tf := make([]int, len(c.body))
	var occs []occ
	for _, t := range toks {
		if k, ok := c.want[string(t.Term)]; ok {
			tf[k]++
			occs = append(occs, occ{pos: t.Position, start: t.Start, k: k})
		}
	}
	var whole float64
	for k, q := range c.body {
		if tf[k] > 0 {
			whole += p.bm25(q.weight*q.idf, float64(tf[k]), float64(len(toks)), q.avgLen)
		}
	}
	return occs, whole
}

// scorePassages scores each passage by the clauses it holds, and pairs of
// neighbouring query terms side by side or within a window (the
// sequential dependence model). A passage's length is normalised by the
// paper's average passage: the chunker cuts passages to one budget, so
// that is close to the corpus's. occs must be in position order. It
// returns the best maxPassages passages that hold a clause, best first
// (in reading order among equals), and the largest share of the query's
// pairs that one passage holds in order.
func (p *plan) scorePassages(occs []occ, chunks []chunkRef, cl clauses) ([]rankedChunk, float64) {
	body, bigrams := cl.body, cl.bigrams
	if len(chunks) == 0 || len(occs) == 0 {
		return nil, 0
	}
	var quoted float64
	var out []rankedChunk
	length := func(c chunkRef) float64 { return float64(max(c.Tokens, 1)) }
	var avg float64
	for _, c := range chunks {
		avg += length(c)
	}
	avg /= float64(len(chunks))
	ptf := make([]int, len(body))
	btf := map[[2]int]int{}
	wtf := map[[2]int]int{}
	for place, c := range chunks {
		clear(ptf)
		clear(btf)
		clear(wtf)
		at := func(o occ, t int) int { return cmp.Compare(o.start, t) }
		a, _ := slices.BinarySearchFunc(occs, c.Start, at)
		b, _ := slices.BinarySearchFunc(occs, c.End, at)
		in := occs[a:b]
		if len(in) == 0 {
			continue
		}
		for j, o := range in {
			ptf[o.k]++
			// An ordered pair: an earlier term of the pair no further
			// back than the query has it.
			for i := j - 1; i >= 0 && o.pos-in[i].pos <= cl.maxGap; i-- {
				pair := [2]int{in[i].k, o.k}
				if gap, ok := bigrams[pair]; ok && o.pos-in[i].pos <= gap {
					btf[pair]++
					break
				}
			}
			// Each window counts once, at its first term.
			for _, g := range in[j+1:] {
				if g.pos-o.pos >= window {
					break
				}
				if pair := [2]int{o.k, g.k}; bigrams[pair] > 0 {
					wtf[pair]++
				} else if pair = [2]int{g.k, o.k}; bigrams[pair] > 0 {
					wtf[pair]++
				}
			}
		}
		var sc float64
		n := length(c)
		for k, q := range body {
			if ptf[k] > 0 {
				sc += p.bm25(passageWeight/bodyBoost*q.weight*q.idf, float64(ptf[k]), n, avg)
			}
		}
		for pair, tf := range btf {
			idf := (body[pair[0]].idf + body[pair[1]].idf) / 2
			sc += p.bm25(bigramWeight*passageWeight*idf, float64(tf), n, avg)
		}
		for pair, tf := range wtf {
			idf := (body[pair[0]].idf + body[pair[1]].idf) / 2
			sc += p.bm25(windowWeight*passageWeight*idf, float64(tf), n, avg)
		}
		var share float64
		if len(bigrams) > 0 {
			share = float64(len(btf)) / float64(len(bigrams))
		}
		out = append(out, rankedChunk{c, place, sc, len(bigrams) >= quotePairs && share >= quoteShare})
		quoted = max(quoted, share)
	}
	// A passage that quotes the query comes first: it is what a pasted
	// sentence is looking for, and what the hit then shows.
	slices.SortStableFunc(out, func(a, b rankedChunk) int {
		return cmp.Or(firstTrue(a.quotes, b.quotes), cmp.Compare(b.score, a.score))
	})
	return out[:min(len(out), maxPassages)], quoted
}
