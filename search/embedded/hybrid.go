package embedded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/vector"
)

// Search runs one request in the mode it asks for, or the index's default,
// within the request's limits (see limits.go). An empty result says why.
func (x *Index) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	timeout := req.Timeout
	if timeout == 0 {
		timeout = DefaultSearchTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := x.search(ctx, req)
	if err != nil {
		return nil, timedOut(ctx, err, timeout)
	}
	if res.Total == 0 {
		if res.NoHits, err = x.explainNoHits(ctx, req); err != nil {
			return nil, timedOut(ctx, err, timeout)
		}
	}
	return res, nil
}

// search runs one request without limits or explanations.
func (x *Index) search(ctx context.Context, req search.Request) (*search.Result, error) {
	mode, err := x.resolveMode(req.Mode)
	if err != nil {
		return nil, err
	}
	if mode == search.ModeBM25 {
		return x.searchBM25(ctx, req)
	}
	return x.searchVectors(ctx, req, mode)
}

// HasVectors reports whether vector and hybrid searches can run.
func (x *Index) HasVectors() bool { return x.vec.ready() }

// Mode is the mode a request without one runs in.
func (x *Index) Mode() string {
	m, _ := x.resolveMode("")
	return m
}

func (x *Index) resolveMode(m string) (string, error) {
	ready := x.vec.ready()
	switch m {
	case "":
		m = x.opts.Mode
		if m == "" {
			m = search.ModeHybrid
		}
		if !ready {
			m = search.ModeBM25
		}
		return m, nil
	case search.ModeBM25:
		return m, nil
	case search.ModeVector, search.ModeHybrid:
		if !ready {
			return "", search.ErrNoVectors
		}
		return m, nil
	}
	return "", fmt.Errorf("unknown search mode %q (use hybrid, bm25 or vector)", m)
}

