package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quire-research/quire/search/embed"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/fusion"
)

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
	emb, err := embed.New(e.cfg.EmbedSettings(), e.getenv) // with the cache dir resolved
	switch {
	case errors.Is(err, embed.ErrLocal):
		o.LocalEmbedder = true
	case err != nil:
		return o, fmt.Errorf("embed: %w", err)
	default:
		o.Embedder = emb // nil for provider "none"
	}
	return o, nil
}

func openIndex(e *env, readOnly bool) (*embedded.Index, error) {
	return openIndexAt(e, e.cfg.Index, readOnly)
}

func openIndexAt(e *env, dir string, readOnly bool) (*embedded.Index, error) {
	o, err := indexOptions(e, readOnly)
	if err != nil {
		return nil, err
	}
	return embedded.OpenContext(e.ctx, dir, o)
}

// syncVectors brings the vector half up to date after ingestion, with a
// progress bar per phase.
func syncVectors(e *env, x *embedded.Index) error { return showSync(e, x.SyncVectors) }

// retrainVectors learns the local embedder again and re-embeds every paper.
func retrainVectors(e *env, x *embedded.Index) error {
	model := func() string {
		if st, err := x.Stats(e.ctx); err == nil {
			return st.Embedder
		}
		return ""
	}
	before := model()
	err := showSync(e, x.RetrainVectors)
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

func showSync(e *env, run func(context.Context, embedded.SyncProgress) error) error {
	p := &phases{e: e, hint: "run 'quire ingest' again to resume"}
	err := run(e.ctx, p.report)
	p.finish(err)
	return err
}
