package eval_test

import (
	"context"
	"fmt"

	"github.com/quire-research/quire/search/eval"
)

func ExampleNDCG() {
	rel := eval.Judgments{"paper-a": 2, "paper-b": 1}
	ranked := []string{"paper-b", "paper-x", "paper-a"}
	fmt.Printf("nDCG@10 %.4f  Recall@2 %.2f  MRR@10 %.2f\n",
		eval.NDCG(ranked, rel, 10), eval.Recall(ranked, rel, 2), eval.MRR(ranked, rel, 10))
	// Output: nDCG@10 0.7602  Recall@2 0.50  MRR@10 1.00
}

func ExampleRun() {
	queries := []eval.Query{{ID: "1", Text: "protein folding"}, {ID: "2", Text: "dark matter"}}
	qrels := map[string]map[string]int{"1": {"p1": 1}, "2": {"p9": 1}}
	search := func(_ context.Context, q string, k int) ([]string, error) {
		if q == "protein folding" {
			return []string{"p3", "p1"}, nil
		}
		return []string{"p9"}, nil
	}
	rep, err := eval.Run(context.Background(), queries, qrels, search, eval.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(rep.Table("toy"))
	// Output:
	// collection  queries  nDCG@10  Recall@100  MRR@10
	// toy               2   0.8155      1.0000  0.7500
}
