package corpus

import (
	"reflect"
	"strings"
	"testing"
)

// decoderCase is a fixture file read through JSONLFiles and the papers it
// must yield, after Normalize, keyed by id.
type decoderCase struct {
	name   string
	file   string
	decode LineDecoder
	want   []Paper
}

func mustMapped(t *testing.T, fm FieldMap, source string) LineDecoder {
	t.Helper()
	dec, err := MappedDecoder(fm, source)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func TestDecoderFixtures(t *testing.T) {
	t.Parallel()
	cases := []decoderCase{
		{name: "arxiv snapshot", file: "arxiv-snapshot.jsonl", decode: ArxivDecoder(""), want: []Paper{
			{ID: "0704.0001", Title: "Calculation of prompt diphoton production cross sections at Tevatron energies",
				Abstract: "A fully differential calculation in perturbative quantum chromodynamics is presented for the production of massive photon pairs at hadron colliders. All next-to-leading order perturbative contributions from quark-antiquark, gluon-(anti)quark, and gluon-gluon subprocesses are included, as well as all-orders resummation of initial-state gluon radiation valid at next-to-next-to-leading logarithmic accuracy.",
				Authors:  []string{"C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"}, Year: 2007,
				Venue: "Phys.Rev.D76:013009,2007", Categories: []string{"hep-ph"}, Fields: []string{"Physics"},
				DOI: "10.1103/PhysRevD.76.013009", URL: "https://arxiv.org/abs/0704.0001", Source: "arxiv"},
			{ID: "0704.0002", Title: "Sparsity-certifying Graph Decompositions",
				Abstract: `We describe a new algorithm, the $(k,\ell)$-pebble game with colors, and use it obtain a characterization of the family of $(k,\ell)$-sparse graphs and algorithmic solutions to a family of problems concerning tree decompositions of graphs.`,
				Authors:  []string{"Ileana Streinu", "Louis Theran"}, Year: 2007,
				Categories: []string{"math.CO", "cs.CG"}, Fields: []string{"Mathematics", "Computer Science"},
				URL: "https://arxiv.org/abs/0704.0002", Source: "arxiv"},
			{ID: "1501.00001", Title: "Learning sparse representations with stochastic gradient descent", Abstract: "We study sparse coding.",
				Authors: []string{"Jane Q. Doe (MIT, Cambridge)", "John Smith", "Wei Zhang"}, Year: 2015,
				Categories: []string{"cs.LG", "stat.ML", "math.OC"}, Fields: []string{"Computer Science", "Statistics", "Mathematics"},
				DOI: "10.1000/xyz123", URL: "https://arxiv.org/abs/1501.00001", Source: "arxiv"},
			{ID: "hep-th/9901001", Title: "Strings at finite temperature", Abstract: "We discuss thermal strings.",
				Authors: []string{"A. Author", "B. Author", "The ATLAS Collaboration", "Martin Luther King Jr"}, Year: 1999,
				Venue: "Nucl.Phys. B550 (1999) 3-20", Categories: []string{"hep-th", "gr-qc"}, Fields: []string{"Physics"},
				URL: "https://arxiv.org/abs/hep-th/9901001", Source: "arxiv"},
			{ID: "2301.12345", Title: "Pricing under rough volatility", Abstract: "Rough volatility.", Authors: []string{"Q. Finance"}, Year: 2023,
				Categories: []string{"q-fin.PR", "econ.EM", "eess.SP", "q-bio.NC"},
				Fields:     []string{"Quantitative Finance", "Economics", "Electrical Engineering and Systems Science", "Quantitative Biology"},
				URL:        "https://arxiv.org/abs/2301.12345", Source: "arxiv"},
		}},
		{name: "openalex", file: "openalex.jsonl", decode: OpenAlexDecoder(""), want: []Paper{
			{ID: "W2741809807", Title: "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles",
				Abstract: "Despite growing interest in Open Access (OA) to scholarly literature, there is an unmet need for large-scale, up-to-date, and reproducible studies assessing the prevalence and characteristics of OA.",
				Authors:  []string{"Heather Piwowar", "Jason Priem", "Stefanie Haustein"}, Year: 2018, Venue: "PeerJ",
				Fields:     []string{"Decision Sciences", "Social Sciences", "Computer science"},
				Categories: []string{"scientometrics and bibliometrics research", "Open Access and Scholarly Publishing"},
				DOI:        "10.7717/peerj.4375", URL: "https://doi.org/10.7717/peerj.4375", Source: "openalex"},
			{ID: "W4200000001", Title: "A work with nulls everywhere", URL: "https://openalex.org/W4200000001", Source: "openalex"},
			{ID: "W1775749144", Title: "Protein measurement with the Folin phenol reagent", Abstract: "Since 1922 when Wu proposed",
				Authors: []string{"Oliver H. Lowry"}, Year: 1951, Venue: "Journal of Biological Chemistry",
				Fields: []string{"Biology"}, Categories: []string{"Biochemistry", "Reagent"},
				DOI: "10.1016/s0021-9258(19)52451-6", URL: "https://doi.org/10.1016/s0021-9258(19)52451-6", Source: "openalex"},
		}},
		{name: "mapped defaults", file: "mapped.jsonl", decode: mustMapped(t, nil, "mapped"), want: []Paper{
			{ID: "p1", Title: "Attention over nested venues", Abstract: "We map nested keys.", Authors: []string{"Ada Lovelace", "Alan Turing"},
				Year: 2019, Venue: "Nature", Fields: []string{"Computer Science"}, Categories: []string{"cs.CL", "cs.AI"},
				DOI: "10.1038/abc", URL: "https://doi.org/10.1038/abc", Source: "mapped"},
			{ID: "1234", Title: "A title in a list", Abstract: "Summary as abstract.", Authors: []string{"Ada Lovelace", "Alan Turing"},
				Year: 2020, Venue: "Journal of Lists", Categories: []string{"information retrieval", "ranking"},
				URL: "https://example.org/p/1234", Source: "mapped"},
			{ID: "p3", Title: "BibTeX authors", Abstract: "First sentence. Second sentence.", Authors: []string{"Doe, Jane", "Roe, Richard"},
				Year: 2021, Venue: "Phys. Rev. A 77, 013804 (2008)", Categories: []string{"Mathematics - Combinatorics"},
				Source: "mapped", FullText: "Paragraph one.\n\nParagraph two."},
			{ID: "10.1000/only-doi", Title: "Only a DOI", Abstract: "Id falls back to the DOI.", Authors: []string{"Lovelace, Ada", "Turing, Alan"},
				Year: 2017, DOI: "10.1000/only-doi", URL: "https://doi.org/10.1000/only-doi", Source: "mapped"},
		}},
		{name: "beir", file: "beir/corpus.jsonl", decode: BEIRDecoder("cranfield"), want: []Paper{
			{ID: "d1", Title: "Wing in a slipstream", Abstract: "an experimental study of a wing in a propeller slipstream .",
				Authors: []string{"brenckman,m."}, Year: 1958, Venue: "j. ae. scs. 25, 1958, 324.", Source: "cranfield"},
			{ID: "d2", Title: "Shear flow", Abstract: "simple shear flow past a flat plate .", Authors: []string{"ting,l.", "smith,j."}, Year: 1959, Source: "cranfield"},
			{ID: "3", Abstract: "numeric id and no title .", Source: "cranfield"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &JSONLFiles{Paths: []string{corpusFixture(tc.file)}, Decode: tc.decode}
			recs, errs := jsonlCollect(t, src, Cursor{})
			for _, e := range errs {
				t.Errorf("unexpected record error: %v", e)
			}
			if len(recs) != len(tc.want) {
				t.Fatalf("got %d papers, want %d", len(recs), len(tc.want))
			}
			for i, want := range tc.want {
				if got := recs[i].Paper; !reflect.DeepEqual(got, want) {
					t.Errorf("paper %d:\n got %#v\nwant %#v", i, got, want)
				}
				if recs[i].Pos.Line != int64(i+1) {
					t.Errorf("paper %d at line %d", i, recs[i].Pos.Line)
				}
			}
		})
	}
}

// TestDecoderFieldErrors feeds single bad lines to each decoder and checks
// the *FieldError names the Quire field and, in its message, the JSON key.
func TestDecoderFieldErrors(t *testing.T) {
	t.Parallel()
	mapped := mustMapped(t, nil, "x")
	custom := mustMapped(t, FieldMap{"title": "t", "venue": "journal.name"}, "x")
	cases := []struct {
		name      string
		decode    LineDecoder
		line      string
		field     string
		mentions  string
		notAField bool
	}{
		{"mapped title object", mapped, `{"id":"a","title":{"x":1}}`, "title", `"title"`, false},
		{"mapped year word", mapped, `{"id":"a","title":"t","year":"abc"}`, "year", `"year"`, false},
		{"mapped year fraction", mapped, `{"id":"a","title":"t","year":2019.5}`, "year", "whole number", false},
		{"mapped year bool", mapped, `{"id":"a","title":"t","publication_year":true}`, "year", `"publication_year"`, false},
		{"mapped id list", mapped, `{"id":["a"],"title":"t"}`, "id", `"id"`, false},
		{"mapped authors nested list", mapped, `{"id":"a","title":"t","authors":[["x"]]}`, "authors", "item 0", false},
		{"mapped authors object without name", mapped, `{"id":"a","title":"t","authors":[{"orcid":"x"}]}`, "authors", "item 0", false},
		{"mapped categories number", mapped, `{"id":"a","title":"t","categories":true}`, "categories", `"categories"`, false},
		{"custom key named", custom, `{"id":"a","t":[{"a":1}]}`, "title", `"t"`, false},
		{"custom nested path", custom, `{"id":"a","t":"x","journal":{"name":{"x":1}}}`, "venue", `"journal.name"`, false},
		{"mapped not an object", mapped, `["a","b"]`, "", "JSON object", true},
		{"mapped bad json", mapped, `{"id":"a",`, "", "invalid JSON", true},
		{"arxiv title number", ArxivDecoder(""), `{"id":"1","title":5}`, "title", `"title"`, false},
		{"arxiv versions string", ArxivDecoder(""), `{"id":"1","title":"t","versions":"v1"}`, "year", `"versions"`, false},
		{"arxiv journal-ref list", ArxivDecoder(""), `{"id":"1","title":"t","journal-ref":["x"]}`, "venue", `"journal-ref"`, false},
		{"openalex positions strings", OpenAlexDecoder(""), `{"id":"W1","title":"t","abstract_inverted_index":{"a":["0"]}}`, "abstract", "abstract_inverted_index", false},
		{"openalex year word", OpenAlexDecoder(""), `{"id":"W1","title":"t","publication_year":"soon"}`, "year", `"publication_year"`, false},
		{"openalex authorships object", OpenAlexDecoder(""), `{"id":"W1","title":"t","authorships":{"a":1}}`, "authors", `"authorships"`, false},
		{"beir text object", BEIRDecoder("b"), `{"_id":"1","text":{"a":1}}`, "abstract", `"text"`, false},
		{"beir year word", BEIRDecoder("b"), `{"_id":"1","text":"x","year":"n.d."}`, "year", `"year"`, false},
		{"beir id object", BEIRDecoder("b"), `{"_id":{"a":1},"text":"x"}`, "id", `"_id"`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.decode([]byte(tc.line))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.mentions) {
				t.Errorf("error %q does not mention %s", err, tc.mentions)
			}
			fe, ok := err.(*FieldError)
			if tc.notAField {
				if ok {
					t.Errorf("got *FieldError %v for a whole-line problem", err)
				}
				return
			}
			if !ok {
				t.Fatalf("error is %T (%v), want *FieldError", err, err)
			}
			if fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}
