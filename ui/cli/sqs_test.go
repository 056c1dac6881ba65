package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quire-research/quire/config"
	sqsc "github.com/quire-research/quire/corpus/sqs"
	"github.com/quire-research/quire/corpus/sqs/sqstest"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/query"
)

func TestParseSQSSpec(t *testing.T) {
	for _, c := range []struct {
		spec, url, endpoint, region string
	}{
		{"sqs://sqs.eu-west-1.amazonaws.com/123456789012/papers", "https://sqs.eu-west-1.amazonaws.com/123456789012/papers", "", "eu-west-1"},
		{"sqs://us-east-2.queue.amazonaws.com/1/q", "https://us-east-2.queue.amazonaws.com/1/q", "", "us-east-2"},
		{"sqs+http://127.0.0.1:9324/000000000000/q", "http://127.0.0.1:9324/000000000000/q", "http://127.0.0.1:9324", ""},
	} {
		got, err := parseSQSSpec(c.spec)
		if err != nil || got.queueURL != c.url || got.endpoint != c.endpoint || got.region != c.region {
			t.Errorf("%s: got %+v, %v", c.spec, got, err)
		}
	}
	for _, bad := range []string{"sqs://", "sqs://host/only-one", "sqs://user:secret@host/1/q"} {
		_, err := parseSQSSpec(bad)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: got %v", bad, err)
		}
	}
	if r := quire(t, t.TempDir(), "ingest", "sqs+http://127.0.0.1:1/0/q", "other.jsonl"); r.code != exitUsage || !strings.Contains(r.stderr, "alone") {
		t.Errorf("sqs with another source: %d %s", r.code, r.stderr)
	}
	for k, v := range awsTestEnv {
		t.Setenv(k, v)
	}
	srv := sqstest.New(t)
	home := t.TempDir()
	r := quire(t, home, "--index", filepath.Join(home, "index"), "ingest", "sqs+http://"+strings.TrimPrefix(srv.URL, "http://")+"/000000000000/missing")
	if r.code != exitFailed || !strings.Contains(r.stderr, `queue "missing" does not exist`) {
		t.Errorf("missing queue: %d %s", r.code, r.stderr)
	}
}

// sqsWorld is a queue, its dead-letter queue and a bucket that notifies
// the queue, all served from the test process on loopback.
type sqsWorld struct {
	sqs   *sqstest.Server
	s3    *sqstest.S3
	queue string
}

