package corpus

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// S3Options configures an S3 source. The zero value reads from AWS with the
// standard credential chain (environment, shared config and credentials
// files, SSO, instance roles).
type S3Options struct {
	// Endpoint is the URL of an S3-compatible store (MinIO, Ceph, R2, ...),
	// as aws --endpoint-url takes it; "" means AWS itself.
	Endpoint string
	// Region signs requests; "" takes it from the AWS config or
	// environment, else us-east-1.
	Region string
	// PathStyle addresses buckets as endpoint/bucket instead of
	// bucket.endpoint. It is always on when Endpoint is set, since
	// self-hosted stores rarely have wildcard DNS.
	PathStyle bool
	// Anonymous sends unsigned requests, for public buckets (like aws
	// --no-sign-request).
	Anonymous bool
	// Concurrency is how many objects are fetched at once, the one being
	// read included; 0 means 8.
	Concurrency int
	// PageSize is the number of keys per listing request; 0 leaves it to
	// the server (1,000 on AWS).
	PageSize int32
	// Format names the JSONL layout ("beir", "arxiv", "openalex", "jsonl");
	// "" or "auto" detects it from the first line of the first JSON object.
	Format string
	// FieldMap says where fields are for the "jsonl" format.
	FieldMap FieldMap
	// Source labels the papers. "" labels JSON records as OpenJSONL does
	// from the first JSON key, and documents with the bucket name.
	Source string
	// Client replaces the client built from the options above (tests, or
	// callers with their own AWS configuration).
	Client *s3.Client
	// Limits bound each record; zero means DefaultLimits.
	Limits Limits
	// PDF reads .pdf objects; nil reports each as an error.
	PDF PDFReader
}

// Reading ahead: each object fetched ahead holds at most this much in
// memory, so read-ahead costs at most Concurrency × 4 MiB. A bigger object
// keeps the rest in its open HTTP response, which TCP flow control holds
// back until the reader gets to it.
const s3PrefetchBytes = 4 << 20

// A broken connection in the middle of an object is resumed with a Range
// request this many times before the object is reported as cut short.
const s3MaxResumes = 3

// S3Source streams papers from the objects under an s3://bucket/prefix.
//
// Units are the objects under the prefix, sorted by key, listed once by
// NewS3 so unit numbers stay stable for the life of the source. Objects
// named *.jsonl, *.json, *.ndjson (each optionally .gz) and bare *.gz (as
// in the OpenAlex snapshot) are read line by line; *.md, *.markdown and
// *.txt are one paper each, with the same cursor rule as Folder. Other keys
// and "directory" keys ending in / are skipped.
//
// Records come out strictly in key order while up to Concurrency objects
// are fetched in parallel ahead of the reader.
type S3Source struct {
	client    *s3.Client
	bucket    string
	prefix    string
	where     string // the store for messages: "AWS" or the endpoint's scheme and host
	objects   []s3Object
	size      int64
	decode    LineDecoder // nil when there is no JSON object
	docSource string
	pdf       PDFReader
	docDir    string // see setDocDir
	conc      int
	lim       Limits
}

type s3Object struct {
	key    string
	size   int64
	offset int64 // bytes of the objects before this one, for Record.Bytes
	etag   string
	doc    bool // a Markdown or text document rather than JSONL
}

