// Package sqstest is an in-process Amazon SQS server for tests. It speaks
// the AWS JSON 1.0 protocol that aws-sdk-go-v2's service/sqs sends (POST /
// with X-Amz-Target: AmazonSQS.Operation) and keeps queues in memory with
// SQS's semantics: visibility timeouts that expire and redeliver, receipt
// handles that change on every receive (a stale one deletes nothing),
// long polling up to 20 s, a redrive policy that moves a message received
// maxReceiveCount times to its dead-letter queue, batch limits, and errors
// shaped like AWS's (QueueDoesNotExist, ReceiptHandleIsInvalid,
// MessageNotInflight, RequestThrottled, InvalidParameterValue).
//
// It listens on loopback, so a test can point a child process (a quire
// binary it runs and kills) at it as well as clients in the test itself.
package sqstest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account and Region are what queue URLs and ARNs are built from.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// Server is a loopback SQS endpoint.
type Server struct {
	// URL is the endpoint (BaseEndpoint for clients); queue URLs are
	// URL/Account/name.
	URL string
	hs  *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever a message is added or made visible
	now      func() time.Time
	queues   map[string]*queue
	throttle int // the next this many requests answer RequestThrottled
	seq      int
	calls    map[string]int
}

type queue struct {
	name, url, arn string
	visibility     time.Duration
	wait           time.Duration
	delay          time.Duration
	maxReceives    int    // 0: no redrive policy
	deadLetter     string // the DLQ's name
	redrive        string // the policy as set, echoed by GetQueueAttributes
	msgs           []*message
}

type message struct {
	id, body, md5 string
	sent          time.Time
	firstReceive  time.Time
	visibleAt     time.Time
	receives      int
	handle        string // the latest receipt handle; older ones delete nothing
}

// New starts a server on 127.0.0.1 and closes it when the test ends (pass
// nil and call Close yourself outside tests).
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{changed: make(chan struct{}), now: time.Now, queues: map[string]*queue{}, calls: map[string]int{}}
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Close stops the server, ending long polls in flight.
func (s *Server) Close() { s.hs.CloseClientConnections(); s.hs.Close() }

// SetClock replaces the clock that visibility timeouts and delays are
// measured by (long polls still wait in real time, re-checking it often).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
	s.wake()
}

// Throttle makes the next n requests fail with RequestThrottled.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	s.throttle = n
	s.mu.Unlock()
}

// Calls is how many requests of an operation ("ReceiveMessage") arrived.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// QueueAttrs are the attributes CreateQueue takes, as in the API.
type QueueAttrs map[string]string

// CreateQueue makes a queue and returns its URL: a shortcut for tests that
// do not want a client. RedrivePolicy is the API's JSON string.
func (s *Server) CreateQueue(name string, attrs QueueAttrs) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.createLocked(name, attrs)
	if err != nil {
		return "", err
	}
	return q.url, nil
}

// Send queues a message body: a shortcut for SendMessage.
func (s *Server) Send(queueURL, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(queueURL)
	if q == nil {
		return fmt.Errorf("sqstest: no queue %s", queueURL)
	}
	s.addLocked(q, body, 0)
	return nil
}

// Count is a queue's messages: visible, in flight (received, not yet
// visible again) and delayed.
type Count struct{ Visible, InFlight, Delayed int }

// Total is every message still in the queue.
func (c Count) Total() int { return c.Visible + c.InFlight + c.Delayed }

// Counts tells what a queue (by name) holds now.
func (s *Server) Counts(name string) Count {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c Count
	q := s.queues[name]
	if q == nil {
		return c
	}
	now := s.now()
	for _, m := range q.msgs {
		switch {
		case m.visibleAt.After(now) && m.receives > 0:
			c.InFlight++
		case m.visibleAt.After(now):
			c.Delayed++
		default:
			c.Visible++
		}
	}
	return c
}

// Bodies returns the bodies a queue (by name) holds, e.g. a dead-letter
// queue's.
func (s *Server) Bodies(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if q := s.queues[name]; q != nil {
		for _, m := range q.msgs {
			out = append(out, m.body)
		}
	}
	return out
}

