//go:build !linux

package vector

import "os"

func mapFile(f *os.File, size int) ([]byte, func(), error) { return readFile(f, size) }
