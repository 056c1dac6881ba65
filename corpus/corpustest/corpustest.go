// Package corpustest holds helpers for tests that measure Quire on the
// team's real data.
package corpustest

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedData returns ../shared/data beside the module root, the read-only
// real data (see its README). It skips the test when the data is absent,
// so quality checks never pass by accident on a machine without it.
func SharedData(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("no go.mod above the test directory, so no ../shared/data to test against")
		}
		dir = parent
	}
	data := filepath.Join(filepath.Dir(dir), "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "README.md")); err != nil {
		tb.Skipf("real data not found at %s (../shared/data beside the repository); this check needs it", data)
	}
	return data
}
