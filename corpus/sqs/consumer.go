// Package sqs consumes S3 event notifications from an Amazon SQS queue and
// turns them into papers to upsert and paper IDs to delete. It knows
// nothing of the index: each Delivery it hands out carries the changes of
// up to ten messages, and the caller commits them and then calls Ack,
// which deletes the messages. A message whose object cannot be read is
// not deleted, so SQS delivers it again and, after the queue's
// maxReceiveCount, moves it to the dead-letter queue. Delivery is at least
// once; with idempotent upserts each paper is in the index once.
package sqs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/backoff"
)

// Options configure a Consumer.
type Options struct {
	SQS      *awssqs.Client
	S3       *s3.Client
	QueueURL string
	// Ledger keeps which papers each object produced; required.
	Ledger *Ledger
	// Wait is the long poll in whole seconds (default and most 20 s).
	Wait time.Duration
	// MaxMessages per receive (1..10, default 10).
	MaxMessages int32
	// Visibility is how long a received message stays hidden; it is
	// extended while its object is read and its batch committed. 0 takes
	// the queue's VisibilityTimeout.
	Visibility time.Duration
	// Format, FieldMap, Source and Limits read objects as the S3 source
	// does; FieldMap may also map x-amz-meta-NAME and tag:NAME.
	Format   string
	FieldMap corpus.FieldMap
	Source   string
	Limits   corpus.Limits
	// Concurrency is how many objects are read at once (default 4).
	Concurrency int
	// Log receives one line per problem (a failed message, a stale
	// event); nil drops them.
	Log func(string)
	// Retry paces retries of throttled and failed SQS calls.
	Retry backoff.Policy
}

// Consumer receives S3 events from one queue.
type Consumer struct {
	o          Options
	jsonMap    corpus.FieldMap
	metaMap    corpus.FieldMap
	vis        time.Duration
	maxReceive int // the redrive policy's maxReceiveCount; 0 when none
	where      string
}

// New checks the queue (it must exist and be readable) and reads its
// visibility timeout and redrive policy.
func New(ctx context.Context, o Options) (*Consumer, error) {
	if o.SQS == nil || o.S3 == nil || o.Ledger == nil || o.QueueURL == "" {
		return nil, errors.New("sqs: SQS, S3, Ledger and QueueURL are required")
	}
	if o.Wait < time.Second || o.Wait > 20*time.Second {
		o.Wait = 20 * time.Second
	}
	if o.MaxMessages <= 0 || o.MaxMessages > 10 {
		o.MaxMessages = 10
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	if o.Retry.Retries == 0 {
		o.Retry.Retries = 8
	}
	o.Retry.Retryable = transient
	c := &Consumer{o: o, where: QueueName(o.QueueURL)}
	c.jsonMap, c.metaMap = corpus.SplitFieldMap(o.FieldMap)
	var attrs *awssqs.GetQueueAttributesOutput
	err := backoff.Retry(ctx, o.Retry, func(ctx context.Context) (err error) {
		attrs, err = o.SQS.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(o.QueueURL),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameRedrivePolicy}})
		return err
	})
	if err != nil {
		return nil, c.explain(err)
	}
	c.vis = o.Visibility
	if c.vis <= 0 {
		n, _ := strconv.Atoi(attrs.Attributes["VisibilityTimeout"])
		c.vis = time.Duration(max(n, 1)) * time.Second
	}
	if rp := attrs.Attributes["RedrivePolicy"]; rp != "" {
		c.maxReceive = redriveMax(rp)
	}
	return c, nil
}

// QueueName is the last part of a queue URL, for messages.
func QueueName(queueURL string) string {
	return queueURL[strings.LastIndexByte(queueURL, '/')+1:]
}

func redriveMax(policy string) int {
	_, rest, ok := strings.Cut(policy, `"maxReceiveCount"`)
	if !ok {
		return 0
	}
	rest = strings.TrimLeft(rest, ` :"`)
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, _ := strconv.Atoi(rest[:end])
	return n
}

