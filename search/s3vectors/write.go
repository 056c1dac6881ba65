package s3vectors

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"golang.org/x/sync/errgroup"

	"github.com/quire-research/quire/corpus"
)

// Item is one vector to write: a paper's own, or, with ID set to a
// PassageID of the paper, one of its passages'. Both carry the paper's
// filterable metadata, so a filter allows a passage exactly when it
// allows its paper.
type Item struct {
	Vec   []float32
	Paper *corpus.Paper
	ID    string
}

// passagePrefix starts the IDs of passage vectors. A paper whose ID
// starts with it is refused, so an ID is a passage's exactly when
// ParsePassage reads it.
const passagePrefix = "quire-passage:"

// PassageID is the ID the n-th passage vector of paper is stored, listed
// and returned under.
func PassageID(paper string, n int) string {
	return passagePrefix + strconv.Itoa(n) + ":" + paper
}

// ParsePassage reads a PassageID back into its paper and number; ok is
// false for a paper's own ID.
func ParsePassage(id string) (paper string, n int, ok bool) {
	rest, ok := strings.CutPrefix(id, passagePrefix)
	if !ok {
		return id, 0, false
	}
	num, paper, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 {
		return id, 0, false
	}
	return paper, n, true
}

// idOf is the ID it is stored under, checked against its paper.
func (it Item) idOf(i int) (string, error) {
	if it.Paper == nil || it.Paper.ID == "" {
		return "", fmt.Errorf("s3vectors: item %d has no paper ID", i)
	}
	if it.ID == "" {
		if strings.HasPrefix(it.Paper.ID, passagePrefix) {
			return "", fmt.Errorf("s3vectors: paper ID %q starts with %q, which names passage vectors", it.Paper.ID, passagePrefix)
		}
		return it.Paper.ID, nil
	}
	if p, _, ok := ParsePassage(it.ID); !ok || p != it.Paper.ID {
		return "", fmt.Errorf("s3vectors: item %d: %q is not a passage ID of paper %q", i, it.ID, it.Paper.ID)
	}
	return it.ID, nil
}

// PutStats says what a Put did.
type PutStats struct {
	// Vectors were written, in Batches PutVectors calls.
	Vectors, Batches int
	// Throttled counts the retries after TooManyRequestsException;
	// Retries every retry (throttling and server faults).
	Throttled, Retries int
	// HashedKeys counts papers whose ID was too long (or not valid UTF-8,
	// or looked like a hashed key) to be a key: they are stored under a
	// hash with the ID in the "id" metadata.
	HashedKeys int
	// Dropped counts metadata entries left out to fit the service's
	// limits, by key; DroppedVectors the vectors that lost any. A paper
	// that lost filterable metadata is marked "partial" and always passes
	// the S3 filter, for the caller to check (Translated.Recheck).
	Dropped        map[string]int
	DroppedVectors int
}

// Warning is a one-line summary of what was dropped, "" when nothing was.
func (st PutStats) Warning() string {
	if st.DroppedVectors == 0 {
		return ""
	}
	keys := make([]string, 0, len(st.Dropped))
	for k := range st.Dropped {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, st.Dropped[k]))
	}
	return fmt.Sprintf("s3vectors: metadata of %d papers did not fit the service's limits (2 KB filterable, 40 KB, 50 keys) and was dropped: %s",
		st.DroppedVectors, strings.Join(parts, ", "))
}

// hashPrefix starts the keys of hashed IDs. IDs that start with it are
// hashed too, so a key is a paper ID exactly when it lacks the prefix.
const hashPrefix = "quire-sha256:"

// keyOf is the vector key of a paper ID.
func keyOf(id string) (key string, hashed bool) {
	if len(id) <= MaxKeyBytes && utf8.ValidString(id) && !strings.HasPrefix(id, hashPrefix) {
		return id, false
	}
	sum := sha256.Sum256([]byte(id))
	return hashPrefix + hex.EncodeToString(sum[:]), true
}

func isHashed(key string) bool { return strings.HasPrefix(key, hashPrefix) }

