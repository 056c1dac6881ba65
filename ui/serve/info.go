package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Info is what a running server leaves for the CLI to find it: where it
// listens, its process and the index it holds.
type Info struct {
	Addr  string `json:"addr"`
	PID   int    `json:"pid"`
	Index string `json:"index"`
}

// WriteInfo records a running server at path, atomically.
func WriteInfo(path string, in Info) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadInfo finds a live server recorded at path. A file left by a process
// that is gone is removed.
func ReadInfo(path string) (Info, error) {
	var in Info
	b, err := os.ReadFile(path)
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(b, &in); err != nil || in.PID <= 0 || in.Addr == "" {
		return in, fmt.Errorf("server file %s is damaged", path)
	}
	if !alive(in.PID) {
		_ = os.Remove(path)
		return in, fmt.Errorf("server %d recorded in %s is gone", in.PID, path)
	}
	return in, nil
}

// alive reports whether a process exists (signal 0 checks without
// sending).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
