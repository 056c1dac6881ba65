package cli

import (
	"flag"

	"github.com/quire-research/quire/ui/termtext"
)

// sanitize makes text from papers, models, files or errors safe to print:
// no escape sequences or control characters reach the terminal (see
// termtext). Newlines stay.
func sanitize(s string) string { return termtext.Clean(s) }

// oneLine is sanitize for fields printed on one line: titles, names,
// venues, facet values.
func oneLine(s string) string { return termtext.Line(s) }

// streamsModelText names the commands whose output is mostly text from a
// model, from papers or from prompt files, and holds no escape sequence of
// quire's own: their stdout and stderr are cleaned as a whole. Other
// commands clean each field they print, since their own colours and
// progress bars are escape sequences too.
var streamsModelText = map[string]bool{"ask": true, "draft": true, "prompts": true}

// safeOutput keeps hostile bytes in papers and model output away from the
// terminal. With --json the output stays exact JSON: encoding/json
// escapes C0 controls, and the writer escapes the C1 controls (an 8-bit
// CSI among them) it leaves raw, so the decoded values are unchanged.
func safeOutput(e *env, c *command, fs *flag.FlagSet) {
	if f := fs.Lookup("json"); f != nil && f.Value.String() == "true" {
		e.stdout = termtext.NewJSONWriter(e.stdout)
		if streamsModelText[c.name] {
			e.stderr = termtext.NewWriter(e.stderr)
		}
		return
	}
	if streamsModelText[c.name] {
		e.stdout = termtext.NewWriter(e.stdout)
		e.stderr = termtext.NewWriter(e.stderr)
	}
}
