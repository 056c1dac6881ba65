package tui

import "slices"

// basket is the evidence basket: papers marked for answers and drafts, in
// the order they were marked.
type basket struct {
	items []basketItem
}

type basketItem struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
}

func (b *basket) Has(id string) bool {
	return slices.ContainsFunc(b.items, func(it basketItem) bool { return it.ID == id })
}

// Toggle marks or unmarks a paper and reports whether it is now marked.
func (b *basket) Toggle(id, title string) bool {
	if i := slices.IndexFunc(b.items, func(it basketItem) bool { return it.ID == id }); i >= 0 {
		b.items = slices.Delete(b.items, i, i+1)
		return false
	}
	b.items = append(b.items, basketItem{ID: id, Title: title})
	return true
}

func (b *basket) IDs() []string {
	out := make([]string, len(b.items))
	for i, it := range b.items {
		out[i] = it.ID
	}
	return out
}

func (b *basket) Len() int { return len(b.items) }
