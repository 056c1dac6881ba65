package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildQuire builds the real binary: signals are about the process, so
// the test sends them to one.
func buildQuire(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "quire")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func quireCmd(bin, home string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"QUIRE_EMBED_PROVIDER=none", "NO_COLOR=1")
	return cmd
}

// TestSIGTERMStopsIngest: SIGTERM (what timeout, systemd and CI send)
// stops an ingest within seconds, like Ctrl-C: it says how far it got,
// exits 143, and running the same command again completes the work.
func TestSIGTERMStopsIngest(t *testing.T) {
	bin := buildQuire(t)
	home := t.TempDir()
	corpus := filepath.Join(home, "synth.jsonl")
	if out, err := quireCmd(bin, home, "gen", "--papers", "2000", "-o", corpus).CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	cmd := quireCmd(bin, home, "ingest", "--batch", "5", corpus)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first progress line: papers are being written.
	lines := bufio.NewScanner(stderr)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.HasPrefix(lines.Text(), "ingest ") {
			break
		}
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		seen = append(seen, lines.Text())
	}
	err = cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("after SIGTERM: %v, want exit status 143\n%s", err, strings.Join(seen, "\n"))
	}
	if took > 8*time.Second {
		t.Errorf("SIGTERM took %s to stop the run", took)
	}
	if all := strings.Join(seen, "\n"); !strings.Contains(all, "stopped after") || strings.Contains(all, "quitting now") {
		t.Errorf("want a clean stop that says how far it got:\n%s", all)
	}
	out, err := quireCmd(bin, home, "ingest", corpus).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "resumed after") {
		t.Fatalf("re-run: %v\n%s", err, out)
	}
	out, err = quireCmd(bin, home, "stats").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "papers:   2,000\n") {
		t.Errorf("stats after resuming: %v\n%s", err, out)
	}
}
