// Package progress reports the progress of long command-line work: ingesting
// millions of papers, generating a corpus, running an evaluation.
//
// On a terminal a Reporter redraws one line in place, at most every 100 ms:
//
//	ingest scifact  [██████████░░░░░░░░░░]  52%  2,690 papers  2,512/s  ETA 0:02  3 errors
//
// Elsewhere (CI logs, pipes) it prints a plain line every few seconds:
//
//	ingest scifact: 52% 2,690 papers 2,512/s eta 2s (3 errors)
//
// and always a final line from Finish, Fail or Abort.
//
// A Reporter follows two quantities: done, measured against the total, drives
// the bar, the percentage and the ETA; count is what people want to read a
// rate of. Ingestion, for instance, knows its input size in bytes but speaks
// of papers:
//
//	r := progress.New(os.Stderr, "ingest scifact", size, "papers")
//	defer r.Abort() // a no-op once Finish has run
//	for rec := range records {
//		r.Update(rec.Bytes, n)
//	}
//	r.Finish()
//
// When both are the same thing, pass the same number twice. A total ≤ 0 means
// unknown: the Reporter then shows the count, the rate and the elapsed time.
//
// Drawing happens inside the calls that change the state, so nothing runs in
// the background and a forgotten Finish leaks nothing; call Refresh from a
// ticker if the work may stall for long and the display should keep moving.
// All methods are safe for concurrent use.
package progress
