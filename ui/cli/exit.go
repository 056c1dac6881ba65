package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/ui/progress"
)

// Exit codes, the same for every command; exitHelp lists them for
// 'quire --help' and the README repeats them.
const (
	exitOK      = 0   // the command did all it was asked
	exitFailed  = 1   // it failed: nothing, or not all, was done
	exitUsage   = 2   // the command line was wrong: unknown command or flag, bad argument or query
	exitSkipped = 3   // it finished, but skipped bad records (ingest), listed on stderr
	exitStopped = 130 // stopped by Ctrl-C (SIGINT); SIGTERM gives 143; what was done is kept
)

const exitHelp = `exit status:
  0    success
  1    failure (nothing, or not everything, was done; the message says what)
  2    usage: unknown command or flag, bad argument or query syntax
  3    finished, but bad records were skipped (each listed on stderr; --errors FILE keeps them)
  130  stopped by Ctrl-C (143 for SIGTERM); work done so far is kept and a re-run resumes
`

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// asUsage marks a flag-parsing error as a usage error; the flag package
// has printed the usage already. -h and --help stay ErrHelp.
func asUsage(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err.Error()}
}

// skippedError says a command finished but skipped records.
type skippedError struct{ skipped, written int64 }

func (s skippedError) Error() string {
	return fmt.Sprintf("finished with %s skipped (%s written); they are listed above, and --errors FILE keeps them all",
		progress.HumanNoun(s.skipped, "bad record", "bad records"), progress.HumanNoun(s.written, "paper", "papers"))
}

// exitCode maps what run returned to the process's exit status and the
// message to print ("" for none).
func exitCode(err error) (int, string) {
	var ue usageError
	var se *query.SyntaxError
	var sk skippedError
	switch {
	case err == nil:
		return exitOK, ""
	case errors.Is(err, flag.ErrHelp):
		return exitOK, ""
	case errors.As(err, &ue), errors.As(err, &se):
		return exitUsage, err.Error()
	case errors.Is(err, search.ErrStopped):
		return exitStopped, "stopped; run the same command again to resume"
	case errors.Is(err, context.Canceled):
		return exitStopped, "stopped"
	case errors.As(err, &sk):
		return exitSkipped, err.Error()
	}
	return exitFailed, err.Error()
}
