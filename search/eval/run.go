package eval

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Cut-offs of the reported measures, fixed so numbers compare across runs
// and with published BEIR tables.
const (
	cutNDCG   = 10
	cutRecall = 100
	cutMRR    = 10
)

// Query is one test query: its id in the qrels and the text to search for.
type Query struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Searcher returns the ids of the best k documents for query, best first.
type Searcher func(ctx context.Context, query string, k int) ([]string, error)

// Options tune Run. The zero value is ready to use.
type Options struct {
	// K is the retrieval depth asked of the searcher (default 100). Below
	// 100, Recall@100 becomes recall at K.
	K int
	// Workers bounds the number of concurrent searches (default GOMAXPROCS).
	Workers int
	// Progress, if set, is called after each evaluated query with the number
	// done so far and the number to evaluate. Calls are serialised and done
	// only grows, so it may drive a progress bar directly.
	Progress func(done, total int)
}

// Metrics are macro averages over the evaluated queries, as BEIR reports.
type Metrics struct {
	NDCG10    float64 `json:"ndcg_10"`
	Recall100 float64 `json:"recall_100"`
	MRR10     float64 `json:"mrr_10"`
	Queries   int     `json:"queries"`
}

// QueryResult holds the measures of one evaluated query.
type QueryResult struct {
	ID        string  `json:"id"`
	NDCG10    float64 `json:"ndcg_10"`
	Recall100 float64 `json:"recall_100"`
	MRR10     float64 `json:"mrr_10"`
}

// Report is the outcome of Run. PerQuery lists the evaluated queries (not
// the skipped ones) in the order given to Run, whatever order the searches
// finished in.
type Report struct {
	Metrics
	// Skipped counts queries left out because the qrels hold no relevant
	// document for them: every system would score 0 there.
	Skipped  int           `json:"skipped"`
	PerQuery []QueryResult `json:"per_query"`
}

// Run searches every judged query with a bounded pool of workers and scores
// the results against qrels. The first search error cancels the remaining
// searches and is returned naming its query; if ctx is cancelled Run returns
// ctx's error. On error the Report is empty.
func Run(ctx context.Context, queries []Query, qrels map[string]map[string]int, search Searcher, opt Options) (Report, error) {
	if search == nil {
		return Report{}, errors.New("eval: nil Searcher")
	}
	opt = opt.withDefaults()
	judged, skipped := judgedQueries(queries, qrels)

	results := make([]QueryResult, len(judged))
	err := runPool(ctx, len(judged), opt, func(ctx context.Context, i int) error {
		q := judged[i]
		ranked, err := search(ctx, q.Text, opt.K)
		if err != nil {
			return fmt.Errorf("eval: query %q: %w", q.ID, err)
		}
		results[i] = score(q.ID, ranked, qrels[q.ID])
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return Report{Metrics: mean(results), Skipped: skipped, PerQuery: results}, nil
}

func (o Options) withDefaults() Options {
	if o.K <= 0 {
		o.K = cutRecall
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// judgedQueries keeps the queries with at least one relevant judgment.
func judgedQueries(queries []Query, qrels map[string]map[string]int) (judged []Query, skipped int) {
	for _, q := range queries {
		if numRelevant(qrels[q.ID]) == 0 {
			skipped++
			continue
		}
		judged = append(judged, q)
	}
	return judged, skipped
}

func score(id string, ranked []string, rel Judgments) QueryResult {
	return QueryResult{
		ID:        id,
		NDCG10:    NDCG(ranked, rel, cutNDCG),
		Recall100: Recall(ranked, rel, cutRecall),
		MRR10:     MRR(ranked, rel, cutMRR),
	}
}

// mean sums in query order so the result does not depend on scheduling.
func mean(results []QueryResult) Metrics {
	m := Metrics{Queries: len(results)}
	if m.Queries == 0 {
		return m
	}
	for _, r := range results {
		m.NDCG10 += r.NDCG10
		m.Recall100 += r.Recall100
		m.MRR10 += r.MRR10
	}
	n := float64(m.Queries)
	m.NDCG10 /= n
	m.Recall100 /= n
	m.MRR10 /= n
	return m
}

// runPool calls job(ctx, i) for i in [0, n) on at most opt.Workers
// goroutines. The first failure cancels the others; a cancelled parent
// context wins over the errors it provoked in jobs.
func runPool(ctx context.Context, n int, opt Options, job func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	next := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // serialises done and Progress
		done int
	)
	for range min(opt.Workers, n) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue // drain: the feeder may win a race with Done
				}
				if err := job(ctx, i); err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				done++
				if opt.Progress != nil {
					opt.Progress(done, n)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return nil
}
