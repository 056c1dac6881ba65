package weaviate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed/local"
	"github.com/quire-research/quire/search/hybrid"
)

// trainLimit is how many papers teach the local model at most (the
// embedded engine's limit).
const trainLimit = 100_000

// modelChunk is the size of one stored piece of the model: well under
// gRPC's message limit once base64-encoded.
const modelChunk = 2 << 20

// pageSize is how many papers one cursor page or embedding round reads.
const pageSize = 256

// SyncVectors makes every paper's vector match the embedder: with
// LocalEmbedder and no model stored yet it trains one from the cluster's
// papers and stores it in the meta collection; then it embeds the papers
// whose vector another embedder (or none) made, and writes them back with
// their passages. A collection from before passages existed gets its
// passages here too, embedder or not. Safe to stop and run again;
// progress phases are the embedded engine's ("train", "train:…",
// "embed").
func (e *Engine) SyncVectors(ctx context.Context, progress func(phase string, done, total int)) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	n, err := e.count(ctx, nil)
	if err != nil || n == 0 {
		return err
	}
	if e.embedder() == nil && e.o.LocalEmbedder {
		m, err := e.train(ctx, int(n), progress)
		if errors.Is(err, local.ErrTooFew) {
			m, err = nil, nil // BM25 only until more papers arrive
		}
		if err != nil {
			return err
		}
		if m != nil {
			e.mu.Lock()
			e.emb = m
			e.mu.Unlock()
		}
	}
	emb := e.embedder()
	backfill := e.needsBackfill()
	if emb == nil && !backfill {
		return nil
	}
	name, total := "", int(n)
	if emb != nil {
		name = emb.Name()
		have, err := e.count(ctx, withEmbedder(name))
		if err != nil {
			return err
		}
		if !backfill {
			total = int(n - have)
		}
	}
	done := 0
	progress("embed", 0, total)
	if total == 0 {
		// Every paper has this embedder's vector (a push that handed over
		// its model, a re-run): the walk would read them all for nothing.
		return e.afterSync(ctx, n, progress)
	}
	// Walk every paper by cursor and re-embed those another embedder (or
	// none) made: a filtered listing ("embedder is not this one") is no
	// cursor, and Weaviate's negated filter kept returning papers already
	// rewritten, so the walk is the one reliable way through.
	err = e.eachPage(ctx, append(paperProps, pOrigin, pEmbedder, pBodyBytes), false, func(rs []graphql.SearchResult) error {
		var ps []corpus.Paper
		var origins []*search.Origin
		for _, r := range rs {
			stale := emb != nil && str(r.Properties[pEmbedder]) != name
			if !stale && !(backfill && num(r.Properties[pBodyBytes]) > 0) {
				continue
			}
			p := paperOf(r.Properties)
			ps = append(ps, *p)
			var o *search.Origin
			if js := str(r.Properties[pOrigin]); js != "" {
				o = new(search.Origin)
				if err := json.Unmarshal([]byte(js), o); err != nil {
					return fmt.Errorf("weaviate: paper %s: stored origin: %w", p.ID, err)
				}
			}
			origins = append(origins, o)
		}
		if len(ps) > 0 {
			if err := e.embedAndWrite(ctx, ps, origins); err != nil {
				return err
			}
		}
		if backfill {
			done += len(rs) // every paper is looked at
		} else {
			done += len(ps)
		}
		progress("embed", min(done, total), total)
		return nil
	})
	if err != nil {
		return err
	}
	if backfill {
		if err := e.markPassages(ctx); err != nil {
			return err
		}
	}
	if emb == nil {
		return nil
	}
	return e.afterSync(ctx, n, progress)
}

// afterSync probes the vectors against BM25 when hybrid is adaptive.
func (e *Engine) afterSync(ctx context.Context, n uint64, progress func(string, int, int)) error {
	if !e.o.Adaptive {
		return nil
	}
	return e.calibrate(ctx, n, progress)
}

// embedAndWrite writes papers back with their vectors and passages.
func (e *Engine) embedAndWrite(ctx context.Context, ps []corpus.Paper, origins []*search.Origin) error {
	p, err := e.build(ctx, ps, origins)
	if err != nil {
		return err
	}
	return p.Commit(ctx, nil)
}

