// Package probe measures, without any relevance judgments, whether a
// corpus's vector half finds papers better or worse than BM25 does.
//
// Each probe takes one sentence out of a paper and searches a sample of the
// corpus with it: BM25 scores the source paper without that sentence, and the
// vector half embeds the paper without it, so neither can match the words
// themselves. The mean reciprocal rank of the source paper under each half
// says which one understands this corpus's language better. On the BEIR dev
// collections in ../shared/data the sign agrees with the judged queries:
// vectors lose on SciFact (claims phrased like their abstracts) and win on
// MED, Cranfield and CISI (docs/measurements.md, session 8).
package probe

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/quire-research/quire/search/embed"
)

// Doc is one sampled paper: its text and stored vector.
type Doc struct {
	Text   string
	Vector []float32 // unit length, as the vector index holds it
}

// Options tune Run. Zero values take the defaults.
type Options struct {
	Probes int     // sentences to try (default 1000)
	K1, B  float64 // BM25 parameters (default 0.9, 0.65)
	// Feedback is how many top BM25 papers' vectors join the query vector,
	// as hybrid search does (default 2; negative for none).
	Feedback       int
	FeedbackWeight float64 // their vectors' total weight (default 0.5)
	Depth          int     // ranks beyond this count as a miss (default 100)
	Seed           uint64  // picks the sentences (default fixed)
	// Progress, if set, is called with the probes done so far.
	Progress func(done, total int)
}

func (o Options) withDefaults() Options {
	if o.Probes <= 0 {
		o.Probes = 1000
	}
	if o.K1 <= 0 {
		o.K1 = 0.9
	}
	if o.B <= 0 || o.B > 1 {
		o.B = 0.65
	}
	if o.Feedback == 0 {
		o.Feedback = 2
	}
	if o.FeedbackWeight <= 0 {
		o.FeedbackWeight = 0.5
	}
	if o.Depth <= 0 {
		o.Depth = 100
	}
	if o.Seed == 0 {
		o.Seed = 12345
	}
	return o
}

// Result is what a run measured.
type Result struct {
	Probes    int     `json:"probes"`     // sentences searched
	BM25MRR   float64 `json:"bm25_mrr"`   // mean reciprocal rank of the source paper, BM25 alone
	VectorMRR float64 `json:"vector_mrr"` // the same, vector half alone
}

// Gain is how much better the vector half did than BM25.
func (r Result) Gain() float64 { return r.VectorMRR - r.BM25MRR }

// MinProbes is the fewest probes a result is worth trusting on.
const MinProbes = 50

// Run probes docs. analyze must be the analysis BM25 uses; emb must be the
// embedder that made the docs' vectors.
func Run(ctx context.Context, docs []Doc, emb embed.Embedder, analyze func(string) []string, o Options) (Result, error) {
	o = o.withDefaults()
	lex := newLexicon(docs, analyze)
	r := o.Seed
	next := func() uint64 { r ^= r << 13; r ^= r >> 7; r ^= r << 17; return r }
	// One probe: the paper, its held-out sentence, the rest of it, and how
	// BM25 ranked it.
	type pick struct {
		doc        int
		sent, rest string
		bmRank     int
		top        []int // BM25's best papers, for the feedback
	}
	var res Result
	var bmSum, vecSum float64
	tries := 0
	for res.Probes < o.Probes && tries < 20*o.Probes && len(docs) > 1 {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		// Probes go in chunks so a remote embedder gets whole batches.
		var picks []pick
		for len(picks) < min(probeChunk, o.Probes-res.Probes) && tries < 20*o.Probes {
			tries++
			d := int(next() % uint64(len(docs)))
			ss := sentences(docs[d].Text)
			if len(ss) < 3 {
				continue
			}
			// Never the first sentence: it is usually the title.
			si := 1 + int(next()%uint64(len(ss)-1))
			q := analyze(ss[si])
			if len(q) < 4 {
				continue
			}
			rest := strings.Join(slices.Concat(ss[:si], ss[si+1:]), " ")
			br, top := lex.rank(q, d, termCounts(analyze(rest)), max(o.Feedback, 0), o)
			picks = append(picks, pick{doc: d, sent: ss[si], rest: rest, bmRank: br, top: top})
		}
		if len(picks) == 0 {
			break
		}
		sents, rests := make([]string, len(picks)), make([]string, len(picks))
		for i, p := range picks {
			sents[i], rests[i] = p.sent, p.rest
		}
		qvs, err := emb.Embed(ctx, sents, embed.Query)
		if err != nil {
			return Result{}, fmt.Errorf("probe: embed: %w", err)
		}
		dvs, err := emb.Embed(ctx, rests, embed.Passage)
		if err != nil {
			return Result{}, fmt.Errorf("probe: embed: %w", err)
		}
		for i, p := range picks {
			// The held paper's vector is its vector without the sentence,
			// in the feedback too.
			var fb [][]float32
			for _, t := range p.top[:max(0, min(o.Feedback, len(p.top)))] {
				if t == p.doc {
					fb = append(fb, dvs[i])
				} else {
					fb = append(fb, docs[t].Vector)
				}
			}
			qv := embed.Feedback(qvs[i], fb, o.FeedbackWeight)
			if p.bmRank > 0 {
				bmSum += 1 / float64(p.bmRank)
			}
			if vr := vectorRank(qv, docs, p.doc, dvs[i], o.Depth); vr > 0 {
				vecSum += 1 / float64(vr)
			}
		}
		res.Probes += len(picks)
		if o.Progress != nil {
			o.Progress(res.Probes, o.Probes)
		}
	}
	if res.Probes > 0 {
		res.BM25MRR = bmSum / float64(res.Probes)
		res.VectorMRR = vecSum / float64(res.Probes)
	}
	return res, nil
}

