package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quire-research/quire/config/awsconfig"
	"github.com/quire-research/quire/corpus"
	sqsc "github.com/quire-research/quire/corpus/sqs"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

// isSQSSpec reports an ingest SOURCE that names an SQS queue of S3 events.
func isSQSSpec(spec string) bool {
	return strings.HasPrefix(spec, "sqs://") || strings.HasPrefix(spec, "sqs+http://")
}

// sqsTarget is a parsed sqs:// source.
type sqsTarget struct {
	queueURL string // as the API takes it
	endpoint string // BaseEndpoint for the client; "" lets the SDK resolve AWS's
	region   string // from an AWS queue host; "" otherwise
}

// parseSQSSpec reads sqs://HOST/ACCOUNT/QUEUE (HTTPS: the queue URL with
// its scheme swapped) or sqs+http://HOST:PORT/ACCOUNT/QUEUE for a local
// SQS-compatible server. On an AWS host (sqs.REGION.amazonaws.com) the
// region comes from the host. Errors never repeat the spec, which may
// hold a mistyped secret.
func parseSQSSpec(spec string) (sqsTarget, error) {
	scheme := "https"
	rest, ok := strings.CutPrefix(spec, "sqs://")
	if !ok {
		rest, _ = strings.CutPrefix(spec, "sqs+http://")
		scheme = "http"
	}
	u, err := url.Parse(scheme + "://" + rest)
	switch {
	case err != nil || u.Host == "":
		return sqsTarget{}, errors.New("an SQS source is sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (the queue URL with sqs:// for https://), or sqs+http://HOST:PORT/ACCOUNT/QUEUE for a local server")
	case u.User != nil:
		return sqsTarget{}, errors.New("the SQS source must not hold credentials: give them through the AWS environment or profile")
	case strings.Count(strings.Trim(u.Path, "/"), "/") != 1:
		return sqsTarget{}, fmt.Errorf("the SQS source needs a path /ACCOUNT/QUEUE after the host %s, as in the queue URL", u.Host)
	}
	t := sqsTarget{queueURL: scheme + "://" + u.Host + u.Path}
	host := u.Hostname()
	if strings.HasSuffix(host, ".amazonaws.com") {
		// sqs.us-east-1.amazonaws.com, or the legacy us-east-1.queue.amazonaws.com.
		parts := strings.Split(host, ".")
		if parts[0] == "sqs" && len(parts) > 2 {
			t.region = parts[1]
		} else if len(parts) > 1 && parts[1] == "queue" {
			t.region = parts[0]
		}
		return t, nil
	}
	t.endpoint = scheme + "://" + u.Host
	return t, nil
}

// sqsLedgerPath is where the queue's object ledger lives: beside the
// index it describes (a cluster's in the cache dir), one per queue.
func sqsLedgerPath(e *env, queueURL string) string {
	sum := sha256.Sum256([]byte(queueURL))
	name := sqsc.QueueName(queueURL) + "-" + hex.EncodeToString(sum[:6]) + ".ledger"
	if e.weaviate() {
		return filepath.Join(e.cfg.CacheDir, "sqs", e.cfg.Engine.Collection, name)
	}
	return filepath.Join(e.cfg.Index, "sqs", name)
}

