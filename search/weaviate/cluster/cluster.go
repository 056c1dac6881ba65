//go:build unix

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Version is the Weaviate server release the tests run against.
const Version = "v1.35.2"

// FaultPortOffset moves the ports of a cluster started by Start away from
// the shared CI cluster's, so killing its nodes disturbs no other test.
const FaultPortOffset = 100

// ErrNoCluster is returned by FromEnv when QUIRE_WEAVIATE_NODES is unset.
var ErrNoCluster = errors.New("no Weaviate cluster: QUIRE_WEAVIATE_NODES is unset (start one with .ci/weaviate.sh start)")

// Node is one server process, as .ci/weaviate.sh describes it.
type Node struct {
	Name    string   `json:"name"`
	HTTP    int      `json:"http"`
	GRPC    int      `json:"grpc"`
	PIDFile string   `json:"pid_file"`
	Data    string   `json:"data"`
	Log     string   `json:"log"`
	Cmd     []string `json:"cmd"` // starts the node in the foreground
}

// URL is the node's REST address.
func (n Node) URL() string { return "http://127.0.0.1:" + strconv.Itoa(n.HTTP) }

// GRPCAddr is the node's gRPC address.
func (n Node) GRPCAddr() string { return "127.0.0.1:" + strconv.Itoa(n.GRPC) }

// Cluster is a set of nodes that form one Weaviate cluster.
type Cluster struct {
	Nodes []Node
}

// FromEnv describes the cluster .ci/weaviate.sh started, from the node
// directories listed in QUIRE_WEAVIATE_NODES (comma-separated).
func FromEnv() (*Cluster, error) {
	v := strings.TrimSpace(os.Getenv("QUIRE_WEAVIATE_NODES"))
	if v == "" {
		return nil, ErrNoCluster
	}
	return load(strings.Split(v, ","))
}

func load(dirs []string) (*Cluster, error) {
	c := &Cluster{}
	for _, d := range dirs {
		path := filepath.Join(strings.TrimSpace(d), "node.json")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("weaviate node: %w", err)
		}
		var n Node
		if err := json.Unmarshal(b, &n); err != nil {
			return nil, fmt.Errorf("weaviate node %s: %w", path, err)
		}
		if n.HTTP <= 0 || n.GRPC <= 0 || n.PIDFile == "" || len(n.Cmd) == 0 {
			return nil, fmt.Errorf("weaviate node %s: needs http, grpc, pid_file and cmd", path)
		}
		c.Nodes = append(c.Nodes, n)
	}
	return c, nil
}

// Binary returns the server binary: QUIRE_WEAVIATE_BIN, or where
// .ci/weaviate.sh build caches it.
func Binary() (string, error) {
	bin := os.Getenv("QUIRE_WEAVIATE_BIN")
	if bin == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			gopath = build.Default.GOPATH
		}
		bin = filepath.Join(filepath.SplitList(gopath)[0], "bin", "quire-ci", "weaviate-server-"+Version)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no weaviate-server %s at %s (build it with .ci/weaviate.sh build, or set QUIRE_WEAVIATE_BIN)", Version, bin)
	}
	return bin, nil
}

// Start starts a 3-node cluster of its own on the CI ports plus
// FaultPortOffset, for a test that kills nodes, and stops it when the test
// ends. It skips the test when the server binary is absent. Tests in
// different packages that call Start take turns (a file lock), as they
// share the ports.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Skip(err)
	}
	script, err := findScript()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(os.TempDir(), "quire-weaviate-ci+"+strconv.Itoa(FaultPortOffset))
	unlock, err := lock(dir + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "QUIRE_WEAVIATE_BIN="+bin, "QUIRE_WEAVIATE_DIR="+dir,
		"QUIRE_WEAVIATE_PORT_OFFSET="+strconv.Itoa(FaultPortOffset))
	run := func(ctx context.Context, arg string) (string, error) {
		cmd := exec.CommandContext(ctx, "bash", script, arg)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		begin := time.Now()
		if out, err := run(ctx, "stop"); err != nil {
			t.Errorf("stopping the weaviate cluster: %v\n%s", err, out)
		}
		unlock()
		t.Logf("weaviate cluster stopped in %v", time.Since(begin).Round(time.Millisecond))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	begin := time.Now()
	out, err := run(ctx, "start")
	if err != nil {
		t.Fatalf("starting a weaviate cluster: %v\n%s", err, out)
	}
	t.Logf("3-node weaviate cluster on ports %d.. ready in %v", 28080+FaultPortOffset, time.Since(begin).Round(time.Millisecond))
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "export QUIRE_WEAVIATE_NODES="); ok {
			c, err := load(strings.Split(v, ","))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("starting a weaviate cluster: no QUIRE_WEAVIATE_NODES in its output:\n%s", out)
	return nil
}