// train learns the local model from an even sample of the cluster's
// papers (the embedded engine's rule: a paper is taken when the FNV-1a
// hash of its id is a multiple of the stride, so every client samples the
// same papers whatever order the cluster lists them in) and stores it.
func (e *Engine) train(ctx context.Context, n int, progress func(string, int, int)) (*local.Model, error) {
	total := min(n, trainLimit)
	progress("train", 0, total)
	stride := uint64(max(1, (n+trainLimit-1)/trainLimit))
	var texts []string
	err := e.eachPage(ctx, []string{pID, pTitle, pAbstract}, false, func(rs []graphql.SearchResult) error {
		for _, r := range rs {
			p := paperOf(r.Properties)
			if idHash(p.ID)%stride == 0 {
				texts = append(texts, hybrid.EmbedText(p))
				if len(texts)%1000 == 0 {
					progress("train", len(texts), total)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	progress("train", len(texts), total)
	step := ""
	m, err := local.Train(ctx, func(yield func(string) bool) {
		for _, t := range texts {
			if !yield(t) {
				return
			}
		}
	}, local.TrainOptions{MaxDocs: trainLimit, Stage: func(s string) {
		step = s
		progress("train:"+s, 0, 0)
	}, Progress: func(docs int) {
		if step == "tokenise" {
			progress("train:tokenise", docs, len(texts))
		}
	}})
	if err != nil {
		return nil, err
	}
	if err := e.saveModel(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// eachPage visits every paper by cursor (object UUID order), a page at a
// time, with the named properties.
func (e *Engine) eachPage(ctx context.Context, props []string, vectors bool, fn func([]graphql.SearchResult) error) error {
	after := ""
	for {
		var rs []graphql.SearchResult
		err := retry(ctx, "list papers", func(ctx context.Context) error {
			s := e.client.Experimental().Search().WithCollection(e.o.Collection).WithLimit(pageSize).
				WithConsistencyLevel(e.o.Consistency).WithProperties(props...).
				WithMetadata(&graphql.Metadata{ID: true, Vector: vectors})
			if after != "" {
				s = s.WithAfter(after)
			}
			var err error
			rs, err = s.Do(ctx)
			return redact(err, e.o.APIKey)
		})
		if err != nil {
			return err
		}
		if err := fn(rs); err != nil {
			return err
		}
		if len(rs) < pageSize {
			return nil
		}
		after = rs[len(rs)-1].ID
	}
}

// manifest names the stored model: its chunks are written first, the
// manifest last, so a reader never sees a model half stored.
type manifest struct {
	Name   string `json:"name"`
	Chunks int    `json:"chunks"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

const manifestKey = "current"

// saveModel stores m in chunks with a checksum.
func (e *Engine) saveModel(ctx context.Context, m *local.Model) error {
	dir, err := os.MkdirTemp("", "quire-model-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model")
	if err := m.Save(path); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	man := manifest{Name: m.Name(), Size: len(data), SHA256: hex.EncodeToString(sum[:])}
	var objs []*metaObject
	for off := 0; off < len(data); off += modelChunk {
		chunk := data[off:min(len(data), off+modelChunk)]
		objs = append(objs, &metaObject{kind: kindModel, key: m.Name() + "/" + strconv.Itoa(man.Chunks), blob: chunk})
		man.Chunks++
	}
	for _, o := range objs {
		// One chunk per batch keeps each gRPC message small.
		if err := e.writeMeta(ctx, []*metaObject{o}); err != nil {
			return fmt.Errorf("weaviate: store the model: %w", err)
		}
	}
	js, err := json.Marshal(man)
	if err != nil {
		return err
	}
	return e.writeMeta(ctx, []*metaObject{{kind: kindModel, key: manifestKey, value: string(js)}})
}

// loadModel reads the stored model; nil when none is stored yet.
func (e *Engine) loadModel(ctx context.Context) (*local.Model, error) {
	rs, err := e.findIn(ctx, e.meta, metaWhere(kindModel, manifestKey), 1, nil, mValue)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	var man manifest
	if err := json.Unmarshal([]byte(str(rs[0].Properties[mValue])), &man); err != nil {
		return nil, fmt.Errorf("weaviate: model manifest in %s: %w", e.meta, err)
	}
	var buf bytes.Buffer
	for i := range man.Chunks {
		key := man.Name + "/" + strconv.Itoa(i)
		rs, err := e.findIn(ctx, e.meta, metaWhere(kindModel, key), 1, nil, mBlob)
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			return nil, fmt.Errorf("weaviate: model %s: chunk %d of %d missing in %s", man.Name, i, man.Chunks, e.meta)
		}
		chunk, err := base64.StdEncoding.DecodeString(str(rs[0].Properties[mBlob]))
		if err != nil {
			return nil, fmt.Errorf("weaviate: model %s chunk %d: %w", man.Name, i, err)
		}
		buf.Write(chunk)
	}
	sum := sha256.Sum256(buf.Bytes())
	if got := hex.EncodeToString(sum[:]); buf.Len() != man.Size || got != man.SHA256 {
		return nil, fmt.Errorf("weaviate: model %s in %s is damaged (%d bytes, sha256 %s; want %d, %s): run 'quire ingest' to train it again",
			man.Name, e.meta, buf.Len(), got[:12], man.Size, man.SHA256[:min(12, len(man.SHA256))])
	}
	dir, err := os.MkdirTemp("", "quire-model-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	return local.Load(path)
}

// UseModel makes m the collection's local embedder when it has none yet,
// storing it for every client, and reports whether it did: a push hands
// over the source index's model so the papers it writes are embedded as
// they were there, once, instead of written bare and embedded again by a
// model learned anew. A collection with a model keeps it.
func (e *Engine) UseModel(ctx context.Context, m *local.Model) (bool, error) {
	if !e.o.LocalEmbedder || e.embedder() != nil {
		return false, nil
	}
	if err := e.saveModel(ctx, m); err != nil {
		return false, err
	}
	e.mu.Lock()
	e.emb = m
	e.mu.Unlock()
	return true, nil
}
