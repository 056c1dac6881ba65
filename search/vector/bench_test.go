package vector

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// BenchmarkIndex builds an index of clustered 256-d vectors and measures
// build time, memory, exact-scan and HNSW latency and recall@10. It runs
// once per invocation (use -benchtime=1x):
//
//	QUIRE_VECTOR_BENCH_N=1000000 go test -run '^$' -bench Index -benchtime=1x -timeout 30m ./search/vector/
//
// QUIRE_VECTOR_BENCH_DIR keeps the built index there and reuses it on the
// next run; QUIRE_VECTOR_BENCH_EF lists ef values to sweep (e.g. 64,96,128).
func BenchmarkIndex(b *testing.B) {
	n := envInt("QUIRE_VECTOR_BENCH_N", 50000)
	const dim, nq, batchSize = 256, 200, 10000
	g := newClustered(dim, 2000, 42)
	dir := os.Getenv("QUIRE_VECTOR_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	// QUIRE_VECTOR_BENCH_M0 and QUIRE_VECTOR_BENCH_EFC try other graph settings.
	opt := Options{Dim: dim, M0: envInt("QUIRE_VECTOR_BENCH_M0", 0), EfConstruction: envInt("QUIRE_VECTOR_BENCH_EFC", 0)}
	x, err := Open(dir, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { x.Close() }()
	if x.Len() != n {
		if x.Len() != 0 {
			b.Fatalf("%s holds %d vectors, want %d: remove it", dir, x.Len(), n)
		}
		start := time.Now()
		for lo := 0; lo < n; lo += batchSize {
			if err := x.Apply(uint64(lo/batchSize+1), g.items(1, lo, min(n, lo+batchSize)), nil); err != nil {
				b.Fatal(err)
			}
		}
		build := time.Since(start)
		b.ReportMetric(build.Seconds(), "build-s")
		logf("build %d × %d: %v (%d workers)", n, dim, build.Round(time.Millisecond), x.opt.Workers)
		logf("MemBytes after build: %.1f MiB", float64(x.MemBytes())/(1<<20))
		start = time.Now()
		if err := x.Snapshot(); err != nil {
			b.Fatal(err)
		}
		logf("snapshot: %v", time.Since(start).Round(time.Millisecond))
		x.Close()
	} else {
		x.Close()
	}
	start := time.Now()
	x, err = Open(dir, opt)
	if err != nil {
		b.Fatal(err)
	}
	logf("open from snapshot: %v", time.Since(start).Round(time.Millisecond))
	runtime.GC()
	debug.FreeOSMemory()
	mem := x.MemBytes()
	b.ReportMetric(float64(mem)/(1<<20), "MemMiB")
	logf("MemBytes %d (%.1f MiB), RSS %.1f MiB, Go heap in use %.1f MiB", mem, float64(mem)/(1<<20), rssMiB(), heapMiB())

	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = g.vec(777, uint64(i))
	}
	truth := make([][]Result, nq)
	lat := make([]time.Duration, nq)
	for i, q := range qs {
		t0 := time.Now()
		truth[i] = x.Exact(q, 100, nil)
		lat[i] = time.Since(t0)
	}
	p50, p99 := pct(lat)
	b.ReportMetric(ms(p50), "exact-p50-ms")
	logf("exact top-100: p50 %v p99 %v", p50, p99)

	efs := []int{x.opt.EfSearch}
	if s := os.Getenv("QUIRE_VECTOR_BENCH_EF"); s != "" {
		efs = nil
		for _, f := range strings.Split(s, ",") {
			v, _ := strconv.Atoi(f)
			efs = append(efs, v)
		}
	}
	for _, ef := range efs {
		x.opt.EfSearch = ef
		r, p50, p99 := annRun(x, qs, truth, nil)
		logf("HNSW ef=%d k=10: recall@10 %.4f p50 %v p99 %v", ef, r, p50, p99)
		if ef == efs[0] {
			b.ReportMetric(r, "recall@10")
			b.ReportMetric(ms(p50), "ann-p50-ms")
			b.ReportMetric(ms(p99), "ann-p99-ms")
		}
	}
	x.opt.EfSearch = efs[0]

	// Filtered: 10% and 2% of slots allowed.
	for _, every := range []int{10, 50} {
		allow := roaring.New()
		for s := 0; s < n; s += every {
			allow.Add(uint32(s))
		}
		ft := make([][]Result, nq)
		for i, q := range qs {
			ft[i] = x.Exact(q, 10, allow)
		}
		r, p50, p99 := annRun(x, qs, ft, allow)
		logf("filtered 1/%d: recall@10 %.4f p50 %v p99 %v", every, r, p50, p99)
	}
	logf("RSS at end %.1f MiB", rssMiB())
}

// logf prints the results table in full (b.Logf output gets truncated).
func logf(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func annRun(x *Index, qs [][]float32, truth [][]Result, allow *roaring.Bitmap) (float64, time.Duration, time.Duration) {
	lat := make([]time.Duration, len(qs))
	hit, total := 0, 0
	for i, q := range qs {
		t0 := time.Now()
		res := x.Search(q, 10, allow)
		lat[i] = time.Since(t0)
		want := map[uint32]bool{}
		for _, r := range truth[i][:min(10, len(truth[i]))] {
			want[r.Slot] = true
		}
		for _, r := range res {
			if want[r.Slot] {
				hit++
			}
		}
		total += len(want)
	}
	p50, p99 := pct(lat)
	return float64(hit) / float64(total), p50, p99
}

func pct(d []time.Duration) (time.Duration, time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)*99/100]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func rssMiB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func heapMiB() float64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// BenchmarkCompact deletes every fourth vector of a built index (the
// point at which a sync compacts) and measures the compaction, the memory
// it returns and the recall and latency of the compacted graph:
//
//	QUIRE_VECTOR_BENCH_N=1000000 go test -run '^$' -bench Compact -benchtime=1x -timeout 30m ./search/vector/
func BenchmarkCompact(b *testing.B) {
	n := envInt("QUIRE_VECTOR_BENCH_N", 50000)
	const dim, nq, batchSize = 256, 200, 10000
	g := newClustered(dim, 2000, 42)
	x, err := Open(b.TempDir(), Options{Dim: dim})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	seq := uint64(0)
	for lo := 0; lo < n; lo += batchSize {
		seq++
		if err := x.Apply(seq, g.items(1, lo, min(n, lo+batchSize)), nil); err != nil {
			b.Fatal(err)
		}
	}
	var dels []string
	for i := 0; i < n; i += 4 {
		dels = append(dels, docID(i))
	}
	seq++
	if err := x.Apply(seq, nil, dels); err != nil {
		b.Fatal(err)
	}
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = g.vec(777, uint64(i))
	}
	measure := func(label string) {
		truth := make([][]Result, nq)
		for i, q := range qs {
			truth[i] = x.Exact(q, 10, nil)
		}
		r, p50, p99 := annRun(x, qs, truth, nil)
		logf("%s: %d live of %d slots, MemBytes %.1f MiB, recall@10 %.4f p50 %v p99 %v", label, x.Len(), x.Slots(), float64(x.MemBytes())/(1<<20), r, p50, p99)
	}
	measure("before")
	start := time.Now()
	cp, err := x.Compact(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := x.Install(cp); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	b.ReportMetric(d.Seconds(), "compact-s")
	logf("compaction of %d deleted: %v", cp.Dropped(), d.Round(time.Millisecond))
	measure("after")
}

// BenchmarkApply measures Apply through the write-ahead log (encode,
// write, fsync, link), one op per batch: batches of 1 are all fsync, of
// 1,000 mostly encoding and graph linking.
func BenchmarkApply(b *testing.B) {
	const dim = 256
	g := newClustered(dim, 200, 11)
	for _, size := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			x, err := Open(b.TempDir(), Options{Dim: dim, ExactBelow: 2000})
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			seq := uint64(0)
			for b.Loop() {
				items := g.items(1, int(seq)*size, int(seq+1)*size)
				seq++
				if err := x.Apply(seq, items, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearch measures searches over 20,000 clustered 256-d vectors:
// an exact scan and an HNSW search, top 10.
func BenchmarkSearch(b *testing.B) {
	const dim, n = 256, 20000
	g := newClustered(dim, 500, 13)
	for _, mode := range []struct {
		name  string
		exact int
	}{{"exact", n + 1}, {"graph", 1000}} {
		b.Run(mode.name, func(b *testing.B) {
			x, err := Open(b.TempDir(), Options{Dim: dim, ExactBelow: mode.exact, Workers: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			if err := x.Apply(1, g.items(1, 0, n), nil); err != nil {
				b.Fatal(err)
			}
			qs := make([][]float32, 256)
			for i := range qs {
				qs[i] = g.vec(99, uint64(i))
			}
			i := 0
			for b.Loop() {
				x.Search(qs[i%len(qs)], 10, nil)
				i++
			}
		})
	}
}
