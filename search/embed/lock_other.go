//go:build !unix

package embed

import "os"

// Without flock the cache assumes one writing process at a time.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
