package weaviate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/weaviate/weaviate/entities/models"
)

// Property names of the papers' collection. Weaviate reserves "id", so the
// paper's ID is paperId; the object's own ID is UUIDv5(paperId).
//
// Prose is analysed by Quire, not Weaviate (analysis.go): stems holds
// title and abstract as the embedded engine's English analyser makes them,
// bodyStems the full text; BM25 ranks over both. What still differs:
//   - BM25 ranks title and abstract (stems) as one field, as the embedded
//     engine's main field, without its extra 0.3 title weight; papers that
//     match in their full text only come after, when the first list runs
//     short (halves.go rankText), where the embedded engine mixes them in
//     at weight 0.3. Weaviate's native hybrid ranks stems only.
//   - Weaviate's BM25 counts document lengths and IDF per shard; with
//     several shards scores differ slightly from one index's.
//
// Facet values are stored twice where filters need both forms: as typed
// (tokenization "field": one token per whole value, case kept), which the
// facets count and key:="value" matches, and lower-cased (*Lc) or split
// into words (*Words) for the loose, case-insensitive filters.
const (
	pID         = "paperId"
	pTitle      = "title"
	pAbstract   = "abstract"
	pFullText   = "fullText"
	pAuthors    = "authors"
	pAuthWords  = "authorWords"
	pYear       = "year"
	pVenue      = "venue"
	pVenueWords = "venueWords"
	pFields     = "fields"
	pFieldsLc   = "fieldsLc"
	pCats       = "categories"
	pCatsLc     = "categoriesLc"
	pSource     = "source"
	pSourceLc   = "sourceLc"
	pDOI        = "doi"
	pDOILc      = "doiLc"
	pURL        = "url"
	pOrigin     = "origin"    // search.Origin as JSON, not indexed
	pEmbedder   = "embedder"  // name of the embedder that made the vector; "" for none
	pStems      = "stems"     // title and abstract, analysed by Quire
	pBodyStems  = "bodyStems" // full text, analysed by Quire
	pBodyBytes  = "bodyBytes" // length of the full text, not indexed
	pLive       = "live"      // true on every paper: the set a negation is taken from
	pYearText   = "yearText"  // the year as text, for the year facet
	pPages      = "pages"     // where each page starts in the full text, not indexed
)

// paperProps are a whole paper's properties (not the analysed and
// lower-cased copies); hitProps leave out the full text, which can be
// megabytes and which a ranked candidate rarely needs (bodyBytes says
// whether the paper has any, so the page loads only those again).
var (
	paperProps = []string{pID, pTitle, pAbstract, pFullText, pAuthors, pYear, pVenue, pFields, pCats, pSource, pDOI, pURL, pPages}
	hitProps   = []string{pID, pTitle, pAbstract, pBodyBytes, pAuthors, pYear, pVenue, pFields, pCats, pSource, pDOI, pURL}
)

// Meta collection properties: one object per checkpoint or model chunk.
const (
	mKind  = "kind" // "checkpoint" or "model"
	mKey   = "key"  // source name, or model name + chunk number
	mValue = "value"
	mBlob  = "blob"
)

func paperClass(name string, replicas int) *models.Class {
	t, f := true, false
	prop := func(name, dt, tok string, filter, search bool) *models.Property {
		p := &models.Property{Name: name, DataType: []string{dt}, IndexFilterable: &filter, IndexSearchable: &search}
		if tok != "" {
			p.Tokenization = tok
		}
		return p
	}
	field, word, space := models.PropertyTokenizationField, models.PropertyTokenizationWord, models.PropertyTokenizationWhitespace
	return &models.Class{
		Class:       name,
		Description: "Quire papers (created by quire; schema from corpus.Paper)",
		Vectorizer:  "none",
		VectorIndexConfig: map[string]any{
			"distance": "cosine",
		},
		InvertedIndexConfig: &models.InvertedIndexConfig{
			// The embedded engine's BM25 parameters.
			Bm25:      &models.BM25Config{K1: 0.9, B: 0.65},
			Stopwords: &models.StopwordConfig{Preset: "none"},
		},
		ReplicationConfig: &models.ReplicationConfig{Factor: int64(replicas)},
		Properties: []*models.Property{
			prop(pID, "text", field, t, f),
			prop(pTitle, "text", word, f, f),
			prop(pAbstract, "text", word, f, f),
			prop(pFullText, "text", word, f, f),
			prop(pStems, "text", space, t, t),
			prop(pBodyStems, "text", space, t, t),
			prop(pAuthors, "text[]", field, t, f),
			prop(pAuthWords, "text[]", word, t, f),
			{Name: pYear, DataType: []string{"int"}, IndexFilterable: &t, IndexRangeFilters: &t},
			prop(pVenue, "text", field, t, f),
			prop(pVenueWords, "text", word, t, f),
			prop(pFields, "text[]", field, t, f),
			prop(pFieldsLc, "text[]", field, t, f),
			prop(pCats, "text[]", field, t, f),
			prop(pCatsLc, "text[]", field, t, f),
			prop(pSource, "text", field, t, f),
			prop(pSourceLc, "text", field, t, f),
			prop(pDOI, "text", field, f, f),
			prop(pDOILc, "text", field, t, f),
			prop(pURL, "text", field, f, f),
			prop(pOrigin, "text", field, f, f),
			prop(pEmbedder, "text", field, t, f),
			{Name: pBodyBytes, DataType: []string{"int"}, IndexFilterable: &f, IndexRangeFilters: &f},
			{Name: pLive, DataType: []string{"boolean"}, IndexFilterable: &t},
			prop(pYearText, "text", field, f, f),
			{Name: pPages, DataType: []string{"int[]"}, IndexFilterable: &f, IndexRangeFilters: &f},
		},
	}
}