func (s *Server) wake() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// wakeLocked is wake with s.mu held.
func (s *Server) wakeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) createLocked(name string, attrs QueueAttrs) (*queue, error) {
	if name == "" || len(name) > 80 || strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		return nil, &apiError{400, "InvalidParameterValue", "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"}
	}
	if q := s.queues[name]; q != nil {
		return q, nil
	}
	q := &queue{name: name, url: s.URL + "/" + Account + "/" + name,
		arn: "arn:aws:sqs:" + Region + ":" + Account + ":" + name, visibility: 30 * time.Second}
	for k, v := range attrs {
		if err := s.setAttr(q, k, v); err != nil {
			return nil, err
		}
	}
	s.queues[name] = q
	return q, nil
}

func (s *Server) setAttr(q *queue, k, v string) error {
	secs := func(lo, hi int) (time.Duration, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, invalidValue(fmt.Sprintf("Invalid value for the parameter %s.", k))
		}
		return time.Duration(n) * time.Second, nil
	}
	var err error
	switch k {
	case "VisibilityTimeout":
		q.visibility, err = secs(0, 43200)
	case "ReceiveMessageWaitTimeSeconds":
		q.wait, err = secs(0, 20)
	case "DelaySeconds":
		q.delay, err = secs(0, 900)
	case "MessageRetentionPeriod", "MaximumMessageSize", "Policy", "KmsMasterKeyId", "SqsManagedSseEnabled":
		// Accepted and not modelled.
	case "RedrivePolicy":
		var p struct {
			Target string `json:"deadLetterTargetArn"`
			Max    any    `json:"maxReceiveCount"`
		}
		if json.Unmarshal([]byte(v), &p) != nil {
			return invalidValue("Value " + v + " for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.")
		}
		n, _ := strconv.Atoi(fmt.Sprint(p.Max))
		if n < 1 || n > 1000 {
			return invalidValue("Value " + v + " for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: must be between 1 and 1000.")
		}
		dlq := p.Target[strings.LastIndexByte(p.Target, ':')+1:]
		if s.queues[dlq] == nil {
			return invalidValue("Value " + v + " for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.")
		}
		q.maxReceives, q.deadLetter, q.redrive = n, dlq, v
	default:
		return &apiError{400, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute " + k + "."}
	}
	return err
}

// queueLocked finds a queue by URL: AWS accepts any host, and so does
// this, looking only at the name.
func (s *Server) queueLocked(url string) *queue {
	name := url[strings.LastIndexByte(url, '/')+1:]
	return s.queues[name]
}

func (s *Server) addLocked(q *queue, body string, delay time.Duration) *message {
	s.seq++
	sum := md5.Sum([]byte(body))
	now := s.now()
	if delay == 0 {
		delay = q.delay
	}
	m := &message{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq), body: body, md5: hex.EncodeToString(sum[:]),
		sent: now, visibleAt: now.Add(delay)}
	q.msgs = append(q.msgs, m)
	s.wakeLocked()
	return m
}

