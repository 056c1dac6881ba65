package s3vectors

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quire-research/quire/search/enginetest"
	"github.com/quire-research/quire/search/hybrid"
	"github.com/quire-research/quire/search/query"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
)

// Every filter form of the query language, translated.
func TestTranslate(t *testing.T) {
	cases := []struct {
		q        string
		filter   string // JSON; "" for none
		exact    bool
		residual string // the residual's canonical form
	}{
		{"", "", true, ""},
		{"crispr yeast", "", true, ""},
		{"year:2019", `{"$and":[{"year":{"$gte":2019}},{"year":{"$lte":2019}}]}`, true, ""},
		{"year:2018..", `{"year":{"$gte":2018}}`, true, ""},
		{"year:..2015", `{"year":{"$lte":2015}}`, true, ""},
		{"year:2019 year:2021", `{"$or":[{"$and":[{"year":{"$gte":2019}},{"year":{"$lte":2019}}]},{"$and":[{"year":{"$gte":2021}},{"year":{"$lte":2021}}]}]}`, true, ""},
		{"-year:2019..", `{"$or":[{"year":{"$exists":false}},{"year":{"$lt":2019}}]}`, true, ""},
		{"field:cs.CL,Biology", `{"$or":[{"fields":{"$in":["cs.cl","biology"]}},{"categories":{"$in":["cs.cl","biology"]}}]}`, true, ""},
		{"field:a field:b", `{"$and":[{"$or":[{"fields":{"$in":["a"]}},{"categories":{"$in":["a"]}}]},{"$or":[{"fields":{"$in":["b"]}},{"categories":{"$in":["b"]}}]}]}`, true, ""},
		{`field:="Computer Science"`, `{"$or":[{"fields":{"$in":["computer science"]}},{"categories":{"$in":["computer science"]}}]}`, false, `field:="Computer Science"`},
		{"category:CS.LG", `{"categories":{"$in":["cs.lg"]}}`, true, ""},
		{"-category:cs.CL", `{"$or":[{"categories":{"$exists":false}},{"categories":{"$nin":["cs.cl"]}}]}`, true, ""},
		{"-category:=cs.CL", "", false, "-category:=cs.CL"},
		{"-field:x", `{"$and":[{"$or":[{"fields":{"$exists":false}},{"fields":{"$nin":["x"]}}]},{"$or":[{"categories":{"$exists":false}},{"categories":{"$nin":["x"]}}]}]}`, true, ""},
		{"venue:Nature", `{"$or":[{"venue":{"$eq":"Nature"}},{"venue_words":{"$eq":"nature"}}]}`, true, ""},
		{`venue:="Phys. Rev. D"`, `{"venue":{"$in":["Phys. Rev. D"]}}`, true, ""},
		{"-venue:arXiv", `{"$and":[{"$or":[{"venue":{"$exists":false}},{"venue":{"$nin":["arXiv"]}}]},{"$or":[{"venue_words":{"$exists":false}},{"venue_words":{"$nin":["arxiv"]}}]}]}`, true, ""},
		{`venue:"--"`, "", true, ""},
		{`-venue:"--"`, `{"$and":[{"year":{"$exists":true}},{"year":{"$exists":false}}]}`, true, ""},
		{"source:ARXIV", `{"source":{"$in":["arxiv"]}}`, true, ""},
		{"source:=arxiv", `{"source":{"$in":["arxiv"]}}`, false, "source:=arxiv"},
		{"source:=arxiv source:openalex", `{"$or":[{"source":{"$in":["arxiv"]}},{"source":{"$in":["openalex"]}}]}`, false, "source:=arxiv source:openalex"},
		{"author:Doudna", "", false, "author:Doudna"},
		{"-author:Turing year:2020..", `{"year":{"$gte":2020}}`, false, "-author:Turing"},
		{"id:conf-007", "", false, "id:conf-007"},
		{"doi:10.1000/x", "", false, "doi:10.1000/x"},
		{`"gene editing" -yeast`, "", false, `-yeast`}, // and the phrase, checked below
	}
	for _, c := range cases {
		q, err := query.Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := hybrid.Restrict(q)
		tr := Translate(r)
		got := ""
		if tr.Filter != nil {
			b, _ := json.Marshal(tr.Filter)
			got = string(b)
		}
		// Compare as canonical JSON (map keys sort when marshalled).
		if c.filter != "" {
			var v any
			_ = json.Unmarshal([]byte(c.filter), &v)
			b, _ := json.Marshal(v)
			c.filter = string(b)
		}
		res := tr.Residual.String()
		if got != c.filter || tr.Exact != c.exact || res != c.residual {
			t.Errorf("%s:\n got  %s exact=%v residual=%q\n want %s exact=%v residual=%q", c.q, got, tr.Exact, res, c.filter, c.exact, c.residual)
		}
		if !slices.Equal(tr.Residual.Phrases, q.Phrases) {
			t.Errorf("%s: residual phrases %q, want %q", c.q, tr.Residual.Phrases, q.Phrases)
		}
		if !tr.Exact && len(tr.Reasons) == 0 {
			t.Errorf("%s: inexact without a reason", c.q)
		}
	}
}

