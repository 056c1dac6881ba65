package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/google/uuid"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/hybrid"
)

// batchSize is how many objects one gRPC batch carries: big enough to
// amortise the round trip, small enough that a retry after a node fault
// repeats little.
const batchSize = 200

// namespace makes object IDs: UUIDv5(namespace, paper ID). Fixed forever:
// changing it would duplicate every paper on the next ingest.
var namespace = uuid.MustParse("6f1c3b0e-5a7e-4d0b-9c1e-71a0c0de0001")

// objectID is the paper's object UUID in the collection.
func objectID(paperID string) strfmt.UUID {
	return strfmt.UUID(uuid.NewSHA1(namespace, []byte(paperID)).String())
}

// Apply writes a batch: upserts and deletions first, then the checkpoints.
// Weaviate has no transactions across objects, so "together" means
// ordered: a checkpoint is written only after every paper it covers is
// acknowledged at the configured consistency, and a run killed in
// between re-writes those papers on resume (the writes are idempotent).
func (e *Engine) Apply(ctx context.Context, b *search.Batch) error {
	p, err := e.Prepare(ctx, b)
	if err != nil {
		return err
	}
	return p.Commit(ctx, b.Checkpoints)
}

// Prepare embeds a batch's papers and their passages (when an embedder
// exists) and builds their objects, so ingest can prepare the next batch
// while this one is written.
func (e *Engine) Prepare(ctx context.Context, b *search.Batch) (search.PreparedBatch, error) {
	if len(b.Origins) != 0 && len(b.Origins) != len(b.Upserts) {
		return nil, fmt.Errorf("weaviate: %d origins for %d upserts", len(b.Origins), len(b.Upserts))
	}
	origins := make([]*search.Origin, len(b.Upserts))
	for i := range b.Origins {
		origins[i] = &b.Origins[i]
	}
	p, err := e.build(ctx, b.Upserts, origins)
	if err != nil {
		return nil, err
	}
	p.dels = b.Deletes
	return p, nil
}

// build embeds papers and their passages with the embedder in use (none:
// no vectors) and makes their objects; origins[i] (nil: none) is ps[i]'s.
func (e *Engine) build(ctx context.Context, ps []corpus.Paper, origins []*search.Origin) (*prepared, error) {
	emb := e.embedder()
	chunks := make([][]corpus.Chunk, len(ps))
	for i := range ps {
		chunks[i] = corpus.BodyChunks(&ps[i])
	}
	var vecs, pvecs [][]float32
	if emb != nil && len(ps) > 0 {
		texts := make([]string, 0, len(ps))
		for i := range ps {
			texts = append(texts, hybrid.EmbedText(&ps[i]))
		}
		for i := range ps {
			texts = append(texts, passageTexts(&ps[i], chunks[i])...)
		}
		all, err := emb.Embed(ctx, texts, embed.Passage)
		if err == nil && len(all) != len(texts) {
			err = fmt.Errorf("%d vectors for %d texts", len(all), len(texts))
		}
		if err != nil {
			return nil, fmt.Errorf("embed %d papers and %d passages with %s: %w", len(ps), len(texts)-len(ps), emb.Name(), err)
		}
		vecs, pvecs = all[:len(ps)], all[len(ps):]
	}
	p := &prepared{e: e, ids: make([]string, len(ps)), counts: make([]int, len(ps))}
	for i := range ps {
		var v []float32
		name := ""
		if vecs != nil {
			v, name = vecs[i], emb.Name()
		}
		obj, err := e.object(&ps[i], origins[i], v, name)
		if err != nil {
			return nil, err
		}
		p.objs = append(p.objs, obj)
		var pv [][]float32
		if pvecs != nil {
			pv, pvecs = pvecs[:len(chunks[i])], pvecs[len(chunks[i]):]
		}
		p.passages = append(p.passages, e.passageObjects(ps[i].ID, obj.Properties.(map[string]any), chunks[i], pv)...)
		p.ids[i], p.counts[i] = ps[i].ID, len(chunks[i])
	}
	return p, nil
}

type prepared struct {
	e        *Engine
	objs     []*models.Object
	passages []*models.Object
	ids      []string // the papers written, and how many passages each has
	counts   []int
	dels     []string
}

// Commit writes the passages, removes those the papers no longer have,
// then writes the papers, the deletions and cks: a paper is written after
// its passages, so a sync stopped in between finds it still to do.
func (p *prepared) Commit(ctx context.Context, cks []search.Checkpoint) error {
	if err := p.e.writeObjects(ctx, p.passages); err != nil {
		return err
	}
	if len(p.passages) > 0 {
		p.e.sawPassages(true)
	}
	// Always, even where this client has seen no passages: another one
	// may have written some since.
	if err := p.e.deleteStalePassages(ctx, p.ids, p.counts); err != nil {
		return err
	}
	if err := p.e.writeObjects(ctx, p.objs); err != nil {
		return err
	}
	if err := p.e.deletePapers(ctx, p.dels); err != nil {
		return err
	}
	return p.e.writeCheckpoints(ctx, cks)
}