// MaxReceive is the queue's maxReceiveCount, 0 without a redrive policy
// (a message that always fails then comes back until it expires).
func (c *Consumer) MaxReceive() int { return c.maxReceive }

// Visibility is the visibility timeout messages are held with.
func (c *Consumer) Visibility() time.Duration { return c.vis }

// Delivery is what one receive brought: the changes to commit together,
// then Ack (or Release if the commit failed).
type Delivery struct {
	Upserts []corpus.Paper
	// Origins says where each upsert came from (parallel to Upserts).
	Origins []corpus.Position
	Deletes []string
	// Bad are records skipped inside objects (a broken JSON line); they
	// do not fail the message, since reading it again would not mend them.
	Bad      []*corpus.RecordError
	Warnings []Warning
	// Messages received, Failed of them left for redelivery, Stale events
	// skipped for a newer one for the same key (in this delivery, or
	// applied already).
	Messages, Failed, Stale, Objects int
	// Oldest is the earliest event time in the delivery (else the
	// earliest time SQS got a message), for the lag.
	Oldest time.Time
	// Received is when the messages arrived, before their objects were read.
	Received time.Time

	c      *Consumer
	ok     []types.Message // to delete on Ack
	final  []Entry         // ledger entries to write once committed
	stopHB func()
}

// Warning is a paper kept despite a problem.
type Warning struct {
	Pos corpus.Position
	Msg string
}

// Empty reports a receive that brought nothing to commit or delete.
func (d *Delivery) Empty() bool { return d.Messages == 0 }

// Next long-polls the queue and reads the objects the messages name. It
// returns an empty Delivery when the poll ends with no message, and an
// error only when the queue itself fails (gone, access denied, retries
// exhausted) or ctx ends.
func (c *Consumer) Next(ctx context.Context) (*Delivery, error) {
	var out *awssqs.ReceiveMessageOutput
	err := backoff.Retry(ctx, c.o.Retry, func(ctx context.Context) (err error) {
		out, err = c.o.SQS.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
			QueueUrl:            aws.String(c.o.QueueURL),
			MaxNumberOfMessages: c.o.MaxMessages,
			WaitTimeSeconds:     int32(c.o.Wait / time.Second),
			VisibilityTimeout:   int32(c.vis / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameSentTimestamp},
		})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.explain(err)
	}
	d := &Delivery{c: c, Messages: len(out.Messages), Received: time.Now()}
	if d.Messages == 0 {
		return d, nil
	}
	hb := c.heartbeat(out.Messages)
	d.stopHB = hb.stop
	c.process(ctx, d, out.Messages, hb)
	return d, nil
}

// held is one event to apply and the message it came in.
type held struct {
	ev  Event
	msg int
}

