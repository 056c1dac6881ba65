package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// Distribution settings. Exponents are Zipf's s: weight ∝ 1/rank^s.
const (
	firstYear, lastYear = 1990, 2026
	yearGrowth          = 0.085 // papers per year grow ~9% a year, ~20× over the span
	termZipf            = 0.8   // topic term frequencies across papers
	focusPercent        = 15    // share of term slots given to a paper's focus terms
	authorZipf          = 0.6   // author productivity (Lotka-like, not too steep)
	venueZipf           = 1.1
	entityZipf          = 1.0
	entitiesPerTopic    = 2000
	topicZipf           = 0.3 // on top of each topic's own weight
	crossTopicAuthors   = 10  // one author in this many comes from another topic
)

// Papers with 1..12 authors, mean about 4.1.
var authorCountWeights = []float64{9, 16, 21, 18, 13, 9, 5.5, 3.5, 2, 1.3, 0.9, 0.8}

var venueForms = []string{
	"Journal of %", "Proceedings of the International Conference on %",
	"% Letters", "Transactions on %", "Annual Symposium on %",
	"Workshop on %", "% Review", "Advances in %",
}

// model is everything generation reads: built once, then shared read-only.
type model struct {
	topics      []topic
	topicPick   alias
	yearPick    alias
	authorCount alias // index+1 authors
	names       []string
	nameStride  int // a step coprime with len(names), to scatter pool slots
	titles      []pattern
	stages      [][]pattern // abstract sentences by stage
}

type topic struct {
	index     int
	group     int
	cats      []string
	terms     []string
	termPick  alias
	venues    []string
	venuePick alias
	entities  []string
	entPick   alias
	// The topic's community is pool slots [authorBase, authorBase+n),
	// drawn by authorPick (n = its size).
	authorBase int
	authorPick alias
}

var theModel = sync.OnceValue(buildModel)

func buildModel() *model {
	m := &model{
		yearPick:    newAlias(yearWeights()),
		authorCount: newAlias(authorCountWeights),
		titles:      parsePatterns(titlePatterns),
	}
	for _, st := range sentenceStages {
		m.stages = append(m.stages, parsePatterns(st))
	}
	m.names = authorNames()
	m.nameStride = coprimeStride(len(m.names))

	topicW := make([]float64, len(topicSpecs))
	var total float64
	for i, s := range topicSpecs {
		topicW[i] = s.weight / math.Pow(float64(i+1), topicZipf)
		total += topicW[i]
	}
	m.topicPick = newAlias(topicW)

	base := 0
	for i, s := range topicSpecs {
		t := topic{index: i, group: s.group, cats: s.cats, authorBase: base}
		t.terms = topicTerms(i, s)
		t.termPick = newAlias(zipfWeights(len(t.terms), termZipf))
		t.venues = topicVenues(i, s.name)
		t.venuePick = newAlias(zipfWeights(len(t.venues), venueZipf))
		t.entities = topicEntities(i, s.group)
		t.entPick = newAlias(zipfWeights(len(t.entities), entityZipf))
		// Communities are sized by topic popularity so authors publish
		// at similar rates across topics.
		size := max(1, int(float64(len(m.names))*topicW[i]/total))
		if i == len(topicSpecs)-1 {
			size = max(1, len(m.names)-base)
		}
		t.authorPick = newAlias(zipfWeights(size, authorZipf))
		base += size
		m.topics = append(m.topics, t)
	}
	return m
}

// authorOf maps a community rank to a name. The stride scatters slots over
// the name table, so a topic's authors do not all share a given name.
func (m *model) authorOf(home *topic, rank int) int {
	slot := home.authorBase + rank
	return slot * m.nameStride % len(m.names)
}

func yearWeights() []float64 {
	w := make([]float64, lastYear-firstYear+1)
	for i := range w {
		w[i] = math.Exp(yearGrowth * float64(i))
	}
	return w
}

func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for r := range w {
		w[r] = 1 / math.Pow(float64(r+1), s)
	}
	return w
}

// topicTerms interleaves the topic's own terms with its group's shared
// ones, two own to one shared, so both kinds occur at every frequency. The
// shared list starts at a different place per topic: neighbouring topics
// overlap without sharing their commonest words.
func topicTerms(index int, s topicSpec) []string {
	own := words(s.terms)
	shared := words(groupTerms[s.group])
	start := index * 7 % len(shared)
	shared = append(shared[start:len(shared):len(shared)], shared[:start]...)
	out := make([]string, 0, len(own)+len(shared))
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for len(own) > 0 || len(shared) > 0 {
		for k := 0; k < 2 && len(own) > 0; k++ {
			add(own[0])
			own = own[1:]
		}
		if len(shared) > 0 {
			add(shared[0])
			shared = shared[1:]
		}
	}
	return out
}

// topicVenues names a topic's venues, most popular first; which form
// leads depends on the topic.
func topicVenues(index int, name string) []string {
	out := make([]string, len(venueForms))
	for k := range venueForms {
		form := venueForms[(k+index)%len(venueForms)]
		out[k] = strings.Replace(form, "%", name, 1)
	}
	return out
}

