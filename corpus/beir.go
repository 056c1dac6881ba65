package corpus

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// beirLine is one BEIR corpus.jsonl record. Polymorphic metadata stays raw:
// collections disagree on whether authors is a list or a string and year a
// number or a string.
type beirLine struct {
	ID      json.RawMessage `json:"_id"`
	Title   json.RawMessage `json:"title"`
	Text    json.RawMessage `json:"text"`
	Authors json.RawMessage `json:"authors"`
	Year    json.RawMessage `json:"year"`
	Source  json.RawMessage `json:"source"`
}

// BEIRDecoder decodes BEIR corpus.jsonl lines {"_id", "title", "text"} plus
// the optional metadata some collections carry: authors (list or string),
// year (number or numeric string) and source, which in the classic
// collections is a bibliographic string ("j. ae. scs. 25, 1958, 324.") and
// so becomes the Venue. Paper.Source is the given label, e.g. "scifact".
func BEIRDecoder(source string) LineDecoder {
	return func(line []byte) (Paper, error) {
		var l beirLine
		if err := json.Unmarshal(line, &l); err != nil {
			return Paper{}, jsonError(err, nil)
		}
		p := Paper{Source: source}
		var err error
		if p.ID, err = idValue(l.ID); err != nil {
			return Paper{}, wrapField("id", "_id", err)
		}
		if p.Title, err = textValue(l.Title, " "); err != nil {
			return Paper{}, wrapField("title", "title", err)
		}
		if p.Abstract, err = textValue(l.Text, " "); err != nil {
			return Paper{}, wrapField("abstract", "text", err)
		}
		if p.Authors, err = listValue(l.Authors, splitAuthorList); err != nil {
			return Paper{}, wrapField("authors", "authors", err)
		}
		if p.Year, err = yearValue(l.Year); err != nil {
			return Paper{}, wrapField("year", "year", err)
		}
		if p.Venue, err = textValue(l.Source, "; "); err != nil {
			return Paper{}, wrapField("venue", "source", err)
		}
		return p, nil
	}
}

// Query is one evaluation query of a test collection.
type Query struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Qrels are relevance judgments: query id → document id → graded relevance
// (higher is more relevant). Only positive judgments are kept.
type Qrels map[string]map[string]int

