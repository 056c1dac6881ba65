// Package extract is Quire's offline answerer: no model, no network. It
// answers a question by quoting the sources' most relevant sentences
// verbatim, each followed by its citation, choosing them by BM25-style term
// overlap with the question (plus a bonus when the paper's title matches and
// a small prior for higher-ranked sources) and maximal marginal relevance,
// so that the second sentence adds something the first did not say.
//
// Provider wraps it as an llm.Provider that reads the numbered <source>
// blocks and the <question> from the prompt, so it stands in wherever a
// model would and streams its answer sentence by sentence.
package extract

import (
	"math"
	"regexp"
	"strings"

	"github.com/quire-research/quire/corpus"
)

// Doc is one numbered source to quote from.
type Doc struct {
	N     int
	Title string
	Text  string
	// Prior in [0, 1] says how much retrieval trusted the source (1 for the
	// first hit or a basket paper).
	Prior float64
}

// Sentence is a quoted sentence: Text is exactly Docs[i].Text[Start:End]
// for the doc numbered N.
type Sentence struct {
	N          int     `json:"n"`
	Text       string  `json:"text"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Score      float64 `json:"score"`
	Relevance  float64 `json:"relevance"`
	QueryTerms int     `json:"query_terms"`
}

// Options tune Select. The zero value is the default.
type Options struct {
	MaxSentences int     // default 6
	MaxTokens    int     // stop before the quoted text exceeds this; 0: no bound
	PerDoc       int     // at most this many sentences from one source; default 3
	Lambda       float64 // MMR: weight of relevance against novelty, default 0.7
	MinTerms     int     // skip sentences with fewer content terms; default 4
	MaxWords     int     // skip longer sentences (usually split failures); default 90
	TitleWeight  float64 // default 0.25
	PriorWeight  float64 // default DefaultPriorWeight
	// Hint adds words that steer the choice at half the weight of the
	// question's; a sentence must still share a word with the question.
	Hint string
	// Skip reports sentences not to quote again (drafts fill several
	// sections from one pool).
	Skip func(n int, text string) bool
}

// DefaultPriorWeight is the weight of the rank prior (see RankPrior).
const DefaultPriorWeight = 0.5

func (o Options) withDefaults() Options {
	if o.MaxSentences <= 0 {
		o.MaxSentences = 6
	}
	if o.PerDoc <= 0 {
		o.PerDoc = 3
	}
	if o.Lambda <= 0 || o.Lambda > 1 {
		o.Lambda = 0.7
	}
	if o.MinTerms <= 0 {
		o.MinTerms = 4
	}
	if o.MaxWords <= 0 {
		o.MaxWords = 90
	}
	if o.TitleWeight == 0 {
		o.TitleWeight = 0.25
	}
	if o.PriorWeight == 0 {
		o.PriorWeight = DefaultPriorWeight
	}
	return o
}

// refMarker finds sentences that cite other works with numbers of their
// own ("as shown in [12]"): quoting them would mix their numbers with ours.
var refMarker = regexp.MustCompile(`\[\s*\d`)

type cand struct {
	doc   int
	span  Span
	terms map[string]int
	n     int // number of terms
	bm25  float64
	qhits int
	rel   float64
}

// Select picks up to MaxSentences sentences from docs for the question,
// most relevant first. Every sentence shares at least one content word with
// the question; a question with no content words takes the sources' opening
// sentences in order.
func Select(question string, docs []Doc, o Options) []Sentence {
	o = o.withDefaults()
	if len(Terms(question)) == 0 {
		question, o.Hint = o.Hint, ""
	}
	q := map[string]float64{}
	for _, t := range Terms(o.Hint) {
		q[t] = 0.5
	}
	for _, t := range Terms(question) {
		q[t] = 1
	}
	var cands []*cand
	df := map[string]int{}
	totalLen := 0
	for di, d := range docs {
		heads := headingLines(d.Text)
		for _, sp := range Sentences(d.Text) {
			text := d.Text[sp.Start:sp.End]
			if refMarker.MatchString(text) || len(strings.Fields(text)) > o.MaxWords || inAny(heads, sp.Start) {
				continue
			}
			if o.Skip != nil && o.Skip(d.N, text) {
				continue
			}
			terms := map[string]int{}
			n := 0
			for _, t := range Terms(text) {
				terms[t]++
				n++
			}
			if n < o.MinTerms {
				continue
			}
			for t := range terms {
				df[t]++
			}
			totalLen += n
			cands = append(cands, &cand{doc: di, span: sp, terms: terms, n: n})
		}
	}
	if len(cands) == 0 {
		return nil
	}
	N := float64(len(cands))
	avg := float64(totalLen) / N
	idf := func(t string) float64 {
		f := float64(df[t])
		return math.Log(1 + (N-f+0.5)/(f+0.5))
	}
	const k1, b = 1.2, 0.75
	titleScore := make([]float64, len(docs))
	var maxBM, maxTitle float64
	for di, d := range docs {
		seen := map[string]bool{}
		for _, t := range Terms(d.Title) {
			if q[t] == 1 && !seen[t] {
				seen[t] = true
				titleScore[di] += idf(t)
			}
		}
		maxTitle = max(maxTitle, titleScore[di])
	}
	for _, c := range cands {
		for t, w := range q {
			tf := float64(c.terms[t])
			if tf == 0 {
				continue
			}
			if w == 1 {
				c.qhits++
			}
			c.bm25 += w * idf(t) * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(c.n)/avg))
		}
		if c.qhits == 0 {
			c.bm25 = 0
		}
		maxBM = max(maxBM, c.bm25)
	}
	if maxBM == 0 && len(q) > 0 {
		return nil // nothing shares a word with the question
	}
	for i, c := range cands {
		d := docs[c.doc]
		if maxBM == 0 {
			// Nothing matches: prefer opening sentences of early sources.
			c.rel = d.Prior + 1/float64(1+i)
			continue
		}
		if c.bm25 == 0 {
			c.rel = -1 // never quote a sentence that shares no word with the question
			continue
		}
		c.rel = c.bm25 / maxBM
		if maxTitle > 0 {
			c.rel += o.TitleWeight * titleScore[c.doc] / maxTitle
		}
		c.rel += o.PriorWeight * d.Prior
	}
	var out []Sentence
	var chosen []*cand
	perDoc := map[int]int{}
	tokens := 0
	used := make([]bool, len(cands))
	for len(out) < o.MaxSentences {
		best, bestScore := -1, math.Inf(-1)
		for i, c := range cands {
			if used[i] || c.rel < 0 || perDoc[c.doc] >= o.PerDoc {
				continue
			}
			sim := 0.0
			for _, s := range chosen {
				sim = max(sim, cosine(c.terms, s.terms))
			}
			score := o.Lambda*c.rel - (1-o.Lambda)*sim
			if sim > 0.8 { // near duplicate
				continue
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			break
		}
		c := cands[best]
		used[best] = true
		d := docs[c.doc]
		text := d.Text[c.span.Start:c.span.End]
		if o.MaxTokens > 0 {
			t := len(strings.Fields(text)) + 3
			if tokens+t > o.MaxTokens && len(out) > 0 {
				break
			}
			tokens += t
		}
		chosen = append(chosen, c)
		perDoc[c.doc]++
		out = append(out, Sentence{N: d.N, Text: text, Start: c.span.Start, End: c.span.End,
			Score: bestScore, Relevance: c.rel, QueryTerms: c.qhits})
	}
	return out
}

func cosine(a, b map[string]int) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	common := 0
	for t := range a {
		if b[t] > 0 {
			common++
		}
	}
	return float64(common) / math.Sqrt(float64(len(a))*float64(len(b)))
}

// TopCited returns the source number cited most often in sentences (the
// earliest on ties), or 0 for none.
func TopCited(ss []Sentence) int {
	count := map[int]int{}
	var order []int
	for _, s := range ss {
		if count[s.N] == 0 {
			order = append(order, s.N)
		}
		count[s.N]++
	}
	best := 0
	for _, n := range order {
		if best == 0 || count[n] > count[best] {
			best = n
		}
	}
	return best
}

// headingLines are the byte ranges of text's Markdown heading lines. A
// passage from a PDF opens with its section's heading ("## I am using
// apply … Why does the returned matrix have different dimensions?"): a
// section's name, not a claim to quote.
func headingLines(text string) []Span {
	var out []Span
	for at := 0; at < len(text); {
		end := strings.IndexByte(text[at:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += at
		}
		if _, _, ok := corpus.ATXHeading(strings.TrimSpace(text[at:end])); ok {
			out = append(out, Span{at, end})
		}
		at = end + 1
	}
	return out
}

// inAny says whether offset i is within one of spans.
func inAny(spans []Span, i int) bool {
	for _, s := range spans {
		if i >= s.Start && i < s.End {
			return true
		}
	}
	return false
}
