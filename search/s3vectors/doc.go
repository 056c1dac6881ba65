// Package s3vectors is Quire's vector half on Amazon S3 Vectors: one
// index in a vector bucket holding a vector per paper, keyed by paper ID,
// with the paper's facets as metadata so the service can filter. A paper
// with full text may have a vector per passage beside it, under
// PassageID(paper, n) ("quire-passage:n:paper") with the same filterable
// metadata; Query, Get and List return those IDs as they are, for the
// caller to group by paper (ParsePassage).
//
// # Writes
//
// Put sends PutVectors in batches of at most 500 vectors and 18 MiB (the
// service takes 20 MiB), paced by two token buckets to the per-index write
// limits (1,000 requests/s and 2,500 vectors/s, PutVectors and
// DeleteVectors combined; Config lowers them) and retried on throttling
// and server faults with search/backoff. AccessDenied, NotFound and
// validation errors are not retried. Delete sends DeleteVectors likewise.
//
// Keys are paper IDs. An ID longer than 1,024 bytes (or not valid UTF-8,
// or starting with "quire-sha256:") is stored under "quire-sha256:" and
// its SHA-256, with the ID in the non-filterable "id" metadata; Query and
// Get give back the real ID.
//
// Metadata: year (number), fields, categories and source (lower-cased, as
// the filters compare them), venue and venue_words (its lower-cased words)
// are filterable; title and id are non-filterable (declared by Create).
// What does not fit 2 KB filterable, 40 KB in all or 50 keys is dropped,
// largest entry first, and counted in PutStats; a paper that lost a
// filterable entry is marked "partial" and passes every filter, so the
// caller checks it (Translated.Recheck) instead of silently losing it.
//
// # Reads
//
// Query asks QueryVectors for the top min(k, 100) under the translation
// of Quire's filters (Translate; filter.go lists the mapping). Filters the
// metadata cannot express (phrases, -word exclusions, author:, id:, doi:,
// and key:= on lower-cased keys) come back in Translated.Residual for the
// caller to apply to the results. Get fetches vectors by ID with
// GetVectors, 100 keys a call, several calls in flight; Rank scores them
// locally, which beats a filtered Query when the allowed set is small (see
// docs/s3vectors.md for the measurements).
//
// Scores are similarities: 1 − distance for cosine, 1 − distance²/2 for
// euclidean.
//
// Tests run against s3vtest, a loopback server speaking the service's
// REST-JSON protocol with its documented limits.
package s3vectors