// searchVectors runs a vector or hybrid search. Filters, phrases and
// exclusions restrict both halves alike: the BM25 side computes the
// allowed papers and the vector side searches only their slots. The query
// is embedded while BM25 ranks (a remote embedder's round trip costs
// nothing then); the vector search waits for BM25, whose best hits feed
// back into the query vector in hybrid mode.
func (x *Index) searchVectors(ctx context.Context, req search.Request, mode string) (*search.Result, error) {
	start := time.Now()
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	want := req.Offset + req.Limit
	cands := max(x.opts.Candidates, want)

	text, _ := splitNegated(req.Query.Text)
	text = strings.TrimSpace(strings.Join(append([]string{text}, req.Query.Phrases...), " "))
	// The restriction limits both halves.
	restriction, _ := restrictionOf(req.Query)

	lq, lexWant := req.Query, cands
	if mode == search.ModeVector {
		// The free text is the vector's job; with none, list the allowed
		// papers in index order.
		lq, lexWant = restriction, 0
		if text == "" {
			lexWant = want
		}
	}
	lx, err := x.lexicalHits(ctx, snap, lq, req.Facets)
	if err != nil {
		return nil, err
	}
	if mode == search.ModeVector && text == "" {
		if err := lx.rank(ctx, lexWant); err != nil {
			return nil, err
		}
		return x.finish(ctx, req, lx, start, mode, lx.total, lx.facets, nil, nil)
	}

	x.vec.mu.RLock()
	emb, idx := x.vec.emb, x.vec.idx
	x.vec.mu.RUnlock()
	var embedded chan embedding
	// Hybrid runs the vector half even for a facets-only request, so its
	// hits are counted alike; and not at all when no word of the query
	// occurs in the index: a vector of unknown words finds only noise.
	vectorsNeeded := want > 0 || mode == search.ModeHybrid
	if mode == search.ModeHybrid && len(lx.p.terms) == 0 {
		vectorsNeeded = false
	}
	if vectorsNeeded && text != "" {
		embedded = make(chan embedding, 1) // buffered: an early return leaks nothing
		go func() {
			vs, err := emb.Embed(ctx, []string{text}, embed.Query)
			if err != nil {
				embedded <- embedding{err: fmt.Errorf("embed query with %s: %w", emb.Name(), err)}
				return
			}
			embedded <- embedding{qv: vs[0]}
		}()
	}
	if err := lx.rank(ctx, lexWant); err != nil {
		return nil, err
	}
	where := make(map[string]scored, len(lx.top))
	lexItems, err := lexicalItems(lx, where)
	if err != nil {
		return nil, err
	}

	// vectorHalf searches with the query vector; hybrid adds the best BM25
	// papers' vectors to it first.
	var qv []float32
	vectorHalf := func(lexItems []fusion.Item) ([]fusion.Item, error) {
		q := qv
		if mode == search.ModeHybrid {
			q = feedback(idx, qv, lexItems, x.opts.Feedback)
		}
		// Hybrid fuses a deeper vector list (it lifts recall); vector
		// mode only needs the page.
		k := cands
		if mode == search.ModeHybrid {
			k = max(x.opts.VectorCandidates, want)
		}
		rs, err := x.vec.search(idx, q, k, lx.key, lx.segs)
		if err != nil {
			return nil, err
		}
		items := make([]fusion.Item, 0, len(rs))
		for _, r := range rs {
			items = append(items, fusion.Item{ID: r.ID, Score: float64(r.Score)})
		}
		return items, nil
	}
	var vecItems []fusion.Item
	if embedded != nil {
		e := <-embedded
		if e.err != nil {
			return nil, e.err
		}
		qv = e.qv
		if vecItems, err = vectorHalf(lexItems); err != nil {
			return nil, err
		}
	}

	var fused []fusion.Fused
	var expansion []string
	if mode == search.ModeVector {
		fused = fusion.Merge(nil, vecItems, fusion.Options{Method: fusion.Convex, Weight: 1})
	} else {
		fo, expand := x.fusionFor(x.calibration())
		fused = fusion.Merge(lexItems, vecItems, fo)
		if expand && qv != nil {
			// A second round: BM25 with the query expanded from the best
			// fused papers, the vector half fed back from its new list.
			var texts []string
			for _, f := range fused[:min(expandDocs, len(fused))] {
				p, err := x.paperOf(ctx, lx, where, f.ID)
				if err != nil {
					return nil, err
				}
				texts = append(texts, embedText(p))
			}
			terms, err := lx.p.expansion(text, texts)
			if err != nil {
				return nil, err
			}
			if len(terms) > 0 {
				if lx, err = lx.rescored(ctx, terms); err != nil {
					return nil, err
				}
				before := lexItems
				if lexItems, err = lexicalItems(lx, where); err != nil {
					return nil, err
				}
				// The vector half searches again only if its feedback
				// papers changed.
				if !sameHead(before, lexItems, x.opts.Feedback) {
					if vecItems, err = vectorHalf(lexItems); err != nil {
						return nil, err
					}
				}
				fused = fusion.Merge(lexItems, vecItems, fo)
				for _, t := range terms {
					if !t.orig {
						expansion = append(expansion, t.term)
					}
				}
			}
		}
	}
	total := lx.total
	if mode == search.ModeHybrid && len(vecItems) > 0 {
		var extra uint64
		if fused, extra, err = hybridHits(lx, fused, cands); err != nil {
			return nil, err
		}
		total += extra
	}
	res, err := x.finish(ctx, req, nil, start, mode, total, lx.facets, fused, func(id string) (*corpus.Paper, error) {
		return x.paperOf(ctx, lx, where, id)
	})
	if err == nil {
		res.Expansion = expansion
	}
	return res, err
}

// hybridHits makes a hybrid search's ranked list, total and facet counts
// describe one set of papers, all under the filter: every BM25 match (a
// paper with a word of the query) plus the vector half's papers without
// one that fuse into the first window places (the BM25 half's candidate
// depth, at least the page). Vector candidates further down are dropped:
// every vector search returns its 300 nearest papers, however poor the
// query, and counting them all reported 300 "hits" for nonsense. The top
// window of the list is unchanged, so ranking quality is too. The papers
// added are counted in the facets; it returns the list and their number.
func hybridHits(lx *lexical, fused []fusion.Fused, window int) ([]fusion.Fused, uint64, error) {
	var probe []string
	for _, f := range fused {
		if f.LexRank == 0 {
			probe = append(probe, f.ID)
		}
	}
	if len(probe) == 0 {
		return fused, 0, nil
	}
	// Where each candidate lives in the snapshot.
	at := make(map[string]scored, len(probe))
	for si, sh := range lx.segs {
		docs, err := sh.ss.Segment().DocNumbers(probe)
		if err != nil {
			return nil, 0, err
		}
		docs.And(sh.allowed)
		it := docs.Iterator()
		for it.HasNext() {
			local := uint64(it.Next())
			id, err := sh.ss.DocID(local)
			if err != nil {
				return nil, 0, err
			}
			at[string(id)] = scored{seg: si, local: local}
		}
	}
	out := fused[:0:0]
	var extra uint64
	for pos, f := range fused {
		if f.LexRank == 0 {
			s, ok := at[f.ID]
			switch {
			case !ok:
				continue // gone since, or not allowed
			case lx.segs[s.seg].hits.Contains(uint32(s.local)):
				// A BM25 match past the BM25 half's candidates: counted.
			case pos < window:
				extra++
				addToAll(lx.k, lx.facets, s.seg, s.local)
			default:
				continue
			}
		}
		out = append(out, f)
	}
	return out, extra, nil
}

