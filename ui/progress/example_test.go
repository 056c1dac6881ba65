package progress_test

import (
	"fmt"
	"os"
	"time"

	"github.com/quire-research/quire/ui/progress"
)

// Ingestion measures its input in bytes but reports papers. Output here is
// not a terminal, so the Reporter prints plain lines; the fake clock only
// makes the example reproducible.
func Example() {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	const size = 40 << 20 // bytes of input
	r := progress.New(os.Stdout, "ingest scifact", size, "papers",
		progress.WithClock(clock), progress.WithResumeHint("run again to resume"))
	defer r.Abort() // prints nothing once Finish has run

	for sec := int64(1); sec <= 8; sec++ {
		now = now.Add(time.Second)
		if sec == 6 {
			r.SetNote("3 errors")
		}
		r.Update(sec*5<<20, sec*650)
	}
	r.Finish()
	// Output:
	// ingest scifact: 12% 650 papers 650/s eta 7s
	// ingest scifact: 75% 3,900 papers 650/s eta 2s (3 errors)
	// ingest scifact: done, 5,200 papers in 8s, 650/s (3 errors)
}

func ExampleHumanCount() {
	fmt.Println(progress.HumanCount(1234567))
	fmt.Println(progress.HumanBytes(3 << 30))
	fmt.Println(progress.HumanDuration(65 * time.Second))
	// Output:
	// 1,234,567
	// 3.00 GiB
	// 1m05s
}
