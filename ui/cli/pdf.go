package cli

import (
	"context"
	"sync"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/pdf"
)

// lazyPDF starts PDFium (a WebAssembly module that takes a second or two
// to compile) the first time a source meets a PDF, and never otherwise.
type lazyPDF struct {
	once sync.Once
	x    *pdf.Extractor
	err  error
}

// read is a corpus.PDFReader.
func (l *lazyPDF) read(ctx context.Context, name string, data []byte) (corpus.Paper, []string, error) {
	l.once.Do(func() { l.x, l.err = pdf.New(context.WithoutCancel(ctx), pdf.Options{}) })
	if l.err != nil {
		return corpus.Paper{}, nil, l.err
	}
	return l.x.Paper(ctx, name, data)
}

// Close stops PDFium if it was started.
func (l *lazyPDF) Close() error {
	var err error
	l.once.Do(func() {}) // no start after Close
	if l.x != nil {
		err = l.x.Close()
	}
	return err
}
