package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// defaultFile is the commented file WriteDefault writes. It is kept as plain
// TOML rather than rendered from Default() so it reads well in review; a
// test keeps its values equal to Default() and its comments naming every
// variable.
//
//go:embed default.toml
var defaultFile []byte

// WriteDefault writes the commented default configuration to path, creating
// its directory. It never overwrites: an existing file returns an error
// wrapping fs.ErrExist.
func WriteDefault(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return &Error{Source: path, Err: err}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &Error{Source: path, Err: fmt.Errorf("already exists; edit it or move it away first: %w", fs.ErrExist)}
		}
		return &Error{Source: path, Err: err}
	}
	_, err = f.Write(defaultFile)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written file would be read next start
		return &Error{Source: path, Err: err}
	}
	return nil
}
