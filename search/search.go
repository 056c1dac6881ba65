package search

import (
	"context"
	"errors"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/query"
)

// Facet names every engine understands.
const (
	FacetYear     = "year"
	FacetField    = "field"
	FacetCategory = "category"
	FacetVenue    = "venue"
	FacetAuthor   = "author"
	FacetSource   = "source"
)

// AllFacets lists the facets in the order people read them.
var AllFacets = []string{FacetYear, FacetField, FacetCategory, FacetVenue, FacetAuthor, FacetSource}

// ErrNotFound is returned by Get for an unknown paper ID.
var ErrNotFound = errors.New("paper not found")

// Engine is the search back end the CLI, the TUI and the agent talk to. The
// embedded bleve index is the default; vector and external engines stand
// behind the same calls.
type Engine interface {
	// Apply writes a batch: upserts, deletions and source checkpoints land
	// together or not at all.
	Apply(ctx context.Context, b *Batch) error
	Search(ctx context.Context, req Request) (*Result, error)
	Get(ctx context.Context, id string) (*corpus.Paper, error)
	// Checkpoint returns where the last run over a source got to.
	Checkpoint(ctx context.Context, source string) (Checkpoint, bool, error)
	Stats(ctx context.Context) (*Stats, error)
	Close() error
}

// Batch is one atomic write.
type Batch struct {
	Upserts []corpus.Paper
	// Origins, when set, holds where each upsert was read (parallel to
	// Upserts), for engines that keep it (see OriginReader).
	Origins     []Origin
	Deletes     []string
	Checkpoints []Checkpoint
}

// Origin is where a paper was read: the input, by a hash of its
// Fingerprint, the cursor just after its record, and its position for
// people (File empty when it is the source's name).
type Origin struct {
	Fingerprint string          `json:"fp"`
	Cursor      corpus.Cursor   `json:"c"`
	Pos         corpus.Position `json:"p"`
}

// Preparer is implemented by engines that can do a batch's slow work
// (embedding, analysis) apart from writing it, so Ingest prepares several
// batches at once and still commits them one at a time, in order, each
// with the checkpoint that covers it.
type Preparer interface {
	Prepare(ctx context.Context, b *Batch) (PreparedBatch, error)
}

// PreparedBatch is a batch ready to write.
type PreparedBatch interface {
	// Commit writes the batch together with cks, atomically.
	Commit(ctx context.Context, cks []Checkpoint) error
}

// OriginReader is implemented by engines that keep each paper's Origin. A
// resumed ingest asks it which of a batch's IDs an earlier run already
// wrote, so duplicate IDs follow one rule (the first copy wins) however
// often a run was interrupted.
type OriginReader interface {
	// Origins returns the origins of those ids that are in the index and
	// have one.
	Origins(ctx context.Context, ids []string) (map[string]Origin, error)
}

// Len is the number of papers the batch touches.
func (b *Batch) Len() int { return len(b.Upserts) + len(b.Deletes) }

// Checkpoint records ingestion progress for one source, written in the same
// batch as the papers it covers so the two can never disagree.
type Checkpoint struct {
	Source      string        `json:"source"`
	Fingerprint string        `json:"fingerprint,omitempty"` // changes when the input changes
	Cursor      corpus.Cursor `json:"cursor"`
	Done        bool          `json:"done"`
	Papers      int64         `json:"papers"`
	Errors      int64         `json:"errors"`
	Updated     time.Time     `json:"updated"`
}

// Request is one search.
type Request struct {
	Query query.Query
	// Limit and Offset page through hits; Limit 0 returns facets only.
	Limit  int
	Offset int
	// Facets to count over all hits, by name (see AllFacets), each with
	// at most FacetSize values (the year facet always returns every year).
	Facets    []string
	FacetSize int
	// Snippets asks for highlighted abstract fragments on each hit.
	Snippets bool
	// Passages asks for each hit's best passages (Hit.Passages), on an
	// engine that indexes full text as passages.
	Passages bool
	// Mode is ModeHybrid, ModeBM25 or ModeVector; empty means the
	// engine's default.
	Mode string
	// Explain fills each hit's Explain with both halves' ranks and scores.
	Explain bool
	// Spelling asks for spellings of the query's words that no paper has
	// even when the others found papers (Result.Spelling). An empty
	// result always gets them; a search run at every keystroke, whose last
	// word is often half typed, should not ask.
	Spelling bool
	// Timeout bounds the search: 0 means the engine's default, a negative
	// value none. A search that runs out fails with an error saying so.
	Timeout time.Duration
}

// MaxWindow caps Offset+Limit: paging deeper than this is refused (narrow
// the query instead), as every result must be ranked to reach it.
const MaxWindow = 10_000

// Search modes.
const (
	ModeBM25   = "bm25"
	ModeVector = "vector"
	ModeHybrid = "hybrid"
)

// ErrNoVectors is returned for a vector or hybrid search on an engine
// whose vector half has not been built.
var ErrNoVectors = errors.New("this index has no vectors yet (run 'quire ingest' to build them, or search with --mode bm25)")

// NewRequest parses a query in Quire's query language.
func NewRequest(q string, limit int) (Request, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return Request{}, err
	}
	return Request{Query: pq, Limit: limit}, nil
}

// WithFacets asks for facet counts.
func (r Request) WithFacets(size int, names ...string) Request {
	r.Facets, r.FacetSize = names, size
	return r
}