func (c *Consumer) process(ctx context.Context, d *Delivery, msgs []types.Message, hb *heartbeat) {
	failed := make([]bool, len(msgs))
	fail := func(i int, what string, err error) {
		if failed[i] {
			return
		}
		failed[i] = true
		hb.drop(aws.ToString(msgs[i].ReceiptHandle))
		if ctx.Err() != nil {
			return // stopping: not the message's fault
		}
		m := msgs[i]
		rc, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		line := fmt.Sprintf("message %s (receive %d", aws.ToString(m.MessageId), rc)
		if c.maxReceive > 0 {
			line += fmt.Sprintf(" of %d", c.maxReceive)
		}
		line += "): "
		if what != "" {
			line += what + ": "
		}
		line += err.Error()
		switch {
		case c.maxReceive > 0 && rc >= c.maxReceive:
			line += "; the queue's redrive policy moves it to the dead-letter queue"
		case c.maxReceive > 0:
			line += "; left on the queue to be received again"
		default:
			line += "; left on the queue (it has no redrive policy, so it comes back until it expires)"
		}
		c.o.Log(line)
	}
	byKey := map[string][]held{}
	var keys []string
	for i, m := range msgs {
		if sent, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
			d.noteTime(time.UnixMilli(sent))
		}
		evs, err := ParseMessage([]byte(aws.ToString(m.Body)))
		if err != nil {
			fail(i, "", err)
			continue
		}
		for _, ev := range evs {
			k := ev.Bucket + "/" + ev.Key
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], held{ev, i})
			d.noteTime(ev.Time)
		}
	}
	// Per key only the latest event matters: an older one in the same
	// delivery is superseded, one older than what the ledger has is stale.
	type job struct {
		key  string
		h    held
		msgs []int // every message with an event for the key
		res  objectResult
	}
	var jobs []*job
	for _, k := range keys {
		hs := byKey[k]
		slices.SortStableFunc(hs, func(a, b held) int {
			switch {
			case SequencerAfter(a.ev.Sequencer, b.ev.Sequencer):
				return 1
			case SequencerAfter(b.ev.Sequencer, a.ev.Sequencer):
				return -1
			}
			return 0
		})
		last := hs[len(hs)-1]
		j := &job{key: k, h: last}
		for _, h := range hs {
			j.msgs = append(j.msgs, h.msg)
		}
		d.Stale += len(hs) - 1
		if prev, ok := c.o.Ledger.Get(k); ok && SequencerAfter(prev.Seq, last.ev.Sequencer) {
			d.Stale++
			c.o.Log(fmt.Sprintf("%s: %s event is older than one applied already (sequencer %s < %s); ignored", last.ev.URL(), last.ev.Name, last.ev.Sequencer, prev.Seq))
			continue
		}
		jobs = append(jobs, j)
	}
	sem := make(chan struct{}, c.o.Concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			j.res = c.apply(ctx, j.key, j.h.ev)
		}()
	}
	wg.Wait()
	var ahead []Entry
	upserted := map[string]bool{}
	for _, j := range jobs {
		r := j.res
		if r.err != nil {
			for _, i := range j.msgs {
				fail(i, j.h.ev.URL(), r.err)
			}
			continue
		}
		d.Objects++
		d.Upserts = append(d.Upserts, r.papers...)
		d.Origins = append(d.Origins, r.origins...)
		d.Deletes = append(d.Deletes, r.deletes...)
		d.Bad = append(d.Bad, r.bad...)
		d.Warnings = append(d.Warnings, r.warnings...)
		for _, p := range r.papers {
			upserted[p.ID] = true
		}
		if r.ahead != nil {
			ahead = append(ahead, *r.ahead)
		}
		d.final = append(d.final, r.final)
	}
	// A paper that moved from one object to another in this delivery is
	// upserted, not deleted.
	d.Deletes = slices.DeleteFunc(d.Deletes, func(id string) bool { return upserted[id] })
	slices.Sort(d.Deletes)
	d.Deletes = slices.Compact(d.Deletes)
	if err := c.o.Ledger.Put(ahead...); err != nil {
		// Without the ledger a later delete could miss papers: nothing of
		// this delivery is committed, and every message comes back.
		for i := range msgs {
			fail(i, "", fmt.Errorf("ledger: %w", err))
		}
		*d = Delivery{c: c, Messages: d.Messages, Received: d.Received, stopHB: d.stopHB}
	}
	for i, m := range msgs {
		if failed[i] {
			d.Failed++
		} else {
			d.ok = append(d.ok, m)
		}
	}
}

func (d *Delivery) noteTime(t time.Time) {
	if !t.IsZero() && (d.Oldest.IsZero() || t.Before(d.Oldest)) {
		d.Oldest = t
	}
}

// Ack records the delivery's objects in the ledger and deletes its
// messages; call it once the batch is committed. It goes on for a few
// seconds after ctx ends, since the batch is in the index already and a
// message not deleted is only read again.
func (d *Delivery) Ack(ctx context.Context) error {
	if d.stopHB != nil {
		defer d.stopHB()
	}
	if d.c == nil || d.Messages == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.c.o.Ledger.Put(d.final...); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return d.c.delete(ctx, d.ok)
}

// Release gives the messages back without deleting them, after a failed
// commit: they are received again once their visibility timeout ends.
func (d *Delivery) Release() {
	if d.stopHB != nil {
		d.stopHB()
	}
}

