package progress

import (
	"math"
	"time"
)

const (
	// rateWindow is the time constant of the rate's moving average: long
	// enough to iron out bursts, short enough to follow a real slow-down.
	rateWindow = 5 * time.Second
	// minSample stops updates microseconds apart from feeding the average
	// noisy instantaneous rates; their counts accumulate into the next sample.
	minSample = 100 * time.Millisecond
)

// rate is an exponentially smoothed rate of a growing counter, sampled at
// irregular times. During the first window it is the plain average since
// start, which is steadier than an average seeded by the first burst.
type rate struct {
	start  time.Time
	base   int64 // counter value at start, non-zero when work resumes
	last   time.Time
	lastV  int64
	perSec float64
	known  bool
}

func newRate(start time.Time, base int64) rate {
	return rate{start: start, base: base, last: start, lastV: base}
}

// observe records that the counter was v at time t.
func (r *rate) observe(t time.Time, v int64) {
	dt := t.Sub(r.last)
	if dt < minSample {
		return
	}
	if since := t.Sub(r.start); since <= rateWindow {
		r.perSec = float64(v-r.base) / since.Seconds()
	} else {
		inst := float64(v-r.lastV) / dt.Seconds()
		alpha := 1 - math.Exp(-dt.Seconds()/rateWindow.Seconds())
		r.perSec += alpha * (inst - r.perSec)
	}
	r.last, r.lastV, r.known = t, v, true
}

// get returns the smoothed rate per second and whether one is known yet.
func (r *rate) get() (float64, bool) { return max(r.perSec, 0), r.known }
