package vector

// Slots is one past the highest slot in use: ID(s) for every s below it
// is a live ID or "" for a deleted slot.
func (x *Index) Slots() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return 0
	}
	return x.c.slots()
}

// EachID calls fn with every live slot and its ID, in slot order, under
// one read lock: a caller reading millions of IDs through ID would pay a
// lock and a string for each. id is only valid during the call.
func (x *Index) EachID(fn func(slot uint32, id []byte)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.c == nil {
		return
	}
	t := x.c.ids
	for s := range uint32(x.c.slots()) {
		if !x.c.isDeleted(s) {
			fn(s, t.arena[t.off[s]:t.off[s+1]])
		}
	}
}
