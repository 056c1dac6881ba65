package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/config/awsconfig"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/s3vectors"
	"github.com/quire-research/quire/search/vector"
	"github.com/quire-research/quire/ui/progress"
)

// The embedded engine's vectors in Amazon S3 Vectors ([vectors] kind =
// "s3vectors"): the BM25 half and the local model stay in the index
// folder, the vectors go to the configured index (docs/s3vectors.md).

// localDim is the dimension of the local embedder (local.Train's
// default), known before any model is trained: 'quire init' creates the
// index before the first ingest.
const localDim = 256

// s3vectorsOn reports whether the embedded engine keeps its vectors in S3
// Vectors.
func (e *env) s3vectorsOn() bool {
	return e.cfg.Engine.Kind == config.EngineEmbedded && e.cfg.Vectors.KindOrDefault() == config.VectorsS3Vectors
}

// openS3Store opens (or, with create, creates) the configured S3 Vectors
// index; dim, when known, is checked against the index's.
func openS3Store(e *env, create bool, dim int) (*s3vectors.Store, error) {
	v := e.cfg.Vectors
	aws, err := awsconfig.Load(e.ctx, awsconfig.Options{Region: v.Region, BaseEndpoint: v.Endpoint})
	if err != nil {
		return nil, err
	}
	cfg := s3vectors.Config{Bucket: v.Bucket, Index: v.Index, Region: v.Region, Endpoint: v.Endpoint,
		Distance: v.DistanceOrDefault(), Dimension: dim}
	if create {
		return s3vectors.Create(e.ctx, cfg, aws)
	}
	return s3vectors.Open(e.ctx, cfg, aws)
}

// withRemote sets o's remote vector half when [vectors] says S3 Vectors.
// Eval creates the index it is given (one per collection, see
// evalVectorIndex).
func withRemote(e *env, o *embedded.Options) error {
	if !e.s3vectorsOn() {
		return nil
	}
	dim := localDim
	if o.Embedder != nil {
		dim = o.Embedder.Dim()
	}
	st, err := openS3Store(e, e.command == "eval", dim)
	if err != nil {
		return err
	}
	o.Remote = embedded.S3Remote(st, e.cfg.Vectors.Bucket, e.cfg.Vectors.Index, func(w string) { fmt.Fprintln(e.stderr, "quire: "+w) })
	o.RemoteGetBelow = e.cfg.Vectors.GetBelow
	return nil
}

var notIndexChar = regexp.MustCompile(`[^a-z0-9-]+`)

// evalVectorIndex is the S3 Vectors index eval uses for a collection: the
// configured name plus the collection's, so collections never share one
// (a vector of another corpus would crowd the top 100).
func evalVectorIndex(base, dir string) string {
	name := strings.Trim(notIndexChar.ReplaceAllString(strings.ToLower(filepath.Base(filepath.Clean(dir))), "-"), "-")
	return strings.Trim(fmt.Sprintf("%.63s", base+"-"+name), "-.")
}

type initFlags struct{ vectors string }

func init() {
	var f initFlags
	register(&command{
		name: "init",
		args: "--vectors s3vectors",
		summary: "Create what the configuration names before the first ingest: with --vectors s3vectors,\n" +
			"the vector bucket and index of [vectors] (bucket, index, region, distance), sized for the\n" +
			"configured embedder. Running it again on an existing index only checks it.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.vectors, "vectors", "", "the vector store to create: s3vectors")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runInit(e, &f, args) },
	})
}

func runInit(e *env, f *initFlags, args []string) error {
	if len(args) > 0 {
		return usagef("init takes no arguments (got %q)", args[0])
	}
	switch f.vectors {
	case config.VectorsS3Vectors:
	case "", config.VectorsEmbedded:
		return usagef("init --vectors s3vectors: the embedded index needs no setup (the first 'quire ingest' creates it)")
	default:
		return usagef("--vectors %q: use s3vectors", f.vectors)
	}
	if e.cfg.Engine.Kind != config.EngineEmbedded {
		return usagef("--vectors s3vectors is the vector half of the embedded engine, not of %s", e.cfg.Engine.Kind)
	}
	e.cfg.Vectors.Kind = config.VectorsS3Vectors
	if err := e.cfg.Validate(); err != nil {
		return err
	}
	emb, _, err := embedder(e)
	if err != nil {
		return err
	}
	dim := localDim
	if emb != nil {
		dim = emb.Dim()
	}
	st, err := openS3Store(e, true, dim)
	if err != nil {
		return err
	}
	defer st.Close()
	v := e.cfg.Vectors
	fmt.Fprintf(e.stdout, "s3vectors index %s/%s ready: %d dimensions, %s distance\n", v.Bucket, v.Index, st.Dimension(), st.Distance())
	return nil
}

