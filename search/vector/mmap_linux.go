package vector

import (
	"os"
	"syscall"
)

// mapFile maps f privately: the pages are the page cache's until written,
// and a write (an upsert, a relinked graph node) copies only its page. The
// file itself never changes, since snapshots are replaced by rename. No
// MAP_POPULATE: on a writable private mapping it made reading the 380 MB
// of a million vectors take 0.6 s instead of 0.03 s here.
func mapFile(f *os.File, size int) ([]byte, func(), error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return readFile(f, size)
	}
	return b, func() { syscall.Munmap(b) }, nil
}
