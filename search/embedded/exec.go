package embedded

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
)

// Quire's query executor, over bleve's segments.
//
// bleve's searchers score every matching document and visit doc values for
// facets; at a million papers a two-word query matching 40% of them takes
// ~60 ms. Here each search works per immutable segment in two parts:
//
//   - the hit set (for the total and the facets) is computed with roaring
//     bitmap operations on postings lists: filters, phrases and exclusions
//     become AND / AND NOT, free-text terms an OR;
//   - the top hits come from BM25 with MaxScore dynamic pruning: terms whose
//     best possible contribution cannot lift a document into the top k are
//     only probed, never walked, so common words cost little.
//
// Scoring is classic BM25 (Robertson/Sparck Jones idf, k1, b) summed over
// the title+abstract, title and full-text fields with their weights.

// scored is a candidate hit.
type scored struct {
	score float64
	seg   int
	local uint64
}

// topK is a min-heap of the best hits so far; the root is the weakest.
type topK []scored

func (h topK) Len() int           { return len(h) }
func (h topK) Less(i, j int) bool { return weaker(h[i], h[j]) }

// weaker is true when a ranks below b. Equal scores: the later document
// ranks lower, for stable results.
func weaker(a, b scored) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	if a.seg != b.seg {
		return a.seg > b.seg
	}
	return a.local > b.local
}
func (h topK) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *topK) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// qterm is one (field, term) clause of the free text.
type qterm struct {
	field  string
	term   []byte
	weight float64 // field boost × times the term occurs in the query
	idf    float64
	avgLen float64
}

// plan is a search prepared against one snapshot.
type plan struct {
	x     *Index
	snap  *scorch.IndexSnapshot
	segs  []*scorch.SegmentSnapshot
	terms []qterm
	// hasText is true when the query has free text: then only documents
	// matching some term are hits, even if no term is in the index.
	hasText bool
	k1, b   float64
	// seq is the free text's analysed terms in order, repeats kept: its
	// neighbours are the bigrams passage rescoring looks for (rerank.go).
	// seqPos are their positions, stop words counted.
	seq    []string
	seqPos []int
	// best holds each rescored hit's best passages.
	best map[hitKey]bestPassage
	// quoted is how many of the ranked hits, from the first, have a
	// passage that quotes the query (rerank.go).
	quoted int
}

func (x *Index) snapshot() (*scorch.IndexSnapshot, error) {
	return snapshotOf(x.idx, x.path)
}

// snapshotOf returns a scorch index's current snapshot; path names it in
// errors.
func snapshotOf(idx bleve.Index, path string) (*scorch.IndexSnapshot, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		r.Close()
		return nil, fmt.Errorf("index %s: unexpected reader %T", path, r)
	}
	return snap, nil
}

// lexical is the BM25 half of a search: every segment's hit set, the
// total, the facet counter and the best hits, best first.
type lexical struct {
	p     *plan
	segs  []segHits
	total uint64
	// k counts the facets without a selection of their own over the hits;
	// facets lists every facet's counter (see disjunctive.go).
	k      *counter
	facets []facetCount
	top    []scored
	// key names the hits' restriction (filters, phrases, exclusions);
	// "" when there is none.
	key string
}

// lexicalHits computes every segment's hit set, the total and the facet
// counts: everything of the BM25 half but the ranking.
func (x *Index) lexicalHits(ctx context.Context, snap *scorch.IndexSnapshot, q query.Query, facets []string) (*lexical, error) {
	p := &plan{x: x, snap: snap, segs: snap.Segments(), k1: x.opts.K1, b: x.opts.B}
	if err := p.prepareTerms(q); err != nil {
		return nil, err
	}
	lx := &lexical{p: p}
	if r, ok := hybrid.Restrict(q); ok {
		lx.key = r.String()
	}
	var err error
	if len(facets) > 0 {
		if lx.k, lx.facets, err = x.countFacets(ctx, p, q, facets); err != nil {
			return nil, err
		}
	}
	lx.segs, lx.total, err = p.hitSets(ctx, q, lx.key, lx.k)
	if err != nil {
		return nil, err
	}
	return lx, nil
}

