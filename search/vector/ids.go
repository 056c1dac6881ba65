package vector

import "hash/maphash"

// idTable maps IDs to slots with open addressing over a byte arena, which
// costs about a third of map[string]uint32 at a million IDs: the arena holds
// every ID once, off[s]..off[s+1] is slot s's ID, and table holds slot+1 (0
// empty, tombSlot deleted) at load factor ≤ 1/2.
type idTable struct {
	seed  maphash.Seed
	arena []byte
	off   []uint32 // len slots+1
	table []uint32
	used  int // non-empty entries, tombstones included
}

const tombSlot = ^uint32(0)

func newIDTable() *idTable {
	return &idTable{seed: maphash.MakeSeed(), off: []uint32{0}, table: make([]uint32, 16)}
}

func (t *idTable) id(slot uint32) string {
	return string(t.arena[t.off[slot]:t.off[slot+1]])
}

func (t *idTable) idEq(slot uint32, id string) bool {
	b := t.arena[t.off[slot]:t.off[slot+1]]
	return string(b) == id
}

// lookup returns the slot of id.
func (t *idTable) lookup(id string) (uint32, bool) {
	mask := uint64(len(t.table) - 1)
	for i := maphash.String(t.seed, id) & mask; ; i = (i + 1) & mask {
		e := t.table[i]
		if e == 0 {
			return 0, false
		}
		if e != tombSlot && t.idEq(e-1, id) {
			return e - 1, true
		}
	}
}

// appendSlot records id as the ID of the next slot (len(off)-1).
func (t *idTable) appendSlot(id string) uint32 {
	slot := uint32(len(t.off) - 1)
	t.arena = append(t.arena, id...)
	t.off = append(t.off, uint32(len(t.arena)))
	t.insert(id, slot)
	return slot
}

func (t *idTable) insert(id string, slot uint32) {
	if (t.used+1)*2 > len(t.table) {
		t.rehash()
	}
	mask := uint64(len(t.table) - 1)
	for i := maphash.String(t.seed, id) & mask; ; i = (i + 1) & mask {
		if t.table[i] == 0 {
			t.table[i] = slot + 1
			t.used++
			return
		}
	}
}

func (t *idTable) remove(id string) {
	mask := uint64(len(t.table) - 1)
	for i := maphash.String(t.seed, id) & mask; ; i = (i + 1) & mask {
		e := t.table[i]
		if e == 0 {
			return
		}
		if e != tombSlot && t.idEq(e-1, id) {
			t.table[i] = tombSlot
			return
		}
	}
}

// rehash grows the table (or just drops tombstones) to fit the live IDs.
func (t *idTable) rehash() {
	live := 0
	for _, e := range t.table {
		if e != 0 && e != tombSlot {
			live++
		}
	}
	n := 16
	for n < 2*(live+1)+1024 {
		n *= 2
	}
	old := t.table
	t.table = make([]uint32, n)
	t.used = 0
	mask := uint64(n - 1)
	for _, e := range old {
		if e == 0 || e == tombSlot {
			continue
		}
		for i := maphash.Bytes(t.seed, t.arena[t.off[e-1]:t.off[e]]) & mask; ; i = (i + 1) & mask {
			if t.table[i] == 0 {
				t.table[i] = e
				t.used++
				break
			}
		}
	}
}

func (t *idTable) memBytes() int64 {
	return int64(cap(t.arena)) + 4*int64(cap(t.off)) + 4*int64(cap(t.table))
}

// rehashFor sizes an empty table for n IDs.
func (t *idTable) rehashFor(n int) {
	size := 16
	for size < 2*(n+1)+1024 {
		size *= 2
	}
	t.table = make([]uint32, size)
	t.used = 0
}