// findScript finds .ci/weaviate.sh in the module root above the working
// directory (go test runs in the package's folder).
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".ci", "weaviate.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no .ci/weaviate.sh above the working directory")
		}
		dir = parent
	}
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// PID returns node i's process ID, checking that the process is still a
// Weaviate server so a stale pid file never aims a signal elsewhere.
func (c *Cluster) PID(i int) (int, error) {
	n := c.Nodes[i]
	b, err := os.ReadFile(n.PIDFile)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", n.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("%s: pid file %s: %w", n.Name, n.PIDFile, err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte("weaviate-server")) || zombie(pid) {
		return 0, fmt.Errorf("%s is not running (pid %d)", n.Name, pid)
	}
	return pid, nil
}

// zombie reports whether pid has exited but was not reaped yet.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	if k := strings.LastIndexByte(s, ')'); k >= 0 && k+2 < len(s) {
		return s[k+2] == 'Z'
	}
	return false
}

// Kill sends node i SIGKILL and waits until the process is gone.
func (c *Cluster) Kill(i int) error {
	pid, err := c.PID(i)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", c.Nodes[i].Name, err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := c.PID(i); err != nil {
			return nil
		}
	}
	return fmt.Errorf("%s (pid %d) still runs 10 s after SIGKILL", c.Nodes[i].Name, pid)
}

// Restart starts node i again from its command, over the data it left. It
// does not wait: call WaitReady.
func (c *Cluster) Restart(i int) error {
	n := c.Nodes[i]
	if pid, err := c.PID(i); err == nil {
		return fmt.Errorf("%s still runs (pid %d)", n.Name, pid)
	}
	log, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(n.Cmd[0], n.Cmd[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own session, as the script starts it: a Ctrl-C at the test's
	// terminal must not reach it, the test's cleanup stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restart %s: %w", n.Name, err)
	}
	go cmd.Wait() // reap it when it ends
	return os.WriteFile(n.PIDFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
}

// WaitReady waits until every node answers ready and a node sees all of
// them healthy.
func (c *Cluster) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("weaviate cluster not ready after %v: %w", timeout, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

var probe = &http.Client{Timeout: 2 * time.Second}

func (c *Cluster) ready() error {
	for _, n := range c.Nodes {
		resp, err := probe.Get(n.URL() + "/v1/.well-known/ready")
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: ready answered %s", n.Name, resp.Status)
		}
	}
	healthy, err := c.Healthy(0)
	if err != nil {
		return err
	}
	if healthy != len(c.Nodes) {
		return fmt.Errorf("%s sees %d of %d nodes healthy", c.Nodes[0].Name, healthy, len(c.Nodes))
	}
	return nil
}

// Healthy returns how many nodes node i sees as healthy.
func (c *Cluster) Healthy(i int) (int, error) {
	n := c.Nodes[i]
	resp, err := probe.Get(n.URL() + "/v1/nodes")
	if err != nil {
		return 0, fmt.Errorf("%s: %w", n.Name, err)
	}
	defer resp.Body.Close()
	var body struct {
		Nodes []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"nodes"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: /v1/nodes answered %s", n.Name, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("%s: /v1/nodes: %w", n.Name, err)
	}
	healthy := 0
	for _, m := range body.Nodes {
		if m.Status == "HEALTHY" {
			healthy++
		}
	}
	return healthy, nil
}

// RSS returns node i's resident memory in bytes.
func (c *Cluster) RSS(i int) (int64, error) {
	pid, err := c.PID(i)
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("%s: no VmRSS in /proc/%d/status", c.Nodes[i].Name, pid)
}

// DiskBytes returns the disk space node i's data directory takes, in
// allocated blocks as du counts them.
func (c *Cluster) DiskBytes(i int) (int64, error) {
	var total int64
	err := filepath.WalkDir(c.Nodes[i].Data, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			// Compaction removes files while we walk: skip them.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += int64(st.Blocks) * 512
		}
		return nil
	})
	return total, err
}
