package embed

import (
	"context"
	"fmt"
)

// Prefixed prepends queryPrefix to queries and passagePrefix to passages,
// for models trained with instructions such as "search_query: ". The
// prefixes change the vectors, so they are part of the Name. With both
// prefixes empty it returns e itself.
func Prefixed(e Embedder, queryPrefix, passagePrefix string) Embedder {
	if queryPrefix == "" && passagePrefix == "" {
		return e
	}
	return &prefixed{inner: e, query: queryPrefix, passage: passagePrefix}
}

type prefixed struct {
	inner          Embedder
	query, passage string
}

func (p *prefixed) Name() string {
	return fmt.Sprintf("%s+prefix(%q,%q)", p.inner.Name(), p.query, p.passage)
}

func (p *prefixed) Dim() int { return p.inner.Dim() }

func (p *prefixed) Unwrap() Embedder { return p.inner }

func (p *prefixed) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	prefix := p.passage
	if kind == Query {
		prefix = p.query
	}
	if prefix == "" {
		return p.inner.Embed(ctx, texts, kind)
	}
	with := make([]string, len(texts))
	for i, t := range texts {
		with[i] = prefix + t
	}
	return p.inner.Embed(ctx, with, kind)
}
