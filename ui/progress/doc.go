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
// unknown: the Reporter then shows a spinner (on a terminal), the count, the
// rate and the elapsed time. Work with nothing to count (a matrix
// decomposition) takes WithoutCount and shows only the spinner and the time,
// never "0 papers". A rate is shown only for work done in this run, so a
// re-run that finds everything done does not boast a million papers a second.
//
// Drawing happens inside the calls that change the state. Work that may go
// quiet for long calls KeepAlive, which redraws from a ticker until the
// Reporter ends, so the elapsed time moves, the rate decays and the ETA grows
// instead of freezing at "91% ETA 0:00". All methods are safe for concurrent
// use.
package progress
