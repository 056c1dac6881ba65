//go:build unix

package embed

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, waiting for other
// processes' writes to the same cache to finish.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
