//go:build race

package embedded

// raceDetector: quality measurements that only count ranks skip under
// -race, where they take ten times as long; .ci/run runs them without it.
const raceDetector = true
