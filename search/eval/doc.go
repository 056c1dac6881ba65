// Package eval scores ranked retrieval against relevance judgments with the
// measures BEIR reports: nDCG@10, Recall@100 and MRR@10, plus Precision.
//
// The measures follow trec_eval (and so pytrec_eval, which BEIR uses):
//
//   - Gains are the graded relevance values themselves (linear gain, as in
//     trec_eval's ndcg_cut), and a judgment ≤ 0 counts as not relevant.
//   - The document at rank r (from 1) is discounted by log2(r+1); the ideal
//     DCG sorts all judged gains in descending order and is cut at k too.
//   - A query with no relevant judgment scores 0 on every measure.
//
// Two choices differ from trec_eval, whose input is a scored run rather than
// a ranked list: a document id repeated in a ranked list counts only at its
// first rank and later copies are dropped before the cut-off (trec_eval
// rejects such runs; a pytrec_eval run dict cannot hold them), and Run
// averages over the given queries that have a relevant judgment, scoring an
// empty result list as 0 (trec_eval -c) instead of leaving it out.
package eval