// NewS3 lists the objects under location (s3://bucket/prefix) and, for
// JSONL objects, settles their format. Problems with the URL, the
// credentials or the bucket are reported here, before any record is read.
func NewS3(ctx context.Context, location string, o S3Options) (*S3Source, error) {
	bucket, prefix, err := parseS3URL(location)
	if err != nil {
		return nil, err
	}
	endpoint := o.Endpoint
	if o.Client != nil && endpoint == "" {
		endpoint = aws.ToString(o.Client.Options().BaseEndpoint)
	}
	where, err := describeEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if o.Concurrency < 0 || o.PageSize < 0 {
		return nil, errors.New("s3: Concurrency and PageSize must not be negative")
	}
	s := &S3Source{client: o.Client, bucket: bucket, prefix: prefix, where: where, conc: o.Concurrency, lim: o.Limits}
	if s.conc == 0 {
		s.conc = 8
	}
	if s.client == nil {
		if s.client, err = newS3Client(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := s.list(ctx, o.PageSize); err != nil {
		return nil, err
	}
	if len(s.objects) == 0 {
		return nil, fmt.Errorf("%s at %s holds no .jsonl, .json, .ndjson, .gz, .md, .markdown or .txt object", s.Name(), s.where)
	}
	s.setDocDir()
	s.docSource, s.pdf = o.Source, o.PDF
	if s.docSource == "" {
		s.docSource = bucket
	}
	if err := s.settleFormat(ctx, o); err != nil {
		return nil, err
	}
	return s, nil
}

// parseS3URL splits s3://bucket/prefix. Messages never repeat the URL: a
// mistyped one may hold a secret.
func parseS3URL(raw string) (bucket, prefix string, err error) {
	const scheme = "s3://"
	if len(raw) < len(scheme) || !strings.EqualFold(raw[:len(scheme)], scheme) {
		return "", "", errors.New("an S3 location must start with s3://, as in s3://bucket/papers/")
	}
	bucket, prefix, _ = strings.Cut(raw[len(scheme):], "/")
	switch {
	case bucket == "":
		return "", "", errors.New("the S3 location has no bucket name: want s3://bucket/prefix")
	case strings.ContainsAny(bucket, "@:"):
		return "", "", errors.New("the S3 location must not hold credentials or a port: give credentials through the AWS environment or profile, and a store's address as the endpoint")
	}
	for _, c := range bucket {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return "", "", fmt.Errorf("bucket name %q has %q, which S3 does not allow (letters, digits, '.', '-' and '_' only)", bucket, c)
		}
	}
	return bucket, prefix, nil
}

// describeEndpoint checks an endpoint URL and names it for messages.
func describeEndpoint(endpoint string) (string, error) {
	if endpoint == "" {
		return "AWS", nil
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return "", errors.New("the S3 endpoint must be an http:// or https:// URL with a host, as in http://localhost:9000")
	case u.User != nil:
		return "", errors.New("the S3 endpoint must not hold credentials: give them through the AWS environment or profile")
	}
	return u.Scheme + "://" + u.Host, nil
}

func newS3Client(ctx context.Context, o S3Options) (*s3.Client, error) {
	// The SDK logs to stderr by default; a source must never print.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Anonymous {
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &s3Error{"cannot load the AWS configuration (check AWS_PROFILE and ~/.aws/config)", err}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle || o.Endpoint != ""
	}), nil
}

// s3Quiet keeps the SDK silent for every call, injected clients included.
func s3Quiet(o *s3.Options) {
	o.Logger = logging.Nop{}
	o.DisableLogOutputChecksumValidationSkipped = true
}

// list takes the object listing, page by page.
func (s *S3Source) list(ctx context.Context, pageSize int32) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
	if s.prefix != "" {
		in.Prefix = aws.String(s.prefix)
	}
	if pageSize > 0 {
		in.MaxKeys = aws.Int32(pageSize)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, s3Quiet)
		if err != nil {
			return s.explain(err, "list "+s.Name())
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			doc, ok := s3ObjectKind(key)
			if !ok {
				continue
			}
			s.objects = append(s.objects, s3Object{key: key, size: aws.ToInt64(obj.Size), etag: aws.ToString(obj.ETag), doc: doc})
		}
	}
	// S3 lists in key order already; other stores need not.
	sort.Slice(s.objects, func(i, j int) bool { return s.objects[i].key < s.objects[j].key })
	for i := range s.objects {
		s.objects[i].offset = s.size
		s.size += s.objects[i].size
	}
	return nil
}

