package vector

// node is a slot with its similarity to the current query.
type node struct {
	sim  float32
	slot uint32
}

// minHeap keeps the worst node on top: the result set of a search.
type minHeap []node

func (h *minHeap) push(n node) {
	*h = append(*h, n)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].sim <= s[i].sim {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *minHeap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	*h = s
	siftDownMin(s, 0)
	return top
}

// replaceTop swaps the worst node for n and restores the heap.
func (h minHeap) replaceTop(n node) {
	h[0] = n
	siftDownMin(h, 0)
}

func siftDownMin(s []node, i int) {
	n := len(s)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s[r].sim < s[l].sim {
			m = r
		}
		if s[i].sim <= s[m].sim {
			return
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
}

// maxHeap keeps the best node on top: the candidate queue of a search.
type maxHeap []node

func (h *maxHeap) push(n node) {
	*h = append(*h, n)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].sim >= s[i].sim {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *maxHeap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	*h = s
	n := len(s)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].sim > s[l].sim {
			m = r
		}
		if s[i].sim >= s[m].sim {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	return top
}
