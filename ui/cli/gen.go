package cli

import (
	"bufio"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/ui/progress"
)

type genFlags struct {
	papers   int
	seed     int64
	out      string
	fullText bool
}

func init() {
	var f genFlags
	register(&command{
		name: "gen",
		args: "[flags]",
		summary: "Write a SYNTHETIC corpus as JSONL for scale tests and benchmarks. The papers are\n" +
			"generated from topic vocabularies with realistic distributions of authors, years,\n" +
			"venues and fields; they are not real papers and say nothing true. The output is\n" +
			"deterministic for a given --seed. Ingest it with 'quire ingest FILE'.",
		flags: func(fs *flag.FlagSet) any {
			fs.IntVar(&f.papers, "papers", 10_000, "number of papers")
			fs.Int64Var(&f.seed, "seed", 1, "random seed")
			fs.StringVar(&f.out, "o", "-", "output file ('-' for stdout; a .gz name is gzipped)")
			fs.BoolVar(&f.fullText, "full-text", false, "give every paper a body: numbered sections of paragraphs, about 5,800 words (37 passages)")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error {
			if f.papers <= 0 {
				return usagef("--papers must be positive")
			}
			o := synth.Options{Papers: f.papers, Seed: f.seed, FullText: f.fullText}
			if f.out == "-" {
				return writeSynthetic(e, e.stdout, o)
			}
			return genFile(e, f.out, o)
		},
	})
}

// genFile writes atomically: a cancelled or failed run leaves no half file
// that a later run would mistake for a finished corpus.
func genFile(e *env, path string, o synth.Options) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	if err := writeSynthetic(e, w, o); err != nil {
		tmp.Close()
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func writeSynthetic(e *env, w io.Writer, o synth.Options) error {
	bar := e.newBar("generate synthetic papers", int64(o.Papers), "papers")
	err := synth.WriteJSONL(ctxWriter{e.ctx, w}, o, func(done int) {
		bar.Update(int64(done), int64(done))
	})
	if err != nil {
		bar.Fail(err)
		return err
	}
	bar.Finish()
	return nil
}

// ctxWriter fails writes once ctx is cancelled, which is how Ctrl-C stops
// a generator that knows nothing of contexts.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// ensureSynthetic generates the corpus at path unless it is already there.
func ensureSynthetic(e *env, path string, o synth.Options) error {
	if isFile(path) {
		return nil
	}
	fmt.Fprintf(e.stderr, "generating %s synthetic papers into %s (once; cached)\n", progress.HumanCount(int64(o.Papers)), path)
	return genFile(e, path, o)
}
