package weaviate

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/highlight"
	"github.com/quire-research/quire/search/hybrid"
)

// Passages. A paper with a full text is also written as its passages
// (corpus.BodyChunks, numbered as the embedded engine numbers them), one
// object each in the passages collection, <Collection>Passage. BM25 over
// a passage finds the paragraph that holds a query's words, where BM25
// over a forty-page body rewards words spread across it; a paper is
// scored by its title and abstract plus its best passage, as the
// embedded engine rescores its hits (search/embedded rerank.go). Each
// passage carries its paper's filterable properties, so the restriction
// (filter.go) applies to passages unchanged, and, when the papers have
// vectors, a vector of its own, so the vector half finds a paper by the
// nearest of its passages too.

// Property names of the passages' collection, besides those copied from
// the paper (copied).
const (
	qN       = "n"            // the passage's number in its paper
	qStems   = "passageStems" // its text, analysed by Quire
	qSection = "section"
	qStart   = "start" // byte offsets in the paper's full text
	qEnd     = "end"
	qPage    = "page"
	qPageEnd = "pageEnd"
)

// copied are the paper's properties each passage carries: every one a
// filter reads, and the embedder that made the vectors.
var copied = []string{pID, pStems, pAuthors, pAuthWords, pYear, pVenue, pVenueWords,
	pFields, pFieldsLc, pCats, pCatsLc, pSource, pSourceLc, pDOILc, pLive, pEmbedder}

// placeProps are what a found passage is read with.
var placeProps = []string{pID, qN, qSection, qStart, qEnd, qPage, qPageEnd}

// passageClass is the passages' collection: the copied properties as the
// papers' collection defines them, and the passage's own.
func passageClass(name string, replicas int) *models.Class {
	c := paperClass(name, replicas)
	c.Description = "Quire full-text passages (created by quire; one per corpus.BodyChunks chunk)"
	t, f := true, false
	var props []*models.Property
	for _, p := range c.Properties {
		if slices.Contains(copied, p.Name) {
			p.IndexSearchable = &f // filtered on, never ranked by
			props = append(props, p)
		}
	}
	num := func(name string) *models.Property {
		return &models.Property{Name: name, DataType: []string{"int"}, IndexFilterable: &t, IndexRangeFilters: &f}
	}
	c.Properties = append(props,
		&models.Property{Name: qStems, DataType: []string{"text"}, Tokenization: models.PropertyTokenizationWhitespace,
			IndexFilterable: &f, IndexSearchable: &t},
		&models.Property{Name: qSection, DataType: []string{"text"}, Tokenization: models.PropertyTokenizationField,
			IndexFilterable: &f, IndexSearchable: &f},
		num(qN), num(qStart), num(qEnd), num(qPage), num(qPageEnd))
	return c
}

// passageObjectID is a passage's object UUID: its paper's ID and number.
// 0xff never occurs in a paper ID (valid UTF-8), so no two passages share
// one.
func passageObjectID(paper string, n int) strfmt.UUID {
	return objectID(paper + "\xff" + strconv.Itoa(n))
}

// passageObjects are paper's passages cs as objects, with the paper's
// properties props copied and vecs (nil: none) as their vectors.
func (e *Engine) passageObjects(paper string, props map[string]any, cs []corpus.Chunk, vecs [][]float32) []*models.Object {
	out := make([]*models.Object, len(cs))
	for i, c := range cs {
		m := map[string]any{
			qN: int64(c.Index), qStems: stems(c.Text), qSection: c.Section,
			qStart: int64(c.Start), qEnd: int64(c.End), qPage: int64(c.Page), qPageEnd: int64(c.PageEnd),
		}
		for _, k := range copied {
			if v, ok := props[k]; ok {
				m[k] = v
			}
		}
		var v []float32
		if vecs != nil && !embed.IsZero(vecs[i]) {
			v = vecs[i] // a zero vector (no word the model knows) finds nothing: none is stored
		} else {
			m[pEmbedder] = "" // so Stats counts only passages with a vector
		}
		out[i] = &models.Object{Class: e.passages, ID: passageObjectID(paper, c.Index), Properties: m, Vector: v}
	}
	return out
}

