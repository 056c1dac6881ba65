package fusion

import (
	"math"
	"testing"
)

func items(pairs ...any) []Item {
	var out []Item
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Item{pairs[i].(string), pairs[i+1].(float64)})
	}
	return out
}

func ids(fs []Fused) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestConvexWeights(t *testing.T) {
	lex := items("a", 10.0, "b", 5.0, "c", 0.0)
	vec := items("c", 0.9, "b", 0.5, "d", 0.1)
	// Weight 0: the lexical order, with vector-only papers last.
	got := Merge(lex, vec, Options{Method: Convex, Weight: 0})
	if g := ids(got); g[0] != "a" || g[1] != "b" {
		t.Errorf("weight 0: %v", g)
	}
	// Weight 1: the vector order.
	got = Merge(lex, vec, Options{Method: Convex, Weight: 1})
	if g := ids(got); g[0] != "c" || g[1] != "b" {
		t.Errorf("weight 1: %v", g)
	}
	// Weight 0.5: b is second in both and wins over a and c, each best in one half
	// but last in the other: a = 0.5·1 + 0 ; b = 0.5·0.5 + 0.5·0.5 ; c = 0 + 0.5·1.
	got = Merge(lex, vec, Options{Method: Convex, Weight: 0.5})
	for _, f := range got {
		want := map[string]float64{"a": 0.5, "b": 0.5, "c": 0.5, "d": 0}[f.ID]
		if math.Abs(f.Score-want) > 1e-9 {
			t.Errorf("%s fused %.3f, want %.3f", f.ID, f.Score, want)
		}
	}
	if got[0].ID != "a" {
		t.Errorf("tie should go to the lexical order, got %v", ids(got))
	}
	b := got[1]
	if b.ID != "b" || b.LexRank != 2 || b.VectorRank != 2 || b.LexScore != 5 || b.VectorScore != 0.5 {
		t.Errorf("explain for b: %+v", b)
	}
}

func TestRRF(t *testing.T) {
	lex := items("a", 3.0, "b", 2.0)
	vec := items("b", 0.9, "c", 0.8)
	got := Merge(lex, vec, Options{Method: RRF, Weight: 0.5, K: 60})
	if g := ids(got); g[0] != "b" {
		t.Fatalf("b is in both lists and should lead: %v", g)
	}
	want := 0.5/62 + 0.5/61
	if math.Abs(got[0].Score-want) > 1e-12 {
		t.Errorf("b fused %v, want %v", got[0].Score, want)
	}
	if got[1].ID != "a" || got[2].ID != "c" {
		t.Errorf("a (lexical rank 1) should beat c (vector rank 2) on the tie: %v", ids(got))
	}
}

func TestEmptyHalves(t *testing.T) {
	if got := Merge(nil, nil, Options{}); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	got := Merge(nil, items("x", 0.3, "y", 0.3), Options{Weight: 0.4})
	if len(got) != 2 || got[0].ID != "x" || got[0].Score != 0.4 {
		t.Errorf("one half with equal scores: %+v", got)
	}
}
