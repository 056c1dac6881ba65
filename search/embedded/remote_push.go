package embedded

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/quire-research/quire/corpus"
)

// ErrNoLocalVectors: the index holds no vectors of its own to copy.
var ErrNoLocalVectors = errors.New("the index holds no vectors of its own (run 'quire ingest' with an embedder first)")

// EachVector visits every live paper with its stored vector (dequantized,
// unit length), in segment order: what 'quire push --to s3vectors'
// copies, so nothing is embedded again.
func (x *Index) EachVector(ctx context.Context, fn func(p *corpus.Paper, vec []float32) error) error {
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
		return ok
	}, func(p *corpus.Paper) error {
		vec, ok := idx.Vector(p.ID)
		if !ok {
			return nil
		}
		return fn(p, vec)
	})
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
type RemoteRecord struct{ l *ledger }

// OpenRemoteRecord opens the ledger of the index in dir for remote (a
// Remote's Name), recording embedder's vectors from now on.
func OpenRemoteRecord(dir, remote, embedder string) (*RemoteRecord, error) {
	l, err := openLedger(filepath.Join(dir, vectorDir), remote)
	if err != nil {
		return nil, err
	}
	if err := l.begin(embedder); err != nil {
		return nil, err
	}
	return &RemoteRecord{l}, nil
}

// Has reports whether the remote holds the current vector of id.
func (r *RemoteRecord) Has(id string) bool { return r.l.current(id) }

// Pushed records that the remote took the vectors of ids (synced).
func (r *RemoteRecord) Pushed(ids []string) error { return r.l.record(ids, opPushed) }