// words splits text into lower-cased runs of letters and digits, as the
// venue filter compares them.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

func lowerSet(vs []string) []string {
	var out []string
	for _, v := range vs {
		if l := strings.ToLower(v); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// entrySize is what one metadata entry counts for: its key and its value
// as JSON (at least what the service counts).
func entrySize(key string, v any) int {
	b, _ := json.Marshal(v)
	return len(key) + len(b)
}

type entry struct {
	key        string
	val        any
	filterable bool
	size       int
}

// metadata is the metadata of p's vector stored under id (p's own or a
// passage's) within the service's limits, and the keys dropped to get
// there, largest first. A passage's leaves out the title, which only
// lists show. The "id" of a hashed key is never dropped: an ID that
// cannot fit is an error.
func metadata(p *corpus.Paper, id string, hashed bool) (map[string]any, []string, error) {
	var es []entry
	add := func(k string, v any, filterable bool) {
		es = append(es, entry{k, v, filterable, entrySize(k, v)})
	}
	// The shard is never dropped (drop skips it): a paper without one
	// is found only by the part of a deep query that asks for papers
	// without a shard.
	add(metaShard, shardOf(p.ID), true)
	if p.Year != 0 {
		add(metaYear, p.Year, true)
	}
	if vs := lowerSet(p.Fields); len(vs) > 0 {
		add(metaFields, vs, true)
	}
	if vs := lowerSet(p.Categories); len(vs) > 0 {
		add(metaCategories, vs, true)
	}
	if p.Venue != "" {
		add(metaVenue, p.Venue, true)
		if ws := lowerSet(words(p.Venue)); len(ws) > 0 {
			add(metaVenueWords, ws, true)
		}
	}
	if p.Source != "" {
		add(metaSource, strings.ToLower(p.Source), true)
	}
	if p.Title != "" && id == p.ID {
		add(metaTitle, p.Title, false)
	}
	if hashed {
		add(metaID, id, false)
		if es[len(es)-1].size > MaxMetadataBytes-entrySize(metaPartial, true)-entrySize(metaShard, Shards) {
			return nil, nil, fmt.Errorf("s3vectors: paper ID %.40q... is %d bytes; an ID kept as metadata must fit in %d", id, len(id), MaxMetadataBytes)
		}
	}
	partial := false
	sum := func(filterableOnly bool) int {
		n := 0
		if partial {
			n += entrySize(metaPartial, true)
		}
		for _, e := range es {
			if e.filterable || !filterableOnly {
				n += e.size
			}
		}
		return n
	}
	var dropped []string
	drop := func(filterableOnly bool) {
		best := -1
		for i, e := range es {
			if e.key == metaID || e.key == metaShard || filterableOnly && !e.filterable {
				continue
			}
			if best < 0 || cmp.Or(cmp.Compare(e.size, es[best].size), strings.Compare(es[best].key, e.key)) > 0 {
				best = i
			}
		}
		if es[best].filterable {
			partial = true
		}
		dropped = append(dropped, es[best].key)
		es = slices.Delete(es, best, best+1)
	}
	for sum(true) > MaxFilterableBytes {
		drop(true)
	}
	for sum(false) > MaxMetadataBytes || len(es)+boolInt(partial) > MaxMetadataKeys {
		drop(false)
	}
	meta := make(map[string]any, len(es)+1)
	for _, e := range es {
		meta[e.key] = e.val
	}
	if partial {
		meta[metaPartial] = true
	}
	return meta, dropped, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkVec refuses what the service would: a wrong dimension, NaN or
// infinite values, an all-zero vector under cosine.
func (s *Store) checkVec(id string, v []float32) error {
	if len(v) != s.dim {
		return fmt.Errorf("s3vectors: paper %q: the vector has %d values; index %s/%s holds %d", id, len(v), s.cfg.Bucket, s.cfg.Index, s.dim)
	}
	zero := true
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("s3vectors: paper %q: the vector's value %d is %v", id, i, x)
		}
		zero = zero && x == 0
	}
	if zero && s.metric == Cosine {
		return fmt.Errorf("s3vectors: paper %q: an all-zero vector has no cosine direction", id)
	}
	return nil
}

// perVector is the estimated JSON size of a vector with no metadata: the
// key, the floats (at most 15 bytes each with their comma) and the
// braces.
func perVector(dim int, key string) int { return 64 + 2*len(key) + 16*dim }

// Put writes the items' vectors with their papers' metadata, replacing
// any stored under the same IDs (the last of duplicates wins). Batches
// hold at most 500 vectors and 18 MiB, paced to the configured write
// rates and retried on throttling and server faults. Metadata that does
// not fit is dropped and counted, never failing a batch.
func (s *Store) Put(ctx context.Context, items []Item) (PutStats, error) {
	st := PutStats{Dropped: map[string]int{}}
	// Build every vector first, so bad input fails before any write.
	seen := make(map[string]int, len(items))
	var vecs []types.PutInputVector
	var sizes []int
	for i, it := range items {
		id, err := it.idOf(i)
		if err != nil {
			return st, err
		}
		if err := s.checkVec(id, it.Vec); err != nil {
			return st, err
		}
		key, hashed := keyOf(id)
		meta, dropped, err := metadata(it.Paper, id, hashed)
		if err != nil {
			return st, err
		}
		mb, _ := json.Marshal(meta)
		v := types.PutInputVector{
			Key:      &key,
			Data:     &types.VectorDataMemberFloat32{Value: it.Vec},
			Metadata: document.NewLazyDocument(meta),
		}
		size := perVector(s.dim, key) + len(mb)
		if j, ok := seen[key]; ok {
			vecs[j], sizes[j] = v, size // the last wins; stats count it once
			continue
		}
		seen[key] = len(vecs)
		vecs, sizes = append(vecs, v), append(sizes, size)
		if hashed {
			st.HashedKeys++
		}
		if len(dropped) > 0 {
			st.DroppedVectors++
			for _, k := range dropped {
				st.Dropped[k]++
			}
		}
	}
	limit := min(MaxPutBatch, int(s.pace.vecCap))
	var batches [][]types.PutInputVector
	for start := 0; start < len(vecs); {
		end, bytes := start, 0
		for end < len(vecs) && end-start < limit && (end == start || bytes+sizes[end] <= MaxPayload) {
			bytes += sizes[end]
			end++
		}
		batches = append(batches, vecs[start:end])
		start = end
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, b := range batches {
		g.Go(func() error {
			if err := s.pace.wait(gctx, len(b)); err != nil {
				return err
			}
			throttled, tries := 0, 0
			err := s.callCounting(gctx, "PutVectors", &throttled, func(ctx context.Context) error {
				if tries++; tries > 1 {
					if err := s.pace.wait(ctx, len(b)); err != nil {
						return err
					}
				}
				_, err := s.client.PutVectors(ctx, &s3vectors.PutVectorsInput{
					VectorBucketName: &s.cfg.Bucket, IndexName: &s.cfg.Index, Vectors: b,
				})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			st.Throttled += throttled
			st.Retries += tries - 1
			if err != nil {
				return err
			}
			st.Vectors += len(b)
			st.Batches++
			if s.cfg.Progress != nil {
				s.cfg.Progress(st)
			}
			return nil
		})
	}
	err := g.Wait()
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return st, err
}

// Delete removes the vectors of ids, in batches of at most 500, paced as
// writes; unknown ids are no error.
func (s *Store) Delete(ctx context.Context, ids []string) error {
	keys := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		if k, _ := keyOf(id); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	limit := min(MaxDeleteBatch, int(s.pace.vecCap))
	for chunk := range slices.Chunk(keys, limit) {
		if err := s.pace.wait(ctx, len(chunk)); err != nil {
			return err
		}
		tries := 0
		err := s.call(ctx, "DeleteVectors", func(ctx context.Context) error {
			if tries++; tries > 1 {
				if err := s.pace.wait(ctx, len(chunk)); err != nil {
					return err
				}
			}
			_, err := s.client.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{
				VectorBucketName: &s.cfg.Bucket, IndexName: &s.cfg.Index, Keys: chunk,
			})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