// probeChunk is how many probes are embedded together.
const probeChunk = 100

// sentences splits text at sentence ends and line breaks.
func sentences(t string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(t); i++ {
		if t[i] == '\n' || (t[i] == '.' || t[i] == '?' || t[i] == '!') && (t[i+1] == ' ' || t[i+1] == '\n') {
			if s := strings.TrimSpace(t[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(t[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func termCounts(terms []string) map[string]int {
	m := make(map[string]int, len(terms))
	for _, t := range terms {
		m[t]++
	}
	return m
}

// lexicon is an in-memory inverted index of the sample for BM25.
type lexicon struct {
	posts map[string][]posting
	lens  []int
	avg   float64
	// scratch for rank
	scores  []float64
	touched []int
}

type posting struct{ doc, tf int }

func newLexicon(docs []Doc, analyze func(string) []string) *lexicon {
	l := &lexicon{posts: map[string][]posting{}, lens: make([]int, len(docs))}
	var total int
	for i, d := range docs {
		terms := analyze(d.Text)
		l.lens[i] = len(terms)
		total += len(terms)
		for t, n := range termCounts(terms) {
			l.posts[t] = append(l.posts[t], posting{i, n})
		}
	}
	if len(docs) > 0 {
		l.avg = float64(total) / float64(len(docs))
	}
	return l
}

// rank scores q by BM25 over the sample, with document held scored as if
// it held only the counts in heldTF, and returns held's 1-based rank (0
// beyond o.Depth) and the best n documents, best first.
func (l *lexicon) rank(q []string, held int, heldTF map[string]int, n int, o Options) (int, []int) {
	docs := float64(len(l.lens))
	heldLen := 0
	for _, c := range heldTF {
		heldLen += c
	}
	part := func(idf float64, tf, dl int) float64 {
		f := float64(tf)
		return idf * f * (o.K1 + 1) / (f + o.K1*(1-o.B+o.B*float64(dl)/l.avg))
	}
	if len(l.scores) != len(l.lens) {
		l.scores = make([]float64, len(l.lens))
	}
	scores := l.scores
	l.touched = l.touched[:0]
	var target float64
	for _, t := range q {
		ps := l.posts[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (docs-df+0.5)/(df+0.5))
		for _, p := range ps {
			if p.doc == held {
				continue
			}
			if scores[p.doc] == 0 {
				l.touched = append(l.touched, p.doc)
			}
			scores[p.doc] += part(idf, p.tf, l.lens[p.doc])
		}
		if tf := heldTF[t]; tf > 0 {
			target += part(idf, tf, heldLen)
		}
	}
	// held's rank: documents scoring higher, ties to the lower number.
	rank := 0
	if target > 0 {
		rank = 1
		for _, d := range l.touched {
			if s := scores[d]; s > target || (s == target && d < held) {
				rank++
			}
		}
		if rank > o.Depth {
			rank = 0
		}
	}
	// The best n for feedback, held among them.
	type hit struct {
		doc   int
		score float64
	}
	best := make([]hit, 0, n+1)
	offer := func(d int, s float64) {
		if s <= 0 {
			return
		}
		i := len(best)
		for i > 0 && (best[i-1].score < s || best[i-1].score == s && best[i-1].doc > d) {
			i--
		}
		if i < n {
			best = slices.Insert(best, i, hit{d, s})
			best = best[:min(len(best), n)]
		}
	}
	offer(held, target)
	for _, d := range l.touched {
		offer(d, scores[d])
		scores[d] = 0
	}
	top := make([]int, len(best))
	for i, h := range best {
		top[i] = h.doc
	}
	return rank, top
}

// vectorRank is the 1-based rank of document held, whose vector is heldVec,
// by cosine with qv; 0 beyond depth.
func vectorRank(qv []float32, docs []Doc, held int, heldVec []float32, depth int) int {
	target := dot(qv, heldVec)
	rank := 1
	for i, d := range docs {
		if i == held {
			continue
		}
		if s := dot(qv, d.Vector); s > target || (s == target && i < held) {
			rank++
			if rank > depth {
				return 0
			}
		}
	}
	return rank
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}
