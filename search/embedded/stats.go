package embedded

import (
	"encoding/json"
	"hash/maphash"

	"github.com/blevesearch/bleve/v2"

	"github.com/quire-research/quire/corpus"
)

// BM25 needs each field's average length. bleve keeps no such statistic,
// so Quire estimates it at ingest from a sample of papers (all of the first
// few thousand, then one in sixteen), analysing them a second time, and
// stores the running totals with every batch. Deletions and updates are
// not subtracted: an average over a large sample barely moves.

const statsKey = "stats\x00length"

type lengthStats struct {
	Docs   map[string]int64 `json:"docs"`   // sampled documents having the field
	Tokens map[string]int64 `json:"tokens"` // their analysed tokens
}

// Used until a field has been sampled: typical abstract, title and paper.
var defaultAvgLen = map[string]float64{fText: 150, fTitle: 10, fBody: 5000}

func (s lengthStats) avg(field string) float64 {
	if s.Docs[field] == 0 || s.Tokens[field] == 0 {
		return defaultAvgLen[field]
	}
	return float64(s.Tokens[field]) / float64(s.Docs[field])
}

func (s *lengthStats) add(field string, tokens int) {
	if tokens == 0 {
		return
	}
	if s.Docs == nil {
		s.Docs, s.Tokens = map[string]int64{}, map[string]int64{}
	}
	s.Docs[field]++
	s.Tokens[field] += int64(tokens)
}

var sampleSeed = maphash.MakeSeed()

const (
	sampleAll   = 4096 // sample every paper until this many are sampled
	sampleEvery = 16
)

// sample adds a batch's sampled papers to the running totals and writes
// them into the batch; x.mu guards the totals.
func (x *Index) sample(papers []corpus.Paper, bb *bleve.Batch) error {
	var local lengthStats
	x.mu.Lock()
	n := x.stats.Docs[fText]
	x.mu.Unlock()
	for i := range papers {
		p := &papers[i]
		if n >= sampleAll && maphash.String(sampleSeed, p.ID)%sampleEvery != 0 {
			continue
		}
		n++
		local.add(fText, len(x.an.prose.Analyze([]byte(joinNonEmpty(p.Title, p.Abstract)))))
		local.add(fTitle, len(x.an.prose.Analyze([]byte(p.Title))))
		if p.FullText != "" {
			local.add(fBody, len(x.an.prose.Analyze([]byte(p.FullText))))
		}
	}
	if local.Docs == nil {
		return nil
	}
	x.mu.Lock()
	if x.stats.Docs == nil {
		x.stats.Docs, x.stats.Tokens = map[string]int64{}, map[string]int64{}
	}
	for f, d := range local.Docs {
		x.stats.Docs[f] += d
		x.stats.Tokens[f] += local.Tokens[f]
	}
	v, err := json.Marshal(x.stats)
	x.mu.Unlock()
	if err != nil {
		return err
	}
	bb.SetInternal([]byte(statsKey), v)
	return nil
}

func (x *Index) lengthStats() lengthStats {
	x.mu.Lock()
	defer x.mu.Unlock()
	return lengthStats{Docs: cloneMap(x.stats.Docs), Tokens: cloneMap(x.stats.Tokens)}
}

func cloneMap(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (x *Index) loadStats() error {
	v, err := x.idx.GetInternal([]byte(statsKey))
	if err != nil || v == nil {
		return err
	}
	return json.Unmarshal(v, &x.stats)
}
