package sqstest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is a loopback S3 (gofakes3 in memory) that does what a bucket
// notification configuration does: every object PUT or DELETE through its
// HTTP API sends an event to an SQS queue on a Server, in the S3
// notification format or the EventBridge one, with a sequencer that grows
// per write. gofakes3 keeps user metadata (x-amz-meta-*) but has no
// object tagging; S3 adds it (PUT with x-amz-tagging, GET/PUT ?tagging,
// and x-amz-tagging-count on GET), as AWS answers it.
type S3 struct {
	URL    string
	Client *s3.Client
	hs     *httptest.Server
	fake   http.Handler
	sqs    *Server

	mu     sync.Mutex
	notify map[string]notifyTarget // bucket → queue
	tags   map[string]map[string]string
	seq    uint64
	// Uploaded is when each key's last PUT was answered (for latency).
	uploaded map[string]time.Time
	getDelay time.Duration
}

// SlowGets makes every object GET wait d before answering.
func (f *S3) SlowGets(d time.Duration) {
	f.mu.Lock()
	f.getDelay = d
	f.mu.Unlock()
}

type notifyTarget struct {
	queueURL    string
	eventBridge bool
}

// NewS3 starts the fake on loopback, sending events to sqs; it closes
// when the test ends.
func NewS3(t interface{ Cleanup(func()) }, sqs *Server) *S3 {
	f := &S3{fake: gofakes3.New(s3mem.New()).Server(), sqs: sqs, notify: map[string]notifyTarget{},
		tags: map[string]map[string]string{}, uploaded: map[string]time.Time{}}
	f.hs = httptest.NewServer(f)
	f.URL = f.hs.URL
	f.Client = s3.New(s3.Options{
		BaseEndpoint: aws.String(f.URL),
		Region:       Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test-key", "test-secret", ""),
		// Plain checksums: gofakes3 does not decode aws-chunked trailers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	if t != nil {
		t.Cleanup(f.hs.Close)
	}
	return f
}

// Bucket creates a bucket whose writes notify queueURL ("" for none).
func (f *S3) Bucket(name, queueURL string, eventBridge bool) error {
	if _, err := f.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if queueURL != "" {
		f.notify[name] = notifyTarget{queueURL, eventBridge}
	}
	return nil
}

// Put uploads an object through the API (so it notifies), with user
// metadata and tags.
func (f *S3) Put(bucket, key string, data []byte, meta, tags map[string]string) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data), Metadata: meta}
	if len(tags) > 0 {
		v := url.Values{}
		for k, t := range tags {
			v.Set(k, t)
		}
		in.Tagging = aws.String(v.Encode())
	}
	_, err := f.Client.PutObject(context.Background(), in)
	return err
}

// Delete removes an object through the API (so it notifies).
func (f *S3) Delete(bucket, key string) error {
	_, err := f.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err
}

// Uploaded is when the last PUT of bucket/key was answered.
func (f *S3) Uploaded(bucket, key string) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.uploaded[bucket+"/"+key]
}

// TestEvent sends the s3:TestEvent S3 sends when a notification is set up.
func (f *S3) TestEvent(bucket string) error {
	f.mu.Lock()
	t := f.notify[bucket]
	f.mu.Unlock()
	return f.sqs.Send(t.queueURL, fmt.Sprintf(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":%q,"Bucket":%q,"RequestId":"TEST","HostId":"TEST"}`,
		time.Now().UTC().Format(time.RFC3339), bucket))
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  struct {
		Tag []struct {
			Key   string `xml:"Key"`
			Value string `xml:"Value"`
		} `xml:"Tag"`
	} `xml:"TagSet"`
}

// ServeHTTP passes requests to gofakes3, adding tagging and notifications.
func (f *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	id := bucket + "/" + key
	_, isTagging := r.URL.Query()["tagging"]
	switch {
	case key != "" && isTagging && r.Method == http.MethodGet:
		f.mu.Lock()
		var out tagging
		for k, v := range f.tags[id] {
			out.TagSet.Tag = append(out.TagSet.Tag, struct {
				Key   string `xml:"Key"`
				Value string `xml:"Value"`
			}{k, v})
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		b, _ := xml.Marshal(out)
		w.Write(append([]byte(xml.Header), b...))
		return
	case key != "" && isTagging && r.Method == http.MethodPut:
		var in tagging
		if err := xml.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m := map[string]string{}
		for _, t := range in.TagSet.Tag {
			m[t.Key] = t.Value
		}
		f.mu.Lock()
		f.tags[id] = m
		f.mu.Unlock()
		f.event(bucket, key, "ObjectTagging:Put", 0, "")
		return
	case key != "" && r.Method == http.MethodGet:
		f.mu.Lock()
		n := len(f.tags[id])
		delay := f.getDelay
		f.mu.Unlock()
		time.Sleep(delay)
		if n > 0 {
			w.Header().Set("x-amz-tagging-count", strconv.Itoa(n))
		}
		f.fake.ServeHTTP(w, r)
		return
	case key != "" && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
		rec := &statusWriter{ResponseWriter: w}
		size := r.ContentLength
		f.fake.ServeHTTP(rec, r)
		if rec.status >= 300 {
			return
		}
		if r.Method == http.MethodDelete {
			f.mu.Lock()
			delete(f.tags, id)
			f.mu.Unlock()
			f.event(bucket, key, "ObjectRemoved:Delete", 0, "")
			return
		}
		if t := r.Header.Get("X-Amz-Tagging"); t != "" {
			v, _ := url.ParseQuery(t)
			m := map[string]string{}
			for k := range v {
				m[k] = v.Get(k)
			}
			f.mu.Lock()
			f.tags[id] = m
			f.mu.Unlock()
		}
		f.mu.Lock()
		f.uploaded[id] = time.Now()
		f.mu.Unlock()
		f.event(bucket, key, "ObjectCreated:Put", size, strings.Trim(rec.Header().Get("ETag"), `"`))
		return
	}
	f.fake.ServeHTTP(w, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// event sends one notification for a write, if the bucket has a target.
func (f *S3) event(bucket, key, name string, size int64, etag string) {
	f.mu.Lock()
	t, ok := f.notify[bucket]
	f.seq++
	seq := fmt.Sprintf("00%014X", f.seq)
	f.mu.Unlock()
	if !ok {
		return
	}
	now := time.Now().UTC()
	var body []byte
	if t.eventBridge {
		detail := map[string]string{
			"ObjectCreated:Put": "Object Created", "ObjectRemoved:Delete": "Object Deleted", "ObjectTagging:Put": "Object Tags Added",
		}[name]
		body, _ = json.Marshal(map[string]any{
			"version": "0", "id": fmt.Sprintf("ev-%s", seq), "detail-type": detail, "source": "aws.s3",
			"account": Account, "time": now.Format(time.RFC3339), "region": Region,
			"resources": []string{"arn:aws:s3:::" + bucket},
			"detail": map[string]any{"version": "0", "bucket": map[string]string{"name": bucket},
				"object": map[string]any{"key": key, "size": size, "etag": etag, "sequencer": seq}},
		})
	} else {
		// Keys are URL-encoded in this format, with '+' for spaces.
		enc := strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
		body, _ = json.Marshal(map[string]any{"Records": []any{map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": Region,
			"eventTime": now.Format("2006-01-02T15:04:05.000Z"), "eventName": name,
			"s3": map[string]any{"s3SchemaVersion": "1.0", "bucket": map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
				"object": map[string]any{"key": enc, "size": size, "eTag": etag, "sequencer": seq}},
		}}})
	}
	f.sqs.Send(t.queueURL, string(body))
}