// sameHead reports whether a and b start with the same n papers, in any
// order.
func sameHead(a, b []fusion.Item, n int) bool {
	n = max(n, 0)
	if min(len(a), n) != min(len(b), n) {
		return false
	}
	for _, x := range a[:min(len(a), n)] {
		if !slices.ContainsFunc(b[:min(len(b), n)], func(y fusion.Item) bool { return y.ID == x.ID }) {
			return false
		}
	}
	return true
}

// lexicalItems lists the BM25 half's best hits for fusion and records
// where each is stored.
func lexicalItems(lx *lexical, where map[string]scored) ([]fusion.Item, error) {
	items := make([]fusion.Item, 0, len(lx.top))
	for _, s := range lx.top {
		id, err := lx.p.loadID(s)
		if err != nil {
			return nil, err
		}
		items = append(items, fusion.Item{ID: id, Score: s.score})
		where[id] = s
	}
	return items, nil
}

// paperOf loads a candidate: papers the BM25 half found are read from the
// open snapshot; only vector-only hits need a lookup by ID.
func (x *Index) paperOf(ctx context.Context, lx *lexical, where map[string]scored, id string) (*corpus.Paper, error) {
	if s, ok := where[id]; ok {
		h, err := lx.p.load(s)
		return &h.Paper, err
	}
	return x.Get(ctx, id)
}

// finish loads the page of hits and fills the result.
func (x *Index) finish(ctx context.Context, req search.Request, lx *lexical, start time.Time, mode string, total uint64, facets []facetCount, fused []fusion.Fused, load func(id string) (*corpus.Paper, error)) (*search.Result, error) {
	res := &search.Result{Total: total, Mode: mode}
	var hl *highlighter
	if req.Snippets {
		hl = x.newHighlighter(req.Query)
	}
	if lx != nil {
		top := lx.top
		if req.Offset < len(top) {
			top = top[req.Offset:]
		} else {
			top = nil
		}
		for _, s := range top {
			hit, err := lx.p.load(s)
			if err != nil {
				return nil, err
			}
			if hl != nil {
				hit.Snippet = hl.snippet(&hit.Paper)
			}
			capHit(&hit)
			res.Hits = append(res.Hits, hit)
		}
	} else {
		page := fused
		if req.Offset < len(page) {
			page = page[req.Offset:min(len(page), req.Offset+req.Limit)]
		} else {
			page = nil
		}
		for _, f := range page {
			var hit search.Hit
			p, err := load(f.ID)
			if err != nil {
				// A vector whose paper went away mid-search: skip it.
				continue
			}
			hit.ID, hit.Paper, hit.Score = f.ID, *p, f.Score
			if hl != nil {
				hit.Snippet = hl.snippet(&hit.Paper)
			}
			capHit(&hit)
			if req.Explain {
				hit.Explain = &search.Explain{Mode: mode, BM25Rank: f.LexRank, BM25Score: f.LexScore,
					VectorRank: f.VectorRank, VectorScore: f.VectorScore, Fused: f.Score}
			}
			res.Hits = append(res.Hits, hit)
		}
	}
	if facets != nil {
		res.Facets = facetResults(facets, req.Query, req.FacetSize)
	}
	res.Took = time.Since(start)
	return res, nil
}

// embedding is the query's vector, made while BM25 ranks.
type embedding struct {
	qv  []float32
	err error
}

// feedback adds the vectors of the n best BM25 hits to the query vector
// (pseudo-relevance feedback), which measured a gain in Recall@100 on every
// dev collection. (Searching with the plain query beside BM25 and then
// rescoring both lists with this vector ranked as well, but on the 1M
// synthetic bench the plain two-word query vectors made filtered graph
// walks slower: p99 80 against 72 ms.)
func feedback(idx *vector.Index, qv []float32, lex []fusion.Item, n int) []float32 {
	var docs [][]float32
	for _, it := range lex[:max(0, min(n, len(lex)))] {
		if d, ok := idx.Vector(it.ID); ok {
			docs = append(docs, d)
		}
	}
	return embed.Feedback(qv, docs, feedbackWeight)
}