func newSQSWorld(t *testing.T, visibility, maxReceive int) *sqsWorld {
	t.Helper()
	w := &sqsWorld{sqs: sqstest.New(t)}
	w.s3 = sqstest.NewS3(t, w.sqs)
	if _, err := w.sqs.CreateQueue("dlq", nil); err != nil {
		t.Fatal(err)
	}
	var err error
	w.queue, err = w.sqs.CreateQueue("papers", sqstest.QueueAttrs{"VisibilityTimeout": fmt.Sprint(visibility),
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"%d"}`, maxReceive)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.s3.Bucket("lib", w.queue, false); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *sqsWorld) spec() string { return "sqs+http://" + strings.TrimPrefix(w.queue, "http://") }

// awsTestEnv keeps the SDK off the machine's AWS setup: static fake
// credentials and no config files.
var awsTestEnv = map[string]string{
	"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_REGION": "us-east-1",
	"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
}

// TestSQSChild is the consumer process of TestIngestSQSKill9: the test
// binary run again with QUIRE_SQS_CHILD set, so it can be killed.
func TestSQSChild(t *testing.T) {
	args := os.Getenv("QUIRE_SQS_CHILD")
	if args == "" {
		t.Skip("run by TestIngestSQSKill9")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, strings.Split(args, "\x1f"), strings.NewReader(""), os.Stdout, os.Stderr, os.Getenv))
}

// paperLines writes n JSONL papers with IDs from first, every one holding
// the word "sqspaper" and a word of its own.
func paperLines(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, `{"id": "p%d", "title": "sqspaper number %d", "abstract": "uniq%dword about heat"}`+"\n", i, i, i)
	}
	return b.String()
}

// TestIngestSQSKill9 kills the consumer process with SIGKILL at random
// points over 20 runs while objects are uploaded, overwritten and deleted;
// at the end every paper that should be there is searchable, exactly
// once, and nothing deleted is.
func TestIngestSQSKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 21 processes")
	}
	w := newSQSWorld(t, 2, 1000)
	home := t.TempDir()
	index := filepath.Join(home, "index")
	args := []string{"--index", index, "ingest", "--endpoint-url", w.s3.URL, w.spec()}
	env := os.Environ()
	for k, v := range awsTestEnv {
		env = append(env, k+"="+v)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "NO_COLOR=1", "QUIRE_SQS_CHILD="+strings.Join(args, "\x1f"))
	start := func(i int) (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSQSChild$", "-test.count=1")
		cmd.Env = env
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, out
	}
	rng := rand.New(rand.NewPCG(19, 3))
	want := map[string]bool{} // paper ID → should be in the index
	objects := map[string][]string{}
	next := 0
	upload := func() {
		key := fmt.Sprintf("dump/part-%03d.jsonl", next)
		n := 1 + rng.IntN(4)
		if err := w.s3.Put("lib", key, []byte(paperLines(next*10, n)), nil, nil); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range n {
			ids = append(ids, fmt.Sprintf("p%d", next*10+i))
			want[ids[i]] = true
		}
		objects[key] = ids
		next++
	}
	change := func() {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range objects {
				if !yield(k) {
					return
				}
			}
		})
		if len(keys) == 0 {
			return
		}
		key := keys[rng.IntN(len(keys))]
		for _, id := range objects[key] {
			want[id] = false
		}
		if rng.IntN(2) == 0 {
			if err := w.s3.Delete("lib", key); err != nil {
				t.Fatal(err)
			}
			delete(objects, key)
			return
		}
		// Overwrite with the first paper only, under the same key.
		first := objects[key][0]
		var num int
		fmt.Sscanf(first, "p%d", &num)
		if err := w.s3.Put("lib", key, []byte(paperLines(num, 1)), nil, nil); err != nil {
			t.Fatal(err)
		}
		objects[key] = []string{first}
		want[first] = true
	}
	var logs []string
	for trial := range 20 {
		for range 4 {
			upload()
		}
		change()
		cmd, out := start(trial)
		// Some uploads land while the consumer runs.
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		for range 3 {
			upload()
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		logs = append(logs, fmt.Sprintf("trial %d:\n%s", trial, out))
	}
	// A last run drains the queue, then stops on SIGINT like Ctrl-C (once
	// it is listening, so the signal meets its handler).
	cmd, out := start(20)
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out.String(), "listening on queue") || w.sqs.Counts("papers").Total() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %+v\n%s\n%s", w.sqs.Counts("papers"), strings.Join(logs, "\n"), out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitStopped {
		t.Errorf("after SIGINT: %v, want exit %d\n%s", err, exitStopped, out)
	}
	if b := w.sqs.Bodies("dlq"); len(b) != 0 {
		t.Errorf("%d messages dead-lettered", len(b))
	}
	var wantIDs []string
	for id, ok := range want {
		if ok {
			wantIDs = append(wantIDs, id)
		}
	}
	sort.Strings(wantIDs)
	r := quire(t, home, "--index", index, "search", "--json", "--mode", "bm25", "--limit", "5000", "sqspaper")
	var res struct {
		Total uint64 `json:"total"`
		Hits  []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("search: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.ID)
	}
	sort.Strings(got)
	if !slices.Equal(got, wantIDs) || res.Total != uint64(len(wantIDs)) {
		missing, extra := diff(wantIDs, got)
		t.Fatalf("index holds %d papers (total %d), want %d; missing %v, extra %v\n%s", len(got), res.Total, len(wantIDs), missing, extra, strings.Join(logs, "\n"))
	}
	// Each is searchable by its own word.
	for _, id := range wantIDs[:min(5, len(wantIDs))] {
		var n int
		fmt.Sscanf(id, "p%d", &n)
		r := quire(t, home, "--index", index, "search", "--json", "--mode", "bm25", fmt.Sprintf("uniq%dword", n))
		if !strings.Contains(r.stdout, `"id": "`+id+`"`) {
			t.Errorf("%s not found by its word:\n%s", id, r.stdout)
		}
	}
	t.Logf("%d objects uploaded, %d papers expected and found, no duplicates", next, len(wantIDs))
	if os.Getenv("QUIRE_SQS_SHOW") != "" {
		t.Log(strings.Join(logs, "\n"))
	}
}

// lockedBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func diff(want, got []string) (missing, extra []string) {
	for _, id := range want {
		if !slices.Contains(got, id) {
			missing = append(missing, id)
		}
	}
	for i, id := range got {
		if !slices.Contains(want, id) || (i > 0 && got[i-1] == id) {
			extra = append(extra, id)
		}
	}
	return missing, extra
}

// TestSQSLatency measures object uploaded → searchable over 200 objects,
// the consumer in-process on an embedded index, the fakes on loopback.
// Searchable means a BM25 search for the paper's own word finds it.
func TestSQSLatency(t *testing.T) {
	// A measurement, not a check: timing depends on the machine's load.
	if os.Getenv("QUIRE_MEASURE") == "" {
		t.Skip("a latency measurement (uploads 200 objects): set QUIRE_MEASURE=1 to run it")
	}
	for k, v := range awsTestEnv {
		t.Setenv(k, v)
	}
	w := newSQSWorld(t, 30, 5)
	home := t.TempDir()
	cfg, err := config.Load("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Index = filepath.Join(home, "index")
	e := &env{ctx: context.Background(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }, cfg: cfg, start: time.Now()}
	x, err := openIndexAt(e, cfg.Index, false)
	if err != nil {
		t.Fatal(err)
	}
	eng := embeddedIndex{x}
	defer eng.Close()
	ledger, err := sqsc.OpenLedger(filepath.Join(home, "ledger"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	client := awssqs.New(awssqs.Options{BaseEndpoint: aws.String(w.sqs.URL), Region: sqstest.Region,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	c, err := sqsc.New(context.Background(), sqsc.Options{SQS: client, S3: w.s3.Client, QueueURL: w.queue, Ledger: ledger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &sqsRun{lease: fixedLease(e, eng), c: c, source: "sqs:" + w.queue, out: &bytes.Buffer{}, errs: &bytes.Buffer{}}
	done := make(chan error, 1)
	go func() { done <- run.loop(ctx) }()

	const n = 200
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	var wg sync.WaitGroup
	for i := range n {
		key := fmt.Sprintf("lat/%03d.md", i)
		// Uploads arrive about every 10 ms, as a busy bucket's might.
		time.Sleep(10 * time.Millisecond)
		if err := w.s3.Put("lib", key, []byte(fmt.Sprintf("# Latency paper %d\n\nlatword%dx about heat.\n", i, i)), nil, nil); err != nil {
			t.Fatal(err)
		}
		up := w.s3.Uploaded("lib", key)
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, _ := query.Parse(fmt.Sprintf("latword%dx", i))
			for time.Since(up) < 30*time.Second {
				res, err := eng.Search(context.Background(), search.Request{Query: q, Limit: 1, Mode: search.ModeBM25})
				if err == nil && len(res.Hits) == 1 {
					mu.Lock()
					lat = append(lat, time.Since(up))
					mu.Unlock()
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
			t.Errorf("%s not searchable after 30 s", key)
		}()
	}
	wg.Wait()
	cancel()
	<-done
	slices.Sort(lat)
	if len(lat) != n {
		t.Fatalf("%d of %d papers became searchable", len(lat), n)
	}
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	t.Logf("object uploaded → searchable over %d objects: p50 %s, p90 %s, p99 %s, max %s",
		n, pct(0.5).Round(time.Millisecond), pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
}

// startSQS runs 'quire ingest sqs://' in-process on home's index until
// the test stops it (Ctrl-C through its context).
func startSQS(t *testing.T, home string, w *sqsWorld) *watchProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &watchProc{out: &syncBuffer{}, errb: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		p.code <- Run(ctx, []string{"ingest", "--endpoint-url", w.s3.URL, w.spec()}, strings.NewReader(""), p.out, p.errb, testEnv(home))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.code:
		case <-time.After(10 * time.Second):
		}
	})
	p.waitOut(t, "listening on queue")
	return p
}

// mdPaper is a Markdown paper of words drawn from vocab, plus markers.
func mdPaper(title string, rng *rand.Rand, marker ...string) []byte {
	var words []string
	for range 40 {
		words = append(words, vocab[rng.IntN(len(vocab))])
	}
	words = append(words, marker...)
	return []byte(fmt.Sprintf("# %s\n\nAbstract: %s.\n", title, strings.Join(words, " ")))
}

// waitStatus waits until the index's status file, held by a running
// writer, satisfies ok.
func waitStatus(t *testing.T, home string, p *watchProc, ok func(watchStatus) bool) watchStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, running := watcherRunning(indexDirOf(home))
		if running && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v (running %v) never as wanted:\n%s\n%s", st, running, p.out, p.errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The app's engine and the SQS consumer share the index as they do with
// a watcher: the app searches while the consumer runs, objects uploaded
// meanwhile are counted as new papers in the notice, found after a
// refresh, and overwrites and deletes are counted as such.
func TestAppWithSQSConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the consumer for seconds")
	}
	for k, v := range awsTestEnv {
		t.Setenv(k, v)
	}
	w := newSQSWorld(t, 30, 5)
	home := t.TempDir()
	rng := rand.New(rand.NewPCG(21, 22))
	put := func(key string, data []byte) {
		t.Helper()
		if err := w.s3.Put("lib", key, data, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		put(fmt.Sprintf("start/s%d.md", i), mdPaper(fmt.Sprintf("Starter %d", i), rng, "startword"))
	}
	p := startSQS(t, home, w)
	// Counted as they come: five papers new to the index.
	waitStatus(t, home, p, func(st watchStatus) bool { return st.Added == 5 })

	e := appEnv(t, home)
	x, err := openEngine(e, true)
	if err != nil {
		t.Fatalf("the app cannot open the index beside the consumer: %v", err)
	}
	l := newLeaseEngine(e, e.home(), x)
	defer l.Close()
	if got := searchIDs(t, l, "startword"); len(got) != 5 {
		t.Fatalf("before: %v", got)
	}
	c, _ := l.IndexChanges(context.Background())
	if c.Any() || !c.Watching {
		t.Fatalf("changes before any new object: %+v", c)
	}
	// The app searches all the while: it must not keep the consumer out.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var searches int
	var searchErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := trySearch(l, "startword"); err != nil {
				searchErr = err
				return
			}
			searches++
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// Twelve papers: eight documents and one JSONL object of four.
	for i := range 8 {
		put(fmt.Sprintf("new/n%d.md", i), mdPaper(fmt.Sprintf("Arrival %d", i), rng, "arrivalword"))
	}
	var jl strings.Builder
	for i := range 4 {
		fmt.Fprintf(&jl, `{"id": "j%d", "title": "Arrival line %d", "abstract": "arrivalword about heat"}`+"\n", i, i)
	}
	put("new/lines.jsonl", []byte(jl.String()))
	start := time.Now()
	for {
		c, _ = l.IndexChanges(context.Background())
		if c.New >= 12 {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the app saw %+v after 20 s; consumer:\n%s\n%s", c, p.out, p.errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if searchErr != nil || searches < 2 {
		t.Fatalf("the app's searches: %d, %v", searches, searchErr)
	}
	t.Logf("12 papers noticed by the app %s after the uploads, with the app searching every 100 ms (%d searches)", time.Since(start).Round(time.Millisecond), searches)
	if c.Text() != "12 new papers" {
		t.Fatalf("notice %q (%+v)", c.Text(), c)
	}
	// Before the refresh the open list is the old one; after it, the new
	// papers are there.
	if err := l.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, l, "arrivalword"); len(got) != 12 {
		t.Fatalf("after refresh: %v", got)
	}
	if c, _ = l.IndexChanges(context.Background()); c.Any() {
		t.Fatalf("changes after refresh: %+v", c)
	}

	// An overwrite is a changed paper, a delete a removed one.
	put("start/s0.md", mdPaper("Starter 0", rng, "editedword"))
	if err := w.s3.Delete("lib", "start/s1.md"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, _ = l.IndexChanges(context.Background())
		if c.Changed+c.Removed+c.New >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app saw %+v after 20 s; consumer:\n%s\n%s", c, p.out, p.errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.Text() != "1 changed, 1 removed" {
		t.Fatalf("notice %q (%+v)", c.Text(), c)
	}
	l.Refresh(context.Background())
	if got := searchIDs(t, l, "editedword"); !slices.Equal(got, []string{"start/s0"}) {
		t.Fatalf("edited: %v", got)
	}
	if got := searchIDs(t, l, "startword"); !slices.Equal(got, []string{"start/s2", "start/s3", "start/s4"}) {
		t.Fatalf("after overwrite and delete: %v", got)
	}

	// The consumer stops on Ctrl-C; the app then keeps its handle.
	if code := p.stop(t); code != exitStopped {
		t.Fatalf("consumer exit %d, want %d\n%s", code, exitStopped, p.errb)
	}
	if c, _ = l.IndexChanges(context.Background()); c.Watching {
		t.Fatal("consumer still reported after it stopped")
	}
	if strings.Contains(p.errb.String(), "waiting for readers") {
		t.Logf("the consumer waited for the app:\n%s", p.errb)
	}
}

// Papers that reach a new index through SQS get vectors: the consumer
// learns the local embedder once enough papers are in, and embeds later
// batches as it writes them, so hybrid search runs as hybrid.
func TestSQSVectorsOnNewIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("learns an embedder")
	}
	for k, v := range awsTestEnv {
		t.Setenv(k, v)
	}
	w := newSQSWorld(t, 30, 5)
	home := t.TempDir()
	rng := rand.New(rand.NewPCG(23, 24))
	put := func(key string, data []byte) {
		t.Helper()
		if err := w.s3.Put("lib", key, data, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	p := startSQS(t, home, w)
	for i := range 50 {
		put(fmt.Sprintf("v/p%02d.md", i), mdPaper(fmt.Sprintf("Vector paper %d", i), rng))
	}
	put("v/zebra.md", mdPaper("Zebra paper", rng, "zebraword"))
	waitStatus(t, home, p, func(st watchStatus) bool { return st.Added == 51 })
	r := reader{t, indexDirOf(home)}
	stats := func() *search.Stats {
		x := r.open()
		defer x.Close()
		st, err := x.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := stats(); st.Papers != 51 || st.Vectors != st.Papers {
		t.Fatalf("after 51 papers: %+v; every paper needs its vector\n%s", st, p.errb)
	}
	if got, mode := r.ids("zebraword", search.ModeHybrid); mode != search.ModeHybrid || !slices.Contains(got, "v/zebra") {
		t.Fatalf("hybrid: mode %s hits %v", mode, got)
	}
	// Later batches are embedded as they are written.
	put("v/okapi.md", mdPaper("Okapi paper", rng, "okapiword"))
	waitStatus(t, home, p, func(st watchStatus) bool { return st.Added == 52 })
	if st := stats(); st.Papers != 52 || st.Vectors != st.Papers {
		t.Fatalf("after one more: %+v", st)
	}
	// (The marker words are each in one paper only, too rare for the
	// embedder's vocabulary: a vector search asks in the corpus's words.)
	got, mode := r.ids("protein folding", search.ModeVector)
	if mode != search.ModeVector || len(got) == 0 {
		t.Fatalf("vector search: mode %s hits %v", mode, got)
	}
	if got, mode := r.ids("okapiword", search.ModeHybrid); mode != search.ModeHybrid || !slices.Contains(got, "v/okapi") {
		t.Fatalf("hybrid after: mode %s hits %v", mode, got)
	}
	if !strings.Contains(p.errb.String(), "local embedder learned") {
		t.Errorf("no line saying the embedder was learned:\n%s", p.errb)
	}
}

// A consumer started while the app has the index open gets it: the app's
// poll sees the consumer asking for it and lets go.
func TestSQSStartsWhileAppOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the consumer")
	}
	for k, v := range awsTestEnv {
		t.Setenv(k, v)
	}
	w := newSQSWorld(t, 30, 5)
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(25, 26))
	seedFolder(t, dir, 5, rng)
	if r := quire(t, home, "ingest", dir); r.code != 0 {
		t.Fatalf("ingest: %d %s", r.code, r.stderr)
	}
	e := appEnv(t, home)
	x, err := openEngine(e, true)
	if err != nil {
		t.Fatal(err)
	}
	l := newLeaseEngine(e, e.home(), x)
	defer l.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second): // the app's poll
				l.IndexChanges(context.Background())
			}
		}
	}()
	start := time.Now()
	p := startSQS(t, home, w)
	if err := w.s3.Put("lib", "late.md", mdPaper("Late", rng, "lateword"), nil, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, _ := l.IndexChanges(context.Background()); c.New == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new paper seen:\n%s\n%s", p.out, p.errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("consumer started with the app open; its first paper noticed by the app %s later", time.Since(start).Round(time.Millisecond))
	l.Refresh(context.Background())
	if got := searchIDs(t, l, "lateword"); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("after refresh: %v", got)
	}
}

// TestSQSLeaseLatency measures object uploaded → visible to a read-only
// open of the index (another process's 'quire search'), the consumer
// running as the command does, holding the index only per batch, and a
// reader looking ten times a second.
//
//	QUIRE_MEASURE=1 go test -run TestSQSLeaseLatency -v ./ui/cli
func TestSQSLeaseLatency(t *testing.T) {
	// A measurement, not a check: timing depends on the machine's load.
	if os.Getenv("QUIRE_MEASURE") == "" {
		t.Skip("a latency measurement (a measurement of about 10 s): set QUIRE_MEASURE=1 to run it")
	}
	for k, v := range awsTestEnv {
		t.Setenv(k, v)
	}
	w := newSQSWorld(t, 30, 5)
	home := t.TempDir()
	p := startSQS(t, home, w)
	const n = 100
	rng := rand.New(rand.NewPCG(27, 28))
	up := make([]time.Time, n)
	seen := make([]time.Time, n)
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			time.Sleep(time.Duration(rng.IntN(80)) * time.Millisecond)
			key := fmt.Sprintf("lat/%03d.md", i)
			if err := w.s3.Put("lib", key, mdPaper(fmt.Sprintf("Latency %d", i), rand.New(rand.NewPCG(uint64(i), 2))), nil, nil); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			up[i] = w.s3.Uploaded("lib", key)
			mu.Unlock()
		}
	}()
	dir := indexDirOf(home)
	left, opens := n, 0
	deadline := time.Now().Add(60 * time.Second)
	for left > 0 && time.Now().Before(deadline) {
		x, err := embedded.Open(dir, embedded.Options{ReadOnly: true, LockWait: 20 * time.Second})
		if err != nil {
			// Before the first batch there is no index yet.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		opens++
		now := time.Now()
		mu.Lock()
		for i := range n {
			if !up[i].IsZero() && seen[i].IsZero() {
				if _, err := x.Get(context.Background(), fmt.Sprintf("lat/%03d", i)); err == nil {
					seen[i] = now
					left--
				}
			}
		}
		mu.Unlock()
		x.Close()
		time.Sleep(100 * time.Millisecond)
	}
	<-done
	if left > 0 {
		t.Fatalf("%d of %d papers never visible; consumer:\n%s\n%s", left, n, p.out, p.errb)
	}
	lat := make([]time.Duration, n)
	for i := range n {
		lat[i] = seen[i].Sub(up[i])
	}
	slices.Sort(lat)
	batches := strings.Count(p.out.String(), " papers, -")
	t.Logf("uploaded → visible to a read-only open, %d objects: p50 %s, p90 %s, p99 %s, max %s; %d batches, %d reader opens",
		n, lat[n/2].Round(time.Millisecond), lat[n*9/10].Round(time.Millisecond), lat[n*99/100].Round(time.Millisecond), lat[n-1].Round(time.Millisecond), batches, opens)
	if lat[n*99/100] > 5*time.Second {
		t.Errorf("p99 %s: the consumer or the reader is kept out too long", lat[n*99/100])
	}
}
