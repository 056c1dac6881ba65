package embedded

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	qs "github.com/quire-research/quire/search"
)

// Facet counting, Quire's own fast path.
//
// bleve counts facets by visiting each hit's doc values, which costs about
// 80 ms at a million papers. Instead, each immutable scorch segment gets
// columns (value ids per local document) built once from the facet fields'
// term dictionaries and postings, and counting a hit is an array lookup.
// Columns are derived data: saved beside the index (facetfile.go) or
// rebuilt, they can never disagree with it.

type facetSpec struct {
	name  string // public facet name
	field string // keyword field whose dictionary feeds it
	multi bool
}

var facetSpecs = []facetSpec{
	{qs.FacetYear, fYear, false},
	{qs.FacetField, fField, true},
	{qs.FacetCategory, fCategory, true},
	{qs.FacetVenue, fVenue, false},
	{qs.FacetAuthor, fAuthor, true},
	{qs.FacetSource, fSource, false},
}

func facetIndex(name string) int {
	for i, s := range facetSpecs {
		if s.name == name {
			return i
		}
	}
	return -1
}

// dict interns facet values; id 0 means "no value".
type dict struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	names []string
}

func newDict() *dict { return &dict{ids: map[string]uint32{}, names: []string{""}} }

func (d *dict) id(term []byte) uint32 {
	d.mu.RLock()
	id, ok := d.ids[string(term)]
	d.mu.RUnlock()
	if ok {
		return id
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.ids[string(term)]; ok {
		return id
	}
	id = uint32(len(d.names))
	s := string(term)
	d.ids[s] = id
	d.names = append(d.names, s)
	return id
}

func (d *dict) snapshot() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.names[:len(d.names):len(d.names)]
}

// column holds one facet's value ids for a segment's documents: vals[doc]
// for single-valued facets, vals[offs[doc]:offs[doc+1]] for multi-valued.
type column struct {
	vals []uint32
	offs []uint32
}

// segColumns holds a segment's columns, one per facetSpecs entry, each
// built the first time a search counts that facet.
type segColumns struct {
	cols []lazyColumn
}

type lazyColumn struct {
	once sync.Once
	column
	err error
}

type facetCache struct {
	dir   string // saved columns (see facetfile.go); "" for none
	dicts []*dict
	mu    sync.Mutex
	segs  map[uint64]*segColumns
}

func newFacetCache(dir string) *facetCache {
	c := &facetCache{dir: dir, segs: map[uint64]*segColumns{}}
	for range facetSpecs {
		c.dicts = append(c.dicts, newDict())
	}
	return c
}

// columns returns every segment's columns for a snapshot, building the
// missing ones of the facets in which, and forgets segments the snapshot
// no longer has. Building is spread over the CPUs, biggest segments
// first: the first count after opening a million-paper index builds them
// all.
func (c *facetCache) columns(ctx context.Context, snap *scorch.IndexSnapshot, which []int) ([]*segColumns, error) {
	return c.columnsOf(ctx, snap, which, nil)
}

