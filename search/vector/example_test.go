package vector_test

import (
	"fmt"
	"log"
	"os"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/quire-research/quire/search/vector"
)

func Example() {
	dir, err := os.MkdirTemp("", "vectors")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	x, err := vector.Open(dir, vector.Options{Dim: 3})
	if err != nil {
		log.Fatal(err)
	}
	defer x.Close()
	err = x.Apply(1, []vector.Item{
		{ID: "cats", Vec: []float32{1, 0, 0}},
		{ID: "dogs", Vec: []float32{0.8, 0.6, 0}},
		{ID: "cars", Vec: []float32{0, 0, 1}},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range x.Search([]float32{1, 0.1, 0}, 2, nil) {
		fmt.Printf("%s %.2f\n", r.ID, r.Score)
	}
	// Only vectors in the allowed slots come back.
	slot, _ := x.Slot("cars")
	allow := roaring.BitmapOf(slot)
	fmt.Println(x.Search([]float32{1, 0.1, 0}, 2, allow)[0].ID)
	// Output:
	// cats 1.00
	// dogs 0.86
	// cars
}
