package corpus

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRealArxivSamples decodes both arXiv samples in ../shared/data with
// format detection and the default field map: every record must decode and
// each field must land where it belongs.
func TestRealArxivSamples(t *testing.T) {
	t.Parallel()
	data := sharedData(t)
	if testing.Short() {
		t.Skip("decodes 130k records; skipped in -short mode")
	}
	cases := []struct {
		dir                   string
		records, venues, dois int
		check                 func(t *testing.T, p Paper)
	}{
		{dir: "arxiv-listings-2025-2026", records: 86142, check: func(t *testing.T, p Paper) {
			if len(p.Categories) == 0 || !strings.Contains(p.Categories[0], ".") && ArxivField(p.Categories[0]) == "" {
				t.Errorf("%s: categories %q are not arXiv codes", p.ID, p.Categories)
			}
			if p.Year < 1991 || p.Year > 2026 {
				t.Errorf("%s: year %d", p.ID, p.Year)
			}
		}},
		{dir: "arxiv-oai-1990-2017", records: 45802, venues: 18907, dois: 20047, check: func(t *testing.T, p Paper) {
			// OAI subjects are names like "Mathematics - Combinatorics" or
			// "Astrophysics", never codes, and never cut at spaces.
			if len(p.Categories) == 0 || ArxivField(p.Categories[0]) != "" || p.Categories[0] == "Mathematics" {
				t.Errorf("%s: categories %q are not OAI subject names", p.ID, p.Categories)
			}
			if p.Year < 1990 || p.Year > 2017 {
				t.Errorf("%s: year %d", p.ID, p.Year)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(data, tc.dir, "papers.jsonl.gz")
			src, err := OpenJSONL([]string{path}, FormatAuto, nil, "arxiv")
			if err != nil {
				t.Fatal(err)
			}
			recs, errs := jsonlCollect(t, src, Cursor{})
			for i, e := range errs {
				if i < 5 {
					t.Errorf("record error: %v", e)
				}
			}
			if len(errs) > 0 || len(recs) != tc.records {
				t.Fatalf("%d papers and %d errors, want %d and 0", len(recs), len(errs), tc.records)
			}
			venues, dois, lastFirst := 0, 0, 0
			for _, r := range recs {
				p := r.Paper
				if len(r.Warnings) > 0 {
					t.Errorf("%s: warnings %q", p.ID, r.Warnings)
				}
				if p.Title == "" || p.Abstract == "" || len(p.Authors) == 0 || len(p.Fields) == 0 || p.Source != "arxiv" {
					t.Fatalf("incomplete paper %+v", p)
				}
				if !strings.HasPrefix(p.URL, "https://arxiv.org/abs/") {
					t.Errorf("%s: url %q", p.ID, p.URL)
				}
				for _, f := range p.Fields {
					if f != "Physics" && f != "Mathematics" && f != "Computer Science" && f != "Statistics" &&
						f != "Quantitative Biology" && f != "Quantitative Finance" && f != "Economics" &&
						f != "Electrical Engineering and Systems Science" {
						t.Errorf("%s: field %q", p.ID, f)
					}
				}
				for _, a := range p.Authors {
					if strings.Contains(a, ", ") {
						lastFirst++
						break
					}
				}
				if p.Venue != "" {
					venues++
				}
				if p.DOI != "" {
					dois++
				}
				tc.check(t, p)
			}
			if venues != tc.venues || dois != tc.dois {
				t.Errorf("%d venues and %d DOIs, want %d and %d", venues, dois, tc.venues, tc.dois)
			}
			// The OAI sample writes authors "Last, First": they must stay
			// whole. Its 217 papers by a collaboration alone have no comma.
			if tc.venues > 0 && lastFirst != tc.records-217 {
				t.Errorf("%d of %d papers kept Last, First authors", lastFirst, tc.records)
			}
		})
	}
}

// TestRealBEIR opens each BEIR collection in ../shared/data and checks the
// counts its README gives.
func TestRealBEIR(t *testing.T) {
	t.Parallel()
	data := sharedData(t)
	cases := []struct {
		name                 string
		docs, queries, pairs int
		empty                []string // docs with no title or text: reported, not indexed
	}{
		{"scifact", 5183, 150, 165, nil},
		{"cranfield", 1400, 113, 858, []string{"471", "995"}},
		{"cisi", 1460, 38, 1859, nil},
		{"med", 1033, 15, 389, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := OpenBEIR(filepath.Join(data, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			pairs := 0
			for _, docs := range c.Qrels {
				pairs += len(docs)
			}
			if c.Name != tc.name || len(c.Queries) != tc.queries || len(c.Qrels) != tc.queries || pairs != tc.pairs {
				t.Errorf("%s: %d queries, %d judged, %d pairs; want %d, %d, %d", c.Name, len(c.Queries), len(c.Qrels), pairs, tc.queries, tc.queries, tc.pairs)
			}
			recs, errs := jsonlCollect(t, c.Corpus, Cursor{})
			if len(errs) != len(tc.empty) {
				t.Errorf("record errors %v, want %d for the empty docs %v", errs, len(tc.empty), tc.empty)
			}
			for _, e := range errs {
				if !strings.Contains(e.Error(), "no title, abstract or text") {
					t.Errorf("record error: %v", e)
				}
			}
			if len(recs)+len(errs) != tc.docs {
				t.Errorf("%d docs and %d errors, want %d in all", len(recs), len(errs), tc.docs)
			}
			ids := paperByID(recs)
			for _, id := range tc.empty {
				ids[id] = Paper{}
			}
			for qid, docs := range c.Qrels {
				for id := range docs {
					if _, ok := ids[id]; !ok {
						t.Errorf("qrels %s → %s: no such doc", qid, id)
					}
				}
			}
			for _, r := range recs {
				if r.Paper.Source != tc.name {
					t.Fatalf("source %q", r.Paper.Source)
				}
			}
		})
	}
}
