// Package pdf extracts a corpus.Paper (metadata, body text with page
// offsets, references) from a PDF using PDFium's WebAssembly build, so no
// cgo is needed. Layout work (lines, columns, headings, running headers)
// lives in layout.go; metadata cues in meta.go.
package pdf

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/klippa-app/go-pdfium"
	pdferrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/quire-research/quire/corpus"
)

// Options sets the extractor's limits.
type Options struct {
	Workers     int   // concurrent PDFium instances; 0 = runtime.NumCPU()
	MemoryLimit int64 // bytes of wasm memory per instance; 0 = 512 MiB
	MaxPages    int   // pages read per PDF; 0 = 2000
}

// Extractor turns PDFs into papers; safe for concurrent use by up to
// Workers goroutines (more wait for a free instance).
type Extractor struct {
	pool pdfium.Pool
	opt  Options
}

// compiled keeps PDFium's machine code across extractors: compiling the
// module takes seconds, and a process may make more than one.
var compiled = wazero.NewCompilationCache()

// New compiles the PDFium module once; instances are made per PDF and
// dropped after it, so one PDF's memory never outlives it.
func New(ctx context.Context, o Options) (*Extractor, error) {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = 512 << 20
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 2000
	}
	pages := uint32(min(o.MemoryLimit/65536, 65536))
	pool, err := webassembly.Init(webassembly.Config{
		Context:  context.WithoutCancel(ctx),
		MinIdle:  0,
		MaxIdle:  0,
		MaxTotal: o.Workers,
		// The bundled module needs exception handling (see webassembly.Init).
		RuntimeConfig: wazero.NewRuntimeConfig().
			WithCompilationCache(compiled).
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			WithMemoryLimitPages(pages),
	})
	if err != nil {
		return nil, fmt.Errorf("pdf: start PDFium: %w", err)
	}
	return &Extractor{pool: pool, opt: o}, nil
}

// Close releases the PDFium runtime.
func (e *Extractor) Close() error { return e.pool.Close() }

// Paper extracts one PDF; see the package doc. name is used only in
// errors and warnings.
func (e *Extractor) Paper(ctx context.Context, name string, data []byte) (p corpus.Paper, warnings []string, err error) {
	inst, err := e.pool.GetInstanceWithContext(ctx)
	if err != nil {
		return p, nil, fmt.Errorf("%s: no PDFium instance: %w", name, err)
	}
	broken := false
	defer func() {
		if r := recover(); r != nil {
			broken = true
			err = fmt.Errorf("%s: damaged PDF (PDFium failed: %v)", name, r)
		}
		if broken {
			_ = inst.Kill() // a trapped instance is not reused
		} else {
			_ = inst.Close()
		}
	}()
	pages, meta, err := e.read(ctx, inst, data)
	if err != nil {
		broken = !errors.Is(err, pdferrors.ErrPassword) && !errors.Is(err, pdferrors.ErrFormat) && !errors.Is(err, pdferrors.ErrFile)
		return p, nil, e.explain(name, err)
	}
	p, warnings = assemble(pages, meta)
	return p, warnings, nil
}

func (e *Extractor) explain(name string, err error) error {
	switch {
	case errors.Is(err, pdferrors.ErrPassword), errors.Is(err, pdferrors.ErrSecurity):
		return fmt.Errorf("%s: encrypted PDF", name)
	case errors.Is(err, pdferrors.ErrFormat), errors.Is(err, pdferrors.ErrFile):
		return fmt.Errorf("%s: damaged or truncated PDF: %w", name, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", name, err)
	case strings.Contains(err.Error(), "memory") || strings.Contains(err.Error(), "malloc"):
		return fmt.Errorf("%s: needs more than the %d MiB memory limit per PDF: %w", name, e.opt.MemoryLimit>>20, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// info is the PDF's document information dictionary, the metadata
// fallback.
type info struct{ title, author, subject string }

func (e *Extractor) read(ctx context.Context, inst pdfium.Pdfium, data []byte) ([]page, info, error) {
	var meta info
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		return nil, meta, err
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document}) //nolint:errcheck // closing the instance frees it anyway
	for _, t := range []struct {
		tag string
		dst *string
	}{{"Title", &meta.title}, {"Author", &meta.author}, {"Subject", &meta.subject}} {
		if r, err := inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: doc.Document, Tag: t.tag}); err == nil {
			*t.dst = strings.TrimSpace(r.Value)
		}
	}
	n, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, meta, err
	}
	count := min(n.PageCount, e.opt.MaxPages)
	out := make([]page, 0, count)
	for i := range count {
		if err := ctx.Err(); err != nil {
			return nil, meta, err
		}
		size, err := inst.FPDF_GetPageSizeByIndex(&requests.FPDF_GetPageSizeByIndex{Document: doc.Document, Index: i})
		if err != nil {
			return nil, meta, fmt.Errorf("page %d: %w", i+1, err)
		}
		pageReq := requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}}
		st, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{
			Page: pageReq, Mode: requests.GetPageTextStructuredModeRects, CollectFontInformation: true,
		})
		if err != nil {
			return nil, meta, fmt.Errorf("page %d: %w", i+1, err)
		}
		pg := page{width: size.Width, height: size.Height}
		for _, r := range st.Rects {
			if strings.TrimSpace(r.Text) == "" {
				continue
			}
			s := span{text: r.Text, x0: r.PointPosition.Left, x1: r.PointPosition.Right,
				top: max(r.PointPosition.Top, r.PointPosition.Bottom), bottom: min(r.PointPosition.Top, r.PointPosition.Bottom)}
			if f := r.FontInformation; f != nil {
				s.size = f.RenderedSize
				if s.size <= 0 {
					s.size = f.Size
				}
				s.bold = boldFont(f.Name, f.Weight)
				s.mono = monoFont(f.Name)
			}
			if s.size <= 0 {
				s.size = s.top - s.bottom
			}
			pg.spans = append(pg.spans, s)
		}
		out = append(out, pg)
	}
	return out, meta, nil
}

// monoRe matches the names of fixed-width faces: TeX's typewriter
// (CMTT, LMMono, txtt, Berry's pcr/pcrr8r), Courier, Inconsolata and the
// like.
var monoRe = regexp.MustCompile(`(?i)mono|courier|typewriter|consol|cmtt|sftt|ectt|txtt|^([A-Z]{6}\+)?pcr|menlo|dejavusansm|lucidaconsole|beramono|zi4`)

// monoFont reports whether a face is fixed-width, by its name.
func monoFont(name string) bool { return monoRe.MatchString(name) }

// boldFont tells a bold face by its name where there is one, else by a
// weight of 700 or more. PDFium derives the weight from the font's stems,
// which says little: LMRoman10-Regular and CMR10 come out at 744,
// LMRoman12-Bold at 680, so a weight rule read whole bodies as bold and
// every short line of them as a heading.
func boldFont(name string, weight int) bool {
	n := strings.ToLower(name)
	if i := strings.IndexByte(n, '+'); i >= 0 {
		n = n[i+1:] // a subset's tag, "ABCDEF+CMBX12"
	}
	if n == "" {
		return weight >= 700
	}
	for _, w := range []string{"bold", "black", "heavy", "demi", "bx"} { // bx: TeX's CMBX, SFBX, ECBX
		if strings.Contains(n, w) {
			return true
		}
	}
	return texBold.MatchString(n)
}

// texBold matches TeX's short names of bold faces: CMB10, and the Berry
// names of PostScript fonts (ptmb8r is Times Bold, phvb8r Helvetica Bold).
var texBold = regexp.MustCompile(`^(cmb\d|p[a-z]{2}b\d)`)
