package embedded

import (
	"bytes"
	"slices"
	"strconv"
	"sync"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/vector"
)

// Passage vectors. Each passage of a full text (bodyChunks, the passages
// BM25 rescoring reads) has a vector of its own, in the same vector index
// as the papers, under passageID(paper, n) where n is its place in the
// paper's stored passage list. One index means one sequence number, log
// and snapshot, so the rules that keep paper vectors consistent with
// bleve (rollback after a crash, compaction, the check) cover passages
// unchanged. The vector half searches both and ranks each paper by its
// nearest vector: a paper's title and abstract, or any of its passages.

// passageSep joins a paper's ID to a passage number. 0xff never occurs in
// valid UTF-8, which every paper ID is (corpus.Paper.Validate), so no
// paper's ID can be read as a passage's.
const passageSep = "\xff"

// passageID names the vector of the paper's n-th passage.
func passageID(paper string, n int) string {
	return paper + passageSep + strconv.Itoa(n)
}

// paperOf returns the paper a vector ID belongs to, and whether the ID is
// a passage's.
// It takes IDs read in place ([]byte, vector.Index.EachID) as well.
func paperOf[T string | []byte](id T) (T, bool) {
	for i := range len(id) {
		if id[i] == passageSep[0] {
			return id[:i], true
		}
	}
	return id, false
}

// passageOf splits a passage's vector ID into its paper and number; ok is
// false for a paper's own ID.
func passageOf(id string) (paper string, n int, ok bool) {
	p, passage := paperOf(id)
	if !passage {
		return id, 0, false
	}
	n, err := strconv.Atoi(id[len(p)+1:])
	return p, n, err == nil
}

// showVectorID is a vector's ID as a person reads it.
func showVectorID(id string) string {
	if p, ok := paperOf(id); ok {
		return p + " (passage " + id[len(p)+1:] + ")"
	}
	return id
}

// passageTexts returns what is embedded for each of p's passages
// (hybrid.EmbedPassage).
func passageTexts(p *corpus.Paper) []string {
	cs := bodyChunks(p)
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = hybrid.EmbedPassage(p.Title, c.Section, p.FullText[c.Start:c.End])
	}
	return out
}

// stalePassages adds to dels the stored passage vectors that items and
// dels leave behind: those of deleted papers, and those past the new
// count of an upserted paper whose text got shorter.
func stalePassages(idx *vector.Index, items []vector.Item, dels []string) []string {
	if idx == nil {
		return dels
	}
	count := map[string]int{}
	for _, it := range items {
		if p, ok := paperOf(it.ID); ok {
			count[p]++
		}
	}
	out := dels
	add := func(id string) { out = append(out, id) }
	for _, it := range items {
		if _, ok := paperOf(it.ID); !ok {
			storedPassages(idx, it.ID, count[it.ID], add)
		}
	}
	for _, id := range dels {
		if _, ok := paperOf(id); !ok {
			storedPassages(idx, id, 0, add)
		}
	}
	return out
}

// storedPassages calls fn with the ID of each of the paper's stored
// passage vectors from number n on. Passages are numbered from 0
// without gaps, so they end at the first number with no slot.
func storedPassages(idx *vector.Index, paper string, n int, fn func(id string)) {
	for ; ; n++ {
		id := passageID(paper, n)
		if _, ok := idx.Slot(id); !ok {
			return
		}
		fn(id)
	}
}

// slotRuns turns slots into sorted runs [lo, hi), in pairs; nil for none.
func slotRuns(slots []uint32) []uint32 {
	if len(slots) == 0 {
		return nil
	}
	slices.Sort(slots)
	runs := []uint32{slots[0], slots[0] + 1}
	for _, s := range slots[1:] {
		if s == runs[len(runs)-1] {
			runs[len(runs)-1]++
		} else if s > runs[len(runs)-1] {
			runs = append(runs, s, s+1)
		}
	}
	return slices.Clip(runs)
}

// byPaper keeps each paper's best result, in order, with the paper's ID
// (id points at a result's): results come best first, so the first of a
// paper's vectors is its best. near maps the papers whose best vector is
// a passage's to its number.
func byPaper[R any](rs []R, id func(*R) *string) (out []R, near map[string]int) {
	seen := make(map[string]struct{}, len(rs))
	for _, r := range rs {
		rid := id(&r)
		p, _ := paperOf(*rid)
		if _, ok := seen[p]; ok {
			continue
		}
		seen[p] = struct{}{}
		if _, n, ok := passageOf(*rid); ok {
			if near == nil {
				near = map[string]int{}
			}
			near[p] = n
		}
		*rid = p
		out = append(out, r)
	}
	return out, near
}

// nearPassages records, across one search's calls to the vector half,
// the passage that brought each paper closest to the query.
type nearPassages struct {
	mu sync.Mutex
	n  map[string]int
}

func (np *nearPassages) add(near map[string]int) {
	if np == nil || len(near) == 0 {
		return
	}
	np.mu.Lock()
	defer np.mu.Unlock()
	if np.n == nil {
		np.n = map[string]int{}
	}
	for p, n := range near {
		if _, ok := np.n[p]; !ok {
			np.n[p] = n
		}
	}
}

// of returns the paper's nearest passage number, or -1.
func (np *nearPassages) of(paper string) int {
	if np == nil {
		return -1
	}
	np.mu.Lock()
	defer np.mu.Unlock()
	if n, ok := np.n[paper]; ok {
		return n
	}
	return -1
}

// passageCount counts the stored passage vectors. The caller keeps v.idx
// in place: it holds v.mu for reading, or x.writeMu.
func (v *vectors) passageCount() int {
	return v.passageSlots().n
}

// passageSet is what one pass over the vector IDs learns about passages.
type passageSet struct {
	gen uint64
	n   int
	// runs are each paper's passage slots as runs [lo, hi) in pairs: a
	// paper's passages are written together, so their slots are mostly
	// one run, and a filter allowing a million of them adds a range per
	// paper instead of a slot per passage.
	runs map[string][]uint32
}

// passageSlots reads every vector ID once per change of the index. Slot
// columns used to look each paper's passages up by ID, which at 3.7M
// passages took over a second after every write.
func (v *vectors) passageSlots() *passageSet {
	gen := v.gen.Load()
	v.passMu.Lock()
	defer v.passMu.Unlock()
	if p := v.passSet; p != nil && p.gen == gen {
		return p
	}
	p := &passageSet{gen: gen, runs: map[string][]uint32{}}
	var cur []byte
	var slots []uint32
	flush := func() {
		if len(slots) > 0 {
			k := string(cur)
			p.runs[k] = append(p.runs[k], slots...)
			slots = slots[:0]
		}
	}
	v.idx.EachID(func(s uint32, id []byte) {
		paper, ok := paperOf(id)
		if !ok {
			return
		}
		p.n++
		if !bytes.Equal(paper, cur) {
			flush()
			cur = append(cur[:0], paper...)
		}
		slots = append(slots, s)
	})
	flush()
	for k, ss := range p.runs {
		p.runs[k] = slotRuns(ss)
	}
	v.passSet = p
	return p
}