// s3ObjectKind says whether a key is read, and whether as a document.
func s3ObjectKind(key string) (doc, ok bool) {
	if strings.HasSuffix(key, "/") {
		return false, false
	}
	if isDocumentName(key) || IsPDFName(key) {
		return true, true
	}
	name := strings.ToLower(key)
	base := strings.TrimSuffix(name, ".gz")
	switch path.Ext(base) {
	case ".jsonl", ".json", ".ndjson":
		return false, true
	case "":
		return false, base != name // part_000.gz
	}
	return false, false
}

// settleFormat picks the JSONL decoder once, so every object and every
// resumed run decodes alike.
func (s *S3Source) settleFormat(ctx context.Context, o S3Options) error {
	first := -1
	for i, obj := range s.objects {
		if !obj.doc {
			first = i
			break
		}
	}
	format := o.Format
	if first < 0 && (format == "" || format == FormatAuto) {
		return nil // documents only
	}
	var key string
	if first >= 0 {
		key = s.objects[first].key
	}
	if format == "" || format == FormatAuto {
		line, err := s.firstLine(ctx, s.objects[first])
		if err != nil {
			return fmt.Errorf("detect the format of %s: %w", s.url(key), err)
		}
		format = DetectFormat(line)
	}
	source := o.Source
	if source == "" && key != "" {
		source = defaultLabel(format, key)
	}
	f, err := NewFormat(format, o.FieldMap, source)
	if err != nil {
		return err
	}
	s.decode = f.Decode
	return nil
}

// firstLine reads the first non-blank line of an object, and only that.
func (s *S3Source) firstLine(ctx context.Context, obj s3Object) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // drops the rest of the body
	r := &s3Reader{ctx: ctx, s: s, obj: obj}
	defer r.Close()
	in, err := Decompress(r)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(io.LimitReader(in, MaxLineBytes))
	for {
		line, err := br.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return t, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Name is the s3:// location; it never names the endpoint, whose URL may
// carry more than a host.
func (s *S3Source) Name() string { return "s3://" + s.bucket + "/" + s.prefix }

// Size is the total size of the listed objects.
func (s *S3Source) Size(context.Context) int64 { return s.size }

// Len is the number of objects (units) listed.
func (s *S3Source) Len() int { return len(s.objects) }

func (s *S3Source) url(key string) string { return "s3://" + s.bucket + "/" + key }

// docName is a document's name for DecodeDocument: its key below the
// prefix's "directory", so s3://b/papers/x/y.md has the ID x/y under
// s3://b/papers/, as a folder would give it.
func (s *S3Source) docName(key string) string {
	return strings.TrimPrefix(key, s.docDir)
}

// setDocDir picks the directory document names are relative to. A prefix
// without a trailing slash that every key continues with "/" is that
// directory, so s3://b/papers and s3://b/papers/ give the same IDs;
// otherwise it is the prefix up to its last slash.
func (s *S3Source) setDocDir() {
	s.docDir = s.prefix[:strings.LastIndexByte(s.prefix, '/')+1]
	if s.prefix == "" || strings.HasSuffix(s.prefix, "/") {
		return
	}
	for _, obj := range s.objects {
		if !strings.HasPrefix(obj.key, s.prefix+"/") {
			return
		}
	}
	s.docDir = s.prefix + "/"
}

// Papers streams the records of the objects from the cursor on. A
// per-object problem (an object deleted since the listing, a cut-off body,
// a bad line) is a *RecordError; losing access or the endpoint ends the
// stream with an error. Cancelling ctx aborts every request in flight and
// ends the stream without an error, like the other sources.
func (s *S3Source) Papers(ctx context.Context, from Cursor) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		fetches := s.prefetch(ctx, from)
		defer func() {
			cancel()
			for f := range fetches {
				<-f.ready
				f.close()
			}
		}()
		// Once ctx is done, errors are echoes of the cancellation.
		live := func(r Record, err error) bool { return ctx.Err() == nil && yield(r, err) }
		for f := range fetches {
			<-f.ready
			ok := s.readObject(ctx, f, from, live)
			f.close()
			if !ok || ctx.Err() != nil {
				return
			}
		}
	}
}

