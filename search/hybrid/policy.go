package hybrid

import "github.com/quire-research/quire/search/fusion"

// Policy is how the planner runs a hybrid or vector search: the engine's
// options with its calibration's verdict applied (see Plan).
type Policy struct {
	// Candidates is how many BM25 hits are offered to fusion (raised to
	// the page window when that is deeper). It is also the window within
	// which vector-only papers join a hybrid search's hit set.
	Candidates int
	// VectorCandidates is how many the vector half offers in hybrid mode
	// (raised to the page window); vector mode asks Candidates.
	VectorCandidates int
	// Feedback is how many of the best BM25 hits' vectors join the query
	// vector in hybrid mode (pseudo-relevance feedback); 0 or less, none.
	Feedback int
	// FeedbackWeight is their share (embed.Feedback).
	FeedbackWeight float64
	// Fusion merges the halves in hybrid mode.
	Fusion fusion.Options
	// Expand runs the expansion round in hybrid mode (RM3 from the best
	// fused papers): set where the vector half is the stronger one.
	Expand bool
	// QuoteFusion, when its Method is set, replaces Fusion and turns
	// Expand off for a query that quotes a passage (Quotations). The
	// engine's calibration leans on vectors and expands from title-like
	// probes; a quoted sentence is not such a query, and leaning cost 27
	// of 281 known-item sentences on the shared PDFs.
	QuoteFusion fusion.Options
	// PassageVectors scores a hybrid search's BM25 hits on the vector half
	// by their best passage too (see passageVectors), with the passage's
	// stored vector (Passages.BestPassageVectors), or, with
	// EmbedPassages, one embedded for the query where none is stored.
	PassageVectors bool
	// EmbedPassages: embedding a few dozen passages a query is cheap, as
	// with a local embedder; over a network it is a round trip and a bill.
	EmbedPassages bool
}

// ExpandDocs is how many of the best fused papers the expansion round's
// relevance model is built from.
const ExpandDocs = 5
