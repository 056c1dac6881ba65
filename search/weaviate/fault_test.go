//go:build unix

package weaviate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/backoff"
	"github.com/quire-research/quire/search/weaviate/cluster"
)

// faultPapers is each fault test's corpus size: enough batches that a
// kill lands mid-ingest, few enough to stay within a minute.
const faultPapers = 3000

// TestFaults runs the fault drills of issue 18 on a 3-node cluster of its
// own (replication factor 3), so killing nodes disturbs no other test.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node Weaviate cluster and kills its nodes")
	}
	c := cluster.Start(t)
	path := writeFaultCorpus(t)
	t.Run("node killed mid-ingest", func(t *testing.T) { testNodeKilled(t, c, path) })
	t.Run("client killed mid-ingest", func(t *testing.T) { testClientKilled(t, c, path) })
}

// testNodeKilled kills -9 one node while an ingest writes at QUORUM: the
// ingest finishes, searches answer while the node is down, and once it is
// back every paper reads at ALL, once.
func testNodeKilled(t *testing.T, c *cluster.Cluster, path string) {
	ctx := context.Background()
	const coll = "FaultNodeKill"
	eng := openFault(t, c, coll, "QUORUM")
	var retries atomic.Int64
	start := time.Now()
	ictx := backoff.WithNotify(ctx, func(n backoff.Notice) {
		if retries.Add(1) <= 3 {
			t.Logf("%v: retry %d/%d in %v: %s", time.Since(start).Round(time.Millisecond), n.Attempt, n.Max, n.Wait.Round(time.Millisecond), n.Reason)
		}
	})
	killed := make(chan error, 1)
	var once atomic.Bool
	st, err := search.Ingest(ictx, eng, openFaultSource(t, path), search.IngestOptions{
		BatchSize: 100,
		Progress: func(p search.IngestProgress) {
			// Kill node2 (node0 coordinates the client's calls) a third
			// of the way in, while the next batches are in flight.
			if p.Papers >= faultPapers/3 && once.CompareAndSwap(false, true) {
				t.Logf("kill -9 node2 after %d papers", p.Papers)
				go func() { killed <- c.Kill(2) }()
			}
		},
	})
	if err != nil {
		t.Fatalf("ingest with node2 killed: %v (after %d retries)", err, retries.Load())
	}
	if !once.Load() {
		t.Fatal("the ingest ended before node2 was killed: the drill tested nothing")
	}
	if err := <-killed; err != nil {
		t.Fatal(err)
	}
	t.Logf("ingest finished with node2 down: %d papers, %d retries, %v", st.Papers, retries.Load(), time.Since(start).Round(time.Millisecond))
	if st.Papers != faultPapers {
		t.Errorf("ingest wrote %d papers, want %d", st.Papers, faultPapers)
	}

	// One node down: searches still answer, in every mode.
	for _, mode := range []string{search.ModeBM25, search.ModeVector, search.ModeHybrid} {
		res, err := eng.Search(ctx, faultRequest(t, mode))
		if err != nil {
			t.Errorf("%s search with node2 down: %v", mode, err)
			continue
		}
		if len(res.Hits) == 0 || res.Total == 0 {
			t.Errorf("%s search with node2 down found nothing (total %d)", mode, res.Total)
		}
	}

	t.Logf("searches with node2 down answered: %v", time.Since(start).Round(time.Millisecond))
	if err := c.Restart(2); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("node2 back: %v", time.Since(start).Round(time.Millisecond))
	checkAllReadable(t, c, coll)
	t.Logf("every paper read at ALL: %v", time.Since(start).Round(time.Millisecond))
}

// testClientKilled kills -9 a client process mid-ingest, then ingests the
// same file again: the run resumes from the checkpoint, and every paper
// is there once.
func testClientKilled(t *testing.T, c *cluster.Cluster, path string) {
	const coll = "FaultClientKill"
	openFault(t, c, coll, "QUORUM") // the schema exists before the child starts
	child := exec.Command(os.Args[0], "-test.run=^TestFaultIngestChild$", "-test.v")
	spec, _ := json.Marshal(childSpec{URL: c.Nodes[0].URL(), GRPC: c.Nodes[0].GRPCAddr(), Collection: coll, Path: path})
	child.Env = append(os.Environ(), "QUIRE_FAULT_INGEST="+string(spec))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = child.Stdout
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killedAt := int64(-1)
	sc := bufio.NewScanner(out)
	var tail []string
	for sc.Scan() {
		line := sc.Text()
		tail = append(tail[max(0, len(tail)-20):], line)
		if v, ok := strings.CutPrefix(line, "papers "); ok {
			if n, _ := strconv.ParseInt(v, 10, 64); n >= faultPapers/3 {
				if err := child.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killedAt = n
				break
			}
		}
	}
	child.Wait()
	if killedAt < 0 {
		t.Fatalf("the client ended before it wrote %d papers; its output ends:\n%s", faultPapers/3, strings.Join(tail, "\n"))
	}
	t.Logf("kill -9 the client after %d papers", killedAt)

	eng := openFault(t, c, coll, "QUORUM")
	src := openFaultSource(t, path)
	ck, ok, err := eng.Checkpoint(context.Background(), src.Name())
	if err != nil || !ok || ck.Done || ck.Papers < killedAt {
		t.Fatalf("checkpoint after the kill: %+v, found %v, err %v; want one not done covering at least %d papers", ck, ok, err, killedAt)
	}
	st, err := search.Ingest(context.Background(), eng, src, search.IngestOptions{BatchSize: 100})
	if err != nil {
		t.Fatalf("re-run after the client was killed: %v", err)
	}
	if st.ResumedFrom == (corpus.Cursor{}) {
		t.Error("the re-run started from the beginning instead of the checkpoint")
	}
	if got := ck.Papers + st.Papers; got != faultPapers {
		t.Errorf("papers written: %d before the kill + %d after = %d, want %d", ck.Papers, st.Papers, got, faultPapers)
	}
	checkAllReadable(t, c, coll)
}