// s3Fetch is one object being fetched ahead of the reader.
type s3Fetch struct {
	unit  int
	obj   s3Object
	ready chan struct{} // closed once head, rest and err are set
	head  []byte        // the first bytes, or the whole object
	rest  io.ReadCloser // the rest still streaming, or nil
	err   error         // the GET failed
}

func (f *s3Fetch) reader() io.Reader {
	if f.rest == nil {
		return bytes.NewReader(f.head)
	}
	return io.MultiReader(bytes.NewReader(f.head), f.rest)
}

func (f *s3Fetch) close() {
	if f.rest != nil {
		f.rest.Close()
	}
}

// prefetch starts the GETs of the objects still to read, in key order,
// keeping at most s.conc of them fetched or in flight: the channel holds
// conc-1 and the reader the one it is reading.
func (s *S3Source) prefetch(ctx context.Context, from Cursor) <-chan *s3Fetch {
	out := make(chan *s3Fetch, s.conc-1)
	go func() {
		defer close(out)
		for unit := max(from.Unit, 0); unit < len(s.objects); unit++ {
			obj := s.objects[unit]
			if obj.doc && documentConsumed(unit, from) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			f := &s3Fetch{unit: unit, obj: obj, ready: make(chan struct{})}
			select {
			case out <- f:
				go s.get(ctx, f)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// get opens an object and reads its head; a small object is read whole
// and its connection released at once.
func (s *S3Source) get(ctx context.Context, f *s3Fetch) {
	defer close(f.ready)
	r := &s3Reader{ctx: ctx, s: s, obj: f.obj}
	if f.err = r.open(); f.err != nil {
		return
	}
	// One byte past the listed size tells a complete object from one that
	// grew since the listing without another read.
	buf := make([]byte, 0, min(f.obj.size+1, s3PrefetchBytes))
	for len(buf) < cap(buf) {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			r.Close()
			f.head = buf
			if !errors.Is(err, io.EOF) {
				// Hand the failure to the reader, which reports it at
				// the line where the object broke off.
				f.rest = io.NopCloser(s3BrokenBody{err})
			}
			return
		}
	}
	f.head, f.rest = buf, r
}

type s3BrokenBody struct{ err error }

func (e s3BrokenBody) Read([]byte) (int, error) { return 0, e.err }

// readObject yields the records of one fetched object and reports whether
// to go on.
func (s *S3Source) readObject(ctx context.Context, f *s3Fetch, from Cursor, yield func(Record, error) bool) bool {
	name := s.url(f.obj.key)
	if f.err != nil {
		if !s3ObjectGone(f.err) {
			yield(Record{}, f.err)
			return false
		}
		return yield(Record{}, &RecordError{Pos: Position{File: name}, Cursor: Cursor{Unit: f.unit}, Err: f.err})
	}
	if !f.obj.doc {
		_, ok := scanJSONL(ctx, f.reader(), unitScan{name: name, unit: f.unit, from: from, base: f.obj.offset, dec: s.decode, lim: s.lim, yield: yield})
		return ok
	}
	cur := Cursor{Unit: f.unit, Line: 1}
	data, err := readDocumentBytes(f.reader())
	if err != nil {
		return yield(Record{}, &RecordError{Pos: Position{File: name}, Cursor: cur, Err: err})
	}
	if IsPDFName(f.obj.key) {
		p, warns, err := DecodePDF(ctx, s.docName(f.obj.key), data, s.docSource, s.pdf)
		if err != nil {
			return yield(Record{}, &RecordError{Pos: Position{File: name}, Cursor: cur, Err: err})
		}
		rec, err := documentRecord(p, name, cur, f.obj.offset+f.obj.size, s.lim)
		rec.Warnings = append(warns, rec.Warnings...)
		return yield(rec, err)
	}
	p, err := DecodeDocument(s.docName(f.obj.key), data, s.docSource)
	if err != nil {
		return yield(Record{}, placeDocumentError(err, name, cur))
	}
	return yield(documentRecord(p, name, cur, f.obj.offset+f.obj.size, s.lim))
}

// s3Reader streams one object. When the connection breaks mid-body it
// asks again for the rest with a Range request (pinned to the listed ETag,
// so a replaced object is not spliced), up to s3MaxResumes times; throttling
// and 5xx answers to each request are retried by the SDK's retryer.
type s3Reader struct {
	ctx     context.Context
	s       *S3Source
	obj     s3Object
	body    io.ReadCloser
	off     int64
	resumes int
}

func (r *s3Reader) open() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.s.bucket), Key: aws.String(r.obj.key)}
	if r.off > 0 {
		in.Range = aws.String("bytes=" + strconv.FormatInt(r.off, 10) + "-")
		if r.obj.etag != "" {
			in.IfMatch = aws.String(r.obj.etag)
		}
	}
	out, err := r.s.client.GetObject(r.ctx, in, s3Quiet)
	if err != nil {
		return r.s.explain(err, "read "+r.s.url(r.obj.key))
	}
	r.body = out.Body
	return nil
}