// rank fills lx.top with the best want hits, best first.
func (lx *lexical) rank(ctx context.Context, want int) error {
	rescore := want > 0 && lx.p.hasBody() // by passage (rerank.go)
	depth := want
	if rescore {
		depth = max(want, lx.p.x.opts.RescoreDepth)
	}
	top := &sharedTop{want: depth}
	top.theta.Store(math.Float64bits(-1))
	if want > 0 {
		var err error
		if lx.p.hasText {
			err = lx.p.rank(ctx, lx.segs, top)
		} else {
			lx.p.firstDocs(lx.segs, top)
		}
		if err != nil {
			return err
		}
	}
	h := top.h
	lx.top = make([]scored, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		lx.top[i] = heap.Pop(&h).(scored)
	}
	if rescore {
		var err error
		if lx.top, err = lx.p.rerankPassages(ctx, lx.top, lx.quoteSources, lx.byPassage); err != nil {
			return err
		}
		lx.top = lx.top[:min(len(lx.top), want)]
	}
	return nil
}

// hasBody is true when some query term occurs in a full text.
func (p *plan) hasBody() bool {
	for _, t := range p.terms {
		if t.field == fBody {
			return true
		}
	}
	return false
}

// prepareTerms analyses the free text and computes each clause's idf and
// the field's average length over the whole snapshot.
func (p *plan) prepareTerms(q query.Query) error {
	text, _ := hybrid.SplitNegated(q.Text)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	p.hasText = true
	counts := map[string]int{}
	var order []string
	for _, t := range p.x.an.prose.Analyze([]byte(text)) {
		s := string(t.Term)
		p.seq = append(p.seq, s)
		p.seqPos = append(p.seqPos, t.Position)
		if counts[s] == 0 {
			if len(order) == maxQueryTerms {
				return fmt.Errorf("search: the query has more than %d distinct words (shorten it, or search for its key words)", maxQueryTerms)
			}
			order = append(order, s)
		}
		counts[s]++
	}
	n, err := p.snap.DocCount()
	if err != nil {
		return err
	}
	stats := p.x.lengthStats()
	for _, f := range []struct {
		name  string
		boost float64
	}{{fText, 1}, {fTitle, p.x.opts.TitleBoost}, {fBody, bodyBoost}} {
		for _, t := range order {
			df, err := p.docFreq(f.name, []byte(t))
			if err != nil {
				return err
			}
			if df == 0 {
				continue
			}
			p.terms = append(p.terms, qterm{
				field:  f.name,
				term:   []byte(t),
				weight: f.boost * float64(counts[t]),
				idf:    idf(n, df),
				avgLen: stats.avg(f.name),
			})
		}
	}
	return nil
}

func (p *plan) docFreq(field string, term []byte) (uint64, error) {
	var df uint64
	for _, ss := range p.segs {
		d, err := ss.Segment().Dictionary(field)
		if err != nil {
			return 0, err
		}
		pl, err := d.PostingsList(term, ss.Deleted(), nil)
		if err != nil {
			return 0, err
		}
		df += pl.Count()
	}
	return df, nil
}

// cursor walks one clause's postings in one segment.
type cursor struct {
	q    *qterm
	pl   segment.PostingsList
	it   segment.PostingsIterator
	doc  uint64
	pst  segment.Posting // valid until the iterator moves
	done bool
	hi   uint64  // the cursor's unit ends before this document
	ub   float64 // the most this clause can add to a score
}

func (c *cursor) load(pst segment.Posting, err error) error {
	if err != nil {
		return err
	}
	if pst == nil {
		c.done = true
		return nil
	}
	c.doc = pst.Number()
	if c.doc >= c.hi {
		c.done = true
		return nil
	}
	c.pst = pst
	return nil
}

