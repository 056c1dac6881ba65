package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/fusion"
)

// Commands work on a search.Engine. What only some engines can do is
// found by type assertion on these small interfaces, so a new engine
// plugs in by implementing what it can, and a command that needs what it
// lacks says so (see notSupported).
type (
	// vectorSyncer brings the vector half up to date after writes.
	vectorSyncer interface {
		SyncVectors(ctx context.Context, progress func(phase string, done, total int)) error
	}
	// retrainer learns the local embedder again and re-embeds every paper.
	retrainer interface {
		RetrainVectors(ctx context.Context, progress func(phase string, done, total int)) error
	}
	// counter counts papers without building full statistics.
	counter interface{ Count() (uint64, error) }
	// moder says which mode a request without one runs in.
	moder interface{ Mode() string }
	// vectorHaver says whether vector and hybrid searches can run.
	vectorHaver interface{ HasVectors() bool }
	// diskUser measures the engine's files on this machine.
	diskUser interface{ DiskBytes() int64 }
	// faulter reports the write error that stopped the engine taking
	// writes.
	faulter interface{ Fault() error }
	// durableReporter says what reached the disk after a write error.
	durableReporter interface{ Durable() *embedded.Durable }
	// dropper deletes everything the engine holds (throwaway bench
	// collections).
	dropper interface {
		Drop(ctx context.Context) error
	}
)

// embeddedIndex is the embedded engine as commands see it: the index, with
// its vector calls taking plain progress funcs like every engine's.
type embeddedIndex struct{ *embedded.Index }

func (x embeddedIndex) SyncVectors(ctx context.Context, progress func(phase string, done, total int)) error {
	return x.Index.SyncVectors(ctx, progress)
}

func (x embeddedIndex) RetrainVectors(ctx context.Context, progress func(phase string, done, total int)) error {
	return x.Index.RetrainVectors(ctx, progress)
}

// place is where an engine keeps its papers: an index directory for the
// embedded engine, a collection on the configured cluster for weaviate.
type place struct {
	dir        string
	collection string
}

// home is where the configuration puts the papers.
func (e *env) home() place { return place{dir: e.cfg.Index, collection: e.cfg.Engine.Collection} }

// weaviate reports whether the configured engine is a Weaviate cluster.
func (e *env) weaviate() bool { return e.cfg.Engine.Kind == config.EngineWeaviate }

// describe names a place for people: the directory, or the collection and
// its cluster.
func (e *env) describe(p place) string {
	if e.bedrockKB() {
		return "bedrock knowledge base " + e.cfg.Engine.KnowledgeBaseID
	}
	if e.weaviate() {
		return fmt.Sprintf("weaviate collection %s at %s", p.collection, e.cfg.Engine.URL)
	}
	return p.dir
}

// notSupported is the usage error of a command or flag the configured
// engine cannot run.
func notSupported(e *env, what string) error {
	return usagef("%s is not supported by the %s engine (it works on the embedded index: --engine embedded)", what, e.cfg.Engine.Kind)
}

// embedder builds the configured embedder; local reports the
// corpus-taught one, which the engine trains and keeps itself.
func embedder(e *env) (emb embed.Embedder, local bool, err error) {
	emb, err = embed.New(e.cfg.EmbedSettings(), e.getenv) // with the cache dir resolved
	switch {
	case errors.Is(err, embed.ErrLocal):
		return nil, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("embed: %w", err)
	}
	return emb, false, nil // nil for provider "none"
}

// indexOptions builds the embedded engine's options from the config: the
// embedder for the vector half, the default mode and the fusion.
func indexOptions(e *env, readOnly bool) (embedded.Options, error) {
	s := e.cfg.Search
	o := embedded.Options{
		TitleBoost:       s.TitleBoost,
		K1:               s.BM25K1,
		B:                s.BM25B,
		ReadOnly:         readOnly,
		Mode:             s.Mode,
		Fusion:           fusion.Options{Method: s.Fusion, Weight: s.VectorWeight, K: s.RRFK},
		Candidates:       s.Candidates,
		VectorCandidates: s.VectorCandidates,
		FilterScanBelow:  s.FilterScanBelow,
		Adaptive:         s.Adaptive,
		LockWait:         time.Duration(e.cfg.LockWaitSeconds * float64(time.Second)),
		Command:          "quire " + e.command,
		OnLockWait:       func(msg string) { fmt.Fprintln(e.stderr, "quire: "+msg) },
	}
	var err error
	o.NoPassageVectors = !e.cfg.Embed.Passages
	o.Embedder, o.LocalEmbedder, err = embedder(e)
	if err == nil {
		err = withRemote(e, &o) // [vectors] kind = "s3vectors" (engine_s3vectors.go)
	}
	return o, err
}