// runSQS consumes a queue of S3 events until Ctrl-C or SIGTERM.
func runSQS(e *env, f *ingestFlags, spec string, so sourceOptions) error {
	t, err := parseSQSSpec(spec)
	if err != nil {
		return usagef("%v", err)
	}
	if so.format == "folder" {
		return usagef("--format folder does not apply to an SQS source: documents are read by their extension")
	}
	cfg, err := awsconfig.Load(e.ctx, awsconfig.Options{Region: firstNonEmpty(so.region, t.region)})
	if err != nil {
		return err
	}
	sqsClient := awssqs.NewFromConfig(cfg, func(o *awssqs.Options) {
		if t.endpoint != "" {
			o.BaseEndpoint = aws.String(t.endpoint)
		}
	})
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if so.endpoint != "" {
			o.BaseEndpoint = aws.String(so.endpoint)
		}
		o.UsePathStyle = so.pathSty || so.endpoint != ""
	})
	// The index is held only while a batch is written (lease.go), so the
	// app and 'quire search' can read it between batches.
	l := newLease(e, t.queueURL)
	if err := l.take(); err != nil {
		return err
	}
	defer l.close()
	ledger, err := sqsc.OpenLedger(sqsLedgerPath(e, t.queueURL))
	if err != nil {
		return fmt.Errorf("open the SQS ledger: %w", err)
	}
	defer ledger.Close()
	format := so.format
	if format == "auto" {
		format = ""
	}
	c, err := sqsc.New(e.ctx, sqsc.Options{
		SQS: sqsClient, S3: s3Client, QueueURL: t.queueURL, Ledger: ledger,
		Format: format, FieldMap: so.fieldMap, Source: so.label, Limits: so.limits,
		Log: func(s string) { fmt.Fprintln(e.stderr, sanitize(s)) },
	})
	if err != nil {
		return err
	}
	dlq := "no redrive policy: a message that always fails comes back until it expires"
	if n := c.MaxReceive(); n > 0 {
		dlq = fmt.Sprintf("dead-letter queue after %d receives", n)
	}
	fmt.Fprintf(e.stdout, "listening on queue %s (visibility %s, %s); Ctrl-C stops\n",
		oneLine(sqsc.QueueName(t.queueURL)), progress.HumanDuration(c.Visibility()), dlq)
	run := &sqsRun{lease: l, c: c, source: "sqs:" + t.queueURL, out: e.stdout, errs: e.stderr, maxShown: f.maxShown}
	err = run.loop(e.ctx)
	fmt.Fprintf(e.stdout, "sqs %s: %s papers written, %s deleted, %s skipped, %s messages in %s\n",
		oneLine(sqsc.QueueName(t.queueURL)), progress.HumanCount(run.papers), progress.HumanCount(run.deleted),
		progress.HumanCount(run.skipped), progress.HumanCount(run.messages), progress.HumanDuration(e.since()))
	return err
}

// sqsRun commits deliveries to an engine, one batch each, and deletes
// their messages only after the batch is written.
type sqsRun struct {
	lease     *lease
	c         *sqsc.Consumer
	source    string // the checkpoint's name
	out, errs io.Writer
	maxShown  int
	// committed, when set, is told the IDs of each batch once written
	// (tests measure latency with it).
	committed func(ids []string)

	papers, deleted, skipped, messages int64
	shown                              int
}

func (r *sqsRun) loop(ctx context.Context) error {
	ck, err := r.start(ctx)
	if err != nil {
		return err
	}
	ck.Source = r.source
	for {
		d, err := r.c.Next(ctx)
		if ctx.Err() != nil {
			if d != nil {
				d.Release()
			}
			return fmt.Errorf("%w: %w", search.ErrStopped, context.Cause(ctx))
		}
		if err != nil {
			return err
		}
		if d.Empty() {
			continue
		}
		r.messages += int64(d.Messages)
		for _, re := range d.Bad {
			r.skipped++
			if r.shown < r.maxShown {
				r.shown++
				fmt.Fprintf(r.errs, "skip %s\n", sanitize(re.Error()))
			}
		}
		if len(d.Upserts)+len(d.Deletes) > 0 {
			if err := r.commit(ctx, d, &ck); err != nil {
				d.Release() // its messages come back
				return err
			}
		}
		if err := d.Ack(ctx); err != nil {
			fmt.Fprintf(r.errs, "delete messages: %s (they will be applied again, harmlessly)\n", sanitize(err.Error()))
		}
		r.papers += int64(len(d.Upserts))
		r.deleted += int64(len(d.Deletes))
		r.report(d, time.Since(d.Received))
	}
}

// start reads the checkpoint and, when an earlier run left enough papers
// but no embedder, learns it.
func (r *sqsRun) start(ctx context.Context) (search.Checkpoint, error) {
	x, err := r.lease.acquire(ctx)
	if err != nil {
		return search.Checkpoint{}, err
	}
	ck, _, err := x.Checkpoint(ctx, r.source)
	if err == nil {
		err = r.lease.learnVectors(ctx)
	}
	if rerr := r.lease.release(); err == nil {
		err = rerr
	}
	return ck, err
}

