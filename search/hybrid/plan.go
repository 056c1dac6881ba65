package hybrid

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
)

// Plan runs req over the two halves in req.Mode, which the engine has
// resolved (search.ModeBM25, ModeVector or ModeHybrid; vec and emb may be
// nil in BM25 mode). The hits carry whole papers, without snippets: the
// engine adds those and caps long texts. Errors of the halves come back
// wrapped with the stage that met them.
func Plan(ctx context.Context, req search.Request, lex Lexical, vec Vectors, emb embed.Embedder, pol Policy) (*search.Result, error) {
	start := time.Now()
	r := parse(req, pol)
	switch {
	case r.mode != search.ModeBM25 && r.mode != search.ModeVector && r.mode != search.ModeHybrid:
		return nil, fmt.Errorf("unknown search mode %q (use hybrid, bm25 or vector)", r.mode)
	case r.mode != search.ModeBM25 && (vec == nil || emb == nil):
		return nil, search.ErrNoVectors
	}
	r.lex, r.vec, r.emb = lex, vec, emb
	var res *search.Result
	var err error
	switch {
	case r.mode == search.ModeBM25:
		res, err = r.lexicalOnly(ctx, req.Query)
	case r.mode == search.ModeVector && r.text == "":
		// The free text is the vector's job; with none, list the allowed
		// papers in index order.
		res, err = r.lexicalOnly(ctx, r.restriction)
	default:
		res, err = r.both(ctx)
	}
	if err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// run is one request's way through the stages.
type run struct {
	req  search.Request
	pol  Policy
	mode string
	lex  Lexical
	vec  Vectors
	emb  embed.Embedder

	text        string      // free text and phrases: what is embedded and expanded
	restriction query.Query // the query's filters, phrases and exclusions
	want        int         // the page window, Offset+Limit
	cands       int         // the BM25 depth, at least the window

	m        Matches
	qv       []float32 // the query's vector, before feedback
	lexItems []fusion.Item
	vecItems []fusion.Item
	fused    []fusion.Fused
	added    []string // expansion terms the query did not have
	// sources are the BM25 hits whose passage the query quotes.
	sources map[string]bool
	// passageVec caches the vectors of BM25's best passages by paper.
	passageVec map[string][]float32
}

// parse reads what the stages need from the request.
func parse(req search.Request, pol Policy) *run {
	r := &run{req: req, pol: pol, mode: req.Mode}
	r.want = req.Offset + req.Limit
	r.cands = max(pol.Candidates, r.want)
	text, _ := SplitNegated(req.Query.Text)
	r.text = strings.TrimSpace(strings.Join(append([]string{text}, req.Query.Phrases...), " "))
	r.restriction, _ = Restrict(req.Query)
	return r
}

// lexicalOnly ranks q on the lexical half alone: BM25 mode, or vector
// mode with no text (q is then the restriction, ranked in index order).
func (r *run) lexicalOnly(ctx context.Context, q query.Query) (*search.Result, error) {
	m, err := r.lex.Match(ctx, q, r.req.Facets)
	if err != nil {
		return nil, err
	}
	hits, err := r.rankPage(ctx, m)
	if err != nil {
		return nil, err
	}
	if r.req.Explain && r.mode == search.ModeBM25 {
		for i := range hits {
			s := hits[i].Score
			hits[i].Explain = &search.Explain{Mode: r.mode, BM25Rank: r.req.Offset + i + 1, BM25Score: s, Fused: s}
		}
	}
	return &search.Result{Total: m.Total(), Mode: r.mode, Facets: m.Facets(r.req.FacetSize), Hits: hits}, nil
}

// rankPage is the page of m's best hits, papers loaded: in one pass where
// the lexical half offers it, else by Rank and then Paper per hit.
func (r *run) rankPage(ctx context.Context, m Matches) ([]search.Hit, error) {
	if pr, ok := m.(PageRanker); ok {
		hits, err := pr.RankPage(ctx, r.req.Offset, r.req.Limit)
		if err != nil {
			return nil, fmt.Errorf("rank BM25 hits: %w", err)
		}
		return hits, nil
	}
	top, err := m.Rank(ctx, r.want)
	if err != nil {
		return nil, fmt.Errorf("rank BM25 hits: %w", err)
	}
	if r.req.Offset >= len(top) {
		return nil, nil
	}
	var hits []search.Hit
	for _, it := range top[r.req.Offset:] {
		p, err := r.lex.Paper(ctx, it.ID)
		if err != nil {
			return nil, fmt.Errorf("load hit %s: %w", it.ID, err)
		}
		hits = append(hits, search.Hit{ID: it.ID, Paper: *p, Score: it.Score})
	}
	return hits, nil
}

// both runs a vector or hybrid search: the stages from restrict to page.
// The query is embedded while BM25 ranks (a remote embedder's round trip
// costs nothing then); the vector search waits for BM25, whose best hits
// feed back into the query vector in hybrid mode.
func (r *run) both(ctx context.Context) (*search.Result, error) {
	if err := r.restrict(ctx); err != nil {
		return nil, err
	}
	embedded := r.embed(ctx)
	if err := r.rankLexical(ctx); err != nil {
		return nil, err
	}
	r.quotation()
	if embedded != nil {
		e := <-embedded
		if e.err != nil {
			return nil, e.err
		}
		r.qv = e.qv
		if r.mode == search.ModeVector && !slices.ContainsFunc(r.qv, func(x float32) bool { return x != 0 }) {
			// No word the embedder knows (the local one's zero vector):
			// nothing is near it, so vector mode has no hits, rather than
			// every allowed paper counted and none listed.
			return &search.Result{Mode: r.mode}, nil
		}
		if r.want > 0 || r.mode == search.ModeHybrid {
			var err error
			if r.vecItems, err = r.rankVectors(ctx); err != nil {
				return nil, err
			}
		}
	}
	r.fuse()
	if err := r.expand(ctx); err != nil {
		return nil, err
	}
	r.sourcesFirst()
	total, err := r.admit(ctx)
	if err != nil {
		return nil, err
	}
	res := &search.Result{Total: total, Mode: r.mode, Expansion: r.added, Facets: r.m.Facets(r.req.FacetSize)}
	res.Hits = r.page(ctx)
	return res, nil
}

// restrict finds the hits on the lexical half. Vector mode asks it for the
// restriction alone: its free text is the vector half's job.
func (r *run) restrict(ctx context.Context) error {
	q := r.req.Query
	if r.mode == search.ModeVector {
		q = r.restriction
	}
	var err error
	r.m, err = r.lex.Match(ctx, q, r.req.Facets)
	return err
}

// embedding is the query's vector, made while BM25 ranks.
type embedding struct {
	qv  []float32
	err error
}

// embed starts embedding the query text, or returns nil when the vector
// half is not needed. Hybrid runs it even for a facets-only request, so
// its hits are counted alike; and not at all when no word of the query
// occurs in the index: a vector of unknown words finds only noise.
func (r *run) embed(ctx context.Context) chan embedding {
	// Vector mode embeds for a count too (no page): a text the embedder
	// knows no word of has no hits.
	needed := r.want > 0 || r.mode == search.ModeHybrid || r.mode == search.ModeVector
	if r.mode == search.ModeHybrid && !r.m.HasTerms() {
		needed = false
	}
	if !needed || r.text == "" {
		return nil
	}
	out := make(chan embedding, 1) // buffered: an early return leaks nothing
	go func() {
		vs, err := r.emb.Embed(ctx, []string{r.text}, embed.Query)
		if err == nil && len(vs) != 1 {
			err = fmt.Errorf("%d vectors for one text", len(vs))
		}
		if err != nil {
			out <- embedding{err: fmt.Errorf("embed query with %s: %w", r.emb.Name(), err)}
			return
		}
		out <- embedding{qv: vs[0]}
	}()
	return out
}

// rankLexical ranks the BM25 candidates (none in vector mode).
func (r *run) rankLexical(ctx context.Context) error {
	if r.mode == search.ModeVector {
		return nil
	}
	var err error
	if r.lexItems, err = r.m.Rank(ctx, r.cands); err != nil {
		return fmt.Errorf("rank BM25 hits: %w", err)
	}
	return nil
}

// quotation notes the BM25 hits whose passage the query quotes, and
// applies Policy.QuoteFusion when there are any.
func (r *run) quotation() {
	q, ok := r.m.(Quotations)
	if r.mode != search.ModeHybrid || !ok {
		return
	}
	n := min(q.Quoted(), len(r.lexItems))
	if n == 0 {
		return
	}
	r.sources = make(map[string]bool, n)
	for _, it := range r.lexItems[:n] {
		r.sources[it.ID] = true
	}
	if r.pol.QuoteFusion.Method != "" {
		r.pol.Fusion, r.pol.Expand = r.pol.QuoteFusion, false
	}
}

// sourcesFirst moves the papers the query quotes ahead of the rest of the
// fused list, each group in fused order: a pasted sentence's source
// outranks papers that are only near it in meaning, as it does on the
// BM25 half.
func (r *run) sourcesFirst() {
	if len(r.sources) == 0 {
		return
	}
	slices.SortStableFunc(r.fused, func(a, b fusion.Fused) int {
		switch qa, qb := r.sources[a.ID], r.sources[b.ID]; {
		case qa == qb:
			return 0
		case qa:
			return -1
		}
		return 1
	})
}

// rankVectors searches the vector half under the restriction; hybrid adds
// the best BM25 papers' vectors to the query first and fuses a deeper
// list (it lifts recall), while vector mode only needs the page.
func (r *run) rankVectors(ctx context.Context) ([]fusion.Item, error) {
	q, k := r.qv, r.cands
	if r.mode == search.ModeHybrid {
		var err error
		if q, err = r.feedback(ctx); err != nil {
			return nil, err
		}
		k = max(r.pol.VectorCandidates, r.want)
	}
	items, err := r.vec.Search(ctx, q, k, r.m.Restriction())
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	if r.mode == search.ModeHybrid && r.pol.PassageVectors {
		return r.passageVectors(ctx, q, items)
	}
	return items, nil
}

// passageVectors lets the vector half see the full text, which paper
// vectors (title and abstract) do not: each BM25 hit's best passage's
// vector, stored or embedded now, scores the paper by the nearer of its
// own vector and that passage's. A sentence from a paper's body then agrees in both halves
// instead of the vector half pulling toward papers whose abstracts are
// about the same subject. The passages are the ones BM25 chose, so this
// ranks what BM25 found and adds no paper outside its hits.
func (r *run) passageVectors(ctx context.Context, q []float32, items []fusion.Item) ([]fusion.Item, error) {
	ps, ok := r.m.(Passages)
	if !ok || len(r.lexItems) == 0 {
		return items, nil
	}
	if r.passageVec == nil {
		r.passageVec = map[string][]float32{}
	}
	var ids []string
	for _, it := range r.lexItems {
		if _, done := r.passageVec[it.ID]; !done {
			ids = append(ids, it.ID)
		}
	}
	var todo, texts []string
	stored, err := ps.BestPassageVectors(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read passage vectors: %w", err)
	}
	for i, t := range ps.BestPassages(ids) {
		switch {
		case i < len(stored) && stored[i] != nil:
			r.passageVec[ids[i]] = stored[i]
		case t != "" && r.pol.EmbedPassages:
			todo, texts = append(todo, ids[i]), append(texts, t)
		default:
			r.passageVec[ids[i]] = nil // none: not asked again
		}
	}
	if len(texts) > 0 {
		vs, err := r.emb.Embed(ctx, texts, embed.Passage)
		if err == nil && len(vs) != len(texts) {
			err = fmt.Errorf("%d vectors for %d passages", len(vs), len(texts))
		}
		if err != nil {
			return nil, fmt.Errorf("embed passages with %s: %w", r.emb.Name(), err)
		}
		for i, id := range todo {
			r.passageVec[id] = vs[i]
		}
	}
	at := make(map[string]int, len(items))
	for i, it := range items {
		at[it.ID] = i
	}
	out := slices.Clone(items)
	for _, it := range r.lexItems {
		v := r.passageVec[it.ID]
		if v == nil {
			continue
		}
		s := dot(q, v)
		if i, ok := at[it.ID]; !ok {
			at[it.ID] = len(out)
			out = append(out, fusion.Item{ID: it.ID, Score: s})
		} else if s > out[i].Score {
			out[i].Score = s
		}
	}
	slices.SortStableFunc(out, func(a, b fusion.Item) int { return cmp.Compare(b.Score, a.Score) })
	return out, nil
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range min(len(a), len(b)) {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// feedback adds the vectors of the Policy.Feedback best BM25 hits to the
// query vector (pseudo-relevance feedback), which measured a gain in
// Recall@100 on every dev collection. (Searching with the plain query
// beside BM25 and then rescoring both lists with this vector ranked as
// well, but on the 1M synthetic bench the plain two-word query vectors
// made filtered graph walks slower: p99 80 against 72 ms.)
func (r *run) feedback(ctx context.Context) ([]float32, error) {
	head := r.lexItems[:max(0, min(r.pol.Feedback, len(r.lexItems)))]
	if len(head) == 0 {
		return r.qv, nil
	}
	ids := make([]string, len(head))
	for i, it := range head {
		ids[i] = it.ID
	}
	docs, err := r.vec.Vectors(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("feedback vectors: %w", err)
	}
	return embed.Feedback(r.qv, docs, r.pol.FeedbackWeight), nil
}

// fuse merges the two lists: vector mode keeps the vector order.
func (r *run) fuse() {
	if r.mode == search.ModeVector {
		r.fused = fusion.Merge(nil, r.vecItems, fusion.Options{Method: fusion.Convex, Weight: 1})
		return
	}
	r.fused = fusion.Merge(r.lexItems, r.vecItems, r.pol.Fusion)
}

// expand is the second round of a hybrid search where the policy says so:
// BM25 with the query expanded from the best fused papers, the vector half
// fed back from BM25's new list (searched again only if its feedback
// papers changed), and the two fused again.
func (r *run) expand(ctx context.Context) error {
	if r.mode != search.ModeHybrid || !r.pol.Expand || r.qv == nil {
		return nil
	}
	var texts []string
	for _, f := range r.fused[:min(ExpandDocs, len(r.fused))] {
		p, err := r.lex.Paper(ctx, f.ID)
		if err != nil {
			return fmt.Errorf("expand the query: load %s: %w", f.ID, err)
		}
		texts = append(texts, EmbedText(p))
	}
	terms, err := r.m.Expand(ctx, r.text, texts)
	if err != nil {
		return fmt.Errorf("expand the query: %w", err)
	}
	if len(terms) == 0 {
		return nil
	}
	before := r.lexItems
	if r.lexItems, err = r.m.Rescore(ctx, terms); err != nil {
		return fmt.Errorf("expand the query: rescore: %w", err)
	}
	if !sameHead(before, r.lexItems, r.pol.Feedback) {
		if r.vecItems, err = r.rankVectors(ctx); err != nil {
			return err
		}
	}
	r.fused = fusion.Merge(r.lexItems, r.vecItems, r.pol.Fusion)
	for _, t := range terms {
		if !t.Original {
			r.added = append(r.added, t.Text)
		}
	}
	return nil
}

// admit makes a hybrid search's ranked list, total and facet counts
// describe one set of papers, all under the restriction: every BM25 match
// (a paper with a word of the query) plus the vector half's papers without
// one that fuse into the first window places (Policy.Candidates, at least
// the page). Vector candidates further down are dropped: every vector
// search returns its 300 nearest papers, however poor the query, and
// counting them all reported 300 "hits" for nonsense. The top window of
// the list is unchanged, so ranking quality is too. The papers added are
// counted in the facets. It returns the total.
func (r *run) admit(ctx context.Context) (uint64, error) {
	total := r.m.Total()
	if r.mode != search.ModeHybrid || len(r.vecItems) == 0 {
		return total, nil
	}
	var probe []string
	for _, f := range r.fused {
		if f.LexRank == 0 {
			probe = append(probe, f.ID)
		}
	}
	if len(probe) == 0 {
		return total, nil
	}
	adm, err := r.m.Admit(ctx, probe)
	if err == nil && len(adm) != len(probe) {
		err = fmt.Errorf("%d answers for %d papers", len(adm), len(probe))
	}
	if err != nil {
		return 0, fmt.Errorf("admit vector hits: %w", err)
	}
	var added []string
	r.fused, added = window(r.fused, adm, r.cands)
	if len(added) > 0 {
		if err := r.m.Count(ctx, added); err != nil {
			return 0, fmt.Errorf("count vector hits in facets: %w", err)
		}
	}
	return total + uint64(len(added)), nil
}

// window applies the admission rule to fused, whose vector-only papers
// (LexRank 0) have the admissions adm, in order: excluded papers go,
// matches stay, and allowed papers stay only within the first n places of
// fused. It returns the list and the allowed papers kept.
func window(fused []fusion.Fused, adm []Admission, n int) ([]fusion.Fused, []string) {
	out := fused[:0:0]
	var added []string
	j := 0
	for pos, f := range fused {
		if f.LexRank == 0 {
			a := adm[j]
			j++
			switch {
			case a == Matched:
				// A BM25 match past the BM25 half's candidates: counted.
			case a == Allowed && pos < n:
				added = append(added, f.ID)
			default:
				continue // gone since, not allowed, or past the window
			}
		}
		out = append(out, f)
	}
	return out, added
}

// page loads the requested page of the fused list. A paper that went
// away mid-search (its vector outlived it) is skipped.
func (r *run) page(ctx context.Context) []search.Hit {
	page := r.fused
	if r.req.Offset < len(page) {
		page = page[r.req.Offset:min(len(page), r.req.Offset+r.req.Limit)]
	} else {
		page = nil
	}
	var hits []search.Hit
	for _, f := range page {
		p, err := r.lex.Paper(ctx, f.ID)
		if err != nil {
			continue
		}
		hit := search.Hit{ID: f.ID, Paper: *p, Score: f.Score}
		if r.req.Explain {
			hit.Explain = &search.Explain{Mode: r.mode, BM25Rank: f.LexRank, BM25Score: f.LexScore,
				VectorRank: f.VectorRank, VectorScore: f.VectorScore, Fused: f.Score}
		}
		hits = append(hits, hit)
	}
	return hits
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

// EmbedText is the text of a paper the vector half embeds, and the
// expansion round learns from.
func EmbedText(p *corpus.Paper) string { return p.Title + "\n" + p.Abstract }

// EmbedPassage is the text of a full-text passage the vector half embeds:
// the paper's title and the section above the passage's text, so a
// passage that says "this method" is still placed near what the paper is
// about.
func EmbedPassage(title, section, text string) string {
	var b strings.Builder
	b.Grow(len(title) + len(section) + len(text) + 2)
	b.WriteString(title)
	if section != "" {
		b.WriteString("\n")
		b.WriteString(section)
	}
	b.WriteString("\n")
	b.WriteString(text)
	return b.String()
}

// SplitNegated pulls "-word" exclusions out of free text.
func SplitNegated(text string) (string, []string) {
	var keep, negs []string
	for _, w := range strings.Fields(text) {
		if len(w) > 1 && w[0] == '-' {
			negs = append(negs, w[1:])
			continue
		}
		keep = append(keep, w)
	}
	return strings.Join(keep, " "), negs
}

// Restrict is q without its free text: its filters, phrases and
// exclusions. ok is false when q has none, so every paper is allowed. Two
// queries with the same restriction allow the same papers.
func Restrict(q query.Query) (r query.Query, ok bool) {
	_, negs := SplitNegated(q.Text)
	r = q
	r.Text = ""
	for _, n := range negs {
		r.Text += " -" + n
	}
	return r, len(q.Filters) > 0 || len(q.Phrases) > 0 || len(negs) > 0
}