func (c *Consumer) delete(ctx context.Context, msgs []types.Message) error {
	var errs []error
	for chunk := range slices.Chunk(msgs, 10) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		var out *awssqs.DeleteMessageBatchOutput
		err := backoff.Retry(ctx, c.o.Retry, func(ctx context.Context) (err error) {
			out, err = c.o.SQS.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.o.QueueURL), Entries: entries})
			return err
		})
		if err != nil {
			errs = append(errs, c.explain(err))
			continue
		}
		for _, f := range out.Failed {
			i, _ := strconv.Atoi(aws.ToString(f.Id))
			// The papers are committed: the message coming back only
			// repeats an idempotent upsert.
			c.o.Log(fmt.Sprintf("message %s not deleted (%s: %s); it will be applied again, harmlessly",
				aws.ToString(chunk[i].MessageId), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}

// objectResult is what applying one event gives.
type objectResult struct {
	papers   []corpus.Paper
	origins  []corpus.Position
	deletes  []string
	bad      []*corpus.RecordError
	warnings []Warning
	ahead    *Entry // ledger entry to write before the commit
	final    Entry  // and after it
	err      error  // the message must come back
}

// apply reads the object an event names (or finds the papers a removed
// one produced) and says what to write.
func (c *Consumer) apply(ctx context.Context, key string, ev Event) objectResult {
	prev, _ := c.o.Ledger.Get(key)
	seq := ev.Sequencer
	if seq == "" {
		seq = prev.Seq
	}
	if ev.Action == Remove {
		return objectResult{deletes: prev.IDs, final: Entry{Key: key, Seq: seq, Gone: true}}
	}
	if _, ok := corpus.ObjectKind(ev.Key); !ok {
		// Not a paper (an image, a "folder" key): nothing to do, and a
		// paper that was there under this key goes.
		return objectResult{deletes: prev.IDs, final: Entry{Key: key, Seq: seq, Gone: true}}
	}
	r := c.read(ctx, ev)
	if r.err != nil {
		if isGone(r.err) {
			// Deleted since the event: its papers go; the delete event,
			// when it comes, finds nothing more to do.
			return objectResult{deletes: prev.IDs, final: Entry{Key: key, Seq: seq, Gone: true}}
		}
		return r
	}
	ids := make([]string, 0, len(r.papers))
	now := map[string]bool{}
	for _, p := range r.papers {
		ids = append(ids, p.ID)
		now[p.ID] = true
	}
	for _, id := range prev.IDs {
		if !now[id] {
			r.deletes = append(r.deletes, id)
		}
	}
	union := append(slices.Clone(ids), r.deletes...)
	r.ahead = &Entry{Key: key, Seq: seq, IDs: union}
	r.final = Entry{Key: key, Seq: seq, IDs: ids}
	return r
}

// read fetches and decodes one object.
func (c *Consumer) read(ctx context.Context, ev Event) objectResult {
	name := ev.URL()
	out, err := c.o.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ev.Bucket), Key: aws.String(ev.Key)}, quietS3)
	if err != nil {
		return objectResult{err: fmt.Errorf("read the object: %w", err)}
	}
	defer out.Body.Close()
	var tags map[string]string
	if len(c.metaMap) > 0 && corpus.MetaWantsTags(c.metaMap) && aws.ToInt32(out.TagCount) > 0 {
		tout, err := c.o.S3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(ev.Bucket), Key: aws.String(ev.Key)}, quietS3)
		if err != nil {
			return objectResult{err: fmt.Errorf("read the object's tags: %w", err)}
		}
		tags = map[string]string{}
		for _, t := range tout.TagSet {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	body := &errReader{r: out.Body}
	var r objectResult
	seen := map[string]corpus.Position{}
	for rec, err := range corpus.DecodeObject(ctx, ev.Key, body, corpus.ObjectOptions{
		Name: name, DocName: ev.Key, Format: c.o.Format, FieldMap: c.jsonMap,
		Source: c.o.Source, DocSource: ev.Bucket, Limits: c.o.Limits,
	}) {
		if err != nil {
			var re *corpus.RecordError
			if !errors.As(err, &re) {
				return objectResult{err: err}
			}
			r.bad = append(r.bad, re)
			continue
		}
		if len(c.metaMap) > 0 {
			if err := corpus.ApplyObjectMeta(&rec.Paper, c.metaMap, out.Metadata, tags); err != nil {
				r.bad = append(r.bad, &corpus.RecordError{Pos: rec.Pos, Cursor: rec.Cursor, Err: err})
				continue
			}
		}
		if first, dup := seen[rec.Paper.ID]; dup {
			r.bad = append(r.bad, &corpus.RecordError{Pos: rec.Pos, Cursor: rec.Cursor, Err: fmt.Errorf("id: duplicate %q (first at %s); skipped", rec.Paper.ID, first)})
			continue
		}
		seen[rec.Paper.ID] = rec.Pos
		for _, w := range rec.Warnings {
			r.warnings = append(r.warnings, Warning{rec.Pos, w})
		}
		r.papers = append(r.papers, rec.Paper)
		r.origins = append(r.origins, rec.Pos)
	}
	if body.err != nil || ctx.Err() != nil {
		// Cut short: what was read is not the whole object.
		return objectResult{err: fmt.Errorf("read the object: %w", errors.Join(body.err, ctx.Err()))}
	}
	return r
}

