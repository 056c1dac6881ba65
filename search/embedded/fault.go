package embedded

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// bleve's persister and merger run in the background and, on a write
// error, retry at once and forever (a full disk spun a core for minutes).
// They report each failure only to a callback registered by name, so
// Quire registers one that finds the index by its store path and marks it
// faulted: Apply then fails at once, batches waiting on the persister are
// released, and Close skips the writes that depend on bleve being on disk.

const asyncErrorCallback = "quire"

var faults = struct {
	sync.Mutex
	byPath map[string]*Index
}{byPath: map[string]*Index{}}

func init() {
	scorch.RegistryAsyncErrorCallbacks[asyncErrorCallback] = func(err error, path string) {
		faults.Lock()
		x := faults.byPath[filepath.Clean(path)]
		faults.Unlock()
		if x != nil && !errors.Is(err, scorch.ErrCleanup) {
			x.setFault(fmt.Errorf("index %s: %s", x.path, faultText(err)))
		}
	}
}

// faultText is the error without scorch's "source: persister, persist
// error: got err persisting snapshot:" wrapping.
func faultText(err error) string {
	var se *scorch.ScorchError
	if errors.As(err, &se) {
		return se.Source + ": " + se.ErrMsg
	}
	return err.Error()
}

// storePath is where bleve keeps the scorch files of the index in dir.
func storePath(dir string) string { return filepath.Clean(filepath.Join(dir, "store")) }

func (x *Index) watchFaults() {
	faults.Lock()
	faults.byPath[storePath(x.path)] = x
	faults.Unlock()
}

func (x *Index) unwatchFaults() {
	faults.Lock()
	if faults.byPath[storePath(x.path)] == x {
		delete(faults.byPath, storePath(x.path))
	}
	faults.Unlock()
}

// setFault records the first write failure; later ones are its echoes.
func (x *Index) setFault(err error) {
	x.faultOnce.Do(func() {
		x.faultErr = err
		close(x.faulted)
	})
}

// Fault is the write failure that stopped the index, or nil.
func (x *Index) Fault() error {
	select {
	case <-x.faulted:
		return x.faultErr
	default:
		return nil
	}
}

// Phases of a write, named in errors and used by the fault-injection
// tests (writeFault) to fail each one.
const (
	phaseBatch     = "bm25 batch"
	phaseVectorLog = "vector log"
	phaseSnapshot  = "vector snapshot"
	phaseModel     = "embedder model"
	phaseFacets    = "facet columns"
)

// writeFault, when set (by tests, with setWriteFault), is asked before
// each phase's write and fails it with the error it returns.
var (
	writeFaultMu sync.Mutex
	writeFault   func(phase string) error
)

func setWriteFault(f func(phase string) error) {
	writeFaultMu.Lock()
	writeFault = f
	writeFaultMu.Unlock()
}

func (x *Index) checkWrite(phase string) error {
	writeFaultMu.Lock()
	f := writeFault
	writeFaultMu.Unlock()
	if f == nil {
		return nil
	}
	if err := f(phase); err != nil {
		return fmt.Errorf("index %s: %s: %w", x.path, phase, err)
	}
	return nil
}
