package search

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/quire-research/quire/corpus"
)

// IngestOptions tune Ingest.
type IngestOptions struct {
	// BatchSize is the number of papers written per atomic batch.
	BatchSize int
	// Writers is how many batches are written at once (default 2).
	Writers int
	// Force re-reads a source from the start even if a checkpoint says it
	// was fully ingested.
	Force bool
	// Progress is called after every batch is written; calls never overlap.
	Progress func(IngestProgress)
	// OnError is called for every bad record (skipped) and OnWarning for
	// every record kept despite a problem; both from Ingest's goroutine.
	OnError   func(*corpus.RecordError)
	OnWarning func(corpus.Position, string)
}

// IngestProgress is a running tally.
type IngestProgress struct {
	Source   string
	Papers   int64 // written this run
	Errors   int64 // bad records skipped this run
	Warnings int64
	Bytes    int64 // input consumed
	Total    int64 // input size, -1 if unknown
	Elapsed  time.Duration
}

// IngestStats is the outcome of one Ingest call.
type IngestStats struct {
	IngestProgress
	Duplicates int64
	// ResumedFrom is where this run started; zero for a fresh start.
	ResumedFrom corpus.Cursor
	// AlreadyDone is true when a checkpoint showed the same input was fully
	// ingested before, so nothing was read.
	AlreadyDone bool
}

// ErrStopped wraps a cancelled ingest: what was written is kept and the
// next run resumes after it.
var ErrStopped = errors.New("ingest stopped")

// Fingerprint identifies a source's input so a checkpoint is only trusted
// for the same input.
func Fingerprint(ctx context.Context, src corpus.Source) string {
	return fmt.Sprintf("%s|%d", src.Name(), src.Size(ctx))
}

// Ingest streams a source into an engine in atomic batches, each carrying
// the source's checkpoint, so a run that is stopped or killed resumes where
// its last written batch ended and never duplicates a paper (writes are
// upserts by ID anyway).
func Ingest(ctx context.Context, eng Engine, src corpus.Source, o IngestOptions) (IngestStats, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	st := IngestStats{IngestProgress: IngestProgress{Source: src.Name(), Total: src.Size(ctx)}}
	fp := Fingerprint(ctx, src)
	prev, ok, err := eng.Checkpoint(ctx, src.Name())
	if err != nil {
		return st, err
	}
	from := corpus.Cursor{}
	if ok && prev.Fingerprint == fp && !o.Force {
		if prev.Done {
			st.AlreadyDone = true
			st.Papers = prev.Papers
			return st, nil
		}
		from = prev.Cursor
		st.ResumedFrom = from
	}
	start := time.Now()
	base := Checkpoint{Source: src.Name(), Fingerprint: fp, Cursor: from}
	if ok && prev.Fingerprint == fp && !o.Force {
		base.Papers, base.Errors = prev.Papers, prev.Errors
	}
	p := newPipeline(ctx, eng, o, &st, base, start)
	seen := newIDSet()
	var stopErr error
	batch := job{}
	for rec, err := range src.Papers(p.ctx, from) {
		if err != nil {
			var re *corpus.RecordError
			if !errors.As(err, &re) {
				stopErr = err
				break
			}
			batch.errors++
			batch.cursor = maxCursor(batch.cursor, re.Cursor)
			if o.OnError != nil {
				o.OnError(re)
			}
			continue
		}
		batch.cursor = maxCursor(batch.cursor, rec.Cursor)
		batch.bytes = rec.Bytes
		if first, dup := seen.add(rec.Paper.ID, rec.Pos); dup {
			batch.dups++
			batch.errors++
			if o.OnError != nil {
				o.OnError(&corpus.RecordError{Pos: rec.Pos, Cursor: rec.Cursor, Err: fmt.Errorf("id: duplicate %q (first at %s); skipped", rec.Paper.ID, first)})
			}
			continue
		}
		for _, msg := range rec.Warnings {
			batch.warnings++
			if o.OnWarning != nil {
				o.OnWarning(rec.Pos, msg)
			}
		}
		batch.papers = append(batch.papers, rec.Paper)
		if len(batch.papers) >= o.BatchSize {
			if !p.send(batch) {
				break
			}
			batch = job{cursor: batch.cursor, bytes: batch.bytes}
		}
	}
	if len(batch.papers) > 0 || batch.errors > 0 || batch.warnings > 0 {
		p.send(batch)
	}
	if err := p.wait(); err != nil {
		return st, err
	}
	if stopErr == nil && ctx.Err() != nil {
		stopErr = fmt.Errorf("%w: %w", ErrStopped, ctx.Err())
	}
	// The last checkpoint covers every batch written; Done only when the
	// whole source was read. It is written even after Ctrl-C, with a fresh
	// context, so the next run resumes exactly here.
	if err := p.finish(context.WithoutCancel(ctx), stopErr == nil); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(start)
	return st, stopErr
}