func (r *s3Reader) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			if err := r.open(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == nil || errors.Is(err, io.EOF) || r.ctx.Err() != nil || r.resumes >= s3MaxResumes {
			return n, err
		}
		r.body.Close()
		r.body = nil
		r.resumes++
		if n > 0 {
			return n, nil
		}
	}
}

func (r *s3Reader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// s3ObjectGone reports a GET failure that concerns one object only, so the
// others can still be read.
func s3ObjectGone(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NoSuchKey", "NotFound", "PreconditionFailed", "InvalidObjectState":
		return true
	}
	return false
}

// s3Error is an S3 failure told for people: what went wrong and what to
// check, then the SDK's own message.
type s3Error struct {
	reason string
	err    error
}

func (e *s3Error) Error() string { return e.reason + " (" + e.err.Error() + ")" }
func (e *s3Error) Unwrap() error { return e.err }

// explain turns an SDK error into a sentence naming the bucket, the store
// and what to check. The SDK's messages carry no secrets, only operation
// names, status codes and request IDs.
func (s *S3Source) explain(err error, doing string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var (
		ae   smithy.APIError
		se   *v4.SigningError
		ne   *net.OpError
		code string
	)
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var reason string
	switch {
	// Newer SDK versions resolve credentials as a smithy identity and wrap
	// the failure in text only.
	case errors.As(err, &se) || strings.Contains(err.Error(), "get identity: "):
		reason = "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login; for a public bucket read anonymously"
	case code == "NoSuchBucket":
		reason = fmt.Sprintf("bucket %q does not exist at %s: check the bucket name, the region and the endpoint", s.bucket, s.where)
	case code == "AccessDenied" || code == "Forbidden" || code == "AllAccessDisabled" || code == "AccountProblem":
		reason = fmt.Sprintf("access denied to %s at %s: check that these credentials may list and read the bucket (s3:ListBucket, s3:GetObject) and that the bucket policy allows it", s.Name(), s.where)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired":
		reason = fmt.Sprintf("%s rejected the AWS credentials: check the access key and secret, or renew an expired session", s.where)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException":
		reason = fmt.Sprintf("bucket %q is in another region: set the region (AWS_REGION or the region option)", s.bucket)
	case errors.As(err, &ne):
		reason = fmt.Sprintf("cannot reach %s: check the endpoint URL and the network", s.where)
	default:
		reason = fmt.Sprintf("cannot %s at %s", doing, s.where)
	}
	return &s3Error{reason, err}
}