func (p *plan) cursors(ss *scorch.SegmentSnapshot) ([]*cursor, error) {
	var out []*cursor
	for i := range p.terms {
		q := &p.terms[i]
		d, err := ss.Segment().Dictionary(q.field)
		if err != nil {
			return nil, err
		}
		pl, err := d.PostingsList(q.term, ss.Deleted(), nil)
		if err != nil {
			return nil, err
		}
		if pl.Count() == 0 {
			continue
		}
		out = append(out, &cursor{q: q, pl: pl, ub: q.weight * q.idf * (p.k1 + 1)})
	}
	return out, nil
}

// score is BM25 for one clause at the cursor's document. bleve stores a
// field's length as norm = 1/sqrt(length).
func (p *plan) score(c *cursor) float64 {
	norm := c.pst.Norm()
	return p.bm25(c.q.weight*c.q.idf, float64(c.pst.Frequency()), 1/(norm*norm), c.q.avgLen)
}

// bm25 is one term's BM25 in one field: w is its weight times its idf, tf
// its count in the field, length the field's length.
func (p *plan) bm25(w, tf, length, avgLen float64) float64 {
	return w * tf * (p.k1 + 1) / (tf + p.k1*(1-p.b+p.b*length/avgLen))
}

// postedBM25 is bm25 for a posting: its term frequency, and its field
// length from the norm bleve stores (1/sqrt(length)).
func (p *plan) postedBM25(w float64, pst segment.Posting, avgLen float64) float64 {
	norm := pst.Norm()
	return p.bm25(w, float64(pst.Frequency()), 1/(norm*norm), avgLen)
}

// idf is Robertson/Sparck Jones idf over n documents, df of which hold the
// term.
func idf(n, df uint64) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// maxScore ranks the documents [lo, hi) of one segment into top (Turtle &
// Flood's MaxScore). Clauses are sorted by their bound; the low ones whose
// bounds together cannot beat the current k-th score are "non-essential": a
// document is only a candidate if an essential clause has it, and
// non-essential clauses are probed with Advance, not walked.
func (p *plan) maxScore(ctx context.Context, u unit, cur []*cursor, allowed *roaring.Bitmap, top *sharedTop) error {
	slices.SortFunc(cur, func(a, b *cursor) int { return cmp.Compare(a.ub, b.ub) })
	prefix := make([]float64, len(cur)) // prefix[i] = sum of bounds of cur[0..i]
	for i, c := range cur {
		c.it = c.pl.Iterator(true, true, false, nil)
		c.hi = u.hi
		if err := c.load(c.it.Advance(u.lo)); err != nil {
			return err
		}
		prefix[i] = c.ub
		if i > 0 {
			prefix[i] += prefix[i-1]
		}
	}
	// A filter that lets through few of the unit's documents is checked
	// before scoring; otherwise (no filter, or a broad one) after.
	filtered := allowed.Rank(uint32(u.hi-1))-allowed.Rank(uint32(u.lo))+1 < (u.hi-u.lo)/2
	allowedIt := allowed.Iterator()
	for steps := 0; ; steps++ {
		if steps&0xffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		theta := top.threshold()
		// First essential clause: all before it together cannot beat theta.
		ess := 0
		for ess < len(cur) && prefix[ess] <= theta {
			ess++
		}
		if ess == len(cur) {
			return nil // nothing left can enter the top k
		}
		doc := uint64(math.MaxUint64)
		for _, c := range cur[ess:] {
			if !c.done && c.doc < doc {
				doc = c.doc
			}
		}
		if doc == math.MaxUint64 {
			return nil
		}
		if filtered && !allowed.Contains(uint32(doc)) {
			// Under a filter most candidates fail it: skip them unscored,
			// straight to the next allowed document.
			allowedIt.AdvanceIfNeeded(uint32(doc))
			if !allowedIt.HasNext() {
				return nil
			}
			next := uint64(allowedIt.PeekNext())
			for _, c := range cur[ess:] {
				if !c.done && c.doc < next {
					if err := c.load(c.it.Advance(next)); err != nil {
						return err
					}
				}
			}
			continue
		}
		var s float64
		for _, c := range cur[ess:] {
			if !c.done && c.doc == doc {
				s += p.score(c)
				if err := c.load(c.it.Next()); err != nil {
					return err
				}
			}
		}
		if !filtered && !allowed.Contains(uint32(doc)) {
			continue // deleted
		}
		for i := ess - 1; i >= 0; i-- {
			if s+prefix[i] <= theta {
				break
			}
			c := cur[i]
			if c.done {
				continue
			}
			if c.doc < doc {
				if err := c.load(c.it.Advance(doc)); err != nil {
					return err
				}
			}
			if !c.done && c.doc == doc {
				s += p.score(c)
			}
		}
		if s > theta {
			top.offer(scored{s, u.seg, doc})
		}
	}
}