// passageTexts are what the vector half embeds for cs, p's passages.
func passageTexts(p *corpus.Paper, cs []corpus.Chunk) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = hybrid.EmbedPassage(p.Title, c.Section, c.Text)
	}
	return out
}

// deleteStalePassages removes the passages each paper in counts holds
// past its new count (all of them for 0): those of a text that got
// shorter, or of a paper deleted.
func (e *Engine) deleteStalePassages(ctx context.Context, ids []string, counts []int) error {
	const group = 100 // papers per delete: one Or of that many clauses
	for len(ids) > 0 {
		n := min(group, len(ids))
		var fs []*filters.WhereBuilder
		for i, id := range ids[:n] {
			fs = append(fs, and(eq(pID, id),
				filters.Where().WithPath([]string{qN}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(counts[i]))))
		}
		if err := e.deleteWhere(ctx, e.passages, or(fs...), fmt.Sprintf("delete the old passages of %d papers", n)); err != nil {
			return err
		}
		ids, counts = ids[n:], counts[n:]
	}
	return nil
}

// ranked is one paper's best passages from a BM25 search, best first.
type ranked struct {
	best     float64
	passages []search.Passage
}

// found is what BM25 over the passages found: each paper's best
// passages, and the papers in the order of their best passage.
type found struct {
	byID  map[string]*ranked
	order []string
}

// rankPassages is BM25 over the passages under where: the k best, by
// paper, each paper scored by its best passage. BM25 returns passages
// best first, so a paper's first passage is its best, and the papers
// come in order of it.
func (e *Engine) rankPassages(ctx context.Context, text string, where *filters.WhereBuilder, k int) (found, error) {
	rs, err := e.bm25(ctx, e.passages, text, where, k, qStems, placeProps...)
	if err != nil {
		return found{}, err
	}
	out := found{byID: map[string]*ranked{}}
	for _, r := range rs {
		id := str(r.Properties[pID])
		ps := place(r.Properties)
		ps.Score = float64(r.Metadata.Score)
		g, ok := out.byID[id]
		if !ok {
			g = &ranked{best: ps.Score}
			out.byID[id] = g
			out.order = append(out.order, id)
		}
		if len(g.passages) < highlight.MaxPassages {
			g.passages = append(g.passages, ps)
		}
	}
	return out, nil
}

// place reads a passage's place in its paper.
func place(m map[string]any) search.Passage {
	return search.Passage{Index: int(num(m[qN])), Section: str(m[qSection]),
		Start: int(num(m[qStart])), End: int(num(m[qEnd])), Page: int(num(m[qPage])), PageEnd: int(num(m[qPageEnd]))}
}

// The passages marker, in the meta collection, says every paper written
// before the passages' collection existed has its passages: a collection
// made by an older Quire gets them at the next SyncVectors.
const (
	kindPassages = "passages"
	passagesKey  = "complete"
)

// loadPassagesMarker sets e.backfill when the collection holds papers
// that may lack passages; an empty collection is marked complete at once.
func (e *Engine) loadPassagesMarker(ctx context.Context) error {
	rs, err := e.findIn(ctx, e.meta, metaWhere(kindPassages, passagesKey), 1, nil, mKey)
	if err != nil || len(rs) > 0 {
		return err
	}
	n, err := e.count(ctx, nil)
	if err != nil {
		return err
	}
	if n == 0 {
		return e.markPassages(ctx)
	}
	e.mu.Lock()
	e.backfill = true
	e.mu.Unlock()
	return nil
}

func (e *Engine) markPassages(ctx context.Context) error {
	if err := e.writeMeta(ctx, []*metaObject{{kind: kindPassages, key: passagesKey, value: "1"}}); err != nil {
		return err
	}
	e.mu.Lock()
	e.backfill = false
	e.mu.Unlock()
	return nil
}

