package embedded

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
)

// TestRescoreDepth measures what rescoring only the best RescoreDepth
// whole-body hits by passage loses against rescoring every hit, which
// ranks each paper by its best passage as an index of passages would: on
// an index built by 'quire bench --full-text --index DIR', titles (a
// topic's words) and body sentences (known items) of papers drawn at
// random, top ten compared. Logged, not asserted: a measurement.
//
//	QUIRE_BENCH_INDEX=DIR go test ./search/embedded -run TestRescoreDepth -v
//
// QUIRE_MEASURE_DEPTH compares with that depth instead of every hit, and
// QUIRE_MEASURE_QUERIES sets the number of papers drawn (200).
func TestRescoreDepth(t *testing.T) {
	dir := os.Getenv("QUIRE_BENCH_INDEX")
	if dir == "" {
		t.Skip("a measurement: set QUIRE_BENCH_INDEX to a full-text index built by 'quire bench --full-text --index DIR'")
	}
	x, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	n, err := x.Count()
	if err != nil {
		t.Fatal(err)
	}
	queries, _ := strconv.Atoi(os.Getenv("QUIRE_MEASURE_QUERIES"))
	if queries <= 0 {
		queries = 200
	}
	r := rand.New(rand.NewPCG(7, 11))
	pick := map[int]bool{}
	for len(pick) < min(queries, int(n)) {
		pick[r.IntN(int(n))] = true
	}
	type item struct{ id, title, sentence string }
	var items []item
	i := 0
	ctx := context.Background()
	err = x.EachPaper(ctx, func(p *corpus.Paper) error {
		if pick[i] {
			items = append(items, item{p.ID, p.Title, bodySentence(p.FullText, r)})
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("QUIRE_MEASURE_PASSAGE_DOCS") != "" {
		x.passageDocs = passageIndexFor(t, x, dir+".passages")
	}
	deep := int(n) // every hit
	if d, _ := strconv.Atoi(os.Getenv("QUIRE_MEASURE_DEPTH")); d > 0 {
		deep = d
	}
	docs := x.passageDocs
	top := func(text string, depth int) ([]string, time.Duration) {
		x.opts.RescoreDepth = depth
		x.passageDocs = docs
		if depth != passageRerankDepth {
			x.passageDocs = nil // the deep arm ranks every hit without them
		}
		t0 := time.Now()
		res, err := x.Search(ctx, search.Request{Query: query.Query{Text: text}, Mode: search.ModeBM25, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		return ids, time.Since(t0)
	}
	for _, kind := range []string{"title", "sentence"} {
		var same1, overlap, first, firstDeep, asked int
		var took, tookDeep []time.Duration
		for _, it := range items {
			text := it.title
			if kind == "sentence" {
				text = it.sentence
			}
			if text == "" {
				continue
			}
			asked++
			a, d := top(text, passageRerankDepth)
			b, dd := top(text, deep)
			took, tookDeep = append(took, d), append(tookDeep, dd)
			if len(a) > 0 && len(b) > 0 && a[0] == b[0] {
				same1++
			}
			for _, id := range a {
				if slices.Contains(b, id) {
					overlap++
				}
			}
			if len(a) > 0 && a[0] == it.id {
				first++
			}
			if len(b) > 0 && b[0] == it.id {
				firstDeep++
			}
		}
		if asked == 0 {
			continue
		}
		t.Logf("%s queries, %d on %d papers: same first hit %d (%.1f%%); top-10 overlap %.2f of 10; source paper first %d at depth %d, %d at depth %d; p50 %v against %v",
			kind, asked, n, same1, 100*float64(same1)/float64(asked), float64(overlap)/float64(asked),
			first, passageRerankDepth, firstDeep, deep, median(took), median(tookDeep))
	}
}

// bodySentence is a sentence of 12 to 40 words from a full text, drawn at
// random; "" when it has none.
func bodySentence(text string, r *rand.Rand) string {
	var ss []string
	for _, s := range strings.SplitAfter(text, ". ") {
		if w := len(strings.Fields(s)); w >= 12 && w <= 40 && !strings.Contains(s, "\n") {
			ss = append(ss, strings.TrimSpace(s))
		}
	}
	if len(ss) == 0 {
		return ""
	}
	return ss[r.IntN(len(ss))]
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2].Round(100 * time.Microsecond)
}

// passageIndexFor opens, or first builds, a bleve index of x's passages,
// one document each.
func passageIndexFor(t *testing.T, x *Index, path string) passageDocs {
	if idx, err := bleve.Open(path); err == nil {
		t.Cleanup(func() { idx.Close() })
		return bleveDocs{idx}
	}
	im, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	fm := mapping.NewTextFieldMapping()
	fm.Analyzer, fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = anProse, false, false, false, false
	im.DefaultMapping.AddFieldMappingsAt(fPassage, fm)
	idx, err := bleve.New(path, im)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	b := idx.NewBatch()
	t0 := time.Now()
	count := 0
	err = x.EachPaper(context.Background(), func(p *corpus.Paper) error {
		for i, c := range corpus.BodyChunks(p) {
			if err := b.Index(passageID(p.ID, i), map[string]any{fPassage: c.Text}); err != nil {
				return err
			}
			count++
		}
		if b.Size() >= 5000 {
			if err := idx.Batch(b); err != nil {
				return err
			}
			b.Reset()
		}
		return nil
	})
	if err == nil {
		err = idx.Batch(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed %d passages in %v", count, time.Since(t0).Round(time.Second))
	return bleveDocs{idx}
}

// passageCandidates is how many of the best passages name candidates.
const passageCandidates = 50

// bleveDocs is passageDocs over a bleve index whose documents are
// passages, their text in field fPassage.
type bleveDocs struct{ idx bleve.Index }

const fPassage = "t"

func (b bleveDocs) papers(ctx context.Context, c clauses) ([]string, error) {
	var qs []bq.Query
	for _, t := range c.body {
		tq := bq.NewTermQuery(string(t.term))
		tq.SetField(fPassage)
		tq.SetBoost(t.weight)
		qs = append(qs, tq)
	}
	req := bleve.NewSearchRequestOptions(bq.NewDisjunctionQuery(qs), passageCandidates, 0, false)
	res, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, h := range res.Hits {
		id, _ := paperOf(h.ID) // named as its vector (passageID)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}