// sharedTop is the top k shared by the ranking workers; theta, the score to
// beat, is read without the lock on every candidate. Equal scores go to
// the earlier document whatever order the workers offer them in, so a
// ranking with many ties (passdocs.go) does not depend on the schedule.
type sharedTop struct {
	mu    sync.Mutex
	h     topK
	want  int
	theta atomic.Uint64 // float64 bits; -1 until the heap is full
}

func (t *sharedTop) threshold() float64 { return math.Float64frombits(t.theta.Load()) }

func (t *sharedTop) offer(s scored) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case len(t.h) < t.want:
		heap.Push(&t.h, s)
	case weaker(t.h[0], s):
		t.h[0] = s
		heap.Fix(&t.h, 0)
	default:
		return
	}
	if len(t.h) == t.want {
		t.theta.Store(math.Float64bits(t.h[0].score))
	}
}

// segHits is one segment's part of a search.
type segHits struct {
	ss      *scorch.SegmentSnapshot
	allowed *roaring.Bitmap
	hits    *roaring.Bitmap
	cur     []*cursor
}

// hitSets computes every segment's hit set, the total and the facet
// counts, segments spread over the CPUs.
func (p *plan) hitSets(ctx context.Context, q query.Query, key string, k *counter) ([]segHits, uint64, error) {
	out := make([]segHits, len(p.segs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(p.segs)))
	counters := make([]*counter, workers)
	var total atomic.Uint64
	err := parallel(ctx, workers, len(p.segs), func(w, si int) error {
		ss := p.segs[si]
		allowed, err := p.allowed(ss, q, key)
		if err != nil {
			return err
		}
		cur, err := p.cursors(ss)
		if err != nil {
			return err
		}
		hits := allowed
		if p.hasText {
			hits = roaring.New()
			for _, c := range cur {
				orInto(hits, c.pl)
			}
			hits.And(allowed)
		}
		total.Add(hits.GetCardinality())
		if k != nil {
			if counters[w] == nil {
				counters[w] = k.fresh()
			}
			it := hits.Iterator()
			for it.HasNext() {
				counters[w].addLocal(si, uint64(it.Next()))
			}
		}
		out[si] = segHits{ss: ss, allowed: allowed, hits: hits, cur: cur}
		return nil
	})
	if k != nil {
		for _, c := range counters {
			k.merge(c)
		}
	}
	return out, total.Load(), err
}

// unit is a slice of one segment's documents, the grain of parallel ranking.
type unit struct {
	seg    int
	lo, hi uint64
}