// object is a paper as a Weaviate object.
func (e *Engine) object(p *corpus.Paper, o *search.Origin, vec []float32, embedder string) (*models.Object, error) {
	if p.ID == "" {
		return nil, errors.New("weaviate: a paper without an id")
	}
	props := map[string]any{
		pID:         p.ID,
		pTitle:      p.Title,
		pAbstract:   p.Abstract,
		pFullText:   p.FullText,
		pAuthors:    nonNil(p.Authors),
		pAuthWords:  nonNil(p.Authors),
		pVenue:      p.Venue,
		pVenueWords: p.Venue,
		pFields:     nonNil(p.Fields),
		pFieldsLc:   lowerAll(p.Fields),
		pCats:       nonNil(p.Categories),
		pCatsLc:     lowerAll(p.Categories),
		pSource:     p.Source,
		pSourceLc:   strings.ToLower(p.Source),
		pDOI:        p.DOI,
		pDOILc:      doiKey(p.DOI),
		pURL:        p.URL,
		pEmbedder:   embedder,
		pStems:      stems(p.Title + "\n" + p.Abstract),
		pBodyStems:  stems(p.FullText),
		pBodyBytes:  int64(len(p.FullText)),
		pLive:       true,
	}
	if len(p.Pages) > 0 {
		pages := make([]int64, len(p.Pages))
		for i, n := range p.Pages {
			pages[i] = int64(n)
		}
		props[pPages] = pages
	}
	if p.Year != 0 {
		props[pYear] = int64(p.Year)
		props[pYearText] = strconv.Itoa(p.Year)
	}
	if o != nil {
		js, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("paper %s: origin: %w", p.ID, err)
		}
		props[pOrigin] = string(js)
	}
	return &models.Object{Class: e.o.Collection, ID: objectID(p.ID), Properties: props, Vector: vec}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func lowerAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	return out
}

// doiKey is a DOI as the doi: filter compares it.
func doiKey(s string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "https://doi.org/")
}

// batchBytes bounds one batch's text (and vectors), so a few papers with
// long full texts go in batches of their own: well under any server's
// gRPC message limit (GRPC_MAX_MESSAGE_SIZE), and a retry repeats little.
const batchBytes = 4 << 20

// writeObjects sends objects in batches, each retried on transient
// errors; objects that failed for good are reported by paper ID.
func (e *Engine) writeObjects(ctx context.Context, objs []*models.Object) error {
	for len(objs) > 0 {
		n := nextBatch(objs)
		if err := e.writeBatch(ctx, objs[:n]); err != nil {
			return err
		}
		objs = objs[n:]
	}
	return nil
}

// nextBatch is how many of objs the next batch takes: at most batchSize
// and batchBytes, and at least one.
func nextBatch(objs []*models.Object) int {
	n, size := 0, 0
	for n < len(objs) && n < batchSize && (n == 0 || size+objectBytes(objs[n]) <= batchBytes) {
		size += objectBytes(objs[n])
		n++
	}
	return n
}

// objectBytes estimates an object's size on the wire.
func objectBytes(o *models.Object) int {
	n := 4*len(o.Vector) + 64
	if m, ok := o.Properties.(map[string]any); ok {
		for _, v := range m {
			switch x := v.(type) {
			case string:
				n += len(x)
			case []string:
				for _, s := range x {
					n += len(s) + 2
				}
			}
		}
	}
	return n
}

// batchAttempt bounds one try of a batch. A node killed during a write
// left its coordinator retrying the commit to it for about a minute (its
// replication client backs off on a context without deadline); sending
// the batch again, which is idempotent, passed at once.
const batchAttempt = 20 * time.Second

