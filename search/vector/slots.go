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