// rank fills top from every segment, cut into units so that two cores
// share even one big segment.
func (p *plan) rank(ctx context.Context, segs []segHits, top *sharedTop) error {
	workers := runtime.GOMAXPROCS(0)
	var total uint64
	for _, sh := range segs {
		if !sh.hits.IsEmpty() {
			total += sh.ss.Segment().Count()
		}
	}
	// A unit that starts inside a segment first advances its cursors to
	// its start, and zap's postings advance by walking: at 1M papers four
	// units per segment took 16.5 ms a filtered query, whole segments 11.5.
	// So only a segment bigger than a worker's share is split, into shares,
	// and the biggest units go first to balance the workers.
	share := max(1<<16, total/uint64(workers)+1)
	var units []unit
	for si, sh := range segs {
		if sh.hits.IsEmpty() {
			continue
		}
		n := sh.ss.Segment().Count()
		step := n/((n+share-1)/share) + 1
		for lo := uint64(0); lo < n; lo += step {
			units = append(units, unit{si, lo, min(n, lo+step)})
		}
	}
	slices.SortStableFunc(units, func(a, b unit) int { return cmp.Compare(b.hi-b.lo, a.hi-a.lo) })
	return parallel(ctx, min(workers, max(1, len(units))), len(units), func(_, i int) error {
		u := units[i]
		sh := segs[u.seg]
		cur := make([]*cursor, len(sh.cur))
		for j, c := range sh.cur {
			cur[j] = &cursor{q: c.q, pl: c.pl, ub: c.ub}
		}
		return p.maxScore(ctx, u, cur, sh.allowed, top)
	})
}

// firstDocs fills top, when there is no text to rank by, with the first
// documents in index order.
func (p *plan) firstDocs(segs []segHits, top *sharedTop) {
	for si, sh := range segs {
		it := sh.hits.Iterator()
		for it.HasNext() && len(top.h) < top.want {
			heap.Push(&top.h, scored{score: 0, seg: si, local: uint64(it.Next())})
		}
	}
}

