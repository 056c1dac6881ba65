package embedded

import (
	"cmp"
	"context"
	"runtime"
	"slices"

	"github.com/quire-research/quire/corpus"
)

// A full text is one long field, and BM25 over it rewards a paper whose
// words are spread over forty pages as much as one that holds them in one
// paragraph. The best hits are therefore rescored passage by passage: each
// one's full-text clause is replaced by the BM25 of its best passage (a
// passage weighs like the abstract, since it is about as long). A sentence
// from a paper's body then finds that paper first where the whole-body
// score left it at rank 2–20 (TestKnownItemPDFs).
//
// This ranks what the full-text field found; passages are not yet an
// index of their own (issue 20), so a paper outside the first
// passageRerankDepth by whole-body BM25 is not lifted.

const (
	// passageRerankDepth is how many of the best BM25 hits are rescored.
	passageRerankDepth = 50
	// passageWeight is a passage clause's boost, as the abstract's.
	passageWeight = 1.0
	// bigramWeight weighs a pair of query terms found side by side in the
	// passage, in the query's order, against a single term: the ordered
	// window of Metzler and Croft's sequential dependence model, at its
	// published weights (0.10 against 0.85), not tuned here.
	bigramWeight = 0.10 / 0.85
	// windowWeight weighs a pair of neighbouring query terms found, in
	// either order, within window tokens of each other: the model's
	// unordered window (#uw8), again at its published weight.
	windowWeight = 0.05 / 0.85
	window       = 8
)

// bestPassage is the outcome of rescoring one paper.
type bestPassage struct {
	body    float64 // the paper's whole-body clause score
	passage float64 // its best passage's score, before passageWeight
	length  int     // the passage's analysed tokens
	text    string  // the passage, for the vector half (BestPassages)
}

// hitKey names a hit within one plan's snapshot.
type hitKey struct {
	seg   int
	local uint64
}

// rerankPassages rescores top[:passageRerankDepth] in place and re-sorts
// top. It does nothing when the query has no full-text clause.
func (p *plan) rerankPassages(ctx context.Context, top []scored) error {
	var body []*qterm
	for i := range p.terms {
		if p.terms[i].field == fBody {
			body = append(body, &p.terms[i])
		}
	}
	n := min(len(top), passageRerankDepth)
	if len(body) == 0 || n == 0 {
		return nil
	}
	best := make([]bestPassage, n)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/8))
	err := parallel(ctx, workers, n, func(_, i int) error {
		h, err := p.load(top[i])
		if err != nil {
			return err
		}
		best[i] = p.passageScores(&h.Paper, body)
		return nil
	})
	if err != nil {
		return err
	}
	if p.best == nil {
		p.best = make(map[hitKey]string, n)
	}
	for i, b := range best {
		if b.length > 0 {
			p.best[hitKey{top[i].seg, top[i].local}] = b.text
			top[i].score += b.passage - b.body
		}
	}
	slices.SortStableFunc(top, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	return nil
}

// passageScores analyses a paper's full text once and returns its
// whole-body clause score and its best passage's. A passage's length is
// normalised by the paper's average passage: the chunker cuts passages to
// one budget, so that is close to the corpus's.
func (p *plan) passageScores(paper *corpus.Paper, body []*qterm) bestPassage {
	if paper.FullText == "" {
		return bestPassage{}
	}
	toks := p.x.an.prose.Analyze([]byte(paper.FullText))
	want := make(map[string]int, len(body))
	for i, q := range body {
		want[string(q.term)] = i
	}
	// The query's bigrams, as pairs of clauses; a pair's idf is the mean
	// of its terms'.
	bigrams := map[[2]int]bool{}
	for i := 1; i < len(p.seq); i++ {
		a, okA := want[p.seq[i-1]]
		b, okB := want[p.seq[i]]
		if okA && okB {
			bigrams[[2]int{a, b}] = true
		}
	}
	// starts holds the tokens' byte offsets, to find which tokens a
	// passage holds; hits the tokens of the query's terms.
	tf := make([]int, len(body))
	starts := make([]int, len(toks))
	hits := make([][2]int, 0, 64) // (token index, clause)
	for i, t := range toks {
		starts[i] = t.Start
		if k, ok := want[string(t.Term)]; ok {
			tf[k]++
			hits = append(hits, [2]int{i, k})
		}
	}
	var out bestPassage
	for k, q := range body {
		if tf[k] > 0 {
			out.body += p.bm25(q.weight*q.idf, float64(tf[k]), float64(len(toks)), q.avgLen)
		}
	}
	chunks := corpus.ChunkPaper(paper, corpus.ChunkOptions{})
	lens := make([]int, 0, len(chunks))
	type span struct {
		lo, hi int // token indexes [lo, hi)
		text   string
	}
	spans := make([]span, 0, len(chunks))
	for _, c := range chunks {
		if c.Start < 0 || c.End > len(paper.FullText) || c.Start >= c.End || paper.FullText[c.Start:c.End] != c.Text {
			continue // the title+abstract chunk of a paper without body text
		}
		lo, _ := slices.BinarySearch(starts, c.Start)
		hi, _ := slices.BinarySearch(starts, c.End)
		if hi > lo {
			spans = append(spans, span{lo, hi, c.Text})
			lens = append(lens, hi-lo)
		}
	}
	if len(spans) == 0 {
		return out
	}
	var avg float64
	for _, l := range lens {
		avg += float64(l)
	}
	avg /= float64(len(lens))
	ptf := make([]int, len(body))
	btf := map[[2]int]int{}
	wtf := map[[2]int]int{}
	for _, s := range spans {
		clear(ptf)
		clear(btf)
		clear(wtf)
		a, _ := slices.BinarySearchFunc(hits, s.lo, func(h [2]int, t int) int { return cmp.Compare(h[0], t) })
		for j, h := range hits[a:] {
			if h[0] >= s.hi {
				break
			}
			ptf[h[1]]++
			if j > 0 {
				if prev := hits[a+j-1]; prev[0] == h[0]-1 && bigrams[[2]int{prev[1], h[1]}] {
					btf[[2]int{prev[1], h[1]}]++
				}
			}
			// Each window counts once, at its first term.
			for _, g := range hits[a+j+1:] {
				if g[0] >= s.hi || g[0]-h[0] >= window {
					break
				}
				if pair := [2]int{h[1], g[1]}; bigrams[pair] {
					wtf[pair]++
				} else if pair = [2]int{g[1], h[1]}; bigrams[pair] {
					wtf[pair]++
				}
			}
		}
		var sc float64
		length := float64(s.hi - s.lo)
		for k, q := range body {
			if ptf[k] > 0 {
				sc += p.bm25(passageWeight/bodyBoost*q.weight*q.idf, float64(ptf[k]), length, avg)
			}
		}
		for pair, n := range btf {
			idf := (body[pair[0]].idf + body[pair[1]].idf) / 2
			sc += p.bm25(bigramWeight*passageWeight*idf, float64(n), length, avg)
		}
		for pair, n := range wtf {
			idf := (body[pair[0]].idf + body[pair[1]].idf) / 2
			sc += p.bm25(windowWeight*passageWeight*idf, float64(n), length, avg)
		}
		if sc > out.passage {
			out.passage, out.length, out.text = sc, s.hi-s.lo, s.text
		}
	}
	return out
}
