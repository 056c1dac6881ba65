package embedded

import (
	"context"
	"fmt"
	"slices"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/vector"
)

// Remote is a vector half kept outside the index (Amazon S3 Vectors; see
// remote_s3.go): the index keeps its BM25 half and the local embedder's
// model, and no vector index of its own. Apply writes no vectors; SyncVectors
// embeds the papers the remote lacks and pushes them, with their passages'
// vectors unless those are off (Options.NoPassageVectors), and deletes
// the vectors of papers that are gone. A ledger in the index folder
// (ledger.go) records what the remote holds, so a sync stopped at any
// point resumes where it was.
type Remote interface {
	// Name says where the vectors are, for messages and the ledger
	// ("s3vectors bucket/index").
	Name() string
	// Dim is the stored vectors' dimension.
	Dim() int
	// MaxK is the most results one Query returns (S3 Vectors: 1,000,
	// from several calls of 100).
	MaxK() int
	// Put writes vecs, each a paper's own vector or one of its passages'
	// (under passageID), replacing any stored under their IDs. papers
	// holds the papers they belong to, whose metadata filters them.
	Put(ctx context.Context, papers []corpus.Paper, vecs []vector.Item) error
	// Delete removes the vectors of ids (papers' or passages'); unknown
	// ids are no error.
	Delete(ctx context.Context, ids []string) error
	// Query returns up to min(k, MaxK) stored vectors nearest qv that
	// pass the remote's translation of q's filters, best first, scored as
	// similarities; a superset of what q allows when the translation is
	// not exact (the caller checks them). A passage's vector comes back
	// under its passageID.
	Query(ctx context.Context, qv []float32, k int, q query.Query) ([]fusion.Item, error)
	// Get returns the stored vectors of those ids that have one.
	Get(ctx context.Context, ids []string) (map[string][]float32, error)
	// Exact reports whether Query applies the whole of q's restriction
	// itself, so its top k are the nearest allowed papers.
	Exact(q query.Query) bool
	// Rank scores the stored vectors of ids against qv, exactly, and
	// returns the best k (all when k <= 0), best first.
	Rank(ctx context.Context, qv []float32, ids []string, k int) ([]fusion.Item, error)
}

// DefaultRemoteGetBelow: a filtered search whose restriction allows at
// most this many papers fetches their vectors and scores them here
// (exact, every allowed paper considered) instead of a filtered top-100
// query that post-filtering may leave short. At 1,000 that is 10
// GetVectors calls, 4 in flight: about three round trips against one
// (docs/s3vectors.md).
const DefaultRemoteGetBelow = 1000

// remoteBatch is how many papers a sync embeds and pushes between ledger
// writes: what an interrupted sync may push again.
const remoteBatch = 500

// remoteHalf is the vector half of one search on a remote store.
type remoteHalf struct {
	r        Remote
	getBelow int
	// ledger says how many passage vectors each paper has there.
	ledger *ledger
	near   *nearPassages
	// fetchPassages: hybrid reads BM25's best passages' vectors from the
	// remote (lexMatches.BestPassageVectors). Set for an embedder over
	// the network, which would not embed them per query; one in the
	// process embeds them faster than a round trip.
	fetchPassages bool
}

var _ hybrid.Vectors = remoteHalf{}