// parallel runs fn(worker, i) for i in [0, n) on a pool of workers and
// returns the first error.
func parallel(ctx context.Context, workers, n int, fn func(w, i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(w, i); err != nil {
					errs[w] = err
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// load reads a hit's stored record.
func (p *plan) load(s scored) (search.Hit, error) {
	r, err := readStored(p.segs[s.seg], s.local)
	if err != nil {
		return search.Hit{}, err
	}
	hit := search.Hit{Score: s.score}
	if hit.Paper, err = r.paper(s.where()); err != nil {
		return search.Hit{}, err
	}
	hit.ID = hit.Paper.ID
	return hit, nil
}

// where names hit s in an error.
func (s scored) where() string { return fmt.Sprintf("segment %d doc %d", s.seg, s.local) }

// loadPassages reads a hit's full text and, when it was indexed with them,
// its passage bounds (nil otherwise). The metadata is decoded only when
// the full text or the bounds are not stored apart (record.go).
func (p *plan) loadPassages(s scored) (corpus.Paper, []chunkRef, error) {
	r, err := readStored(p.segs[s.seg], s.local)
	if err != nil {
		return corpus.Paper{}, nil, err
	}
	if r.body == "" || r.chunks == nil {
		paper, err := r.paper(s.where())
		if err != nil || r.chunks == nil {
			return paper, nil, err
		}
		r.body = paper.FullText
	}
	refs, err := decodeChunkRefs(r.chunks)
	if err != nil {
		return corpus.Paper{}, nil, fmt.Errorf("%s: stored passages: %w", s.where(), err)
	}
	return corpus.Paper{FullText: r.body}, refs, nil
}

// loadID reads only a hit's paper ID. (Not with a visitor that stops at
// _id: zapx v17 then returns its pooled context twice, and two goroutines
// end up sharing it.)
func (p *plan) loadID(s scored) (string, error) {
	id, err := p.segs[s.seg].DocID(s.local)
	return string(id), err
}

// allowed is the set of a segment's live documents that pass the filters,
// phrases and exclusions; key is their restriction's string, "" for none.
func (p *plan) allowed(ss *scorch.SegmentSnapshot, q query.Query, key string) (*roaring.Bitmap, error) {
	if key == "" {
		return ss.DocNumbersLive(), nil
	}
	seg := ss.Segment()
	bm, err := p.x.restricts.get(seg, key, func() (*roaring.Bitmap, error) { return p.restrict(seg, q) })
	if err != nil {
		return nil, err
	}
	bm = bm.Clone()
	if d := ss.Deleted(); d != nil {
		bm.AndNot(d)
	}
	return bm, nil
}

// restrict is the set of a segment's documents, deleted or not, that pass
// the filters, phrases and exclusions.
func (p *plan) restrict(seg segment.Segment, q query.Query) (*roaring.Bitmap, error) {
	bm := roaring.New()
	bm.AddRange(0, seg.Count())
	_, negWords := hybrid.SplitNegated(q.Text)
	for _, ph := range q.Phrases {
		// Every word of a quoted phrase must appear.
		req, err := p.words(seg, fText, ph, p.x.an.prose, true)
		if err != nil {
			return nil, err
		}
		bm.And(req)
	}
	for _, w := range negWords {
		ex, err := p.words(seg, fText, w, p.x.an.prose, false)
		if err != nil {
			return nil, err
		}
		bm.AndNot(ex)
	}
	// Positive filters AND across keys; repeated one-valued keys OR.
	groups := map[string]*roaring.Bitmap{}
	var keys []string
	for _, f := range q.Filters {
		fb, err := p.filter(seg, f)
		if err != nil {
			return nil, err
		}
		switch {
		case f.Negate:
			bm.AndNot(fb)
		case query.MultiValued(f.Key):
			bm.And(fb)
		default:
			if g, ok := groups[f.Key]; ok {
				g.Or(fb)
			} else {
				groups[f.Key] = fb
				keys = append(keys, f.Key)
			}
		}
	}
	for _, key := range keys {
		bm.And(groups[key])
	}
	return bm, nil
}

// filter is the bitmap of one filter's values, OR'ed.
func (p *plan) filter(seg segment.Segment, f query.Filter) (*roaring.Bitmap, error) {
	if f.Key == query.KeyYear {
		lo, hi := corpus.MinYear, corpus.MaxYear
		if f.Min != 0 {
			lo = f.Min
		}
		if f.Max != 0 {
			hi = f.Max
		}
		return p.termRange(seg, fYear, fmt.Sprintf("%04d", lo), fmt.Sprintf("%04d", hi+1))
	}
	out := roaring.New()
	for _, v := range f.Values {
		b, err := p.filterValue(seg, f.Key, v, f.Exact)
		if err != nil {
			return nil, err
		}
		out.Or(b)
	}
	return out, nil
}

// filterValue is the bitmap of one value of a filter on key.
func (p *plan) filterValue(seg segment.Segment, key, v string, exact bool) (*roaring.Bitmap, error) {
	if field := exactField(key); exact && field != "" {
		// Exactly the value the facet counts: its keyword term.
		return p.term(seg, field, v)
	}
	lv := strings.ToLower(v)
	out := roaring.New()
	var err error
	keep := func(b *roaring.Bitmap, e error) {
		if err == nil && e == nil {
			out.Or(b)
		}
		if err == nil {
			err = e
		}
	}
	add := func(field, term string) { keep(p.term(seg, field, term)) }
	// allWords matches names loosely: every word, in any order.
	allWords := func(field string) { keep(p.words(seg, field, v, p.x.an.name, true)) }
	switch key {
	case query.KeyField:
		add(fField, v)
		add(fFieldLC, lv)
		add(fCategory, v)
		add(fCatLC, lv)
	case query.KeyCategory:
		add(fCategory, v)
		add(fCatLC, lv)
	case query.KeyVenue:
		add(fVenue, v)
		allWords(fVenueTxt)
	case query.KeyAuthor:
		add(fAuthor, v)
		allWords(fAuthTxt)
	case query.KeySource:
		add(fSource, v)
		add(fSourceLC, lv)
	case query.KeyDOI:
		add(fDOI, strings.TrimPrefix(lv, "https://doi.org/"))
	case query.KeyID:
		keep(seg.DocNumbers([]string{v}))
	}
	return out, err
}

// exactField is the keyword field whose terms are the values of the facet
// named like key, for exact filters (key:=); "" where the loose filter is
// exact already (id, doi).
func exactField(key string) string {
	switch key {
	case query.KeyField:
		return fField
	case query.KeyCategory:
		return fCategory
	case query.KeyVenue:
		return fVenue
	case query.KeyAuthor:
		return fAuthor
	case query.KeySource:
		return fSource
	}
	return ""
}

// term is the bitmap of documents holding one exact term.
func (p *plan) term(seg segment.Segment, field, term string) (*roaring.Bitmap, error) {
	d, err := seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, err
	}
	b := roaring.New()
	orInto(b, pl)
	return b, nil
}

// termRange ORs the postings of every term in [lo, hi).
func (p *plan) termRange(seg segment.Segment, field, lo, hi string) (*roaring.Bitmap, error) {
	d, err := seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	out := roaring.New()
	it := d.AutomatonIterator(nil, []byte(lo), []byte(hi))
	for {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		pl, err := d.PostingsList([]byte(e.Term), nil, nil)
		if err != nil {
			return nil, err
		}
		orInto(out, pl)
	}
}

// words analyses text and returns the documents with all its terms (all)
// or any of them.
func (p *plan) words(seg segment.Segment, field, text string, an analysis.Analyzer, all bool) (*roaring.Bitmap, error) {
	var out *roaring.Bitmap
	for _, t := range an.Analyze([]byte(text)) {
		b, err := p.term(seg, field, string(t.Term))
		if err != nil {
			return nil, err
		}
		switch {
		case out == nil:
			out = b
		case all:
			out.And(b)
		default:
			out.Or(b)
		}
	}
	if out == nil {
		// Nothing left after analysis (only stop words): a phrase then
		// constrains nothing, an exclusion excludes nothing.
		if all {
			out = roaring.New()
			out.AddRange(0, seg.Count())
			return out, nil
		}
		return roaring.New(), nil
	}
	return out, nil
}

// orInto adds a postings list's documents to b, through zap's bitmap when
// the segment format offers it.
func orInto(b *roaring.Bitmap, pl segment.PostingsList) {
	if o, ok := pl.(interface{ OrInto(*roaring.Bitmap) }); ok {
		o.OrInto(b)
		return
	}
	it := pl.Iterator(false, false, false, nil)
	for {
		pst, err := it.Next()
		if err != nil || pst == nil {
			return
		}
		b.Add(uint32(pst.Number()))
	}
}

// bySegment groups the hits top by segment, each group's indexes into top
// in document order, for sweep.
func bySegment(top []scored) map[int][]int {
	out := map[int][]int{}
	for i, s := range top {
		out[s.seg] = append(out[s.seg], i)
	}
	for _, at := range out {
		slices.SortFunc(at, func(a, b int) int { return cmp.Compare(top[a].local, top[b].local) })
	}
	return out
}

// sweep walks one postings list once for the hits at (one segment's, in
// document order, from bySegment), calling fn with each hit's posting.
// Advancing a fresh iterator per hit would walk the list from its start
// each time.
func sweep(pl segment.PostingsList, top []scored, at []int, locations bool, fn func(i int, pst segment.Posting)) error {
	it := pl.Iterator(true, true, locations, nil)
	var pst segment.Posting
	var err error
	for _, i := range at {
		// An Advance that overshot has already read the posting a later
		// hit may want.
		if pst == nil || pst.Number() < top[i].local {
			if pst, err = it.Advance(top[i].local); err != nil {
				return err
			}
			if pst == nil {
				return nil
			}
		}
		if pst.Number() == top[i].local {
			fn(i, pst)
		}
	}
	return nil
}
