// Package embed turns text into vectors for the vector half of hybrid
// search. Every embedder — the local one learned from the user's corpus, a
// static Model2Vec model on disk, an OpenAI-compatible server, Amazon
// Bedrock — stands behind Embedder, and the wrappers here add what all of
// them need: batching, a concurrency limit, retries on throttling and a
// content-hash cache so re-ingesting unchanged text never re-embeds it.
package embed

import (
	"context"
	"errors"
)

// Kind says what a text is: some models embed queries and passages
// differently (instruction prefixes, input_type).
type Kind int

const (
	Passage Kind = iota
	Query
)

func (k Kind) String() string {
	if k == Query {
		return "query"
	}
	return "passage"
}

// Embedder maps texts to vectors.
type Embedder interface {
	// Name identifies the model and its settings ("openai:nomic-embed-text@256").
	// Vectors from embedders with different names are not comparable, so
	// the index records it and the cache keys on it.
	Name() string
	// Dim is the length of every vector returned.
	Dim() int
	// Embed returns one unit-length vector per text, in order.
	Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error)
}

// ErrThrottled marks a failure worth retrying after a pause (HTTP 429,
// Bedrock ThrottlingException, 503). Wrap it; test with errors.Is.
var ErrThrottled = errors.New("embedding service is throttling requests")