func metaClass(name string, replicas int) *models.Class {
	t, f := true, false
	return &models.Class{
		Class:             name,
		Description:       "Quire checkpoints and models (created by quire)",
		Vectorizer:        "none",
		ReplicationConfig: &models.ReplicationConfig{Factor: int64(replicas)},
		VectorIndexConfig: map[string]any{"skip": true},
		Properties: []*models.Property{
			{Name: mKind, DataType: []string{"text"}, Tokenization: models.PropertyTokenizationField, IndexFilterable: &t, IndexSearchable: &f},
			{Name: mKey, DataType: []string{"text"}, Tokenization: models.PropertyTokenizationField, IndexFilterable: &t, IndexSearchable: &f},
			{Name: mValue, DataType: []string{"text"}, Tokenization: models.PropertyTokenizationField, IndexFilterable: &f, IndexSearchable: &f},
			{Name: mBlob, DataType: []string{"blob"}},
		},
	}
}

// ensureSchema creates the papers', meta and passages collections when
// absent. An existing collection is used as it is (its replication
// factor stays), with any property a newer Quire added.
func (e *Engine) ensureSchema(ctx context.Context) error {
	if e.o.MustExist {
		if err := e.mustExist(ctx); err != nil {
			return err
		}
	}
	for _, c := range []*models.Class{paperClass(e.o.Collection, e.o.Replication), metaClass(e.meta, e.o.Replication),
		passageClass(e.passages, e.o.Replication)} {
		err := retry(ctx, "check collection "+c.Class, func(ctx context.Context) error {
			ok, err := e.client.Schema().ClassExistenceChecker().WithClassName(c.Class).Do(ctx)
			if err != nil {
				return err
			}
			if ok {
				return e.addMissing(ctx, c)
			}
			err = e.client.Schema().ClassCreator().WithClass(c).Do(ctx)
			if err != nil && strings.Contains(err.Error(), "already exists") {
				return nil // another client made it first
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("weaviate: create collection %s: %w", c.Class, redact(err, e.o.APIKey))
		}
	}
	return nil
}

// addMissing adds the properties of want that its existing collection
// lacks: a collection made by an older Quire (pages came later).
func (e *Engine) addMissing(ctx context.Context, want *models.Class) error {
	have, err := e.client.Schema().ClassGetter().WithClassName(want.Class).Do(ctx)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, p := range have.Properties {
		names[p.Name] = true
	}
	for _, p := range want.Properties {
		if names[p.Name] {
			continue
		}
		err := e.client.Schema().PropertyCreator().WithClassName(want.Class).WithProperty(p).Do(ctx)
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("add property %s: %w", p.Name, err)
		}
	}
	return nil
}

// usesBlockMaxWAND reports whether the collection ranks BM25 with
// Weaviate's BlockMax WAND. In 1.35.2 it returned a wrong top k for long
// queries (MED: BM25 nDCG@10 0.5029 against 0.8043 on the exact path, a
// paper missing from the top 5 scoring above all of them when searched
// alone); the servers must run with USE_INVERTED_SEARCHABLE=false, which
// applies to collections created after it is set.
func (e *Engine) usesBlockMaxWAND(ctx context.Context) (bool, error) {
	c, err := e.client.Schema().ClassGetter().WithClassName(e.o.Collection).Do(ctx)
	if err != nil {
		return false, fmt.Errorf("weaviate: read collection %s: %w", e.o.Collection, redact(err, e.o.APIKey))
	}
	return c.InvertedIndexConfig != nil && c.InvertedIndexConfig.UsingBlockMaxWAND, nil
}

// Drop deletes the engine's collections and everything in them (tests and
// "start over").
func (e *Engine) Drop(ctx context.Context) error {
	for _, name := range []string{e.o.Collection, e.meta, e.passages} {
		if err := e.client.Schema().ClassDeleter().WithClassName(name).Do(ctx); err != nil {
			return fmt.Errorf("weaviate: delete collection %s: %w", name, err)
		}
	}
	return nil
}

// MissingError says a collection a reader named is not on the cluster.
type MissingError struct {
	Collection, URL string
	// Existing lists the cluster's paper collections (their meta
	// collections left out), sorted.
	Existing []string
}

func (e *MissingError) Error() string {
	msg := fmt.Sprintf("weaviate collection %s does not exist at %s", e.Collection, e.URL)
	if len(e.Existing) > 0 {
		msg += " (it has " + strings.Join(e.Existing, ", ") + ")"
	}
	return msg
}

// mustExist fails with a MissingError when the papers' collection is
// absent.
func (e *Engine) mustExist(ctx context.Context) error {
	var ok bool
	err := retry(ctx, "check collection "+e.o.Collection, func(ctx context.Context) error {
		var err error
		ok, err = e.client.Schema().ClassExistenceChecker().WithClassName(e.o.Collection).Do(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("weaviate: check collection %s: %w", e.o.Collection, redact(err, e.o.APIKey))
	}
	if ok {
		return nil
	}
	missing := &MissingError{Collection: e.o.Collection, URL: e.o.URL}
	schema, err := e.client.Schema().Getter().Do(ctx)
	if err != nil || schema == nil {
		return missing // the listing is a courtesy; the error stands
	}
	names := map[string]bool{}
	for _, c := range schema.Classes {
		names[c.Class] = true
	}
	for n := range names {
		// A paper collection is one with its meta collection beside it.
		if !strings.HasSuffix(n, "Meta") && names[n+"Meta"] {
			missing.Existing = append(missing.Existing, n)
		}
	}
	slices.Sort(missing.Existing)
	return missing
}
