package eval

import (
	"encoding/json"
	"testing"
)

func TestTable(t *testing.T) {
	t.Parallel()
	r := Report{
		Metrics: Metrics{NDCG10: 0.66472, Recall100: 0.92533, MRR10: 0.63121, Queries: 300},
		Skipped: 2,
	}
	want := "" +
		"collection  queries  nDCG@10  Recall@100  MRR@10\n" +
		"scifact         300   0.6647      0.9253  0.6312\n" +
		"(2 queries without relevant judgments skipped)\n"
	if got := r.Table("scifact"); got != want {
		t.Errorf("Table =\n%s\nwant\n%s", got, want)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	rows := []Row{
		{Name: "bm25", Metrics: Metrics{NDCG10: 0.665, Recall100: 0.908, MRR10: 0.63, Queries: 300}},
		{Name: "hybrid-rrf", Metrics: Metrics{NDCG10: 0.7, Recall100: 1, MRR10: 0.66666, Queries: 1000}},
	}
	want := "" +
		"run         queries  nDCG@10  Recall@100  MRR@10\n" +
		"bm25            300   0.6650      0.9080  0.6300\n" +
		"hybrid-rrf     1000   0.7000      1.0000  0.6667\n"
	if got := Compare(rows); got != want {
		t.Errorf("Compare =\n%s\nwant\n%s", got, want)
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	r := Report{
		Metrics:  Metrics{NDCG10: 0.5, Recall100: 1, MRR10: 0.25, Queries: 1},
		Skipped:  3,
		PerQuery: []QueryResult{{ID: "q1", NDCG10: 0.5, Recall100: 1, MRR10: 0.25}},
	}
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	// Metrics is embedded, so its fields sit at the top level.
	want := `{"ndcg_10":0.5,"recall_100":1,"mrr_10":0.25,"queries":1,"skipped":3,` +
		`"per_query":[{"id":"q1","ndcg_10":0.5,"recall_100":1,"mrr_10":0.25}]}`
	if string(got) != want {
		t.Errorf("JSON = %s\nwant   %s", got, want)
	}
	row, _ := json.Marshal(Row{Name: "bm25", Metrics: r.Metrics})
	if want := `{"name":"bm25","ndcg_10":0.5,"recall_100":1,"mrr_10":0.25,"queries":1}`; string(row) != want {
		t.Errorf("Row JSON = %s\nwant       %s", row, want)
	}
}
