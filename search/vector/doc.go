// Package vector is Quire's in-process, persistent vector index.
//
// Vectors (unit-length float32 from an embedder) are stored int8-quantized
// with a per-vector scale (symmetric: scale = max|x|/127), so a million
// 256-dimensional vectors take 256 MB. Similarity is the int32 dot product
// of the codes times the scales, computed by AVX2 assembly on amd64 (a
// pure-Go fallback elsewhere, or with the purego build tag); results carry
// a cosine estimate as Score.
//
// Below Options.ExactBelow (default 20,000) live vectors every search is an
// exact scan. From there on an HNSW graph is built (in parallel) and
// maintained on every Apply. Layer 0 of the graph is a flat []uint32 with a fixed block of M0
// neighbours per slot; the few upper-layer nodes share one more flat array.
// IDs live in a byte arena with an open-addressing table.
//
// Filtered searches take a roaring bitmap of allowed slots. Small allowed
// sets (under 200,000 or 1/8 of the index) are scanned exactly; larger ones
// search the graph with a wider beam, walking through disallowed nodes but
// returning only allowed ones, and fall back to a scan if the beam comes
// back short, so k results come back whenever k allowed vectors exist.
//
// # Durability
//
// Apply appends a checksummed record (CRC-32C) to a write-ahead log and
// fsyncs before changing memory. Snapshot writes the whole index (with an
// IEEE CRC-32 over it) to a temp file, fsyncs, renames it over the old
// snapshot, fsyncs the directory and empties the log. A new index folder
// is synced into its parent, and a new log into the folder. Every change
// to a file goes through a small file-system seam (fs.go), so a test runs
// the index over a layer that loses unsynced writes like a power cut
// (TestPowerLoss). Open loads the
// snapshot and replays the log, cutting it at the first torn or corrupt
// record. Rollback drops operations past a
// sequence number that are still only in the log, so the index can follow a
// primary store that committed less; Options.CapSeq and MaxSeq make Open
// stop replaying there, so a reader sees exactly what that store committed.
// Options.ReadOnly opens without writing anything: the log is neither
// created nor cut, and what it replays is scanned exactly beside each graph
// search instead of being linked into the graph (linking was most of a
// reader's open time after a crash).
//
// # IDs without a vector
//
// A nil or all-zero vector records that an ID has no vector (an embedder
// found nothing to embed in its text). It is stored as a slot with scale 0,
// the encoding all-zero vectors always had in the log and the snapshot, so
// files from before load unchanged and their zero vectors become such
// markers. The ID is known (Slot, ID, Len; Empty counts them), so a caller
// that embeds only IDs it lacks does not embed it again, but it is never a
// search result and is not linked into the graph.
//
// # Slots
//
// Slots are dense uint32s. Between compactions an upsert of an existing ID
// keeps its slot, a delete tombstones it (never returned, never reused; its
// vector stays in the graph for routing), and an ID added again later gets a
// new slot. Compact copies the live vectors into a new index with new slot
// numbers and Install swaps it in, so a slot is never an ID's name: callers
// map IDs to slots through the index at search time.
package vector