// Search: unrestricted, or under a restriction the remote applies whole
// (Exact), the remote's top k; under one it cannot, and allowing few
// papers, their vectors scored here; else a filtered remote query whose
// results outside the restriction are dropped, which may leave fewer than
// k (docs/s3vectors.md measures how many). Restricted results are always
// checked against the restriction, exact or not: a paper deleted since
// the last sync still has a vector.
//
// The planner asks 300 in hybrid mode; S3 Vectors answers 100 per call,
// so its Query fans out over shards to reach that depth (MaxK 1,000).
// At depth 100 the hybrid lost MED 0.005 nDCG@10 (docs/s3vectors.md).
//
// Each paper is ranked by its nearest vector, its own or a passage's
// (recorded for the reader, as the local half does). Passages crowd the
// nearest vectors, so a query whose results held several of one paper's
// and came to fewer than k papers asks again, widenBy times deeper, up to
// MaxK.
func (h remoteHalf) Search(ctx context.Context, qv []float32, k int, r hybrid.Restriction) ([]fusion.Item, error) {
	// A zero query (the local embedder's for words it does not know) has
	// no direction, so nothing is near it, as in the local index; S3
	// Vectors would refuse it under cosine.
	if k <= 0 || embed.IsZero(qv) {
		return nil, nil
	}
	var segs []segHits
	depth := k
	if r.Key != "" {
		var ok bool
		if segs, ok = r.Handle.([]segHits); !ok {
			return nil, fmt.Errorf("restriction %q carries no hit sets of this index", r.Key)
		}
		var allowed uint64
		for _, sh := range segs {
			allowed += sh.allowed.GetCardinality()
		}
		if allowed == 0 {
			return nil, nil
		}
		if allowed <= uint64(h.getBelow) && !h.r.Exact(r.Query) {
			ids, err := allowedIDs(segs)
			if err != nil {
				return nil, err
			}
			// The passages too when they fit the same budget; past it
			// the papers' own vectors, which find every allowed paper,
			// beat a filtered query that may find few.
			if all := h.withPassages(ids); len(all) <= h.getBelow {
				ids = all
			}
			items, err := h.r.Rank(ctx, qv, ids, 0)
			if err != nil {
				return nil, err
			}
			items = h.papers(items)
			return items[:min(k, len(items))], nil
		}
		// Results outside the restriction are dropped below, so a filter
		// the remote cannot apply asks three times as deep: one keeping
		// a third of the papers still fills k on average
		// (docs/s3vectors.md).
		if !h.r.Exact(r.Query) {
			depth = 3 * k
		}
	}
	for want := min(depth, h.r.MaxK()); ; want = min(want*widenBy, h.r.MaxK()) {
		items, err := h.r.Query(ctx, qv, want, r.Query)
		if err != nil {
			return nil, err
		}
		papers := h.papers(items)
		crowded := len(papers) < len(items)
		if segs != nil {
			if papers, err = keepAllowed(segs, papers); err != nil {
				return nil, err
			}
		}
		if !crowded || len(papers) >= k || len(items) < want || want >= h.r.MaxK() || want >= depth*maxWiden {
			return papers[:min(k, len(papers))], nil
		}
	}
}

// papers keeps each paper's best item, under the paper's ID, and records
// the passage that brought it there.
func (h remoteHalf) papers(items []fusion.Item) []fusion.Item {
	out, near := byPaper(items, func(it *fusion.Item) *string { return &it.ID })
	h.near.add(near)
	return out
}

// withPassages adds to ids the passage vectors the ledger says the remote
// holds of each.
func (h remoteHalf) withPassages(ids []string) []string {
	if h.ledger == nil {
		return ids
	}
	out := ids
	for _, id := range ids {
		for n := range h.ledger.passages(id) {
			out = append(out, passageID(id, n))
		}
	}
	return out
}