// apiError is an error response: status, the shape name for __type, the
// query-compatible code for X-Amzn-Query-Error, and the message.
type apiError struct {
	status      int
	shape, code string
	msg         string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func invalidValue(msg string) *apiError {
	return &apiError{400, "InvalidParameterValue", "InvalidParameterValue", msg}
}

func noQueue() *apiError {
	return &apiError{400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."}
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", e.code+";Sender")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.shape, "message": e.msg})
}

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	switch {
	case r.Method != http.MethodPost || !ok:
		writeError(w, &apiError{400, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "want POST / with X-Amz-Target: AmazonSQS.<Operation>"})
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		writeError(w, &apiError{403, "InvalidSecurity", "MissingAuthenticationToken", "Request is missing Authentication Token"})
		return
	}
	s.mu.Lock()
	s.calls[op]++
	throttled := s.throttle > 0
	if throttled {
		s.throttle--
	}
	s.mu.Unlock()
	if throttled {
		writeError(w, &apiError{400, "RequestThrottled", "RequestThrottled", "Rate exceeded"})
		return
	}
	var in request
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, &apiError{400, "InvalidParameterValue", "SerializationException", "cannot read the request body: " + err.Error()})
		return
	}
	var out any
	var err *apiError
	switch op {
	case "CreateQueue":
		out, err = s.createQueue(in)
	case "GetQueueUrl":
		out, err = s.getQueueURL(in)
	case "GetQueueAttributes":
		out, err = s.getQueueAttributes(in)
	case "SendMessage":
		out, err = s.sendMessage(in)
	case "SendMessageBatch":
		out, err = s.sendMessageBatch(in)
	case "ReceiveMessage":
		out, err = s.receiveMessage(r, in)
	case "DeleteMessage":
		out, err = s.deleteMessage(in)
	case "DeleteMessageBatch":
		out, err = s.deleteMessageBatch(in)
	case "ChangeMessageVisibility":
		out, err = s.changeVisibility(in)
	case "ChangeMessageVisibilityBatch":
		out, err = s.changeVisibilityBatch(in)
	default:
		err = &apiError{400, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", op + " is not supported by sqstest"}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(out)
}

// request holds the members of every operation's input that sqstest reads.
type request struct {
	QueueUrl                    string
	QueueName                   string
	Attributes                  map[string]string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MaxNumberOfMessages         *int
	WaitTimeSeconds             *int
	VisibilityTimeout           *int
	DelaySeconds                int
	MessageBody                 string
	ReceiptHandle               string
	Entries                     []entry
}

type entry struct {
	Id                string
	MessageBody       string
	DelaySeconds      int
	ReceiptHandle     string
	VisibilityTimeout int
}

type batchFailure struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

func (s *Server) createQueue(in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.createLocked(in.QueueName, in.Attributes)
	if err != nil {
		return nil, err.(*apiError)
	}
	return map[string]string{"QueueUrl": q.url}, nil
}

func (s *Server) getQueueURL(in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[in.QueueName]
	if q == nil {
		return nil, noQueue()
	}
	return map[string]string{"QueueUrl": q.url}, nil
}

func (s *Server) getQueueAttributes(in request) (any, *apiError) {
	s.mu.Lock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		s.mu.Unlock()
		return nil, noQueue()
	}
	name, vis, wait, redrive, arn := q.name, q.visibility, q.wait, q.redrive, q.arn
	s.mu.Unlock()
	c := s.Counts(name)
	all := map[string]string{
		"QueueArn":                              arn,
		"VisibilityTimeout":                     strconv.Itoa(int(vis / time.Second)),
		"ReceiveMessageWaitTimeSeconds":         strconv.Itoa(int(wait / time.Second)),
		"ApproximateNumberOfMessages":           strconv.Itoa(c.Visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(c.InFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(c.Delayed),
	}
	if redrive != "" {
		all["RedrivePolicy"] = redrive
	}
	out := map[string]string{}
	for _, n := range in.AttributeNames {
		if n == "All" {
			out = all
			break
		}
		if v, ok := all[n]; ok {
			out[n] = v
		} else if !slices.Contains([]string{"RedrivePolicy", "Policy", "KmsMasterKeyId"}, n) {
			return nil, &apiError{400, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute " + n + "."}
		}
	}
	return map[string]any{"Attributes": out}, nil
}

const maxBody = 256 << 10

func (s *Server) sendMessage(in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		return nil, noQueue()
	}
	if err := checkBody(in.MessageBody, in.DelaySeconds); err != nil {
		return nil, err
	}
	m := s.addLocked(q, in.MessageBody, time.Duration(in.DelaySeconds)*time.Second)
	return map[string]string{"MessageId": m.id, "MD5OfMessageBody": m.md5}, nil
}

func checkBody(body string, delay int) *apiError {
	switch {
	case body == "":
		return &apiError{400, "InvalidParameterValue", "MissingParameter", "The request must contain the parameter MessageBody."}
	case len(body) > maxBody:
		return invalidValue("One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.")
	case delay < 0 || delay > 900:
		return invalidValue("Value " + strconv.Itoa(delay) + " for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.")
	}
	return nil
}

// checkEntries applies the batch rules every *Batch operation shares.
func checkEntries(es []entry) *apiError {
	switch {
	case len(es) == 0:
		return &apiError{400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request."}
	case len(es) > 10:
		return &apiError{400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent " + strconv.Itoa(len(es)) + "."}
	}
	seen := map[string]bool{}
	for _, e := range es {
		if seen[e.Id] {
			return &apiError{400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id " + e.Id + " repeated."}
		}
		seen[e.Id] = true
	}
	return nil
}

func (s *Server) sendMessageBatch(in request) (any, *apiError) {
	if err := checkEntries(in.Entries); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		return nil, noQueue()
	}
	ok, failed := []map[string]string{}, []batchFailure{}
	for _, e := range in.Entries {
		if err := checkBody(e.MessageBody, e.DelaySeconds); err != nil {
			failed = append(failed, batchFailure{e.Id, true, err.code, err.msg})
			continue
		}
		m := s.addLocked(q, e.MessageBody, time.Duration(e.DelaySeconds)*time.Second)
		ok = append(ok, map[string]string{"Id": e.Id, "MessageId": m.id, "MD5OfMessageBody": m.md5})
	}
	return map[string]any{"Successful": ok, "Failed": failed}, nil
}

// longest and shortest poll, and how often a poll re-checks the clock
// (a visibility timeout may expire with no request to notice it).
const (
	maxWait = 20 * time.Second
	recheck = 20 * time.Millisecond
)

func (s *Server) receiveMessage(r *http.Request, in request) (any, *apiError) {
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
		if max < 1 || max > 10 {
			return nil, invalidValue("Value " + strconv.Itoa(max) + " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
		}
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, invalidValue("Value " + strconv.Itoa(*in.VisibilityTimeout) + " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")
	}
	s.mu.Lock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		s.mu.Unlock()
		return nil, noQueue()
	}
	wait := q.wait
	s.mu.Unlock()
	if in.WaitTimeSeconds != nil {
		wait = time.Duration(*in.WaitTimeSeconds) * time.Second
		if wait < 0 || wait > maxWait {
			return nil, invalidValue("Value " + strconv.Itoa(*in.WaitTimeSeconds) + " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
		}
	}
	names := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		msgs := s.takeLocked(q, max, in.VisibilityTimeout, names)
		changed := s.changed
		s.mu.Unlock()
		left := time.Until(deadline)
		switch {
		case len(msgs) > 0:
			return map[string]any{"Messages": msgs}, nil
		case left <= 0:
			return map[string]any{}, nil
		}
		select {
		case <-changed:
		case <-time.After(min(left, recheck)):
		case <-r.Context().Done():
			return map[string]any{}, nil
		}
	}
}

type outMessage struct {
	MessageId     string
	ReceiptHandle string
	MD5OfBody     string
	Body          string
	Attributes    map[string]string `json:",omitempty"`
}

// takeLocked receives up to max visible messages, oldest first, moving
// those past the redrive policy's maxReceiveCount to the dead-letter
// queue instead.
func (s *Server) takeLocked(q *queue, max int, vis *int, names []string) []outMessage {
	now := s.now()
	timeout := q.visibility
	if vis != nil {
		timeout = time.Duration(*vis) * time.Second
	}
	var out []outMessage
	keep := q.msgs[:0]
	for _, m := range q.msgs {
		if len(out) >= max || m.visibleAt.After(now) {
			keep = append(keep, m)
			continue
		}
		if q.maxReceives > 0 && m.receives >= q.maxReceives {
			if dlq := s.queues[q.deadLetter]; dlq != nil {
				// Moved with its body; AWS keeps the message ID and the
				// receive count, and so does this.
				m.visibleAt = now
				m.handle = ""
				dlq.msgs = append(dlq.msgs, m)
				s.wakeLocked()
				continue
			}
		}
		m.receives++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.visibleAt = now.Add(timeout)
		m.handle = base64.StdEncoding.EncodeToString([]byte(q.name + "\x00" + m.id + "\x00" + strconv.Itoa(m.receives)))
		out = append(out, outMessage{MessageId: m.id, ReceiptHandle: m.handle, MD5OfBody: m.md5, Body: m.body, Attributes: systemAttrs(m, names)})
		keep = append(keep, m)
	}
	clear(q.msgs[len(keep):])
	q.msgs = keep
	return out
}

func systemAttrs(m *message, names []string) map[string]string {
	all := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
		"SenderId":                         "AIDAEXAMPLE",
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// findLocked resolves a receipt handle: the message it was issued for and
// whether it is that message's latest handle. A handle that does not
// decode is ReceiptHandleIsInvalid; one whose message is gone (deleted,
// or moved to the dead-letter queue) resolves to nil.
func (s *Server) findLocked(q *queue, handle string) (*message, bool, *apiError) {
	raw, err := base64.StdEncoding.DecodeString(handle)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 || parts[0] != q.name {
		return nil, false, &apiError{400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle \"" + handle + "\" is not a valid receipt handle."}
	}
	for _, m := range q.msgs {
		if m.id == parts[1] {
			return m, m.handle == handle, nil
		}
	}
	return nil, false, nil
}

func (s *Server) deleteMessage(in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		return nil, noQueue()
	}
	if err := s.deleteLocked(q, in.ReceiptHandle); err != nil {
		return nil, err
	}
	return map[string]string{}, nil
}

// deleteLocked deletes the message a receipt handle names. As in SQS, a
// handle older than the message's latest receive succeeds and deletes
// nothing: the message was redelivered and someone else holds it now.
func (s *Server) deleteLocked(q *queue, handle string) *apiError {
	m, latest, err := s.findLocked(q, handle)
	if err != nil || m == nil || !latest {
		return err
	}
	q.msgs = slices.DeleteFunc(q.msgs, func(x *message) bool { return x == m })
	return nil
}

func (s *Server) deleteMessageBatch(in request) (any, *apiError) {
	if err := checkEntries(in.Entries); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		return nil, noQueue()
	}
	ok, failed := []map[string]string{}, []batchFailure{}
	for _, e := range in.Entries {
		if err := s.deleteLocked(q, e.ReceiptHandle); err != nil {
			failed = append(failed, batchFailure{e.Id, true, err.code, err.msg})
			continue
		}
		ok = append(ok, map[string]string{"Id": e.Id})
	}
	return map[string]any{"Successful": ok, "Failed": failed}, nil
}

func (s *Server) changeVisibility(in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		return nil, noQueue()
	}
	t := 0
	if in.VisibilityTimeout != nil {
		t = *in.VisibilityTimeout
	}
	if err := s.changeLocked(q, in.ReceiptHandle, t); err != nil {
		return nil, err
	}
	return map[string]string{}, nil
}

// changeLocked sets a received message's visibility timeout, counted from
// now. A message not in flight, or a handle not its latest, is
// MessageNotInflight, as SQS answers.
func (s *Server) changeLocked(q *queue, handle string, secs int) *apiError {
	if secs < 0 || secs > 43200 {
		return invalidValue("Value " + strconv.Itoa(secs) + " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.")
	}
	m, latest, err := s.findLocked(q, handle)
	if err != nil {
		return err
	}
	now := s.now()
	if m == nil || !latest || !m.visibleAt.After(now) {
		return &apiError{400, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "Message does not exist or is not available for visibility timeout change."}
	}
	m.visibleAt = now.Add(time.Duration(secs) * time.Second)
	if secs == 0 {
		s.wakeLocked()
	}
	return nil
}

func (s *Server) changeVisibilityBatch(in request) (any, *apiError) {
	if err := checkEntries(in.Entries); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queueLocked(in.QueueUrl)
	if q == nil {
		return nil, noQueue()
	}
	ok, failed := []map[string]string{}, []batchFailure{}
	for _, e := range in.Entries {
		if err := s.changeLocked(q, e.ReceiptHandle, e.VisibilityTimeout); err != nil {
			failed = append(failed, batchFailure{e.Id, true, err.code, err.msg})
			continue
		}
		ok = append(ok, map[string]string{"Id": e.Id})
	}
	return map[string]any{"Successful": ok, "Failed": failed}, nil
}