// commit writes one delivery's papers as one batch under the lease. The
// consumer receives and reads the next messages during the readers' gap
// after a batch; only the write waits for it.
func (r *sqsRun) commit(ctx context.Context, d *sqsc.Delivery, ck *search.Checkpoint) error {
	if err := r.lease.waitGap(ctx); err != nil {
		return err
	}
	x, err := r.lease.acquire(ctx)
	if err != nil {
		return err
	}
	// A batch being written finishes after Ctrl-C: its messages are
	// deleted only once it is in.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	var added, changed, removed int
	if r.lease.counting() {
		added, changed, removed = countChanges(actx, x, d.Upserts, d.Deletes)
	}
	ck.Papers += int64(len(d.Upserts))
	ck.Errors += int64(len(d.Bad))
	ck.Updated = time.Now().UTC()
	err = x.Apply(actx, &search.Batch{Upserts: d.Upserts, Deletes: d.Deletes, Checkpoints: []search.Checkpoint{*ck}})
	cancel()
	if err != nil {
		err = fmt.Errorf("write a batch from %s: %w", r.source, err)
	} else {
		r.lease.committed(added, changed, removed, time.Now())
		if r.committed != nil {
			ids := make([]string, len(d.Upserts))
			for i, p := range d.Upserts {
				ids[i] = p.ID
			}
			r.committed(ids)
		}
		err = r.lease.learnVectors(ctx)
	}
	if rerr := r.lease.release(); err == nil {
		err = rerr
	}
	return err
}

// countChanges tells new papers from changed ones, for the app's "12 new
// papers": an upsert whose ID the index lacks is new; a delete counts
// only when the index holds the paper (an overwritten object's ledger may
// name IDs it never wrote). One Get per paper, on the embedded index
// only (see lease.counting).
func countChanges(ctx context.Context, x search.Engine, upserts []corpus.Paper, deletes []string) (added, changed, removed int) {
	seen := make(map[string]bool, len(upserts))
	has := func(id string) bool {
		_, err := x.Get(ctx, id)
		return err == nil
	}
	for _, p := range upserts {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		if has(p.ID) {
			changed++
		} else {
			added++
		}
	}
	for _, id := range deletes {
		if !seen[id] && has(id) {
			seen[id] = true
			removed++
		}
	}
	return added, changed, removed
}

// report prints one line per batch: what changed, the lag behind the
// oldest event and the rate.
func (r *sqsRun) report(d *sqsc.Delivery, took time.Duration) {
	line := fmt.Sprintf("%s %d messages: +%d papers, -%d", time.Now().Format("15:04:05"), d.Messages, len(d.Upserts), len(d.Deletes))
	if len(d.Bad) > 0 {
		line += fmt.Sprintf(", %d skipped", len(d.Bad))
	}
	if d.Failed > 0 {
		line += fmt.Sprintf(", %d failed (left for redelivery)", d.Failed)
	}
	if d.Stale > 0 {
		line += fmt.Sprintf(", %d older events skipped", d.Stale)
	}
	if !d.Oldest.IsZero() {
		line += fmt.Sprintf("; lag %s", time.Since(d.Oldest).Round(time.Millisecond))
	}
	if n := len(d.Upserts) + len(d.Deletes); n > 0 && took > 0 {
		line += fmt.Sprintf("; %.0f papers/s", float64(n)/took.Seconds())
	}
	fmt.Fprintln(r.out, line)
}

// sqsFieldMap checks a field map for an SQS source: JSON keys as for any
// JSONL, plus x-amz-meta-NAME and tag:NAME.
func sqsFieldMap(fm corpus.FieldMap) error {
	_, meta := corpus.SplitFieldMap(fm)
	for field, key := range meta {
		if key == corpus.MetaPrefix || key == corpus.TagPrefix {
			return fmt.Errorf("field map: %s=%s names no metadata key", field, key)
		}
	}
	return nil
}

// sqsSource picks out an sqs:// SOURCE, which must come alone: it runs
// until stopped, so nothing would follow it.
func sqsSource(args []string, retrain bool, fm corpus.FieldMap) (string, bool, error) {
	n := 0
	for _, a := range args {
		if isSQSSpec(a) {
			n++
		}
	}
	switch {
	case n == 0:
		return "", false, nil
	case len(args) > 1 || retrain:
		return "", true, usagef("an sqs:// source runs until stopped: give it alone, without other sources or --retrain")
	}
	if err := sqsFieldMap(fm); err != nil {
		return "", true, usagef("--map: %v", err)
	}
	return args[0], true, nil
}