// openEngine opens the configured engine where the configuration puts it.
func openEngine(e *env, readOnly bool) (search.Engine, error) {
	return openEngineAt(e, e.home(), readOnly)
}

// openEngineAt opens the configured engine at p. Read-only matters to the
// embedded engine (a reader shares the index with one writer); a cluster
// takes readers and writers alike.
func openEngineAt(e *env, p place, readOnly bool) (search.Engine, error) {
	if e.bedrockKB() {
		return openBedrockKB(e, readOnly)
	}
	if e.weaviate() {
		if e.openCluster != nil {
			return e.openCluster(e, p.collection)
		}
		return openWeaviate(e, p.collection, readOnly)
	}
	x, err := openIndexAt(e, p.dir, readOnly)
	if err != nil {
		return nil, err
	}
	return embeddedIndex{x}, nil
}

func openIndexAt(e *env, dir string, readOnly bool) (*embedded.Index, error) {
	o, err := indexOptions(e, readOnly)
	if err != nil {
		return nil, err
	}
	return embedded.OpenContext(e.ctx, dir, o)
}

// paperCount counts the engine's papers.
func paperCount(ctx context.Context, eng search.Engine) (uint64, error) {
	if c, ok := eng.(counter); ok {
		return c.Count()
	}
	st, err := eng.Stats(ctx)
	if err != nil {
		return 0, err
	}
	return st.Papers, nil
}

// hasVectors reports whether vector and hybrid searches can run.
func hasVectors(ctx context.Context, eng search.Engine) bool {
	if v, ok := eng.(vectorHaver); ok {
		return v.HasVectors()
	}
	st, err := eng.Stats(ctx)
	return err == nil && st.Vectors > 0
}

// searchMode is the mode a request without one runs in: the configured
// mode, or BM25 while there are no vectors.
func searchMode(ctx context.Context, eng search.Engine, configured string) string {
	if m, ok := eng.(moder); ok {
		return m.Mode()
	}
	if configured != config.ModeBM25 && !hasVectors(ctx, eng) {
		return config.ModeBM25
	}
	return configured
}

// syncVectors brings the vector half up to date after ingestion, with a
// progress bar per phase. An engine without a vector half to sync has
// nothing to do.
func syncVectors(e *env, eng search.Engine) error {
	s, ok := eng.(vectorSyncer)
	if !ok {
		return nil
	}
	return showSync(e, s.SyncVectors)
}

// retrainVectors learns the local embedder again and re-embeds every paper.
func retrainVectors(e *env, eng search.Engine) error {
	r, ok := eng.(retrainer)
	if !ok {
		return notSupported(e, "--retrain")
	}
	model := func() string {
		if st, err := eng.Stats(e.ctx); err == nil {
			return st.Embedder
		}
		return ""
	}
	before := model()
	err := showSync(e, r.RetrainVectors)
	if errors.Is(err, embedded.ErrNotLocal) {
		return fmt.Errorf("--retrain: %w ([embed] provider is %q)", err, e.cfg.Embed.Provider)
	}
	if err != nil {
		return err
	}
	if after := model(); after == before {
		fmt.Fprintf(e.stderr, "embedder unchanged (%s): the papers teach the same model, stored vectors kept\n", after)
	} else {
		fmt.Fprintf(e.stderr, "embedder %s -> %s\n", before, after)
	}
	return nil
}

func showSync(e *env, run func(context.Context, func(phase string, done, total int)) error) error {
	p := &phases{e: e, hint: "run 'quire ingest' again to resume"}
	err := run(e.ctx, p.report)
	p.finish(err)
	return err
}
