package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Names of the tools that look after a session rather than search. They
// are kept out of Quire's own list: a model in the answer loop has no
// business emptying the user's basket.
const (
	ListBasket  = "list_basket"
	ClearBasket = "clear_basket"
	IndexStats  = "stats"
)

// Clear empties the basket and reports how many papers it held.
func (b *Basket) Clear() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.ids)
	b.ids = nil
	return n
}

// Session returns the basket and statistics tools, for clients that drive
// a session themselves (an MCP client).
func Session(env Env) []Tool {
	empty := json.RawMessage(`{"type":"object","properties":{}}`)
	return []Tool{
		{
			Name:        ListBasket,
			Description: "List the papers in the evidence basket (id, year and title), in the order they were added.",
			Schema:      empty,
			Call:        env.listBasket,
		},
		{
			Name:        ClearBasket,
			Description: "Empty the evidence basket.",
			Schema:      empty,
			Call:        env.clearBasket,
		},
		{
			Name:        IndexStats,
			Description: "Describe the library: number of papers, engine, vectors, sources ingested and the top facet values.",
			Schema:      empty,
			Call:        env.stats,
		},
	}
}

func (env Env) listBasket(ctx context.Context, in json.RawMessage) (string, error) {
	if err := Decode(in, &struct{}{}); err != nil {
		return "", err
	}
	if env.Basket == nil {
		return "", errNoBasket
	}
	ids := env.Basket.IDs()
	if len(ids) == 0 {
		return "The basket is empty.", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The basket holds %d papers.\n", len(ids))
	for _, id := range ids {
		p, err := env.Engine.Get(ctx, id)
		if err != nil {
			fmt.Fprintf(&b, "%s (not in the index: %v)\n", id, err)
			continue
		}
		b.WriteString(env.line(p))
	}
	return b.String(), nil
}

func (env Env) clearBasket(_ context.Context, in json.RawMessage) (string, error) {
	if err := Decode(in, &struct{}{}); err != nil {
		return "", err
	}
	if env.Basket == nil {
		return "", errNoBasket
	}
	return fmt.Sprintf("removed %d papers; the basket is empty", env.Basket.Clear()), nil
}

func (env Env) stats(ctx context.Context, in json.RawMessage) (string, error) {
	if err := Decode(in, &struct{}{}); err != nil {
		return "", err
	}
	st, err := env.Engine.Stats(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "papers: %d\nengine: %s\n", st.Papers, st.Engine)
	if st.Embedder != "" {
		fmt.Fprintf(&b, "vectors: %d by %s\n", st.Vectors, st.Embedder)
		if st.PassageVectors > 0 {
			fmt.Fprintf(&b, "passage vectors: %d\n", st.PassageVectors)
		}
	}
	for _, c := range st.Checkpoints {
		state := "complete"
		if !c.Done {
			state = "incomplete"
		}
		fmt.Fprintf(&b, "source: %s: %d papers, %d skipped, %s\n", c.Source, c.Papers, c.Errors, state)
	}
	writeFacets(&b, st.Facets)
	return b.String(), nil
}
