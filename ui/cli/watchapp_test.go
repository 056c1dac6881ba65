package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/ui/tui"
)

func appEnv(t *testing.T, home string) *env {
	t.Helper()
	getenv := testEnv(home)
	cfg, err := config.Load(config.ConfigPathFromArgs(nil, getenv), getenv)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: context.Background(), getenv: getenv, cfg: cfg, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
}

func searchIDs(t *testing.T, x search.Engine, q string) []string {
	t.Helper()
	ids, err := trySearch(x, q)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func trySearch(x search.Engine, q string) ([]string, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, err
	}
	res, err := x.Search(context.Background(), search.Request{Query: pq, Limit: 50, Mode: search.ModeBM25})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// The app's engine and a watcher share the index: the app lets go of it
// when idle, so the watcher's batches land within seconds; the app counts
// the new papers from the watch file, and after a refresh finds them.
func TestAppWithWatcher(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the watcher for seconds")
	}
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	seedFolder(t, dir, 5, rng)
	w := startWatch(t, home, dir)
	e := appEnv(t, home)
	x, err := openEngine(e, true)
	if err != nil {
		t.Fatal(err)
	}
	l := newLeaseEngine(e, e.home(), x)
	defer l.Close()
	if got := searchIDs(t, l, "seed"); len(got) != 5 {
		t.Fatalf("before: %v", got)
	}
	c, _ := l.IndexChanges(context.Background())
	if c.Any() || !c.Watching {
		t.Fatalf("changes before any write: %+v", c)
	}
	// The app searches all the while: it must not keep the watcher out.
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
			if _, err := trySearch(l, "seed"); err != nil {
				searchErr = err
				return
			}
			searches++
			time.Sleep(100 * time.Millisecond)
		}
	}()
	for i := range 12 {
		paper(t, filepath.Join(dir, fmt.Sprintf("n%02d.md", i)), "New", rng, "arrivalword")
	}
	start := time.Now()
	for {
		c, _ = l.IndexChanges(context.Background())
		if c.New == 12 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the app saw %+v after 10 s; watcher:\n%s\n%s", c, w.out, w.errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if searchErr != nil || searches < 2 {
		t.Fatalf("the app's searches: %d, %v", searches, searchErr)
	}
	t.Logf("12 papers noticed by the app %s after the write, with the app searching every 100 ms", time.Since(start).Round(time.Millisecond))
	if c.Text() != "12 new papers" {
		t.Fatalf("notice %q", c.Text())
	}
	if err := l.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, l, "arrivalword"); len(got) != 12 {
		t.Fatalf("after refresh: %v", got)
	}
	if c, _ = l.IndexChanges(context.Background()); c.Any() {
		t.Fatalf("changes after refresh: %+v", c)
	}
	// The tui sees it through the backend.
	b := appBackend(e, l, e.home())
	eb, ok := b.(interface{ IndexWatcher() tui.IndexWatcher })
	if !ok || eb.IndexWatcher() == nil {
		t.Fatalf("the app's backend %T offers no IndexWatcher", b)
	}
	// Once the watcher stops, the app keeps its handle again.
	w.stop(t)
	c, _ = l.IndexChanges(context.Background())
	if c.Watching {
		t.Fatal("watcher still reported after it stopped")
	}
	searchIDs(t, l, "seed")
	opens := l.opens
	time.Sleep(2 * appLetGo)
	searchIDs(t, l, "seed")
	if l.opens != opens {
		t.Fatalf("reopened without a watcher (%d → %d opens)", opens, l.opens)
	}
}