// The filter queries of the engine conformance suite and a few more: the
// client's translation, evaluated by the loopback server, then the
// residual checked on the results, must find exactly the papers the
// reference matcher allows.
var filterQueries = []string{
	"", "year:2019", "year:2018..2020", "year:2021..", "year:<=2016", "year:>2022", "year:2019 year:2020",
	"-year:2019..2020", "field:cs.CL", `field:"computer science"`, "field:cs.CL,q-bio.GN", `field:="Computer Science"`,
	`field:="computer science"`, "category:CS.LG", "category:cs.CV category:cs.LG", "category:=cs.CL", "-category:=cs.CL",
	"venue:Nature", `venue:"phys rev d"`, `venue:="Phys. Rev. D"`, `venue:="phys. rev. d"`, "-venue:arXiv",
	"venue:Nature venue:ACL", "author:Doudna", `author:"Yang Liu"`, `author:="Yang Liu"`, `author:="Liu Yang"`,
	`author:="Yang Liu" author:="Ada Lovelace"`, `author:="Yang Liu","Alan Turing"`, "-author:Turing",
	"-author:Turing,Witten", "source:ARXIV", "source:=arxiv", "source:=ARXIV", "id:conf-007", "id:conf-007,conf-012",
	"doi:10.1000/conf.8", "doi:https://doi.org/10.1000/CONF.12", "-source:openalex year:2015..2018",
	`"gene editing"`, `"gene editing" -yeast`, "transformer -arctic", "lattices year:..2020",
	"protein field:Biology -author:Hassabis", `optical "photon recoil"`,
	"-field:Biology", "-field:cs.CL,Physics year:2018..", "-venue:Nature,arXiv", `-venue:"phys rev"`, "-source:arxiv",
	"-category:cs.LG -category:cs.CV", "venue:Nature,Cell source:arxiv", "-year:..2018 -year:2021..",
	`venue:"--"`, `-venue:"--"`, "field:Biology field:q-bio.GN -venue:Nature",
}

func TestFiltersAgreeWithReference(t *testing.T) {
	srv := s3vtest.New(t)
	s := create(t, srv, Config{Dimension: 8})
	papers := enginetest.Papers(t)
	r := rand.New(rand.NewPCG(13, 14))
	var its []Item
	for i := range papers {
		its = append(its, Item{Vec: randVec(r, 8), Paper: &papers[i]})
	}
	if _, err := s.Put(context.Background(), its); err != nil {
		t.Fatal(err)
	}
	exact := 0
	for _, qs := range filterQueries {
		q, err := query.Parse(qs)
		if err != nil {
			t.Fatal(err)
		}
		restr, _ := hybrid.Restrict(q)
		want := enginetest.Match(papers, restr)
		res, tr, err := s.Query(context.Background(), randVec(r, 8), 100, restr)
		if err != nil {
			t.Fatalf("%s: %v", qs, err)
		}
		var got []string
		for _, it := range res {
			got = append(got, it.ID)
		}
		slices.Sort(got)
		for _, id := range want {
			if !slices.Contains(got, id) {
				t.Errorf("%s: the S3 filter lost %s (filter %v)", qs, id, tr.Filter)
			}
		}
		if tr.Exact {
			exact++
			if !slices.Equal(got, want) {
				t.Errorf("%s: exact translation found %v, reference %v", qs, got, want)
			}
			continue
		}
		allowed := enginetest.Match(papers, tr.Residual)
		var checked []string
		for _, id := range got {
			if slices.Contains(allowed, id) {
				checked = append(checked, id)
			}
		}
		if !slices.Equal(checked, want) {
			t.Errorf("%s: after the residual %q: %v, reference %v", qs, tr.Residual.String(), checked, want)
		}
	}
	t.Logf("%d of %d filter queries translated exactly", exact, len(filterQueries))
	if exact < len(filterQueries)/2 {
		t.Errorf("only %d exact", exact)
	}
}
