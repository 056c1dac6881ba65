// Package hybrid is Quire's search planner: the policy that turns one
// request into a ranked, faceted result over two halves any engine can
// supply, a lexical (BM25) half and a vector half.
//
// Plan runs named stages, each a function of its own:
//
//	parse     the request: free text to embed, page window, candidate depths
//	restrict  the lexical half finds the hits (filters, phrases, exclusions
//	          and any word of the text), their total and facet counts, and
//	          hands the vector half the same Restriction
//	embed     the query text, in parallel with the BM25 ranking
//	rank      each half: BM25 top-k, then vector top-k under the restriction
//	feedback  the best BM25 papers' vectors join the query vector (hybrid)
//	fuse      both lists into one (fusion.Merge, the weights the engine's
//	          calibration chose)
//	expand    on corpora where vectors lead (Policy.Expand), BM25's hits are
//	          reordered by the query expanded from the best fused papers, and
//	          the vector half searches again if its feedback papers changed
//	admit     vector-only papers join the hit set within a window, counted in
//	          the total and facets, so list, total and facets describe one set
//	page      the requested page, papers loaded, explained when asked
//
// The planner knows nothing of bleve, segments or HNSW graphs: the
// embedded engine (search/embedded) implements both halves over its bleve
// executor and int8 vector index, and a remote engine over its own BM25 and
// near-vector searches. The engine keeps what is its own: opening a
// consistent view, limits, timeouts, snippets and why nothing was found.
package hybrid

import (
	"context"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/fusion"
	"github.com/quire-research/quire/search/query"
)

// Lexical is the BM25 half, opened by the engine for one search on one
// consistent view of its papers (a snapshot): every call sees the same
// papers. The planner calls it from one goroutine at a time.
type Lexical interface {
	// Match finds q's hits: the papers that pass its filters, phrases and
	// exclusions and, when q has free text, hold a word of it. It counts
	// the named facets over them (search.AllFacets names; unknown names
	// are ignored). Nothing is ranked yet.
	Match(ctx context.Context, q query.Query, facets []string) (Matches, error)
	// Paper loads one paper of the view by ID (search.ErrNotFound when it
	// is not there).
	Paper(ctx context.Context, id string) (*corpus.Paper, error)
}

// Matches is one query's hit set on a Lexical's view.
type Matches interface {
	// Total is the number of hits.
	Total() uint64
	// HasTerms reports whether some word of the free text occurs in the
	// index at all. (With none, a query vector is made of unknown words
	// and finds only noise, so hybrid skips the vector half.)
	HasTerms() bool
	// Restriction is what the hits' filters, phrases and exclusions allow,
	// for the vector half to search under.
	Restriction() Restriction
	// Rank returns the best k hits by BM25, best first; with no free text,
	// the first k hits in index order, each scored 0.
	Rank(ctx context.Context, k int) ([]fusion.Item, error)
	// Expand proposes expansion terms (an RM3 relevance model) for text
	// from the feedback papers' texts; none when it has nothing to add.
	Expand(ctx context.Context, text string, feedback []string) ([]Term, error)
	// Rescore reorders the hits of the last Rank for the query with terms
	// added. Total and facet counts stay those of the original query.
	Rescore(ctx context.Context, terms []Term) ([]fusion.Item, error)
	// Admit looks up papers the vector half found and Rank did not return:
	// for each id, whether it is in the view and allowed by the
	// restriction, and if so whether it is a hit anyway.
	Admit(ctx context.Context, ids []string) ([]Admission, error)
	// Count adds papers Admit found Allowed to the facet counts.
	Count(ctx context.Context, ids []string) error
	// Facets reads the counts, each facet's size values at most, in the
	// order Match was asked for them; nil when none was asked.
	Facets(size int) []search.Facet
}

// PageRanker is what a Matches may offer beside Rank for a search the
// lexical half answers alone (BM25 mode, vector mode without text): the
// ranked page with its papers in one pass, where Rank and then Paper per
// hit would read each stored record twice (the embedded engine) or pay a
// round trip per hit (a remote one).
type PageRanker interface {
	// RankPage ranks the best offset+limit hits as Rank does and returns
	// those from offset on, papers loaded, Score set.
	RankPage(ctx context.Context, offset, limit int) ([]search.Hit, error)
}

// Admission is what the lexical half says of a vector-only candidate.
type Admission int

const (
	// Excluded: not in the view (deleted since) or not allowed by the
	// restriction.
	Excluded Admission = iota
	// Matched: a hit of the query (it holds a word of it) that Rank did
	// not return; it is counted in the total and facets already.
	Matched
	// Allowed: passes the restriction without holding a word of the
	// query.
	Allowed
)

// Term is one term of an expanded query, as the lexical half indexes it.
type Term struct {
	Text string
	// Weight is its weight in the expanded query.
	Weight float64
	// Original marks a term the query has too (RM3 reweights it).
	Original bool
}

// Restriction is what a query's filters, phrases and exclusions allow,
// passed from the lexical half to the vector half so both search the same
// papers.
type Restriction struct {
	// Query is the request's query without its free text: filters,
	// phrases and "-word" exclusions (see Restrict). A remote engine
	// translates it into its own filter.
	Query query.Query
	// Key names the restriction (Query's canonical string); "" when
	// nothing is restricted and every paper is allowed.
	Key string
	// Handle is the lexical half's own form of the allowed set, for a
	// vector half of the same engine (the embedded engine's per-segment
	// bitmaps); nil when it has none.
	Handle any
}

// Vectors is the vector half as one search sees it.
type Vectors interface {
	// Search returns the k papers nearest to qv that r allows, best
	// first, scored by similarity.
	Search(ctx context.Context, qv []float32, k int, r Restriction) ([]fusion.Item, error)
	// Vectors returns the stored vectors of those ids that have one, in
	// the order asked (for pseudo-relevance feedback).
	Vectors(ctx context.Context, ids []string) ([][]float32, error)
}

// Passages is implemented by Matches whose BM25 ranking scored papers by
// their best passage. BestPassages gives that passage's text for each id,
// "" where there is none; BestPassageVectors its stored vector, nil where
// the engine keeps none or would rather not fetch it (the planner then
// embeds the text, if allowed).
type Passages interface {
	BestPassages(ids []string) []string
	BestPassageVectors(ctx context.Context, ids []string) ([][]float32, error)
}

// Quotations is implemented by Matches that can tell a query quoting a
// passage of one of its ranked hits nearly word for word: a sentence
// pasted from a paper, whose source is found by its words. Rank puts
// those hits first; Quoted says how many there are (0: no quotation).
type Quotations interface {
	Quoted() int
}

// Vector is one paper's embedding.
type Vector struct {
	ID  string
	Vec []float32
}

// VectorWriter is how an engine's ingest fills a vector half that is
// written apart from its lexical half (a remote engine's near-vector
// store). The embedded engine writes vectors in the same commit as its
// bleve batch (one sequence number), so it does not use it.
type VectorWriter interface {
	// Upsert writes the vectors, replacing any stored under their IDs.
	Upsert(ctx context.Context, vs []Vector) error
	// Delete removes the vectors of ids; unknown ids are no error.
	Delete(ctx context.Context, ids []string) error
}