// TestWatchLatency measures file written (closed) → visible to a
// read-only open of the index (what 'quire search' in another process
// does), over 200 files written one at a time at random intervals.
//
//	QUIRE_MEASURE=1 go test -run TestWatchLatency -v ./ui/cli
//
// QUIRE_WATCH_BASE=FILE ingests FILE (e.g. the arXiv sample) into the
// index first, to measure on a large index.
func TestWatchLatency(t *testing.T) {
	// A measurement, not a check: timing depends on the machine's load.
	if os.Getenv("QUIRE_MEASURE") == "" {
		t.Skip("a latency measurement (a measurement of about 15 s): set QUIRE_MEASURE=1 to run it")
	}
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	seedFolder(t, dir, 200, rng)
	if base := os.Getenv("QUIRE_WATCH_BASE"); base != "" {
		if r := quire(t, home, "ingest", base); r.code != 0 {
			t.Fatalf("ingest %s: %d\n%s", base, r.code, r.stderr)
		}
	}
	w := startWatch(t, home, dir)
	const n = 200
	written := make([]time.Time, n)
	seen := make([]time.Time, n)
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			// 0–80 ms apart: sometimes one file per batch, often several.
			time.Sleep(time.Duration(rng.IntN(80)) * time.Millisecond)
			paper(t, filepath.Join(dir, "lat", fmt.Sprintf("l%03d.md", i)), fmt.Sprintf("Latency %d", i), rand.New(rand.NewPCG(uint64(i), 1)), fmt.Sprintf("latword%03d", i))
			mu.Lock()
			written[i] = time.Now()
			mu.Unlock()
		}
	}()
	dirx := indexDirOf(home)
	deadline := time.Now().Add(60 * time.Second)
	left := n
	opens := 0
	var openTime time.Duration
	for left > 0 && time.Now().Before(deadline) {
		t0 := time.Now()
		x, err := embedded.Open(dirx, embedded.Options{ReadOnly: true, LockWait: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		opens++
		openTime += time.Since(t0)
		now := time.Now()
		mu.Lock()
		var pending []int
		for i := range n {
			if !written[i].IsZero() && seen[i].IsZero() {
				pending = append(pending, i)
			}
		}
		mu.Unlock()
		for _, i := range pending {
			if _, err := x.Get(context.Background(), fmt.Sprintf("lat/l%03d", i)); err == nil {
				seen[i] = now
				left--
			}
		}
		x.Close()
		// A reader that looks ten times a second, as a person running
		// 'quire search' in a loop would, leaving the writer gaps.
		time.Sleep(100 * time.Millisecond)
	}
	<-done
	if left > 0 {
		t.Fatalf("%d of %d papers never visible; watcher:\n%s", left, n, w.errb)
	}
	lat := make([]time.Duration, n)
	for i := range n {
		lat[i] = seen[i].Sub(written[i])
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	p50, p99, maxl := lat[n/2], lat[n*99/100], lat[n-1]
	batches := strings.Count(w.out.String(), " papers, ")
	t.Logf("written → visible to a read-only open, %d files: p50 %s, p99 %s, max %s; %d batches; %d reader opens, %s each on average",
		n, p50.Round(time.Millisecond), p99.Round(time.Millisecond), maxl.Round(time.Millisecond), batches, opens, (openTime / time.Duration(opens)).Round(time.Millisecond))
	if p99 > 2*time.Second {
		t.Errorf("p99 %s is over the 2 s target", p99)
	}
}

// A watcher started while the app is open gets the index: the app's poll
// sees the watcher asking for it and lets go.
func TestWatcherStartsWhileAppOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the watcher")
	}
	home, dir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(13, 14))
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
	if c, _ := l.IndexChanges(context.Background()); c.Watching {
		t.Fatal("watching before any watcher")
	}
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
	w := startWatch(t, home, dir)
	t.Logf("the watcher got the index %s after starting, with the app open", time.Since(start).Round(time.Millisecond))
	paper(t, filepath.Join(dir, "late.md"), "Late", rng, "lateword")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, _ := l.IndexChanges(context.Background()); c.New == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new paper seen:\n%s\n%s", w.out, w.errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.Refresh(context.Background())
	if got := searchIDs(t, l, "lateword"); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("after refresh: %v", got)
	}
}
