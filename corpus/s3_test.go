package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 is an in-process S3 server (gofakes3 over HTTP) with fault
// injection by bucket and key, and counters of what clients asked.
type fakeS3 struct {
	url     string
	client  *s3.Client
	backend *s3mem.Backend
	handler http.Handler

	lists, gets           atomic.Int32
	inFlight, maxInFlight atomic.Int32

	mu     sync.Mutex
	delay  map[string]time.Duration // GET waits this long
	hang   map[string]bool          // GET waits for the client to give up
	cut    map[string]int           // GET sends this many bytes, then drops the connection (once)
	busy   map[string]int           // GET answers 503 SlowDown this many times
	denied map[string]bool          // every request to the bucket gets 403 AccessDenied
	keyGet map[string]int           // GETs per key
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{
		backend: s3mem.New(),
		delay:   map[string]time.Duration{}, hang: map[string]bool{}, cut: map[string]int{},
		busy: map[string]int{}, denied: map[string]bool{}, keyGet: map[string]int{},
	}
	f.handler = gofakes3.New(f.backend).Server()
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	f.url = ts.URL
	f.client = s3.New(s3.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test-key", "test-secret", ""),
		// Plain checksums: gofakes3 does not decode aws-chunked trailers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	return f
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	isGet := r.Method == http.MethodGet && key != ""
	if r.Method == http.MethodGet && key == "" && r.URL.Query().Get("list-type") == "2" {
		f.lists.Add(1)
	}
	f.mu.Lock()
	denied := f.denied[bucket]
	var delay time.Duration
	var hang bool
	var cut, busy int
	if isGet {
		f.keyGet[key]++
		delay, hang, cut, busy = f.delay[key], f.hang[key], f.cut[key], f.busy[key]
		delete(f.cut, key)
		if busy > 0 {
			f.busy[key]--
		}
	}
	f.mu.Unlock()

	switch {
	case denied:
		s3ErrorReply(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	case !isGet:
		f.handler.ServeHTTP(w, r)
		return
	}
	f.gets.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	switch {
	case hang:
		<-r.Context().Done()
	case busy > 0:
		s3ErrorReply(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case cut > 0:
		f.cutShort(w, r, bucket, key, cut)
	default:
		time.Sleep(delay)
		f.handler.ServeHTTP(w, r)
	}
}

// cutShort announces the whole object, sends n bytes of it and drops the
// connection, as a network failure mid-download would.
func (f *fakeS3) cutShort(w http.ResponseWriter, r *http.Request, bucket, key string, n int) {
	obj, err := f.backend.GetObject(bucket, key, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer obj.Contents.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(obj.Contents); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes()[:n])
	w.(http.Flusher).Flush()
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

func s3ErrorReply(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>test</RequestId></Error>`, code, msg)
}

func (f *fakeS3) bucket(t *testing.T, name string) {
	t.Helper()
	if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeS3) put(t *testing.T, bucket, key string, data []byte) {
	t.Helper()
	_, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fakeS3) getsOf(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keyGet[key]
}

func s3Gzip(t *testing.T, data string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// beirLines writes BEIR corpus lines for ids first..first+n-1.
func beirLines(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, `{"_id": "d%d", "title": "Paper %d on heat transfer", "text": "We measure the heat transfer of sample %d."}`+"\n", i, i, i)
	}
	return b.String()
}

// papersBucket fills bucket "papers" with a BEIR corpus split over three
// gzipped objects (the last with a broken line 2), a Markdown paper, and
// keys the source must skip.
func papersBucket(t *testing.T) *fakeS3 {
	f := newFakeS3(t)
	f.bucket(t, "papers")
	f.put(t, "papers", "beir/corpus-0.jsonl.gz", s3Gzip(t, beirLines(0, 5)))
	f.put(t, "papers", "beir/corpus-1.jsonl.gz", s3Gzip(t, beirLines(5, 5)))
	f.put(t, "papers", "beir/corpus-2.jsonl.gz", s3Gzip(t, beirLines(10, 1)+"{\"_id\": \"broken\n"+beirLines(11, 1)))
	f.put(t, "papers", "beir/notes/heat.md", []byte("---\ntitle: Heat Notes\nyear: 2024\n---\n\nA short note on heat.\n"))
	f.put(t, "papers", "beir/figures/", nil)
	f.put(t, "papers", "beir/figures/plot.png", []byte("\x89PNG"))
	f.put(t, "papers", "other/corpus.jsonl", []byte(beirLines(100, 1)))
	return f
}

var papersWant = []string{"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "!", "d11", "notes/heat"}

// s3Items reads a source into one string per item: the paper ID, or "!"
// for a record error; fatal errors fail the test.
func s3Items(t *testing.T, src Source, from Cursor) ([]string, []Record, []*RecordError) {
	t.Helper()
	var items []string
	var recs []Record
	var bad []*RecordError
	for r, err := range src.Papers(context.Background(), from) {
		var re *RecordError
		switch {
		case errors.As(err, &re):
			items, bad = append(items, "!"), append(bad, re)
		case err != nil:
			t.Fatalf("fatal: %v", err)
		default:
			items, recs = append(items, r.Paper.ID), append(recs, r)
		}
	}
	return items, recs, bad
}

func TestS3ReadsInKeyOrder(t *testing.T) {
	t.Parallel()
	f := papersBucket(t)
	// The first object is the slowest: the others are fetched meanwhile,
	// but records must still come out in key order.
	f.delay["beir/corpus-0.jsonl.gz"] = 150 * time.Millisecond
	src, err := NewS3(context.Background(), "s3://papers/beir/", S3Options{Client: f.client, Concurrency: 3, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "s3://papers/beir/" || src.Len() != 4 {
		t.Errorf("Name %q Len %d, want s3://papers/beir/ and 4 objects", src.Name(), src.Len())
	}
	if n := f.lists.Load(); n < 3 {
		t.Errorf("%d listing requests with PageSize 2 over 6 keys, want at least 3", n)
	}
	items, recs, bad := s3Items(t, src, Cursor{})
	if !slices.Equal(items, papersWant) {
		t.Fatalf("got %q\nwant %q", items, papersWant)
	}
	if got := bad[0].Pos.String(); got != "s3://papers/beir/corpus-2.jsonl.gz:2" {
		t.Errorf("bad line at %s", got)
	}
	if recs[0].Pos.String() != "s3://papers/beir/corpus-0.jsonl.gz:1" || recs[0].Paper.Source != "beir" || recs[0].Paper.Title != "Paper 0 on heat transfer" {
		t.Errorf("first record %+v", recs[0])
	}
	doc := recs[len(recs)-1]
	if doc.Pos.String() != "s3://papers/beir/notes/heat.md" || doc.Paper.Title != "Heat Notes" || doc.Paper.Year != 2024 || doc.Paper.Source != "papers" {
		t.Errorf("document record %+v", doc)
	}
	var size int64
	for i, r := range recs {
		if i > 0 && r.Bytes < recs[i-1].Bytes {
			t.Errorf("Bytes went back from %d to %d at %s", recs[i-1].Bytes, r.Bytes, r.Pos)
		}
		size = r.Bytes
	}
	if size != src.Size(context.Background()) {
		t.Errorf("last Bytes %d != Size %d", size, src.Size(context.Background()))
	}
}

func TestS3Resume(t *testing.T) {
	t.Parallel()
	f := papersBucket(t)
	src, err := NewS3(context.Background(), "s3://papers/beir", S3Options{Client: f.client, Format: "beir", Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	var cursors []Cursor
	for r, err := range src.Papers(context.Background(), Cursor{}) {
		var re *RecordError
		if errors.As(err, &re) {
			cursors = append(cursors, re.Cursor)
		} else {
			cursors = append(cursors, r.Cursor)
		}
	}
	if len(cursors) != len(papersWant) {
		t.Fatalf("%d items, want %d", len(cursors), len(papersWant))
	}
	for k, c := range cursors {
		got, _, _ := s3Items(t, src, c)
		if want := papersWant[k+1:]; !slices.Equal(got, want) {
			t.Errorf("resuming after item %d (%+v): got %q, want %q", k, c, got, want)
		}
	}
	before := f.getsOf("beir/corpus-0.jsonl.gz")
	s3Items(t, src, Cursor{Unit: 3, Line: 1})
	if f.getsOf("beir/corpus-0.jsonl.gz") != before {
		t.Error("resuming past an object fetched it again")
	}
}

func TestS3Cancel(t *testing.T) {
	t.Parallel()
	f := papersBucket(t)
	f.hang["beir/corpus-1.jsonl.gz"] = true
	src, err := NewS3(context.Background(), "s3://papers/beir/", S3Options{Client: f.client})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := 0
	start := time.Now()
	for _, err := range src.Papers(ctx, Cursor{}) {
		if err != nil {
			t.Errorf("error after cancelling: %v", err)
		}
		got++
		if got == 5 {
			// The next object never arrives; cancelling must end the wait.
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	}
	if got != 5 {
		t.Errorf("got %d records, want the 5 of the first object", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stopping took %v", d)
	}
	// Every GET, prefetched ones included, was abandoned.
	deadline := time.Now().Add(2 * time.Second)
	for f.inFlight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.inFlight.Load(); n > 0 {
		t.Errorf("%d GETs still in flight after cancel", n)
	}
}

func TestS3BoundedConcurrency(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	f.bucket(t, "bkt")
	for i := range 8 {
		key := fmt.Sprintf("part-%d.jsonl", i)
		f.put(t, "bkt", key, []byte(beirLines(i, 1)))
		f.delay[key] = 30 * time.Millisecond
	}
	src, err := NewS3(context.Background(), "s3://bkt", S3Options{Client: f.client, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	items, _, _ := s3Items(t, src, Cursor{})
	if len(items) != 8 {
		t.Fatalf("got %q", items)
	}
	if n := f.maxInFlight.Load(); n < 2 || n > 3 {
		t.Errorf("at most %d GETs in flight, want 2 or 3 (parallel, bounded by Concurrency 3)", n)
	}
}

func TestS3TransientFailures(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	f.bucket(t, "bkt")
	big := beirLines(0, 300)
	f.put(t, "bkt", "a/big.jsonl.gz", s3Gzip(t, big))
	f.put(t, "bkt", "a/small.jsonl", []byte(beirLines(300, 2)))
	src, err := NewS3(context.Background(), "s3://bkt/a/", S3Options{Client: f.client})
	if err != nil {
		t.Fatal(err)
	}
	// A 503 is retried by the SDK; a connection dropped mid-body is
	// resumed from where it broke with a Range request.
	f.busy["a/small.jsonl"] = 1
	f.cut["a/big.jsonl.gz"] = 1000
	items, _, bad := s3Items(t, src, Cursor{})
	if len(items) != 302 || len(bad) != 0 {
		t.Fatalf("got %d items, errors %v", len(items), bad)
	}
	if n := f.getsOf("a/big.jsonl.gz"); n != 3 { // detection, cut GET, resumed GET
		t.Errorf("%d GETs of the cut object, want 3", n)
	}
}

func TestS3ObjectDeletedAfterListing(t *testing.T) {
	t.Parallel()
	f := papersBucket(t)
	src, err := NewS3(context.Background(), "s3://papers/beir/", S3Options{Client: f.client})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("papers"), Key: aws.String("beir/corpus-1.jsonl.gz")}); err != nil {
		t.Fatal(err)
	}
	items, _, bad := s3Items(t, src, Cursor{})
	want := slices.Concat([]string{"d0", "d1", "d2", "d3", "d4", "!"}, papersWant[10:])
	if !slices.Equal(items, want) {
		t.Fatalf("got %q, want %q", items, want)
	}
	if bad[0].Pos.File != "s3://papers/beir/corpus-1.jsonl.gz" {
		t.Errorf("missing object reported at %s", bad[0].Pos)
	}
}

func TestS3SetupErrors(t *testing.T) {
	t.Parallel()
	f := papersBucket(t)
	f.bucket(t, "locked")
	f.denied["locked"] = true
	f.bucket(t, "empty")
	for _, tc := range []struct{ url, want string }{
		{"https://papers/beir", "must start with s3://"},
		{"s3:///beir", "no bucket name"},
		{"s3://AKIA:secret@papers/x", "must not hold credentials"},
		{"s3://pa pers/x", "which S3 does not allow"},
		{"s3://nosuch/x", `bucket "nosuch" does not exist at ` + f.url},
		{"s3://locked/x", "access denied to s3://locked/x"},
		{"s3://empty", "holds no .jsonl"},
	} {
		_, err := NewS3(context.Background(), tc.url, S3Options{Client: f.client})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error repeats a credential: %v", tc.url, err)
		}
	}
	for _, tc := range []struct {
		o    S3Options
		want string
	}{
		{S3Options{Client: f.client, Format: "bibtex"}, "unknown format"},
		{S3Options{Client: f.client, Concurrency: -1}, "must not be negative"},
		{S3Options{Endpoint: "localhost:9000"}, "http:// or https:// URL"},
		{S3Options{Endpoint: "http://key:secret@localhost:9000"}, "must not hold credentials"},
	} {
		_, err := NewS3(context.Background(), "s3://papers/beir/", tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%+v: err = %v, want %q", tc.o, err, tc.want)
		}
	}
}

// TestS3DefaultClient builds the client the way the program does, from the
// environment's credential chain and an endpoint, with no injected client.
func TestS3DefaultClient(t *testing.T) {
	f := papersBucket(t)
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	_, err := NewS3(context.Background(), "s3://papers/beir/", S3Options{Endpoint: f.url})
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials found") {
		t.Errorf("without credentials: err = %v", err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	src, err := NewS3(context.Background(), "s3://papers/beir/notes/", S3Options{Endpoint: f.url})
	if err != nil {
		t.Fatal(err)
	}
	items, _, _ := s3Items(t, src, Cursor{})
	if !slices.Equal(items, []string{"heat"}) {
		t.Errorf("got %q, want the one note, named below the prefix", items)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, err := NewS3(context.Background(), "s3://papers/beir/", S3Options{Endpoint: f.url, Anonymous: true}); err != nil {
		t.Errorf("anonymous: %v", err)
	}
}

// PDF objects are read through the PDFReader, their ID from the key;
// a PDF the reader refuses is one bad record, and the rest go on.
func TestS3ReadsPDFs(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	f.bucket(t, "lib")
	f.put(t, "lib", "pdfs/a.pdf", []byte("%PDF-a"))
	f.put(t, "lib", "pdfs/b.pdf", []byte("%PDF-broken"))
	f.put(t, "lib", "pdfs/c.PDF", []byte("%PDF-c"))
	read := func(_ context.Context, name string, data []byte) (Paper, []string, error) {
		if strings.Contains(string(data), "broken") {
			return Paper{}, nil, fmt.Errorf("%s: damaged PDF", name)
		}
		return Paper{Title: "Title of " + string(data), FullText: "text"}, []string{"a warning"}, nil
	}
	src, err := NewS3(context.Background(), "s3://lib/pdfs/", S3Options{Client: f.client, PDF: read})
	if err != nil {
		t.Fatal(err)
	}
	_, recs, bad := s3Items(t, src, Cursor{})
	if len(recs) != 2 || recs[0].Paper.ID != "a" || recs[0].Paper.Title != "Title of %PDF-a" || recs[1].Paper.ID != "c" ||
		recs[0].Paper.Source != "lib" || !slices.Contains(recs[0].Warnings, "a warning") {
		t.Fatalf("records %+v", recs)
	}
	if len(bad) != 1 || bad[0].Pos.String() != "s3://lib/pdfs/b.pdf" || !strings.Contains(bad[0].Error(), "damaged PDF") {
		t.Fatalf("bad %+v", bad)
	}
}
