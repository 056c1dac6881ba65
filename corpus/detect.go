package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is a named JSONL record layout and its decoder.
type Format struct {
	Name   string
	Decode LineDecoder
}

// Format names accepted by NewFormat and OpenJSONL.
const (
	FormatAuto     = "auto"
	FormatBEIR     = "beir"
	FormatArxiv    = "arxiv"
	FormatOpenAlex = "openalex"
	FormatJSONL    = "jsonl" // generic, driven by a FieldMap
)

// NewFormat returns the decoder for a format name ("auto" is OpenJSONL's
// business: it needs a line to look at). A field map only makes
// sense for "jsonl"; giving one with another format is an error rather than
// silently ignored.
func NewFormat(name string, fm FieldMap, source string) (Format, error) {
	if len(fm) > 0 && name != FormatJSONL {
		return Format{}, fmt.Errorf("a field map applies only to format %q, not %q", FormatJSONL, name)
	}
	switch name {
	case FormatBEIR:
		return Format{name, BEIRDecoder(source)}, nil
	case FormatArxiv:
		return Format{name, ArxivDecoder(source)}, nil
	case FormatOpenAlex:
		return Format{name, OpenAlexDecoder(source)}, nil
	case FormatJSONL:
		dec, err := MappedDecoder(fm, source)
		if err != nil {
			return Format{}, err
		}
		return Format{name, dec}, nil
	}
	return Format{}, fmt.Errorf("unknown format %q (want %s, %s, %s or %s)",
		name, FormatBEIR, FormatArxiv, FormatOpenAlex, FormatJSONL)
}

// DetectFormat guesses a line's format from its keys: "_id" is BEIR,
// an inverted abstract or an openalex.org id is OpenAlex, the snapshot's
// authors_parsed, versions or journal-ref keys are the arXiv snapshot, and
// anything else is generic "jsonl".
func DetectFormat(line []byte) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(line, &obj) != nil {
		return FormatJSONL
	}
	has := func(k string) bool { _, ok := obj[k]; return ok }
	switch {
	case has("_id"):
		return FormatBEIR
	case has("abstract_inverted_index"):
		return FormatOpenAlex
	}
	if id, err := rawString(obj["id"]); err == nil && strings.HasPrefix(id, "https://openalex.org/") {
		return FormatOpenAlex
	}
	if has("authors_parsed") || has("versions") || has("journal-ref") {
		return FormatArxiv
	}
	return FormatJSONL
}

// OpenJSONL makes a source over JSONL files in one format. With format ""
// or "auto" the format is detected from the first non-empty line of the
// first file. When source is "", papers are labelled by format: "arxiv",
// "openalex", the collection directory's name for BEIR (…/scifact/
// corpus.jsonl → "scifact"), the file's name without extensions for
// generic JSONL (papers.jsonl.gz → "papers").
func OpenJSONL(paths []string, format string, fm FieldMap, source string) (*JSONLFiles, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	if format == "" || format == FormatAuto {
		line, err := detectionLine(paths)
		if err != nil {
			return nil, err
		}
		format = DetectFormat(line)
	}
	if source == "" {
		source = defaultLabel(format, paths[0])
	}
	f, err := NewFormat(format, fm, source)
	if err != nil {
		return nil, err
	}
	return &JSONLFiles{Paths: paths, Decode: f.Decode}, nil
}

func defaultLabel(format, path string) string {
	switch format {
	case FormatBEIR:
		return filepath.Base(filepath.Dir(filepath.Clean(path)))
	case FormatJSONL:
		name := filepath.Base(path)
		if i := strings.IndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
		return name
	}
	return format
}

// detectionLine is the first line of the first file that can be read: an
// unreadable file or a named pipe among many is reported when the source
// reaches it, and must not stop the others.
func detectionLine(paths []string) ([]byte, error) {
	var first error
	for _, p := range paths {
		line, err := firstLine(p)
		if err == nil {
			return line, nil
		}
		if first == nil {
			first = fmt.Errorf("detect format of %s: %w", p, err)
		}
	}
	return nil, first
}

// firstLine returns the first non-blank line of a plain or gzip file, or
// nil for a file with none.
func firstLine(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Decompress(f)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(r)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLineBytes {
			return nil, fmt.Errorf("first line longer than %d MiB", MaxLineBytes>>20)
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return t, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, err
		}
		line = line[:0]
	}
}
