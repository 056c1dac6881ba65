//go:build race

package cli

// raceDetector: tests that start PDFium (a WebAssembly module compiled at
// start, a minute under -race) skip under -race; .ci/run runs them
// without it.
const raceDetector = true
