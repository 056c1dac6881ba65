package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/refs"
)

// sourceOptions are the ingest flags that shape how a source is read.
type sourceOptions struct {
	format   string
	fieldMap corpus.FieldMap
	label    string
	endpoint string
	region   string
	pathSty  bool
	parallel int
	limits   corpus.Limits // zero means corpus.DefaultLimits
	// pdf reads PDFs in folders and attached to library entries; nil
	// leaves them unread (each PDF an error, entries without full text).
	pdf corpus.PDFReader
}

// sourceOptionsFor are the source options of an ingest with flags f and
// the configuration's defaults (PDFs are read by ingestAll).
func sourceOptionsFor(e *env, f *ingestFlags) sourceOptions {
	return sourceOptions{
		format: f.format, fieldMap: corpus.FieldMap(e.cfg.Ingest.FieldMap), label: f.label,
		endpoint: firstNonEmpty(f.endpoint, e.cfg.S3.EndpointURL),
		region:   firstNonEmpty(f.region, e.cfg.S3.Region),
		pathSty:  f.pathStyle || e.cfg.S3.PathStyle,
		parallel: firstPositive(f.parallel, e.cfg.S3.Concurrency),
		limits:   ingestLimits(e.cfg.Ingest),
	}
}

// ingestLimits maps the [ingest] size limits onto a source's Limits.
func ingestLimits(in config.Ingest) corpus.Limits {
	return corpus.Limits{MaxLineBytes: in.MaxLineBytes, MaxTextBytes: in.MaxFieldBytes,
		MaxShortBytes: in.MaxShortFieldBytes, MaxListItems: in.MaxListItems}
}

// openSource turns one command-line argument into a source: an s3:// URL, a
// BEIR collection folder, a folder of JSONL files, a folder with reference
// libraries at its top (refs.Shelf), a folder of Markdown, text or PDF
// papers, a library file, one such paper, or one JSONL file (plain or
// gzip).
func openSource(ctx context.Context, spec string, o sourceOptions) (corpus.Source, error) {
	src, err := openSourceKind(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	setReaders(src, o)
	return src, nil
}

// setReaders gives src the limits and PDF reader of o, where it has them.
func setReaders(src corpus.Source, o sourceOptions) {
	switch s := src.(type) {
	case *corpus.JSONLFiles:
		s.Limits = o.limits
	case *corpus.Folder:
		s.Limits, s.PDF = o.limits, o.pdf
	case *refs.Library:
		s.PDF = o.pdf
	case *refs.Shelf:
		s.SetReaders(o.pdf, o.limits)
	}
}

func openSourceKind(ctx context.Context, spec string, o sourceOptions) (corpus.Source, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty source: give a file, a folder, s3://bucket/prefix or sqs://QUEUE_URL")
	}
	if isSQSSpec(spec) {
		return nil, errors.New("an sqs:// source is a queue that runs until stopped: run quire ingest sqs://… on its own")
	}
	if strings.HasPrefix(spec, "s3://") {
		return corpus.NewS3(ctx, spec, corpus.S3Options{
			Endpoint: o.endpoint, Region: o.region, PathStyle: o.pathSty,
			Concurrency: o.parallel, Format: o.format, FieldMap: o.fieldMap, Source: o.label,
			Limits: o.limits, PDF: o.pdf,
		})
	}
	fi, err := os.Stat(spec)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // "stat PATH: …" would say the path twice
		}
		return nil, fmt.Errorf("source %s: %w", spec, err)
	}
	if !fi.IsDir() {
		auto := o.format == "" || o.format == "auto"
		if refs.IsLibrary(spec) && auto {
			return refs.OpenLibrary(spec, o.label)
		}
		if corpus.IsPaperFile(spec) && (auto || o.format == "folder") {
			return corpus.NewFolderFile(spec, o.label)
		}
		return corpus.OpenJSONL([]string{spec}, o.format, o.fieldMap, o.label)
	}
	for _, name := range []string{"corpus.jsonl", "corpus.jsonl.gz"} {
		// A BEIR collection folder: its corpus is what gets ingested.
		if p := filepath.Join(spec, name); isFile(p) && (o.format == "" || o.format == "auto" || o.format == "beir") {
			label := o.label
			if label == "" {
				label = filepath.Base(filepath.Clean(spec))
			}
			return corpus.OpenJSONL([]string{p}, "beir", nil, label)
		}
	}
	if jsonl := jsonlFiles(spec); len(jsonl) > 0 && o.format != "folder" {
		return corpus.OpenJSONL(jsonl, o.format, o.fieldMap, o.label)
	}
	return openFolder(spec, o)
}

// openFolder reads dir as a folder of Markdown, text and PDF papers, or as
// a shelf when reference libraries sit at its top.
func openFolder(dir string, o sourceOptions) (corpus.Source, error) {
	if libs := refs.Libraries(dir); len(libs) > 0 && (o.format == "" || o.format == "auto") {
		// A Zotero or JabRef export: the library's metadata, the PDFs'
		// text. --format folder reads the files alone.
		return refs.OpenShelf(dir, libs, o.label)
	}
	label := o.label
	if label == "" {
		label = filepath.Base(dir)
	}
	return corpus.NewFolder(dir, label)
}

func jsonlFiles(dir string) []string {
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), ".gz")
		if !e.IsDir() && (strings.HasSuffix(n, ".jsonl") || strings.HasSuffix(n, ".ndjson")) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