func (e *Engine) needsBackfill() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.backfill
}

// near is a paper found by the vector of one of its passages.
type near struct {
	id    string
	n     int // the passage's number
	score float64
}

// nearPassages is nearVector over the passages under where: the papers
// of the k nearest passages, each once, by its nearest, best first.
func (e *Engine) nearPassages(ctx context.Context, qv []float32, where *filters.WhereBuilder, k int) ([]near, error) {
	rs, err := e.nearVector(ctx, e.passages, qv, where, k, pID, qN)
	if err != nil {
		return nil, err
	}
	var out []near
	seen := map[string]bool{}
	for _, r := range rs {
		id := str(r.Properties[pID])
		if !seen[id] {
			seen[id] = true
			out = append(out, near{id: id, n: int(num(r.Properties[qN])), score: 1 - float64(r.Metadata.Distance)})
		}
	}
	return out, nil
}

// recheck is how long a collection seen without passages is believed to
// have none; another client may write some meanwhile.
const recheck = 30 * time.Second

// anyPassages reports whether the collection holds passages, so searches
// over a corpus without full texts (most metadata dumps) skip the two
// calls that would find none.
func (e *Engine) anyPassages(ctx context.Context) (bool, error) {
	e.mu.RLock()
	has, checked := e.hasPassages, e.checkedPassages
	e.mu.RUnlock()
	if has || time.Since(checked) < recheck {
		return has, nil
	}
	n, err := e.countPassages(ctx, nil)
	if err != nil {
		return false, err
	}
	e.sawPassages(n > 0)
	return n > 0, nil
}

// sawPassages records whether passages exist, as just counted or written.
func (e *Engine) sawPassages(has bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hasPassages = e.hasPassages || has
	e.checkedPassages = time.Now()
}

// A query quotes a passage when it has at least quotePairs pairs of
// neighbouring words (stop words aside) and one passage holds quoteShare
// of them side by side: a sentence pasted from a paper. The embedded
// engine's rule (search/embedded rerank.go), over the stems each passage
// stores, where stop words are already gone.
const (
	quotePairs = 6
	quoteShare = 0.75
	// quoteCheck is how many papers' best passages are read for it.
	quoteCheck = 10
)

// pairs are the neighbouring pairs of a stems string, each once.
func pairs(stems string) map[[2]string]bool {
	ws := strings.Fields(stems)
	out := make(map[[2]string]bool, len(ws))
	for i := 1; i < len(ws); i++ {
		out[[2]string{ws[i-1], ws[i]}] = true
	}
	return out
}

// quoting returns the papers among the best of f whose best passage
// the query (its stems, text) quotes.
func (e *Engine) quoting(ctx context.Context, text string, f found) (map[string]bool, error) {
	want := pairs(text)
	if len(want) < quotePairs || len(f.order) == 0 {
		return nil, nil
	}
	ids := f.order[:min(len(f.order), quoteCheck)]
	uuids := make([]string, len(ids))
	for i, id := range ids {
		uuids[i] = string(passageObjectID(id, f.byID[id].passages[0].Index))
	}
	// "_id" is the object's own UUID, as gRPC filters name it.
	in := filters.Where().WithPath([]string{"_id"}).WithOperator(filters.ContainsAny).WithValueText(uuids...)
	rs, err := e.findIn(ctx, e.passages, in, len(uuids), nil, pID, qStems)
	if err != nil {
		return nil, fmt.Errorf("weaviate: read passages: %w", err)
	}
	out := map[string]bool{}
	for _, r := range rs {
		have := pairs(str(r.Properties[qStems]))
		n := 0
		for p := range want {
			if have[p] {
				n++
			}
		}
		if float64(n) >= quoteShare*float64(len(want)) {
			out[str(r.Properties[pID])] = true
		}
	}
	return out, nil
}
