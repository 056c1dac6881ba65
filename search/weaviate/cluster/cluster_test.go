//go:build unix

package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFromEnvUnset(t *testing.T) {
	t.Setenv("QUIRE_WEAVIATE_NODES", "")
	if _, err := FromEnv(); !errors.Is(err, ErrNoCluster) {
		t.Fatalf("FromEnv with no cluster: got %v, want ErrNoCluster", err)
	}
}

func TestLoadNamesTheBadFile(t *testing.T) {
	for name, body := range map[string]string{
		"not json":      `{"name":`,
		"missing ports": `{"name":"node0","pid_file":"/x","cmd":["/x/run"]}`,
		"missing cmd":   `{"name":"node0","http":1,"grpc":2,"pid_file":"/x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "node.json")
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := load([]string{dir})
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("load(%s): got %v, want an error naming %s", body, err, path)
			}
		})
	}
	if _, err := load([]string{t.TempDir()}); err == nil {
		t.Fatal("load of a folder without node.json succeeded")
	}
}

// TestFromEnv inspects the cluster .ci/run starts (skips without it).
func TestFromEnv(t *testing.T) {
	c, err := FromEnv()
	if errors.Is(err, ErrNoCluster) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	for i, n := range c.Nodes {
		rss, err := c.RSS(i)
		if err != nil {
			t.Fatal(err)
		}
		disk, err := c.DiskBytes(i)
		if err != nil {
			t.Fatal(err)
		}
		// An idle server holds tens of MB; its data folder has at least
		// the raft log.
		if rss < 20<<20 || disk <= 0 {
			t.Errorf("%s: RSS %d bytes, data %d bytes: implausible", n.Name, rss, disk)
		}
	}
}

// TestKillRestart kills one node of a cluster of the test's own with
// SIGKILL, sees the others notice, restarts it and sees it rejoin.
func TestKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node Weaviate cluster")
	}
	c := Start(t)
	if len(c.Nodes) != 3 {
		t.Fatalf("Start gave %d nodes, want 3", len(c.Nodes))
	}
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PID(1); err == nil {
		t.Fatal("node1 still has a live pid after Kill")
	}
	if err := c.Restart(0); err == nil {
		t.Fatal("Restart of a running node succeeded")
	}
	// Memberlist marks the dead node within seconds; until then node0's
	// status call fails on asking node1.
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := c.Healthy(0)
		if err == nil && h == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node0 does not see 2 healthy nodes 30 s after node1 was killed: %d, %v", h, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := c.WaitReady(time.Second); err == nil {
		t.Fatal("WaitReady succeeded with a node down")
	}
	if err := c.Restart(1); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(60 * time.Second); err != nil {
		t.Fatal(err)
	}
}