// Result is what a search returns.
type Result struct {
	Hits   []Hit         `json:"hits"`
	Total  uint64        `json:"total"`
	Facets []Facet       `json:"facets,omitempty"`
	Took   time.Duration `json:"took_ns"`
	// Mode is how the hits were found (a hybrid request on an index
	// without vectors runs as BM25 and says so here).
	Mode string `json:"mode"`
	// Expansion lists the terms, as indexed, that a hybrid search added to
	// the BM25 query (adaptive hybrid on a corpus where vectors lead).
	Expansion []string `json:"expansion,omitempty"`
	// NoHits says why a search found nothing; nil when it found hits.
	NoHits *NoHits `json:"no_hits,omitempty"`
	// Spelling offers the index's spellings for the query's words that no
	// paper has, when the corrected query finds papers; nil otherwise, and
	// on engines that cannot read their term dictionaries.
	Spelling *Spelling `json:"spelling,omitempty"`
	// FacetNote says in one line why the facets asked for are missing (an
	// engine that cannot count them), so none are shown as zeros.
	FacetNote string `json:"facet_note,omitempty"`
}

// NoHits explains an empty result: the filter that removed the last
// matches and how many hits the query has without it, or that no paper
// has the query's words at all.
type NoHits struct {
	// Filter is the filter to blame in canonical form (year:2030); ""
	// when the words alone find nothing.
	Filter string `json:"filter,omitempty"`
	// Without is how many hits the query has without Filter.
	Without uint64 `json:"without,omitempty"`
	// Message says it in one line for people.
	Message string `json:"message"`
}

// Hit is one matching paper.
type Hit struct {
	ID      string       `json:"id"`
	Score   float64      `json:"score"`
	Paper   corpus.Paper `json:"paper"`
	Snippet Snippet      `json:"snippet,omitzero"`
	// Passages are the paper's best matching passages, best first (at
	// most three), when the request asked for them.
	Passages []Passage `json:"passages,omitempty"`
	Explain  *Explain  `json:"explain,omitempty"`
}

// Passage is one passage of a hit's full text: a chunk (corpus.Chunk) with
// where it sits and how well it matched.
type Passage struct {
	// Index is the chunk's number within the paper.
	Index   int    `json:"index"`
	Section string `json:"section,omitempty"`
	// Page and PageEnd are 1-based; 0 when the text has no pages.
	Page    int `json:"page,omitempty"`
	PageEnd int `json:"page_end,omitempty"`
	// Start and End are byte offsets of the passage in Paper.FullText.
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
	// Text is the passage with the query's matches marked.
	Text Snippet `json:"text"`
}

// Of cuts the passage from fullText, its paper's; false when the offsets
// do not fit it (no offsets, or the paper was ingested again since).
func (p Passage) Of(fullText string) (string, bool) {
	if p.Start < 0 || p.Start >= p.End || p.End > len(fullText) {
		return "", false
	}
	return fullText[p.Start:p.End], true
}

// Explain shows how a hybrid hit was ranked. A rank of 0 means the paper
// was not among that half's candidates.
type Explain struct {
	Mode        string  `json:"mode"`
	BM25Rank    int     `json:"bm25_rank"`
	BM25Score   float64 `json:"bm25_score"`
	VectorRank  int     `json:"vector_rank"`
	VectorScore float64 `json:"vector_score"`
	Fused       float64 `json:"fused"`
}

// Snippet is a fragment of text with the byte spans that matched the query,
// so each front end can mark them its own way.
type Snippet struct {
	Text  string   `json:"text"`
	Marks [][2]int `json:"marks,omitempty"`
}

// Facet is the value counts of one facet over all hits.
type Facet struct {
	Name   string       `json:"name"`
	Values []FacetValue `json:"values"`
	// Other counts hits whose values fell outside the top values shown.
	Other int `json:"other,omitempty"`
}

// FacetValue is one value and how many hits have it. For a facet whose
// own key is filtered (year:2019), counts are taken with that key's
// filters off, so siblings show what choosing them would give; Selected
// marks the values the query's filters take.
type FacetValue struct {
	Value    string `json:"value"`
	Count    int    `json:"count"`
	Selected bool   `json:"selected,omitempty"`
}

// Stats describes an index.
type Stats struct {
	Engine    string `json:"engine"`
	Path      string `json:"path,omitempty"`
	Papers    uint64 `json:"papers"`
	DiskBytes int64  `json:"disk_bytes"`
	Segments  int    `json:"segments,omitempty"`
	Embedder  string `json:"embedder,omitempty"`
	Vectors   uint64 `json:"vectors"`
	// PassageVectors are the vectors of full-text passages, apart from
	// the papers' own (Vectors).
	PassageVectors uint64       `json:"passage_vectors,omitempty"`
	VectorBytes    int64        `json:"vector_bytes,omitempty"`
	Calibration    *Calibration `json:"calibration,omitempty"`
	Checkpoints    []Checkpoint `json:"checkpoints,omitempty"`
	Facets         []Facet      `json:"facets,omitempty"`
}

// Calibration is how hybrid search adapted to the corpus: sentences held
// out of its papers were searched with each half alone.
type Calibration struct {
	Probes    int     `json:"probes"`     // held-out sentences searched
	BM25MRR   float64 `json:"bm25_mrr"`   // mean reciprocal rank of their papers, BM25 alone
	VectorMRR float64 `json:"vector_mrr"` // the same, vector half alone
	// Lean: hybrid leans on the vector half; Expands: it also expands
	// BM25 queries from the fused list (the embedded engine does).
	Lean    bool    `json:"lean"`
	Expands bool    `json:"expands,omitempty"`
	Weight  float64 `json:"vector_weight"` // the vector weight hybrid fuses with
}
