package search

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/quire-research/quire/corpus"
)

// IngestOptions tune Ingest.
type IngestOptions struct {
	// BatchSize is the number of papers written per atomic batch.
	BatchSize int
	// FlushAfter writes a batch before it is full once its first paper
	// has waited this long (default 5 s): a slow source, a folder of PDFs
	// read at tens a second, then shows papers written as it goes, and a
	// stop loses seconds of reading, not a whole batch's. It is checked as
	// each record arrives.
	FlushAfter time.Duration
	// Writers is how many batches are prepared at once (default 2); they
	// are written one at a time, in order.
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

// IngestStats is the outcome of one Ingest call. Papers counts the papers
// of batches the engine confirmed written (on disk, for the embedded
// engine); Checkpointed how many of them the saved checkpoint covers. The
// two differ only when a run fails and its final checkpoint cannot be
// written: the next run then reads the difference again.
type IngestStats struct {
	IngestProgress
	Checkpointed int64
	Duplicates   int64
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
	if o.FlushAfter <= 0 {
		o.FlushAfter = 5 * time.Second
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
			st.Papers, st.Errors = prev.Papers, prev.Errors
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
	// A resumed run must see the copies earlier runs wrote, for one rule
	// whatever the interruptions: the first copy of an ID in a source wins.
	var earlier OriginReader
	if from != (corpus.Cursor{}) {
		earlier, _ = eng.(OriginReader)
	}
	ofp := OriginFingerprint(fp)
	var stopErr error
	// Damaged input (a gzip member failing its checksum) fails the run and
	// leaves the source not done, so nothing garbled passes unnoticed.
	var damaged []error
	batch := job{}
	var batchStart time.Time
	for rec, err := range src.Papers(p.ctx, from) {
		if err != nil {
			var re *corpus.RecordError
			if !errors.As(err, &re) {
				stopErr = err
				break
			}
			batch.errors++
			batch.cursor = maxCursor(batch.cursor, re.Cursor)
			if errors.Is(re, corpus.ErrDamaged) {
				damaged = append(damaged, re)
			}
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
		if len(batch.papers) == 0 {
			batchStart = time.Now()
		}
		batch.papers = append(batch.papers, rec.Paper)
		batch.origins = append(batch.origins, newOrigin(ofp, src.Name(), rec))
		if len(batch.papers) >= o.BatchSize || time.Since(batchStart) >= o.FlushAfter {
			if err := dropEarlier(p.ctx, earlier, &batch, src.Name(), o.OnError); err != nil {
				stopErr = err
				break
			}
			if !p.send(batch) {
				break
			}
			batch = job{cursor: batch.cursor, bytes: batch.bytes}
		}
	}
	if stopErr == nil {
		stopErr = dropEarlier(p.ctx, earlier, &batch, src.Name(), o.OnError)
	}
	if stopErr == nil && (len(batch.papers) > 0 || batch.errors > 0 || batch.warnings > 0) {
		p.send(batch)
	}
	writeErr := p.wait()
	if stopErr == nil && writeErr == nil && ctx.Err() != nil {
		stopErr = fmt.Errorf("%w: %w", ErrStopped, context.Cause(ctx))
	}
	// The last checkpoint covers every batch written; Done only when the
	// whole source was read. It is written even after Ctrl-C or a failed
	// batch (the engine refuses it at once if it cannot write), within a
	// few seconds, so the next run resumes exactly here.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishWait)
	defer cancel()
	ferr := p.finish(fctx, stopErr == nil && writeErr == nil && len(damaged) == 0)
	p.unwatch()
	st.Elapsed = time.Since(start)
	p.mu.Lock()
	st.Checkpointed = p.saved.Papers - base.Papers
	p.mu.Unlock()
	if writeErr != nil && ctx.Err() != nil {
		// Stopped while a batch was in flight: still a stop (exit 130).
		return st, fmt.Errorf("%w: %w", ErrStopped, writeErr)
	}
	if writeErr != nil {
		return st, writeErr
	}
	if ferr != nil {
		return st, fmt.Errorf("write checkpoint of %s: %w", src.Name(), ferr)
	}
	if stopErr == nil && len(damaged) > 0 {
		stopErr = fmt.Errorf("%s: damaged input: %w", src.Name(), errors.Join(damaged...))
	}
	return st, stopErr
}

// newOrigin says where rec was read. Each paper stores it, so it is kept
// short: the fingerprint hashed, and the file left out when it is the
// source's name (a single-file dump).
func newOrigin(fp, name string, rec corpus.Record) Origin {
	pos := rec.Pos
	if pos.File == name {
		pos.File = ""
	}
	return Origin{Fingerprint: fp, Cursor: rec.Cursor, Pos: pos}
}

// OriginFingerprint is the short stand-in for a checkpoint's Fingerprint
// that Origin records.
func OriginFingerprint(fp string) string {
	h := fnv.New64a()
	h.Write([]byte(fp))
	return strconv.FormatUint(h.Sum64(), 36)
}

// applyGrace is how long a batch already handed to the engine may take to
// be confirmed after Ctrl-C (or SIGTERM) before the run stops without it;
// finishWait bounds the final checkpoint's write the same way.
const (
	applyGrace = 3 * time.Second
	finishWait = 3 * time.Second
)

// dropEarlier skips the papers of a batch whose ID an earlier run over the
// same input already wrote from an earlier record: they are duplicates the
// uninterrupted run would have skipped.
func dropEarlier(ctx context.Context, earlier OriginReader, b *job, name string, onError func(*corpus.RecordError)) error {
	if earlier == nil || len(b.papers) == 0 {
		return nil
	}
	ids := make([]string, len(b.papers))
	for i := range b.papers {
		ids[i] = b.papers[i].ID
	}
	have, err := earlier.Origins(ctx, ids)
	if err != nil {
		return fmt.Errorf("look up papers written by the earlier run: %w", err)
	}
	if len(have) == 0 {
		return nil
	}
	keep := 0
	for i := range b.papers {
		o := b.origins[i]
		if h, ok := have[ids[i]]; ok && h.Fingerprint == o.Fingerprint && o.Cursor.After(h.Cursor) {
			if h.Pos.File == "" {
				h.Pos.File = name
			}
			b.dups++
			b.errors++
			if onError != nil {
				onError(&corpus.RecordError{Pos: o.Pos, Cursor: o.Cursor, Err: fmt.Errorf("id: duplicate %q (first at %s); skipped", ids[i], h.Pos)})
			}
			continue
		}
		b.papers[keep], b.origins[keep] = b.papers[i], o
		keep++
	}
	b.papers, b.origins = b.papers[:keep], b.origins[:keep]
	return nil
}

// job is one batch on its way to the engine.
type job struct {
	seq     int
	papers  []corpus.Paper
	origins []Origin      // parallel to papers
	cursor  corpus.Cursor // the source is consumed up to here once this batch is written
	bytes   int64
	errors  int64
	// Counted here and added to the stats when the batch is written, so
	// the stats are only touched under the pipeline's lock.
	warnings, dups int64
}

// pipeline overlaps decoding, preparing (embedding, analysis: see
// Preparer) and writing. Batches are committed one at a time, in order,
// each carrying the checkpoint that covers it and every batch before it:
// a batch and its checkpoint land together or not at all, so what is
// written and what the checkpoint claims never differ, even when a write
// fails midway. A crash loses nothing the checkpoint claims, and a rerun
// reads nothing twice.
type pipeline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	// actx is what batches are written with: it ends applyGrace after ctx
	// does, so a stop waits a little for batches in flight, not forever.
	actx    context.Context
	unwatch func() bool
	eng     Engine
	o       IngestOptions
	jobs    chan job
	next    int
	wg      sync.WaitGroup

	mu    sync.Mutex
	turn  *sync.Cond // signalled when committed moves or err is set
	st    *IngestStats
	start time.Time
	safe  Checkpoint // covers every batch committed
	saved Checkpoint // the latest checkpoint written
	// committed is the seq of the next batch to commit.
	committed int
	err       error
}

func newPipeline(ctx context.Context, eng Engine, o IngestOptions, st *IngestStats, base Checkpoint, start time.Time) *pipeline {
	workers := o.Writers
	if workers <= 0 {
		workers = 2
	}
	cctx, cancel := context.WithCancelCause(ctx)
	actx, acancel := context.WithCancelCause(context.WithoutCancel(ctx))
	p := &pipeline{ctx: cctx, cancel: cancel, actx: actx, eng: eng, o: o, jobs: make(chan job, workers), st: st, start: start,
		safe: base, saved: base}
	p.turn = sync.NewCond(&p.mu)
	p.unwatch = context.AfterFunc(cctx, func() {
		time.AfterFunc(applyGrace, func() {
			acancel(fmt.Errorf("stopped, and the batch in flight was not confirmed within %s", applyGrace))
		})
	})
	for range workers {
		p.wg.Add(1)
		go p.writer()
	}
	return p
}

// send queues a batch; seq numbers only batches actually queued, since
// each waits for the one before it to commit.
func (p *pipeline) send(j job) bool {
	if p.ctx.Err() != nil {
		return false
	}
	j.seq = p.next
	select {
	case p.jobs <- j:
		p.next++
		return true
	case <-p.ctx.Done():
		return false
	}
}

func (p *pipeline) writer() {
	defer p.wg.Done()
	prep, _ := p.eng.(Preparer)
	for j := range p.jobs {
		b := &Batch{Upserts: j.papers, Origins: j.origins}
		var pb PreparedBatch
		var err error
		if prep != nil && p.failed() == nil {
			pb, err = prep.Prepare(p.actx, b)
		}
		p.mu.Lock()
		for p.committed != j.seq && p.err == nil && err == nil {
			p.turn.Wait()
		}
		if p.err != nil {
			p.mu.Unlock()
			continue
		}
		ck := p.safe
		p.mu.Unlock()
		ck.Cursor = maxCursor(ck.Cursor, j.cursor)
		ck.Papers += int64(len(j.papers))
		ck.Errors += j.errors
		ck.Updated = time.Now().UTC()
		// A write in progress finishes even after Ctrl-C (within
		// applyGrace): the batch is already decoded.
		switch {
		case err != nil:
		case pb != nil:
			err = pb.Commit(p.actx, []Checkpoint{ck})
		default:
			b.Checkpoints = []Checkpoint{ck}
			err = p.eng.Apply(p.actx, b)
		}
		p.mu.Lock()
		if err != nil {
			if p.err == nil {
				p.err = fmt.Errorf("write batch %d of %s: %w", j.seq, ck.Source, err)
				p.cancel(p.err)
			}
		} else {
			p.safe, p.saved = ck, ck
			p.committed++
			p.complete(j)
		}
		p.turn.Broadcast()
		p.mu.Unlock()
	}
}

func (p *pipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// complete adds a written batch to the stats; p.mu held.
func (p *pipeline) complete(j job) {
	p.st.Papers += int64(len(j.papers))
	p.st.Errors += j.errors
	p.st.Warnings += j.warnings
	p.st.Duplicates += j.dups
	p.st.Bytes = max(p.st.Bytes, j.bytes)
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
	p.mu.Lock()
	ck := p.safe
	p.mu.Unlock()
	ck.Done = done
	ck.Updated = time.Now().UTC()
	if err := p.eng.Apply(ctx, &Batch{Checkpoints: []Checkpoint{ck}}); err != nil {
		return err
	}
	p.mu.Lock()
	p.saved = ck
	p.mu.Unlock()
	return nil
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
