package local

import (
	"context"
	"testing"

	"github.com/quire-research/quire/search/vector"
)

// TestUnknownWordsStoreNoVector: a text of words the model never saw
// embeds to the zero vector, which the vector index records as "no
// vector": the paper stays known through a snapshot and a reopen (so a
// sync, which embeds only papers the index lacks, does not embed it again)
// and no search returns it, not even the search for its own text.
func TestUnknownWordsStoreNoVector(t *testing.T) {
	ctx := context.Background()
	texts := synthTexts(t, 1500)
	m, err := Train(ctx, seqOf(texts), TrainOptions{Dim: 32})
	if err != nil {
		t.Fatal(err)
	}
	unknown := "Zyxqv wrrrbl\nqqqzx vvvrt plonkix"
	vs, err := m.Embed(ctx, []string{unknown, texts[0], texts[1]}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	x, err := vector.Open(dir, vector.Options{Dim: m.Dim()})
	if err != nil {
		t.Fatal(err)
	}
	items := []vector.Item{{ID: "unknown", Vec: vs[0]}, {ID: "p0", Vec: vs[1]}, {ID: "p1", Vec: vs[2]}}
	if err := x.Apply(1, items, nil); err != nil {
		t.Fatal(err)
	}
	if err := x.Snapshot(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	y, err := vector.Open(dir, vector.Options{Dim: m.Dim()})
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if _, ok := y.Slot("unknown"); !ok {
		t.Fatal("the paper of unknown words is not known after a reopen: the next sync would embed it again")
	}
	if _, ok := y.Vector("unknown"); ok || y.Empty() != 1 {
		t.Fatalf("the paper of unknown words has a stored vector (%d without one)", y.Empty())
	}
	q, err := m.Embed(ctx, []string{unknown, texts[0]}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, qv := range q {
		for _, r := range y.Search(qv, 10, nil) {
			if r.ID == "unknown" {
				t.Fatalf("a search returned the paper without a vector (score %v)", r.Score)
			}
		}
	}
	if res := y.Search(q[1], 1, nil); len(res) != 1 || res[0].ID != "p0" {
		t.Fatalf("the search for p0's text found %v", res)
	}
}
