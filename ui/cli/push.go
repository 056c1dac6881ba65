package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"iter"
	"path/filepath"
	"strings"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embed/local"
	"github.com/quire-research/quire/ui/progress"
)

// paperLister visits every paper an engine holds, in an order that stays
// the same while the engine is unchanged: a push resumes by position.
type paperLister interface {
	EachPaper(ctx context.Context, fn func(*corpus.Paper) error) error
}

type pushFlags struct {
	to    string
	force bool
	batch int
}

func init() {
	var f pushFlags
	register(&command{
		name: "push",
		args: "--to weaviate [--collection NAME] [flags]",
		summary: "Copy the embedded index (--index) into a Weaviate cluster ([engine] url, collection):\n" +
			"the local embedder's model (stored for every client), every paper with its vector made\n" +
			"by that model, then the sources' checkpoints. With another embedder configured the\n" +
			"cluster embeds the papers itself. Ctrl-C stops cleanly; running it again resumes.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.to, "to", "", "the engine to copy into: weaviate")
			fs.BoolVar(&f.force, "force", false, "copy every paper again, even when a finished push says the cluster has them")
			fs.IntVar(&f.batch, "batch", 0, "papers per batch (default from config)")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runPush(e, &f, args) },
	})
}

func runPush(e *env, f *pushFlags, args []string) error {
	if len(args) > 0 {
		return usagef("push takes no arguments (got %q); the index is --index, the cluster [engine]", args[0])
	}
	switch {
	case f.to == config.VectorsS3Vectors:
		return pushS3Vectors(e, f) // engine_s3vectors.go
	case f.to == "":
		return usagef("push needs --to weaviate")
	case f.to == config.EngineBedrockKB:
		return readOnlyKB()
	case f.to == config.EngineEmbedded:
		return usagef("--to embedded: push copies the embedded index to a cluster; use --to weaviate")
	case f.to != config.EngineWeaviate:
		return usagef("--to %s", config.CheckEngineKind(f.to))
	}
	if !isFile(filepath.Join(e.cfg.Index, "index_meta.json")) {
		return fmt.Errorf("no index at %s to push (--index DIR names it)", e.cfg.Index)
	}
	x, err := openIndexAt(e, e.cfg.Index, true)
	if err != nil {
		return err
	}
	defer x.Close()
	to := *e
	to.cfg.Engine.Kind = config.EngineWeaviate
	dst, err := openEngineAt(&to, to.home(), false)
	if err != nil {
		return err
	}
	defer dst.Close()
	papers, err := push(&to, embeddedIndex{x}, pushName(e.cfg.Index), dst, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "push finished in %s: %s papers in %s\n", progress.HumanDuration(e.since()),
		progress.HumanCount(int64(papers)), to.describe(to.home()))
	return nil
}

// pushName is the push's source in the target's checkpoints.
func pushName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return "push:" + dir
}

// push copies src's papers into dst as an ingest of src would (batches
// carrying a checkpoint named name, so a stopped push resumes), then the
// checkpoints src holds, then brings dst's vectors up to date. It returns
// how many papers dst holds.
func push(e *env, src search.Engine, name string, dst search.Engine, f *pushFlags) (uint64, error) {
	l, ok := src.(paperLister)
	if !ok {
		return 0, errors.New("push: this index cannot list its papers (search/embedded exports no paper iterator yet)")
	}
	n, err := paperCount(e.ctx, src)
	if err != nil {
		return 0, err
	}
	if err := handModel(e, src, dst); err != nil {
		return 0, err
	}
	ps := &pushSource{name: name, papers: int64(n), list: l}
	if _, err := ingestOne(e, dst, ps, &ingestFlags{maxShown: 5, force: f.force, batch: f.batch}, nil); err != nil {
		return 0, err
	}
	st, err := src.Stats(e.ctx)
	if err != nil {
		return 0, err
	}
	// The sources the index was built from: ingesting one of them into
	// the cluster later finds it done (or resumes it) as here.
	var cks []search.Checkpoint
	for _, c := range st.Checkpoints {
		if !strings.HasPrefix(c.Source, "push:") {
			cks = append(cks, c)
		}
	}
	if len(cks) > 0 {
		if err := dst.Apply(e.ctx, &search.Batch{Checkpoints: cks}); err != nil {
			return 0, fmt.Errorf("push: copy the checkpoints: %w", err)
		}
	}
	if err := syncVectors(e, dst); err != nil {
		return 0, err
	}
	return paperCount(e.ctx, dst)
}

// handModel gives dst the local model src's vectors were made with, when
// dst has none: the papers then go over embedded as they are in src, once,
// and the vector sync after them has nothing left to do.
func handModel(e *env, src, dst search.Engine) error {
	s, ok := src.(interface{ LocalModel() *local.Model })
	if !ok {
		return nil
	}
	d, ok := dst.(interface {
		UseModel(context.Context, *local.Model) (bool, error)
	})
	m := s.LocalModel()
	if !ok || m == nil {
		return nil
	}
	used, err := d.UseModel(e.ctx, m)
	if err != nil {
		return fmt.Errorf("push: copy the local model: %w", err)
	}
	if used {
		fmt.Fprintf(e.stderr, "push: copied the local model %s\n", m.Name())
	}
	return nil
}

// pushSource reads an engine's papers as a corpus source, one "line" per
// paper in the engine's order.
type pushSource struct {
	name   string
	papers int64
	list   paperLister
}

func (s *pushSource) Name() string { return s.name }

// Size counts papers, not bytes: progress and the fingerprint (which
// changes when the index does, restarting the push) both use it.
func (s *pushSource) Size(context.Context) int64 { return s.papers }

// errEnough ends a listing the consumer stopped reading.
var errEnough = errors.New("enough")

func (s *pushSource) Papers(ctx context.Context, from corpus.Cursor) iter.Seq2[corpus.Record, error] {
	return func(yield func(corpus.Record, error) bool) {
		var line int64
		err := s.list.EachPaper(ctx, func(p *corpus.Paper) error {
			line++
			if line <= from.Line {
				return nil
			}
			rec := corpus.Record{Paper: *p, Pos: corpus.Position{File: s.name, Line: line}, Cursor: corpus.Cursor{Line: line}, Bytes: line}
			if !yield(rec, nil) {
				return errEnough
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			yield(corpus.Record{}, err)
		}
	}
}