// columnsOf is columns, building only the segments need marks (all when
// need is nil).
func (c *facetCache) columnsOf(ctx context.Context, snap *scorch.IndexSnapshot, which []int, need []bool) ([]*segColumns, error) {
	segs := snap.Segments()
	out := make([]*segColumns, len(segs))
	c.mu.Lock()
	live := make(map[uint64]bool, len(segs))
	for i, ss := range segs {
		live[ss.Id()] = true
		sc := c.segs[ss.Id()]
		if sc == nil {
			sc = &segColumns{cols: make([]lazyColumn, len(facetSpecs))}
			c.segs[ss.Id()] = sc
		}
		out[i] = sc
	}
	if len(c.segs) > 2*len(segs)+8 {
		for id := range c.segs {
			if !live[id] {
				delete(c.segs, id)
			}
		}
	}
	c.mu.Unlock()
	type job struct {
		id  uint64
		seg segment.Segment
		fi  int
		lc  *lazyColumn
	}
	var jobs []job
	for i, sc := range out {
		if need != nil && !need[i] {
			continue
		}
		for _, fi := range which {
			jobs = append(jobs, job{segs[i].Id(), segs[i].Segment(), fi, &sc.cols[fi]})
		}
	}
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.seg.Count(), a.seg.Count()) })
	workers := max(1, min(runtime.GOMAXPROCS(0), len(jobs)))
	err := parallel(ctx, workers, len(jobs), func(_, j int) error {
		jb := jobs[j]
		jb.lc.once.Do(func() {
			jb.lc.column, jb.lc.err = c.loadColumn(jb.id, int(jb.seg.Count()), jb.fi)
			if jb.lc.err != nil {
				jb.lc.column, jb.lc.err = c.build(jb.seg, jb.fi)
			}
		})
		return jb.lc.err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// build reads one facet's column of a segment from the field's term
// dictionary and postings.
func (c *facetCache) build(seg segment.Segment, fi int) (column, error) {
	spec := facetSpecs[fi]
	n := int(seg.Count())
	d, err := seg.Dictionary(spec.field)
	if err != nil {
		return column{}, err
	}
	// A single-valued facet is written in place; a multi-valued one is
	// gathered as (doc, id) pairs first.
	var vals []uint32
	var ps pairs
	if !spec.multi {
		vals = make([]uint32, n)
	}
	it := d.AutomatonIterator(nil, nil, nil)
	var pl segment.PostingsList
	var pi segment.PostingsIterator
	for {
		e, err := it.Next()
		if err != nil {
			return column{}, err
		}
		if e == nil {
			break
		}
		id := c.dicts[fi].id([]byte(e.Term))
		pl, err = d.PostingsList([]byte(e.Term), nil, pl)
		if err != nil {
			return column{}, err
		}
		pi = pl.Iterator(false, false, false, pi)
		for {
			p, err := pi.Next()
			if err != nil {
				return column{}, err
			}
			if p == nil {
				break
			}
			switch doc := p.Number(); {
			case spec.multi:
				ps.add(uint32(doc), id)
			case doc < uint64(n):
				vals[doc] = id
			}
		}
	}
	if spec.multi {
		return ps.csr(n), nil
	}
	return column{vals: vals}, nil
}

// pairs gathers (doc, id) pairs in fixed-size chunks: an author facet
// holds several values a paper, and growing one slice to millions copied
// it over and over.
type pairs struct{ docs, ids [][]uint32 }

const pairChunk = 1 << 16

func (p *pairs) add(doc, id uint32) {
	k := len(p.docs) - 1
	if k < 0 || len(p.docs[k]) == pairChunk {
		p.docs = append(p.docs, make([]uint32, 0, pairChunk))
		p.ids = append(p.ids, make([]uint32, 0, pairChunk))
		k++
	}
	p.docs[k] = append(p.docs[k], doc)
	p.ids[k] = append(p.ids[k], id)
}

// csr lays the pairs out doc by doc with a counting sort.
func (p *pairs) csr(n int) column {
	offs := make([]uint32, n+1)
	for _, docs := range p.docs {
		for _, d := range docs {
			if int(d) < n {
				offs[d+1]++
			}
		}
	}
	for i := 1; i <= n; i++ {
		offs[i] += offs[i-1]
	}
	vals := make([]uint32, offs[n])
	next := slices.Clone(offs[:n])
	for c, docs := range p.docs {
		for k, d := range docs {
			if int(d) < n {
				vals[next[d]] = p.ids[c][k]
				next[d]++
			}
		}
	}
	return column{vals: vals, offs: offs}
}

// counter counts facet values over the hits of one search.
type counter struct {
	which  []int // facet indexes asked for
	cols   []*segColumns
	counts [][]uint32
	names  [][]string
}

func (c *facetCache) newCounter(ctx context.Context, snap *scorch.IndexSnapshot, names []string) (*counter, error) {
	k := &counter{}
	for _, n := range names {
		if fi := facetIndex(n); fi >= 0 && !slices.Contains(k.which, fi) {
			k.which = append(k.which, fi)
		}
	}
	cols, err := c.columns(ctx, snap, k.which)
	if err != nil {
		return nil, err
	}
	k.cols = cols
	// Names are read after the columns are built, so the counts cover
	// every id the columns hold.
	for _, fi := range k.which {
		nm := c.dicts[fi].snapshot()
		k.names = append(k.names, nm)
		k.counts = append(k.counts, make([]uint32, len(nm)))
	}
	return k, nil
}

// addLocal counts one hit: document local of segment seg.
func (k *counter) addLocal(seg int, local uint64) {
	cols := k.cols[seg].cols
	for j, fi := range k.which {
		col := &cols[fi].column
		cnt := k.counts[j]
		if col.offs == nil {
			if v := col.vals[local]; v != 0 && int(v) < len(cnt) {
				cnt[v]++
			}
			continue
		}
		for _, v := range col.vals[col.offs[local]:col.offs[local+1]] {
			if int(v) < len(cnt) {
				cnt[v]++
			}
		}
	}
}

// facet returns the counts of the j-th facet counted: the year facet as a
// histogram of every year, others as the size most frequent values.
func (k *counter) facet(j, size int) qs.Facet {
	spec := facetSpecs[k.which[j]]
	f := qs.Facet{Name: spec.name}
	if spec.name == qs.FacetYear {
		for id, n := range k.counts[j] {
			if n > 0 {
				f.Values = append(f.Values, qs.FacetValue{Value: k.names[j][id], Count: int(n)})
			}
		}
		sortYears(f.Values)
		return f
	}
	f.Values, f.Other = topValues(k.counts[j], k.names[j], size)
	return f
}

func sortYears(vals []qs.FacetValue) {
	slices.SortFunc(vals, func(a, b qs.FacetValue) int { return cmp.Compare(atoi(a.Value), atoi(b.Value)) })
}

// count returns how many hits the j-th facet counted for value.
func (k *counter) count(j int, value string) int {
	if i := slices.Index(k.names[j], value); i > 0 {
		return int(k.counts[j][i])
	}
	return 0
}

// position returns where facet index fi is among the counted facets, or -1.
func (k *counter) position(fi int) int {
	return slices.Index(k.which, fi)
}

// topValues selects the size most frequent values with a bounded heap, so
// a facet with a hundred thousand authors costs a scan, not a sort; ties go
// to the alphabetically first value. Other sums the counts left out.
func topValues(counts []uint32, names []string, size int) ([]qs.FacetValue, int) {
	if size <= 0 {
		size = 10
	}
	// less reports whether a ranks below b.
	less := func(a, b uint32) bool {
		if counts[a] != counts[b] {
			return counts[a] < counts[b]
		}
		return names[a] > names[b]
	}
	h := make([]uint32, 0, size) // min-heap of ids: the weakest on top
	var total int
	for id, n := range counts {
		if n == 0 {
			continue
		}
		total += int(n)
		v := uint32(id)
		switch {
		case len(h) < size:
			h = append(h, v)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !less(h[i], h[p]) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
		case less(h[0], v):
			h[0] = v
			for i := 0; ; {
				m, l, r := i, 2*i+1, 2*i+2
				if l < len(h) && less(h[l], h[m]) {
					m = l
				}
				if r < len(h) && less(h[r], h[m]) {
					m = r
				}
				if m == i {
					break
				}
				h[i], h[m] = h[m], h[i]
				i = m
			}
		}
	}
	slices.SortFunc(h, func(a, b uint32) int {
		if less(a, b) {
			return 1
		}
		if less(b, a) {
			return -1
		}
		return 0
	})
	vals := make([]qs.FacetValue, len(h))
	shown := 0
	for i, id := range h {
		vals[i] = qs.FacetValue{Value: names[id], Count: int(counts[id])}
		shown += int(counts[id])
	}
	return vals, total - shown
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// fresh returns an empty counter for the same facets and columns, for a
// worker to count into and merge later.
func (k *counter) fresh() *counter {
	c := &counter{which: k.which, cols: k.cols, names: k.names}
	for _, cnt := range k.counts {
		c.counts = append(c.counts, make([]uint32, len(cnt)))
	}
	return c
}

// merge adds o's counts to k's.
func (k *counter) merge(o *counter) {
	if o == nil {
		return
	}
	for j, cnt := range o.counts {
		dst := k.counts[j]
		for i, n := range cnt {
			dst[i] += n
		}
	}
}
