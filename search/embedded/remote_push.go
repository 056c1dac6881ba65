package embedded

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search/vector"
)

// ErrNoLocalVectors: the index holds no vectors of its own to copy.
var ErrNoLocalVectors = errors.New("the index holds no vectors of its own (run 'quire ingest' with an embedder first)")

// EachVector visits every live paper with its stored vectors (dequantized,
// unit length), in segment order: what 'quire push --to s3vectors'
// copies, so nothing is embedded again. vecs[0] is the paper's own; its
// passages' follow, under the IDs a Remote takes them by (Vec nil, for
// the paper or a passage, where the embedder found nothing).
func (x *Index) EachVector(ctx context.Context, fn func(p *corpus.Paper, vecs []vector.Item) error) error {
	v := x.vec
	if v == nil || v.remote != nil {
		return ErrNoLocalVectors
	}
	v.mu.RLock()
	idx, ok := v.idx, v.idx != nil && !v.stale && v.emb != nil
	v.mu.RUnlock()
	if !ok {
		return ErrNoLocalVectors
	}
	return x.eachPaper(ctx, func(id string) bool {
		_, ok := idx.Slot(id)
		if !ok { // no vector of its own; its passages may have some
			_, ok = idx.Slot(passageID(id, 0))
		}
		return ok
	}, func(p *corpus.Paper) error {
		// nil when the embedder found nothing in the title and abstract
		// (the index keeps no zero vectors): the body's passages still go.
		vec, _ := idx.Vector(p.ID)
		vecs := []vector.Item{{ID: p.ID, Vec: vec}}
		storedPassages(idx, p.ID, 0, func(id string) {
			// A passage with no vector comes with none (Vec nil), so its
			// number is still counted.
			pv, _ := idx.Vector(id)
			vecs = append(vecs, vector.Item{ID: id, Vec: pv})
		})
		return fn(p, vecs)
	})
}

// HasPassageVectors reports whether the index's own vectors include its
// passages' (see Options.NoPassageVectors).
func (x *Index) HasPassageVectors() bool {
	v := x.vec
	if v == nil {
		return false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.idx != nil && v.passages
}

// Embedder names the embedder whose vectors the index holds; "" when none.
func (x *Index) Embedder() string {
	if x.vec == nil {
		return ""
	}
	x.vec.mu.RLock()
	defer x.vec.mu.RUnlock()
	if x.vec.emb == nil {
		return ""
	}
	return x.vec.emb.Name()
}

// RemoteRecord is the ledger of the index in a folder for one remote:
// what a copy by 'quire push --to s3vectors' has pushed, so it resumes,
// and the index opened with that remote later does not push it again.
type RemoteRecord struct {
	l        *ledger
	passages bool
}

// OpenRemoteRecord opens the ledger of the index in dir for remote (a
// Remote's Name), recording embedder's vectors from now on; passages says
// the copy includes passage vectors (HasPassageVectors), so a paper
// recorded with none has none.
func OpenRemoteRecord(dir, remote, embedder string, passages bool) (*RemoteRecord, error) {
	l, err := openLedger(filepath.Join(dir, vectorDir), remote)
	if err != nil {
		return nil, err
	}
	if err := l.begin(embedder); err != nil {
		return nil, err
	}
	return &RemoteRecord{l, passages}, nil
}

// Has reports whether the remote holds the current vector of id, and its
// passages' when the copy includes them.
func (r *RemoteRecord) Has(id string) bool {
	return r.l.current(id) && (!r.passages || r.l.passages(id) >= 0)
}

// Push copies the papers' vectors, vecs (as EachVector gives them), to
// remote, deletes the passage vectors an earlier copy left past a paper's
// new count, and records the copy (synced).
func (r *RemoteRecord) Push(ctx context.Context, remote Remote, papers []corpus.Paper, vecs []vector.Item) error {
	return pushBatch(ctx, remote, r.l, papers, vecs, r.passages)
}