// job is one batch on its way to the engine.
type job struct {
	seq    int
	papers []corpus.Paper
	cursor corpus.Cursor // the source is consumed up to here once this batch is written
	bytes  int64
	errors int64
	// Counted here and added to the stats when the batch is written, so
	// the stats are only touched under the pipeline's lock.
	warnings, dups int64
}

// pipeline overlaps decoding with writing and runs several writers, since
// each engine batch is mostly single-threaded work (building a segment).
//
// With writers in parallel, batches can land out of order, so a batch never
// carries its own cursor: it carries the cursor of the longest prefix of
// batches already written. A crash then loses nothing the checkpoint claims;
// the rerun re-reads at most the batches in flight, and upserts make that
// harmless.
type pipeline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	eng    Engine
	o      IngestOptions
	jobs   chan job
	next   int
	wg     sync.WaitGroup

	mu      sync.Mutex
	st      *IngestStats
	start   time.Time
	safe    Checkpoint  // covers every batch with seq < safeSeq
	safeSeq int         // next batch the prefix waits for
	done    map[int]job // written batches past the prefix
	err     error
}

func newPipeline(ctx context.Context, eng Engine, o IngestOptions, st *IngestStats, base Checkpoint, start time.Time) *pipeline {
	workers := o.Writers
	if workers <= 0 {
		workers = 2
	}
	cctx, cancel := context.WithCancelCause(ctx)
	p := &pipeline{ctx: cctx, cancel: cancel, eng: eng, o: o, jobs: make(chan job, workers), st: st, start: start, safe: base, done: map[int]job{}}
	for range workers {
		p.wg.Add(1)
		go p.writer()
	}
	return p
}

func (p *pipeline) send(j job) bool {
	j.seq = p.next
	p.next++
	select {
	case p.jobs <- j:
		return true
	case <-p.ctx.Done():
		return false
	}
}

func (p *pipeline) writer() {
	defer p.wg.Done()
	for j := range p.jobs {
		p.mu.Lock()
		ck := p.safe
		failed := p.err != nil
		p.mu.Unlock()
		if failed {
			continue
		}
		ck.Updated = time.Now().UTC()
		// A write in progress finishes even after Ctrl-C: the batch is
		// already decoded and the checkpoint rule keeps it consistent.
		err := p.eng.Apply(context.WithoutCancel(p.ctx), &Batch{Upserts: j.papers, Checkpoints: []Checkpoint{ck}})
		p.mu.Lock()
		if err != nil {
			if p.err == nil {
				p.err = fmt.Errorf("write batch %d of %s: %w", j.seq, ck.Source, err)
				p.cancel(p.err)
			}
			p.mu.Unlock()
			continue
		}
		p.complete(j)
		p.mu.Unlock()
	}
}

// complete records a written batch and advances the safe prefix; p.mu held.
func (p *pipeline) complete(j job) {
	p.st.Papers += int64(len(j.papers))
	p.st.Errors += j.errors
	p.st.Warnings += j.warnings
	p.st.Duplicates += j.dups
	p.st.Bytes = max(p.st.Bytes, j.bytes)
	p.done[j.seq] = j
	for {
		d, ok := p.done[p.safeSeq]
		if !ok {
			break
		}
		delete(p.done, p.safeSeq)
		p.safeSeq++
		p.safe.Cursor = maxCursor(p.safe.Cursor, d.cursor)
		p.safe.Papers += int64(len(d.papers))
		p.safe.Errors += d.errors
	}
	p.st.Elapsed = time.Since(p.start)
	if p.o.Progress != nil {
		p.o.Progress(p.st.IngestProgress)
	}
}

func (p *pipeline) wait() error {
	close(p.jobs)
	p.wg.Wait()
	return p.err
}

func (p *pipeline) finish(ctx context.Context, done bool) error {
	ck := p.safe
	ck.Done = done
	ck.Updated = time.Now().UTC()
	return p.eng.Apply(ctx, &Batch{Checkpoints: []Checkpoint{ck}})
}

func maxCursor(a, b corpus.Cursor) corpus.Cursor {
	if b.After(a) {
		return b
	}
	return a
}

// idSet remembers the IDs seen in one run by 64-bit hash, to report
// duplicates in a dump in bounded memory (about 40 bytes per paper).
type idSet struct {
	seed maphash.Seed
	m    map[uint64]corpus.Position
}

func newIDSet() *idSet { return &idSet{seed: maphash.MakeSeed(), m: map[uint64]corpus.Position{}} }

func (s *idSet) add(id string, pos corpus.Position) (corpus.Position, bool) {
	h := maphash.String(s.seed, id)
	if first, ok := s.m[h]; ok {
		return first, true
	}
	s.m[h] = pos
	return pos, false
}
