package sqs

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/sqs/sqstest"
)

// rig is a queue with a dead-letter queue, a bucket that notifies it, and
// an in-memory index the test commits deliveries to.
type rig struct {
	t      *testing.T
	sqs    *sqstest.Server
	s3     *sqstest.S3
	queue  string
	ledger string
	c      *Consumer
	logs   []string
	mu     sync.Mutex
	index  map[string]corpus.Paper
}

func newRig(t *testing.T, eventBridge bool, vis int, fm corpus.FieldMap) *rig {
	t.Helper()
	r := &rig{t: t, sqs: sqstest.New(t), index: map[string]corpus.Paper{}}
	r.s3 = sqstest.NewS3(t, r.sqs)
	if _, err := r.sqs.CreateQueue("dlq", nil); err != nil {
		t.Fatal(err)
	}
	var err error
	r.queue, err = r.sqs.CreateQueue("papers", sqstest.QueueAttrs{"VisibilityTimeout": fmt.Sprint(vis),
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"}`})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.s3.Bucket("lib", r.queue, eventBridge); err != nil {
		t.Fatal(err)
	}
	r.ledger = filepath.Join(t.TempDir(), "ledger")
	r.open(fm)
	return r
}

// open starts a consumer, as a fresh process would.
func (r *rig) open(fm corpus.FieldMap) {
	r.t.Helper()
	l, err := OpenLedger(r.ledger)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { l.Close() })
	client := awssqs.New(awssqs.Options{BaseEndpoint: aws.String(r.sqs.URL), Region: sqstest.Region,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	r.c, err = New(context.Background(), Options{SQS: client, S3: r.s3.Client, QueueURL: r.queue, Ledger: l,
		Wait: time.Second, FieldMap: fm, Log: func(s string) { r.mu.Lock(); r.logs = append(r.logs, s); r.mu.Unlock() }})
	if err != nil {
		r.t.Fatal(err)
	}
}

// step receives once and commits what came, unless crash is set, when it
// drops the delivery as a killed process would.
func (r *rig) step(crash bool) *Delivery {
	r.t.Helper()
	d, err := r.c.Next(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	if crash {
		d.Release()
		return d
	}
	for _, p := range d.Upserts {
		r.index[p.ID] = p
	}
	for _, id := range d.Deletes {
		delete(r.index, id)
	}
	if err := d.Ack(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	return d
}

// drain steps until the queue is empty.
func (r *rig) drain() {
	r.t.Helper()
	for range 20 {
		if r.sqs.Counts("papers").Total() == 0 {
			return
		}
		r.step(false)
	}
	r.t.Fatalf("queue not drained: %+v", r.sqs.Counts("papers"))
}

func (r *rig) ids() []string {
	var ids []string
	for id := range r.index {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (r *rig) put(key, data string, meta, tags map[string]string) {
	r.t.Helper()
	if err := r.s3.Put("lib", key, []byte(data), meta, tags); err != nil {
		r.t.Fatal(err)
	}
}

const twoPapers = `{"_id": "a1", "title": "Heat in metals", "text": "We measure heat."}
{"_id": "a2", "title": "Heat in glass", "text": "We measure more heat."}
`

func TestCreatedAndRemoved(t *testing.T) {
	for _, eb := range []bool{false, true} {
		t.Run(fmt.Sprint("eventbridge=", eb), func(t *testing.T) {
			r := newRig(t, eb, 30, nil)
			r.put("dumps/part 1.jsonl", twoPapers, nil, nil) // a space: URL-encoded as '+' in S3 events
			r.put("notes/heat.md", "---\ntitle: Heat Notes\nyear: 2024\n---\n\nA short note on heat.\n", nil, nil)
			r.put("images/fig.png", "PNG", nil, nil)
			r.drain()
			if got := r.ids(); !slices.Equal(got, []string{"a1", "a2", "notes/heat"}) {
				t.Fatalf("after uploads: %v", got)
			}
			if p := r.index["notes/heat"]; p.Title != "Heat Notes" || p.Year != 2024 || p.Source != "lib" {
				t.Fatalf("document: %+v", p)
			}
			// Overwrite with one paper gone and one new: a2 must go.
			r.put("dumps/part 1.jsonl", `{"_id": "a1", "title": "Heat in metals", "text": "v2"}
{"_id": "a3", "title": "Cold", "text": "x"}
`, nil, nil)
			r.drain()
			if got := r.ids(); !slices.Equal(got, []string{"a1", "a3", "notes/heat"}) {
				t.Fatalf("after overwrite: %v", got)
			}
			if err := r.s3.Delete("lib", "dumps/part 1.jsonl"); err != nil {
				t.Fatal(err)
			}
			if err := r.s3.Delete("lib", "notes/heat.md"); err != nil {
				t.Fatal(err)
			}
			r.drain()
			if got := r.ids(); len(got) != 0 {
				t.Fatalf("after deletes: %v", got)
			}
			if n := len(r.sqs.Bodies("dlq")); n != 0 {
				t.Fatalf("%d messages dead-lettered", n)
			}
		})
	}
}

func TestTestEventBadJSONAndDeadLetter(t *testing.T) {
	r := newRig(t, false, 1, nil)
	clk := &clock{now: time.Now()}
	r.sqs.SetClock(clk.Now)
	if err := r.s3.TestEvent("lib"); err != nil {
		t.Fatal(err)
	}
	r.sqs.Send(r.queue, "this is not JSON")
	r.sqs.Send(r.queue, `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"lib"},"object":{}}}]}`)
	d := r.step(false)
	if d.Messages != 3 || d.Failed != 2 {
		t.Fatalf("delivery: %d messages, %d failed", d.Messages, d.Failed)
	}
	// The test event is deleted; the two bad ones come back, then go to
	// the dead-letter queue after maxReceiveCount (2) receives.
	for range 3 {
		clk.Add(2 * time.Second)
		r.step(false)
	}
	if c := r.sqs.Counts("papers"); c.Total() != 0 {
		t.Fatalf("queue still holds %+v", c)
	}
	if b := r.sqs.Bodies("dlq"); len(b) != 2 {
		t.Fatalf("dead-letter queue holds %q", b)
	}
	logs := strings.Join(r.logs, "\n")
	for _, want := range []string{"not a JSON object", "Records[0].s3.object.key: missing", "(receive 2 of 2)", "dead-letter queue"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestRedeliveryAfterCrash(t *testing.T) {
	r := newRig(t, false, 1, nil)
	clk := &clock{now: time.Now()}
	r.sqs.SetClock(clk.Now)
	r.put("a.jsonl", twoPapers, nil, nil)
	// The process dies after reading, before committing: nothing deleted.
	if d := r.step(true); len(d.Upserts) != 2 {
		t.Fatalf("first delivery: %d papers", len(d.Upserts))
	}
	clk.Add(2 * time.Second)
	// A new process: the message comes back, is applied once, deleted.
	r.open(nil)
	r.drain()
	if got := r.ids(); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("after redelivery: %v", got)
	}
	// Committed but killed before the delete: applying it again changes
	// nothing (upserts by ID).
	r.put("b.md", "# B paper\n\nText.\n", nil, nil)
	d, err := r.c.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Upserts {
		r.index[p.ID] = p
	}
	d.Release()
	clk.Add(2 * time.Second)
	r.open(nil)
	r.drain()
	if got := r.ids(); !slices.Equal(got, []string{"a1", "a2", "b"}) {
		t.Fatalf("after a second redelivery: %v", got)
	}
}

func TestStaleEventIgnored(t *testing.T) {
	r := newRig(t, false, 30, nil)
	r.put("x.md", "# X\n\nx.\n", nil, nil)
	r.drain()
	// A delete whose sequencer is older than the create's arrives late.
	r.sqs.Send(r.queue, `{"Records":[{"eventName":"ObjectRemoved:Delete","eventTime":"2026-01-01T00:00:00.000Z",
		"s3":{"bucket":{"name":"lib"},"object":{"key":"x.md","sequencer":"0000000000000000"}}}]}`)
	d := r.step(false)
	if d.Stale != 1 || len(d.Deletes) != 0 {
		t.Fatalf("stale delete applied: %+v", d)
	}
	if got := r.ids(); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("index: %v", got)
	}
}

func TestMetadataAndTags(t *testing.T) {
	fm, err := corpus.ParseFieldMap("venue=x-amz-meta-venue,fields=tag:field,year=x-amz-meta-year,abstract=text")
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, false, 30, fm)
	r.put("m.jsonl", `{"id": "m1", "title": "T", "text": "abstract here", "venue": "ignored"}`+"\n",
		map[string]string{"Venue": "Phys. Rev.", "year": "2019"}, map[string]string{"field": "physics.optics"})
	r.put("bad.md", "# Bad\n\nx.\n", map[string]string{"year": "soon"}, nil)
	r.drain()
	p := r.index["m1"]
	if p.Venue != "Phys. Rev." || p.Year != 2019 || !slices.Equal(p.Fields, []string{"physics.optics"}) || p.Abstract != "abstract here" {
		t.Fatalf("paper: %+v", p)
	}
	if _, ok := r.index["bad"]; ok {
		t.Fatal("a paper with a bad year in its metadata was kept")
	}
}

func TestVisibilityExtended(t *testing.T) {
	r := newRig(t, false, 1, nil)
	r.s3.SlowGets(2500 * time.Millisecond)
	r.put("slow.md", "# Slow\n\nx.\n", nil, nil)
	done := make(chan *Delivery)
	go func() {
		d, err := r.c.Next(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- d
	}()
	// While the object is read (2.5 s, the timeout is 1 s) the message
	// must stay in flight, never visible to another consumer.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case d := <-done:
			if len(d.Upserts) != 1 {
				t.Fatalf("delivery: %+v", d)
			}
			if err := d.Ack(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c := r.sqs.Counts("papers"); c.Total() != 0 {
				t.Fatalf("not deleted: %+v", c)
			}
			return
		case <-deadline:
			t.Fatal("no delivery")
		case <-time.After(50 * time.Millisecond):
			if c := r.sqs.Counts("papers"); c.Visible > 0 {
				t.Fatalf("the message became visible while its object was read: %+v", c)
			}
		}
	}
}

func TestParseMessage(t *testing.T) {
	sns := `{"Type":"Notification","MessageId":"1","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":` +
		`"{\"Records\":[{\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"a%2Bb+c.md\",\"sequencer\":\"0A\"}}}]}"}`
	evs, err := ParseMessage([]byte(sns))
	if err != nil || len(evs) != 1 || evs[0].Key != "a+b c.md" || evs[0].Action != Upsert {
		t.Fatalf("SNS-wrapped: %+v, %v", evs, err)
	}
	if evs, err := ParseMessage([]byte(`{"detail-type":"Object Restore Completed","source":"aws.s3","detail":{}}`)); err != nil || len(evs) != 0 {
		t.Fatalf("restore: %+v, %v", evs, err)
	}
	if _, err := ParseMessage([]byte(`{"hello":1}`)); err == nil {
		t.Fatal("an unrelated object parsed")
	}
	if !SequencerAfter("0A1", "0A") || SequencerAfter("0A", "0A0") || !SequencerAfter("0B", "0A9") {
		t.Fatal("sequencer order")
	}
}

func TestThrottlingAndMissingQueue(t *testing.T) {
	r := newRig(t, false, 30, nil)
	r.put("t.md", "# T\n\nx.\n", nil, nil)
	// Throttled receives are retried with backoff, not reported.
	r.sqs.Throttle(2)
	r.drain()
	if got := r.ids(); !slices.Equal(got, []string{"t"}) {
		t.Fatalf("index: %v", got)
	}
	if n := r.sqs.Calls("ReceiveMessage"); n < 3 {
		t.Fatalf("%d receives: the throttled ones were not retried", n)
	}
	l, err := OpenLedger(filepath.Join(t.TempDir(), "l"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client := awssqs.New(awssqs.Options{BaseEndpoint: aws.String(r.sqs.URL), Region: sqstest.Region,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	_, err = New(context.Background(), Options{SQS: client, S3: r.s3.Client, QueueURL: r.sqs.URL + "/000000000000/nope", Ledger: l})
	if err == nil || !strings.Contains(err.Error(), `queue "nope" does not exist`) {
		t.Fatalf("missing queue: %v", err)
	}
}

func TestLedgerSurvivesTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	l, err := OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(Entry{Key: "b/a", Seq: "01", IDs: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	// A crash mid-write leaves half a line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"k":"b/c","s":"02","ids":["y`)
	f.Close()
	l, err = OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(Entry{Key: "b/d", Seq: "03", IDs: []string{"z"}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, _ = OpenLedger(path)
	defer l.Close()
	if e, ok := l.Get("b/d"); !ok || e.IDs[0] != "z" {
		t.Fatalf("the entry after a torn line was lost: %+v", e)
	}
	if e, ok := l.Get("b/a"); !ok || e.IDs[0] != "x" {
		t.Fatalf("entry before: %+v", e)
	}
}

func TestGzipObject(t *testing.T) {
	r := newRig(t, true, 30, nil)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(twoPapers + "{broken\n"))
	zw.Close()
	r.put("z/corpus.jsonl.gz", b.String(), nil, nil)
	d := r.step(false)
	if got := r.ids(); !slices.Equal(got, []string{"a1", "a2"}) || len(d.Bad) != 1 || d.Failed != 0 {
		t.Fatalf("index %v, %d bad, %d failed", got, len(d.Bad), d.Failed)
	}
	if !strings.Contains(d.Bad[0].Error(), "s3://lib/z/corpus.jsonl.gz:3") {
		t.Fatalf("bad record named as %q", d.Bad[0])
	}
}
