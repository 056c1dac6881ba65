package sqstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (*Server, *sqs.Client, *fakeClock) {
	t.Helper()
	s := New(t)
	clk := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.SetClock(clk.Now)
	c := sqs.New(sqs.Options{
		BaseEndpoint: aws.String(s.URL),
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test-key", "test-secret", ""),
		// Errors come back at once: the test looks at each one.
		RetryMaxAttempts: 1,
	})
	return s, c, clk
}

func receive(t *testing.T, c *sqs.Client, url string, n int32, wait int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: n, WaitTimeSeconds: wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func TestSendReceiveDelete(t *testing.T) {
	_, c, clk := setup(t)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("papers"), Attributes: map[string]string{"VisibilityTimeout": "30"}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(q.QueueUrl)
	var entries []types.SendMessageBatchRequestEntry
	for i := range 12 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(fmt.Sprintf("m%d", i))})
	}
	// The SDK checks each MD5OfMessageBody, so a wrong digest fails here.
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err == nil || !errors.As(err, new(*types.TooManyEntriesInBatchRequest)) {
		t.Fatalf("12 entries: got %v, want TooManyEntriesInBatchRequest", err)
	}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries[:10]}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11}); err == nil {
		t.Fatal("MaxNumberOfMessages 11 accepted")
	}
	got := receive(t, c, url, 10, 0)
	if len(got) != 10 || aws.ToString(got[0].Body) != "m0" || got[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("got %d messages, first %+v", len(got), got[0])
	}
	if again := receive(t, c, url, 10, 0); len(again) != 0 {
		t.Fatalf("in-flight messages delivered again: %d", len(again))
	}
	// Delete the first five; the other five come back after the timeout.
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range got[:5] {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
	}
	del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("not-a-handle")})
	out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 5 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("delete batch: %+v", out)
	}
	clk.Add(31 * time.Second)
	back := receive(t, c, url, 10, 0)
	if len(back) != 5 || back[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after the timeout: %d messages, %v", len(back), back)
	}
	// The first receive's handle is stale now: deleting with it succeeds
	// and deletes nothing, as in SQS.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: got[5].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if n := s(t, c, url); n != 5 {
		t.Fatalf("stale handle deleted a message: %d left", n)
	}
}

// s counts a queue's messages through GetQueueAttributes.
func s(t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	var vis, inflight int
	fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &vis)
	fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &inflight)
	return vis + inflight
}

func TestVisibilityExtensionAndRedrive(t *testing.T) {
	srv, c, clk := setup(t)
	ctx := context.Background()
	if _, err := srv.CreateQueue("dlq", nil); err != nil {
		t.Fatal(err)
	}
	url, err := srv.CreateQueue("work", QueueAttrs{"VisibilityTimeout": "10",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"}`})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Send(url, "poison"); err != nil {
		t.Fatal(err)
	}
	m := receive(t, c, url, 1, 0)[0]
	// Extending keeps it hidden past the queue's timeout.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Second)
	if got := receive(t, c, url, 1, 0); len(got) != 0 {
		t.Fatal("an extended message came back early")
	}
	clk.Add(31 * time.Second)
	m2 := receive(t, c, url, 1, 0)
	if len(m2) != 1 {
		t.Fatal("not redelivered")
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
	if !errors.As(err, new(*types.MessageNotInflight)) {
		t.Fatalf("stale handle: got %v, want MessageNotInflight", err)
	}
	clk.Add(11 * time.Second)
	// Received twice: the third receive moves it to the dead-letter queue.
	if got := receive(t, c, url, 1, 0); len(got) != 0 {
		t.Fatalf("received a third time: %v", got)
	}
	if b := srv.Bodies("dlq"); len(b) != 1 || b[0] != "poison" {
		t.Fatalf("dlq holds %q", b)
	}
	if srv.Counts("work").Total() != 0 {
		t.Fatal("message still in the source queue")
	}
}

func TestErrorsAndLongPoll(t *testing.T) {
	srv, c, _ := setup(t)
	ctx := context.Background()
	_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(srv.URL + "/" + Account + "/nope")})
	if !errors.As(err, new(*types.QueueDoesNotExist)) {
		t.Fatalf("got %v, want QueueDoesNotExist", err)
	}
	url, _ := srv.CreateQueue("q", nil)
	srv.Throttle(1)
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "RequestThrottled" {
		t.Fatalf("got %v, want RequestThrottled", err)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 5})
	if !errors.As(err, new(*types.ReceiptHandleIsInvalid)) {
		t.Fatalf("got %v, want ReceiptHandleIsInvalid", err)
	}
	// A long poll returns as soon as a message arrives.
	go func() { time.Sleep(200 * time.Millisecond); srv.Send(url, "late") }()
	start := time.Now()
	got := receive(t, c, url, 10, 5)
	if len(got) != 1 || time.Since(start) > 3*time.Second {
		t.Fatalf("long poll: %d messages after %s", len(got), time.Since(start))
	}
	// An empty queue holds the poll for the whole wait.
	start = time.Now()
	if got := receive(t, c, url, 10, 1); len(got) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("empty poll: %d messages after %s", len(got), time.Since(start))
	}
}
