package query_test

import (
	"fmt"

	"github.com/quire-research/quire/search/query"
)

func ExampleParse() {
	q, err := query.Parse(`crispr "off target" year:2018..2022 field:q-bio.GN author:"Doudna" -venue:arXiv`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("text: %s\n", q.Text)
	fmt.Printf("phrases: %q\n", q.Phrases)
	for _, f := range q.Filters {
		fmt.Printf("%s %q negate=%v min=%d max=%d\n", f.Key, f.Values, f.Negate, f.Min, f.Max)
	}
	// Output:
	// text: crispr "off target"
	// phrases: ["off target"]
	// year ["2018..2022"] negate=false min=2018 max=2022
	// field ["q-bio.GN"] negate=false min=0 max=0
	// author ["Doudna"] negate=false min=0 max=0
	// venue ["arXiv"] negate=true min=0 max=0
}

func ExampleParse_error() {
	_, err := query.Parse("crispr year:20x8")
	fmt.Println(err)
	// Output:
	// column 13: year: "20x8" is not a year (use 2019, 2018..2022, >=2018)
}

func ExampleQuery_String() {
	q, _ := query.Parse(`Y:>2017   crispr  A:"Jennifer   Doudna" f:cs.CL,cs.CV`)
	fmt.Println(q.String())
	// Output:
	// crispr year:2018.. author:"Jennifer Doudna" field:cs.CL,cs.CV
}

func ExampleQuery_Toggle() {
	q, _ := query.Parse("crispr")
	q = q.Toggle("field", "cs.CL")
	q = q.Toggle("field", "q-bio.GN")
	fmt.Println(q)
	q = q.Toggle("field", "cs.CL")
	fmt.Println(q)
	// Output:
	// crispr field:cs.CL,q-bio.GN
	// crispr field:q-bio.GN
}

func ExampleCompletionAt() {
	input := `crispr author:"Jennifer Dou`
	c, ok := query.CompletionAt(input, len(input))
	fmt.Println(ok, c.Key, c.Prefix)
	fmt.Println(input[:c.Start] + query.QuoteValue("Jennifer Doudna") + input[c.End:])
	// Output:
	// true author Jennifer Dou
	// crispr author:"Jennifer Doudna"
}
