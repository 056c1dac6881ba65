package embedded

import "github.com/quire-research/quire/search/embed/local"

// LocalModel is the corpus-taught embedder the index's vectors were made
// with; nil when it uses another embedder or has none yet. A push hands it
// to the target, which then embeds exactly as this index did instead of
// learning a model of its own.
func (x *Index) LocalModel() *local.Model {
	if x.vec == nil {
		return nil
	}
	x.vec.mu.RLock()
	defer x.vec.mu.RUnlock()
	m, _ := x.vec.emb.(*local.Model)
	return m
}