// errReader remembers a read error other than EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

func quietS3(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }

func isGone(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	return false
}

// transient reports errors worth retrying: throttling, server faults and
// broken connections.
func transient(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "RequestThrottled", "ThrottlingException", "Throttling", "SlowDown", "ServiceUnavailable", "InternalError", "KmsThrottled", "RequestLimitExceeded":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// explain turns a queue error into a sentence naming the queue.
func (c *Consumer) explain(err error) error {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var reason string
	switch {
	case errors.As(err, new(*types.QueueDoesNotExist)) || code == "AWS.SimpleQueueService.NonExistentQueue":
		reason = fmt.Sprintf("queue %q does not exist: check the queue URL and the region", c.where)
	case code == "AccessDenied" || code == "AccessDeniedException" || code == "InvalidSecurity":
		reason = fmt.Sprintf("access denied to queue %q: these credentials need sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes", c.where)
	case strings.Contains(err.Error(), "get identity: "):
		reason = "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login"
	default:
		reason = fmt.Sprintf("queue %q", c.where)
	}
	return fmt.Errorf("%s: %w", reason, err)
}

// heartbeat keeps received messages hidden while they are worked on:
// every third of the visibility timeout it extends the timeout again.
type heartbeat struct {
	c       *Consumer
	mu      sync.Mutex
	handles map[string]bool
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func (c *Consumer) heartbeat(msgs []types.Message) *heartbeat {
	h := &heartbeat{c: c, handles: map[string]bool{}, done: make(chan struct{})}
	for _, m := range msgs {
		h.handles[aws.ToString(m.ReceiptHandle)] = true
	}
	h.wg.Add(1)
	go h.run()
	return h
}

func (h *heartbeat) drop(handle string) {
	h.mu.Lock()
	delete(h.handles, handle)
	h.mu.Unlock()
}

func (h *heartbeat) stop() {
	h.once.Do(func() { close(h.done) })
	h.wg.Wait()
}

func (h *heartbeat) run() {
	defer h.wg.Done()
	t := time.NewTicker(max(h.c.vis/3, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		h.mu.Lock()
		handles := slices.Sorted(func(yield func(string) bool) {
			for k := range h.handles {
				if !yield(k) {
					return
				}
			}
		})
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), h.c.vis/2+time.Second)
		for chunk := range slices.Chunk(handles, 10) {
			entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
			for i, rh := range chunk {
				entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(rh),
					VisibilityTimeout: int32(h.c.vis / time.Second)}
			}
			// A failure here only risks the message being received again,
			// which is safe; it is not worth stopping the batch for.
			h.c.o.SQS.ChangeMessageVisibilityBatch(ctx, &awssqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(h.c.o.QueueURL), Entries: entries})
		}
		cancel()
	}
}