// childSpec tells TestFaultIngestChild what to ingest where.
type childSpec struct {
	URL, GRPC, Collection, Path string
}

// TestFaultIngestChild is the client testClientKilled kills: it runs only
// in the process that test starts, and prints its progress.
func TestFaultIngestChild(t *testing.T) {
	v := os.Getenv("QUIRE_FAULT_INGEST")
	if v == "" {
		t.Skip("the client process of TestFaults; runs only when it starts one")
	}
	var s childSpec
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		t.Fatal(err)
	}
	eng, err := Open(context.Background(), Options{URL: s.URL, GRPC: s.GRPC, Collection: s.Collection,
		Replication: 3, Consistency: "QUORUM", Embedder: fakeEmbedder{dim: 32}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = search.Ingest(context.Background(), eng, openFaultSource(t, s.Path), search.IngestOptions{
		BatchSize: 100,
		Progress:  func(p search.IngestProgress) { fmt.Printf("papers %d\n", p.Papers) },
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkAllReadable reads every paper back at consistency ALL, and lists
// the collection to see each paper exactly once.
func checkAllReadable(t *testing.T, c *cluster.Cluster, coll string) {
	t.Helper()
	ctx := context.Background()
	all := openFault(t, c, coll, "ALL")
	var papers []corpus.Paper
	synth.Generate(synth.Options{Papers: faultPapers, Seed: 18}, func(p corpus.Paper) error {
		papers = append(papers, p)
		return nil
	})
	// Eight readers at once: a read at ALL waits for every replica.
	var missing atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(papers); i += 8 {
				want := papers[i]
				got, err := all.Get(ctx, want.ID)
				switch {
				case errors.Is(err, search.ErrNotFound):
					if missing.Add(1) <= 5 {
						t.Errorf("paper %s is missing at consistency ALL", want.ID)
					}
				case err != nil:
					t.Errorf("get %s at ALL: %v", want.ID, err)
				case got.Title != want.Title || got.Year != want.Year:
					t.Errorf("paper %s reads back as %q (%d), want %q (%d)", want.ID, got.Title, got.Year, want.Title, want.Year)
				}
			}
		})
	}
	wg.Wait()
	if missing := missing.Load(); missing > 0 {
		t.Errorf("%d of %d papers missing at consistency ALL", missing, faultPapers)
	}
	objects, ids := listObjects(t, c.Nodes[0].URL(), coll)
	if objects != faultPapers || len(ids) != faultPapers {
		t.Errorf("the collection holds %d objects for %d distinct papers, want %d of each", objects, len(ids), faultPapers)
	}
}

// listObjects pages through the collection with the REST cursor and
// returns how many objects it holds and how often each paper ID occurs.
func listObjects(t *testing.T, base, coll string) (int, map[string]int) {
	t.Helper()
	ids := map[string]int{}
	objects, after := 0, ""
	for {
		q := url.Values{"class": {coll}, "limit": {"1000"}}
		if after != "" {
			q.Set("after", after)
		}
		resp, err := http.Get(base + "/v1/objects?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Objects []struct {
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
			} `json:"objects"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("listing %s: %s, %v", coll, resp.Status, err)
		}
		if len(page.Objects) == 0 {
			return objects, ids
		}
		for _, o := range page.Objects {
			objects++
			id, _ := o.Properties["paperId"].(string)
			ids[id]++
		}
		after = page.Objects[len(page.Objects)-1].ID
	}
}

func openFault(t *testing.T, c *cluster.Cluster, coll, consistency string) *Engine {
	t.Helper()
	eng, err := Open(context.Background(), Options{URL: c.Nodes[0].URL(), GRPC: c.Nodes[0].GRPCAddr(),
		Collection: coll, Replication: 3, Consistency: consistency, Embedder: fakeEmbedder{dim: 32}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// writeFaultCorpus writes the drills' SYNTHETIC papers as JSON lines.
func writeFaultCorpus(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fault.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteJSONL(f, synth.Options{Papers: faultPapers, Seed: 18}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openFaultSource(t *testing.T, path string) corpus.Source {
	t.Helper()
	src, err := corpus.OpenJSONL([]string{path}, "jsonl", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// faultRequest searches a word every synthetic abstract is likely to have
// with facets, so each half has work to do.
func faultRequest(t *testing.T, mode string) search.Request {
	t.Helper()
	req, err := search.NewRequest("model year:1990..2026", 10)
	if err != nil {
		t.Fatal(err)
	}
	req.Mode = mode
	return req.WithFacets(5, search.FacetYear)
}