// topicEntities invents a topic's named entities, each from its own
// random stream so the pool does not depend on anything else.
func topicEntities(index, group int) []string {
	out := make([]string, entitiesPerTopic)
	pcg := rand.NewPCG(uint64(index), 0)
	r := rand.New(pcg)
	for k := range out {
		pcg.Seed(uint64(index)+1<<32, uint64(k))
		out[k] = entityName(group, r)
	}
	return out
}

func entityName(group int, r *rand.Rand) string {
	syl := func() string { return syllables[r.IntN(len(syllables))] }
	ends := entityEnds[group]
	end := ends[r.IntN(len(ends))]
	switch group {
	case groupPhys:
		if r.IntN(2) == 0 {
			// A catalogue designation, like a pulsar's.
			return "J" + pad4(r.IntN(10000)) + "+" + strconv.Itoa(10+r.IntN(80))
		}
		return strings.ToUpper(syl()+syl()+syl()) + end
	case groupBio:
		gene := strings.ToUpper(syl()[:1] + syl()[:1] + syl()[:1])
		return gene + strconv.Itoa(1+r.IntN(40)) + end
	case groupMath:
		return surnameList[r.IntN(len(surnameList))] + " " + end
	}
	name := syl() + syl()
	if r.IntN(2) == 0 {
		name += syl()
	}
	return strings.ToUpper(name[:1]) + name[1:] + end
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 4-len(s)) + s
}

// authorNames combines every given name with every surname.
func authorNames() []string {
	given := dedupe(givenNames)
	surnames := append([]string(nil), surnameList...)
	for _, part := range surnameParts {
		for _, root := range words(part[0]) {
			for _, end := range words(part[1]) {
				surnames = append(surnames, root+end)
			}
		}
	}
	surnames = dedupe(surnames)
	names := make([]string, 0, len(given)*len(surnames))
	for _, s := range surnames {
		for _, g := range given {
			names = append(names, g+" "+s)
		}
	}
	return names
}

// coprimeStride returns a step near n/φ that is coprime with n, so that
// slot*step mod n visits every name exactly once.
func coprimeStride(n int) int {
	step := int(float64(n)*0.6180339887) | 1
	for gcd(step, n) != 1 {
		step += 2
	}
	return step
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func words(s string) []string { return strings.Fields(s) }

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// slotKind is what fills a {slot} of a pattern.
type slotKind uint8

const (
	slotNone    slotKind = iota
	slotTerm             // {T}
	slotAdj              // {A}
	slotMethod           // {M}
	slotMethods          // {Ms}
	slotVerb             // {V}
	slotData             // {D}
	slotCount            // {N}
	slotPercent          // {P}
	slotEntity           // {E}
)

var slotNames = map[string]slotKind{"T": slotTerm, "A": slotAdj, "M": slotMethod,
	"Ms": slotMethods, "V": slotVerb, "D": slotData, "N": slotCount, "P": slotPercent, "E": slotEntity}

// pattern is a template cut into literal text and slots, parsed once so
// generation only appends.
type pattern struct {
	parts []part
	words int
}

type part struct {
	lit  string // text before the slot
	slot slotKind
}

func parsePatterns(in []string) []pattern {
	out := make([]pattern, len(in))
	for i, s := range in {
		out[i] = parsePattern(s)
	}
	return out
}

// parsePattern cuts "{T} of {A}" into parts. An unknown {name} stays as
// literal text, which the tests catch.
func parsePattern(s string) pattern {
	p := pattern{words: len(strings.Fields(s))}
	lit := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			break
		}
		kind, ok := slotNames[s[i+1:i+end]]
		if !ok {
			continue
		}
		p.parts = append(p.parts, part{lit: s[lit:i], slot: kind})
		i += end
		lit = i + 1
	}
	p.parts = append(p.parts, part{lit: s[lit:]})
	return p
}

// alias samples an index with given weights in O(1) (Vose's alias method):
// one 64-bit draw picks a column with its high half and chooses between the
// column and its alias with the low half.
type alias struct {
	accept []uint64 // threshold on a 32-bit draw; 1<<32 means always
	alias  []int32
}

func newAlias(w []float64) alias {
	n := len(w)
	var sum float64
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	a := alias{accept: make([]uint64, n), alias: make([]int32, n)}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.accept[s] = uint64(scaled[s] * (1 << 32))
		a.alias[s] = int32(l)
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left is 1 up to rounding.
	for _, i := range append(small, large...) {
		a.accept[i] = 1 << 32
		a.alias[i] = int32(i)
	}
	return a
}

func (a *alias) sample(r *rand.PCG) int {
	x := r.Uint64()
	i := int((x >> 32) * uint64(len(a.accept)) >> 32)
	if x&math.MaxUint32 < a.accept[i] {
		return i
	}
	return int(a.alias[i])
}