// pushS3Vectors copies the embedded index's own vectors (not embedded
// again) into the configured S3 Vectors index, and records each batch in
// the index's ledger: a stopped push resumes, and the index opened with
// [vectors] kind = "s3vectors" afterwards pushes nothing again.
func pushS3Vectors(e *env, f *pushFlags) error {
	if !isFile(filepath.Join(e.cfg.Index, "index_meta.json")) {
		return fmt.Errorf("no index at %s to push (--index DIR names it)", e.cfg.Index)
	}
	src := *e
	src.cfg.Vectors.Kind = config.VectorsEmbedded // read the index's own vectors
	x, err := openIndexAt(&src, e.cfg.Index, true)
	if err != nil {
		return err
	}
	defer x.Close()
	if !x.HasVectors() {
		return fmt.Errorf("push --to s3vectors: %w", embedded.ErrNoLocalVectors)
	}
	var dim int
	if err := x.EachVector(e.ctx, func(_ *corpus.Paper, vecs []vector.Item) error {
		for _, v := range vecs {
			if dim = len(v.Vec); dim > 0 {
				return errStopEach
			}
		}
		return nil
	}); err != nil && err != errStopEach {
		return err
	}
	st, err := openS3Store(e, true, dim)
	if err != nil {
		return err
	}
	defer st.Close()
	remote := embedded.S3Remote(st, e.cfg.Vectors.Bucket, e.cfg.Vectors.Index, func(w string) { fmt.Fprintln(e.stderr, "quire: "+w) })
	rec, err := embedded.OpenRemoteRecord(e.cfg.Index, remote.Name(), x.Embedder(), x.HasPassageVectors())
	if err != nil {
		return err
	}
	n, err := x.Count()
	if err != nil {
		return err
	}
	batch := f.batch
	if batch <= 0 || batch > s3vectors.MaxPutBatch {
		batch = s3vectors.MaxPutBatch
	}
	bar := progress.New(e.stderr, "push "+remote.Name(), int64(n), "papers")
	var papers []corpus.Paper
	var vecs []vector.Item
	var done, pushed, pushedVecs, skipped int64
	flush := func() error {
		if len(papers) == 0 {
			return nil
		}
		if err := rec.Push(e.ctx, remote, papers, vecs); err != nil {
			return err
		}
		pushed += int64(len(papers))
		pushedVecs += int64(len(vecs))
		papers, vecs = papers[:0], vecs[:0]
		bar.Update(done, done)
		return nil
	}
	err = x.EachVector(e.ctx, func(p *corpus.Paper, pv []vector.Item) error {
		done++
		if !f.force && rec.Has(p.ID) {
			skipped++
			if done%1000 == 0 {
				bar.Update(done, done)
			}
			return nil
		}
		papers, vecs = append(papers, *p), append(vecs, pv...)
		if len(papers) >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		if e.ctx.Err() != nil {
			bar.Abort()
			return fmt.Errorf("push stopped after %s papers; run it again to resume: %w", progress.HumanCount(pushed), context.Cause(e.ctx))
		}
		bar.Fail(err)
		return err
	}
	bar.Finish()
	fmt.Fprintf(e.stdout, "push finished in %s: %s papers' vectors copied to %s (%s passages'; %s papers there already)\n", progress.HumanDuration(e.since()),
		progress.HumanCount(pushed), remote.Name(), progress.HumanCount(pushedVecs-pushed), progress.HumanCount(skipped))
	return nil
}

// errStopEach ends an EachVector early.
var errStopEach = fmt.Errorf("stop")