// writeBatch writes one batch. Objects that fail with a transient error
// (a replica down, QUORUM not reached yet) are sent again; the rest of
// the batch is not.
func (e *Engine) writeBatch(ctx context.Context, objs []*models.Object) error {
	todo := objs
	return retry(ctx, fmt.Sprintf("write %d papers", len(objs)), func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, batchAttempt)
		defer cancel()
		res, err := e.client.Batch().ObjectsBatcher().WithObjects(todo...).WithConsistencyLevel(e.o.Consistency).Do(actx)
		if err != nil {
			if ctx.Err() == nil && actx.Err() != nil {
				return &transientErr{what: fmt.Sprintf("no reply in %s", batchAttempt), err: err}
			}
			return redact(err, e.o.APIKey)
		}
		var again []*models.Object
		var hard []string
		var first error
		for i, r := range res {
			msg := batchError(r)
			if msg == "" {
				continue
			}
			id := paperIDOf(todo[i])
			if transientText(msg) {
				again = append(again, todo[i])
				if first == nil {
					first = fmt.Errorf("paper %s: %s", id, msg)
				}
				continue
			}
			hard = append(hard, fmt.Sprintf("paper %s: %s", id, msg))
		}
		if len(hard) > 0 {
			return fmt.Errorf("weaviate refused %d of %d papers: %s", len(hard), len(todo), strings.Join(firstN(hard, 5), "; "))
		}
		if len(again) > 0 {
			todo = again
			return &transientErr{what: fmt.Sprintf("%d papers not written", len(again)), err: first}
		}
		return nil
	})
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// batchError is one object's error in a batch reply, "" when it was
// written.
func batchError(r models.ObjectsGetResponse) string {
	if r.Result == nil || r.Result.Errors == nil {
		return ""
	}
	var msgs []string
	for _, it := range r.Result.Errors.Error {
		if it != nil {
			msgs = append(msgs, it.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

func paperIDOf(o *models.Object) string {
	if m, ok := o.Properties.(map[string]any); ok {
		if id, ok := m[pID].(string); ok {
			return id
		}
		if id, ok := m[mKey].(string); ok {
			return id
		}
	}
	return string(o.ID)
}

// deletePapers removes papers and their passages by ID; unknown IDs are
// no error.
func (e *Engine) deletePapers(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(batchSize, len(ids))
		where := filters.Where().WithPath([]string{pID}).WithOperator(filters.ContainsAny).WithValueText(ids[:n]...)
		for _, c := range []string{e.passages, e.o.Collection} {
			if err := e.deleteWhere(ctx, c, where, fmt.Sprintf("delete %d papers", n)); err != nil {
				return err
			}
		}
		ids = ids[n:]
	}
	return nil
}

// deleteWhere removes the objects of collection c that where selects.
// One call deletes at most the server's limit (QUERY_MAXIMUM_RESULTS,
// 10,000 by default: 200 papers of a hundred passages each reach it), so
// it calls again while a call reached the limit.
func (e *Engine) deleteWhere(ctx context.Context, c string, where *filters.WhereBuilder, what string) error {
	for {
		full := false
		err := retry(ctx, what, func(ctx context.Context) error {
			// Bounded as a write batch is (batchAttempt): a delete
			// reaching a replica killed mid-call waits on it otherwise.
			actx, cancel := context.WithTimeout(ctx, batchAttempt)
			defer cancel()
			res, err := e.client.Batch().ObjectsBatchDeleter().WithClassName(c).
				WithWhere(where).WithConsistencyLevel(e.o.Consistency).WithOutput("minimal").Do(actx)
			if err != nil {
				if ctx.Err() == nil && actx.Err() != nil {
					return &transientErr{what: fmt.Sprintf("no reply in %s", batchAttempt), err: err}
				}
				return redact(err, e.o.APIKey)
			}
			if res == nil || res.Results == nil {
				return nil
			}
			if res.Results.Failed > 0 {
				return &transientErr{what: "delete", err: fmt.Errorf("%d of %d deletions failed", res.Results.Failed, res.Results.Matches)}
			}
			full = res.Results.Limit > 0 && res.Results.Matches >= res.Results.Limit
			return nil
		})
		if err != nil || !full {
			return err
		}
	}
}

// Get loads one paper (search.ErrNotFound when absent).
func (e *Engine) Get(ctx context.Context, id string) (*corpus.Paper, error) {
	ps, err := e.papers(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	p, ok := ps[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", search.ErrNotFound, id)
	}
	return p, nil
}

// papers loads the papers of ids that exist, by ID.
func (e *Engine) papers(ctx context.Context, ids []string) (map[string]*corpus.Paper, error) {
	out := make(map[string]*corpus.Paper, len(ids))
	for len(ids) > 0 {
		n := min(batchSize, len(ids))
		where := filters.Where().WithPath([]string{pID}).WithOperator(filters.ContainsAny).WithValueText(ids[:n]...)
		rs, err := e.find(ctx, where, n, paperProps...)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			p := paperOf(r.Properties)
			out[p.ID] = p
		}
		ids = ids[n:]
	}
	return out, nil
}

// Origins returns the stored origins of those ids that have one.
func (e *Engine) Origins(ctx context.Context, ids []string) (map[string]search.Origin, error) {
	out := map[string]search.Origin{}
	for len(ids) > 0 {
		n := min(batchSize, len(ids))
		where := filters.Where().WithPath([]string{pID}).WithOperator(filters.ContainsAny).WithValueText(ids[:n]...)
		rs, err := e.find(ctx, where, n, pID, pOrigin)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			js, _ := r.Properties[pOrigin].(string)
			id, _ := r.Properties[pID].(string)
			if js == "" {
				continue
			}
			var o search.Origin
			if err := json.Unmarshal([]byte(js), &o); err != nil {
				return nil, fmt.Errorf("weaviate: paper %s: stored origin: %w", id, err)
			}
			out[id] = o
		}
		ids = ids[n:]
	}
	return out, nil
}
