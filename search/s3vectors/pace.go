package s3vectors

import (
	"context"
	"sync"
	"time"
)

// pacer keeps writes within the per-index limits: two token buckets, one
// for requests and one for vectors, refilled at the configured rates.
// A caller reserves its tokens and sleeps off any deficit, so concurrent
// writers queue fairly. The buckets hold a small burst (a tenth of a
// second, at least one batch) rather than the service's full second, so
// requests arriving closer together than they were sent still fit.
type pacer struct {
	mu               sync.Mutex
	reqRate, vecRate float64
	reqCap, vecCap   float64
	req, vec         float64
	last             time.Time
}

func newPacer(reqRate, vecRate float64, batch int) *pacer {
	p := &pacer{
		reqRate: reqRate, vecRate: vecRate,
		reqCap: max(1, reqRate/10), vecCap: max(float64(batch), vecRate/10),
		last: time.Now(),
	}
	p.req, p.vec = p.reqCap, p.vecCap
	return p
}

// wait blocks until one request carrying n vectors may be sent.
func (p *pacer) wait(ctx context.Context, n int) error {
	p.mu.Lock()
	now := time.Now()
	dt := now.Sub(p.last).Seconds()
	p.last = now
	p.req = min(p.reqCap, p.req+dt*p.reqRate)
	p.vec = min(p.vecCap, p.vec+dt*p.vecRate)
	p.req--
	p.vec -= float64(n)
	var d time.Duration
	if p.req < 0 {
		d = time.Duration(-p.req / p.reqRate * float64(time.Second))
	}
	if p.vec < 0 {
		d = max(d, time.Duration(-p.vec/p.vecRate*float64(time.Second)))
	}
	p.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