// ReadQueries reads a BEIR queries.jsonl file ({"_id", "text"}), plain or
// gzip. Evaluation files are small and must be right, so the first bad line
// fails the whole read, named as file:line.
func ReadQueries(path string) ([]Query, error) {
	var qs []Query
	seen := make(map[string]int)
	err := readLines(path, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		var l struct {
			ID    json.RawMessage `json:"_id"`
			Text  json.RawMessage `json:"text"`
			Title json.RawMessage `json:"title"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return jsonError(err, nil)
		}
		id, err := idValue(l.ID)
		if err != nil {
			return wrapField("id", "_id", err)
		}
		text, err := textValue(l.Text, " ")
		if err != nil {
			return wrapField("text", "text", err)
		}
		if strings.TrimSpace(text) == "" {
			// Some collections keep the query in title only.
			if text, err = textValue(l.Title, " "); err != nil {
				return wrapField("text", "title", err)
			}
		}
		q := Query{ID: strings.TrimSpace(id), Text: CollapseSpace(text)}
		switch {
		case q.ID == "":
			return fieldErr("id", "missing")
		case q.Text == "":
			return fieldErr("text", "empty")
		}
		if prev, dup := seen[q.ID]; dup {
			return fieldErr("id", "duplicate query id %q (first on line %d)", q.ID, prev)
		}
		seen[q.ID] = n
		qs = append(qs, q)
		return nil
	})
	return qs, err
}

// ReadQrels reads relevance judgments, plain or gzip, in BEIR's TSV layout
// (optional header "query-id corpus-id score", then "qid docid score") or
// TREC's four columns ("qid 0 docid rel"). Columns may be separated by tabs
// or spaces. Judgments with relevance ≤ 0 are skipped; a pair judged twice
// keeps its highest grade.
func ReadQrels(path string) (Qrels, error) {
	qr := make(Qrels)
	err := readLines(path, func(n int, line string) error {
		f := strings.Fields(line)
		var qid, docid, rel string
		switch len(f) {
		case 0:
			return nil
		case 3:
			qid, docid, rel = f[0], f[1], f[2]
		case 4:
			qid, docid, rel = f[0], f[2], f[3]
		default:
			return fmt.Errorf("want 3 columns (query-id corpus-id score) or 4 (TREC: qid 0 docid rel), got %d", len(f))
		}
		score, err := strconv.Atoi(rel)
		if err != nil {
			if n == 1 {
				return nil // header
			}
			return fmt.Errorf("score %q is not an integer", rel)
		}
		if score <= 0 {
			return nil
		}
		docs := qr[qid]
		if docs == nil {
			docs = make(map[string]int)
			qr[qid] = docs
		}
		docs[docid] = max(docs[docid], score)
		return nil
	})
	return qr, err
}

// readLines calls fn for each line of a plain or gzip file and stops at the
// first error, which it returns as "file:line: error".
func readLines(path string, fn func(n int, line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := Decompress(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, sc.Text()); err != nil {
			return fmt.Errorf("%s: %w", Position{File: path, Line: int64(n)}, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("input ends early (truncated gzip?)")
		}
		return fmt.Errorf("%s: %w", Position{File: path, Line: int64(n + 1)}, err)
	}
	return nil
}

// BEIRCollection is a test collection in BEIR layout: a corpus to ingest
// and the queries and judgments to evaluate retrieval with.
type BEIRCollection struct {
	Name      string // the directory's base name (the papers' Source), plus /split if one was asked for
	Dir       string
	Corpus    Source // a *JSONLFiles decoding with BEIRDecoder
	Queries   []Query
	Qrels     Qrels
	QrelsPath string // which judgments file was used
}

// OpenBEIR opens a BEIR collection directory: corpus.jsonl[.gz],
// queries.jsonl[.gz], and qrels.tsv or, failing that, qrels/test.tsv,
// dev.tsv or train.tsv in that order of preference. Only queries with at
// least one judgment are kept, and only judgments of kept queries, so the
// two always describe the same query set.
func OpenBEIR(dir string) (*BEIRCollection, error) { return OpenBEIRSplit(dir, "") }

// OpenBEIRSplit opens one split's queries and judgments instead of the
// default ones: split "train" reads train-queries.jsonl and
// train-qrels.tsv, or BEIR's queries.jsonl and qrels/train.tsv.
func OpenBEIRSplit(dir, split string) (*BEIRCollection, error) {
	dir = filepath.Clean(dir)
	name := filepath.Base(dir)
	corpusPath, err := findFile(dir, "corpus.jsonl", "corpus.jsonl.gz")
	if err != nil {
		return nil, err
	}
	queryFiles := []string{"queries.jsonl", "queries.jsonl.gz"}
	qrelsFiles := []string{"qrels.tsv", "qrels.tsv.gz",
		filepath.Join("qrels", "test.tsv"), filepath.Join("qrels", "dev.tsv"), filepath.Join("qrels", "train.tsv")}
	decodeName := name
	if split != "" {
		if strings.ContainsAny(split, `/\`) || split == "." || split == ".." {
			return nil, fmt.Errorf("split %q: want a plain name such as train or test", split)
		}
		queryFiles = []string{split + "-queries.jsonl", split + "-queries.jsonl.gz", "queries.jsonl", "queries.jsonl.gz"}
		qrelsFiles = []string{split + "-qrels.tsv", split + "-qrels.tsv.gz", filepath.Join("qrels", split+".tsv")}
		name += "/" + split
	}
	queriesPath, err := findFile(dir, queryFiles...)
	if err != nil {
		return nil, err
	}
	qrelsPath, err := findFile(dir, qrelsFiles...)
	if err != nil {
		return nil, err
	}
	queries, err := ReadQueries(queriesPath)
	if err != nil {
		return nil, err
	}
	qrels, err := ReadQrels(qrelsPath)
	if err != nil {
		return nil, err
	}
	kept := queries[:0]
	judged := make(Qrels, len(qrels))
	for _, q := range queries {
		if docs := qrels[q.ID]; len(docs) > 0 {
			kept = append(kept, q)
			judged[q.ID] = docs
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("%s: no query in %s has a judgment in %s", dir, filepath.Base(queriesPath), qrelsPath)
	}
	return &BEIRCollection{
		Name:      name,
		Dir:       dir,
		Corpus:    &JSONLFiles{Paths: []string{corpusPath}, Decode: BEIRDecoder(decodeName)},
		Queries:   kept,
		Qrels:     judged,
		QrelsPath: qrelsPath,
	}, nil
}

// findFile returns the first of names (relative to dir) that is a file.
func findFile(dir string, names ...string) (string, error) {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not a BEIR collection: none of %s found", dir, strings.Join(names, ", "))
}
