package refs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/quire-research/quire/corpus"
)

// PDFReader extracts a paper from PDF bytes (corpus/pdf's Extractor.Paper
// fits); refs does not import it so callers choose when to start one.
type PDFReader = corpus.PDFReader

// Attach fills e's full text, pages and references from its first readable
// PDF, keeping the entry's metadata (authoritative). A missing or unreadable
// attachment is a warning, never an error: the entry is still a paper. The
// abstract is taken from the PDF only when the entry has none.
func Attach(ctx context.Context, e *Entry, read PDFReader) (warnings []string) {
	for _, f := range e.Files {
		data, err := os.ReadFile(f)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is said once, below
			}
			warnings = append(warnings, fmt.Sprintf("attachment %s: %v", f, err))
			continue
		}
		p, ws, err := read(ctx, f, data)
		for _, w := range ws {
			warnings = append(warnings, f+": "+w)
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("attachment %s: %v", f, err))
			continue
		}
		e.Paper.FullText, e.Paper.Pages, e.Paper.References = p.FullText, p.Pages, p.References
		if e.Paper.Abstract == "" {
			e.Paper.Abstract = p.Abstract
		}
		return warnings
	}
	return warnings
}