// Vectors fetches stored vectors for feedback, in the order asked.
func (h remoteHalf) Vectors(ctx context.Context, ids []string) ([][]float32, error) {
	got, err := h.r.Get(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out [][]float32
	for _, id := range ids {
		if v, ok := got[id]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// allowedIDs lists the papers the segments allow.
func allowedIDs(segs []segHits) ([]string, error) {
	var ids []string
	for _, sh := range segs {
		it := sh.allowed.Iterator()
		for it.HasNext() {
			id, err := sh.ss.DocID(uint64(it.Next()))
			if err != nil {
				return nil, err
			}
			ids = append(ids, string(id))
		}
	}
	return ids, nil
}

// keepAllowed drops the items the segments do not allow (or that are
// gone), keeping the order.
func keepAllowed(segs []segHits, items []fusion.Item) ([]fusion.Item, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	ok := make(map[string]bool, len(ids))
	for _, sh := range segs {
		docs, err := sh.ss.Segment().DocNumbers(ids)
		if err != nil {
			return nil, err
		}
		docs.And(sh.allowed)
		it := docs.Iterator()
		for it.HasNext() {
			id, err := sh.ss.DocID(uint64(it.Next()))
			if err != nil {
				return nil, err
			}
			ok[string(id)] = true
		}
	}
	out := items[:0:0]
	for _, it := range items {
		if ok[it.ID] {
			out = append(out, it)
		}
	}
	return out, nil
}

// syncRemote is SyncVectors with a remote vector half: push the vectors
// the ledger does not record for the current embedder, then delete those
// of papers that are gone. The caller holds x.writeMu and an embedder
// exists.
func (x *Index) syncRemote(ctx context.Context, progress SyncProgress) error {
	v := x.vec
	v.mu.RLock()
	emb := v.emb
	v.mu.RUnlock()
	if emb.Dim() != v.remote.Dim() {
		return fmt.Errorf("%s holds %d-dimensional vectors; the embedder %s makes %d (use another index, or create it with quire init --vectors s3vectors)",
			v.remote.Name(), v.remote.Dim(), emb.Name(), emb.Dim())
	}
	if err := v.ledger.begin(emb.Name()); err != nil {
		return err
	}
	// One pass over the IDs (no stored records decoded) finds the work,
	// so progress has a total; a second decodes only the papers to push.
	seen := make(map[string]struct{})
	need := make(map[string]struct{})
	err := x.eachPaper(ctx, func(id string) bool {
		seen[id] = struct{}{}
		if v.needsPush(id) {
			need[id] = struct{}{}
		}
		return false
	}, nil)
	if err != nil {
		return err
	}
	total, done := len(need), 0
	var batch []corpus.Paper
	push := func() error {
		if len(batch) == 0 {
			return nil
		}
		items, err := v.embedPapers(ctx, emb, batch)
		if err != nil {
			return err
		}
		if err := pushBatch(ctx, v.remote, v.ledger, batch, items, !v.noPassages); err != nil {
			return err
		}
		done += len(batch)
		batch = batch[:0]
		progress("push", done, total)
		return nil
	}
	if total > 0 {
		progress("push", 0, total)
		err = x.eachPaper(ctx, func(id string) bool {
			_, ok := need[id]
			return ok
		}, func(p *corpus.Paper) error {
			batch = append(batch, *p)
			if len(batch) >= remoteBatch {
				return push()
			}
			return nil
		})
		if err == nil {
			err = push()
		}
		if err != nil {
			return err
		}
	}
	var gone []string
	for _, id := range v.ledger.list() {
		if _, ok := seen[id]; !ok {
			gone = append(gone, id)
		}
	}
	for chunk := range slices.Chunk(gone, remoteBatch) {
		var keys []string
		for _, id := range chunk {
			keys = append(keys, id)
			for n := range v.ledger.passages(id) {
				keys = append(keys, passageID(id, n))
			}
		}
		if err := v.remote.Delete(ctx, keys); err != nil {
			return err
		}
		if err := v.ledger.record(chunk, opGone); err != nil {
			return err
		}
	}
	if err := v.ledger.maybeCompact(); err != nil {
		return err
	}
	return x.calibrate(ctx, progress)
}

// needsPush reports whether the remote lacks the paper's current vectors:
// not pushed since it changed or the embedder did, without its passages'
// while they are on, or with some while they are off (the push deletes
// them).
func (v *vectors) needsPush(id string) bool {
	n := v.ledger.passages(id)
	return !v.ledger.current(id) || (!v.noPassages && n < 0) || (v.noPassages && n > 0)
}

// checkRemote is checkVectors for a remote vector half, from the ledger:
// listing the remote costs a call per 1,000 vectors, so what it holds is
// what the ledger records. What the next sync changes is noted; it
// reports whether there is any.
func (x *Index) checkRemote(r *CheckReport, lex map[string]bool, trained bool) bool {
	v := x.vec
	l, name := v.ledger, v.remote.Name()
	r.Vectors, r.Passages, r.Remote = l.len(), l.passageTotal(), name
	if !trained {
		return false
	}
	var push, gone int
	for id := range lex {
		if v.needsPush(id) {
			push++
		}
	}
	for _, id := range l.list() {
		if !lex[id] {
			gone++
		}
	}
	if push > 0 {
		r.note("%d papers' vectors are not in %s as the index has them (the next ingest pushes them)", push, name)
	}
	if gone > 0 {
		r.note("%s holds the vectors of %d papers the index no longer has (the next ingest deletes them)", name, gone)
	}
	return push+gone > 0
}

// embedPapers embeds papers for the remote, with their passages unless
// passage vectors are off.
func (v *vectors) embedPapers(ctx context.Context, emb embed.Embedder, ps []corpus.Paper) ([]vector.Item, error) {
	texts, ids := v.embedTexts(ps)
	return embedItems(ctx, emb, texts, ids)
}

// pushBatch puts the papers' vectors, items (with their passages' when
// passages is set), deletes the passage vectors past each paper's new
// count (a shorter text, or passage vectors turned off) and records the
// push in l once the remote confirmed: a kill before that pushes the
// batch again next time, which replaces it.
//
// An all-zero vector (the local embedder's for a text of words it does
// not know) is no vector, as the local index keeps it (vector.Item): the
// remote takes none, S3 Vectors would refuse the batch under cosine, and
// one stored before under that ID is deleted. The ledger still records
// the paper, so it is not embedded again.
func pushBatch(ctx context.Context, r Remote, l *ledger, papers []corpus.Paper, items []vector.Item, passages bool) error {
	put := make([]vector.Item, 0, len(items))
	var stale []string
	for _, it := range items {
		if !embed.IsZero(it.Vec) {
			put = append(put, it)
		} else {
			stale = append(stale, it.ID)
		}
	}
	if len(put) > 0 {
		if err := r.Put(ctx, papers, put); err != nil {
			return err
		}
	}
	ids, counts := pushedCounts(papers, items, passages)
	for i, id := range ids {
		for n := max(counts[i], 0); n < l.passages(id); n++ {
			stale = append(stale, passageID(id, n))
		}
	}
	if len(stale) > 0 {
		if err := r.Delete(ctx, stale); err != nil {
			return err
		}
	}
	return l.pushed(ids, counts)
}

// pushedCounts lists the papers of a push with how many passage vectors
// each took. When passages were not pushed that is not known (-1) for a
// paper with full text; one without has none either way, and is not
// pushed again when they are turned on.
func pushedCounts(papers []corpus.Paper, items []vector.Item, passages bool) ([]string, []int) {
	ids := make([]string, len(papers))
	counts := make([]int, len(papers))
	at := make(map[string]int, len(papers))
	for i := range papers {
		ids[i], at[papers[i].ID] = papers[i].ID, i
		if !passages && papers[i].FullText != "" {
			counts[i] = -1
		}
	}
	if passages {
		// Numbers, not items: passages are numbered from 0 without gaps,
		// and the count is what names them all.
		for _, it := range items {
			if p, n, ok := passageOf(it.ID); ok {
				counts[at[p]] = max(counts[at[p]], n+1)
			}
		}
	}
	return ids, counts
}

// changed lists the upserted papers, whose new text may make the remote's
// vectors stale; nil without a remote half.
func (v *vectors) changed(ups []corpus.Paper) []string {
	if v == nil || v.remote == nil {
		return nil
	}
	ids := make([]string, len(ups))
	for i := range ups {
		ids[i] = ups[i].ID
	}
	return ids
}

// markChanged records those of ids the remote holds as needing a push.
// The caller holds x.writeMu.
func (v *vectors) markChanged(ids []string) error {
	if v == nil || v.ledger == nil {
		return nil
	}
	var have []string
	for _, id := range ids {
		if v.ledger.has(id) {
			have = append(have, id)
		}
	}
	return v.ledger.record(have, opStale)
}
