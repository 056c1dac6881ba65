package corpus

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line, want string
	}{
		{`{"_id":"1","title":"t","text":"x"}`, FormatBEIR},
		{`{"id":"https://openalex.org/W1","title":"t"}`, FormatOpenAlex},
		{`{"id":"W1","abstract_inverted_index":null}`, FormatOpenAlex},
		{`{"id":"0704.0001","authors_parsed":[]}`, FormatArxiv},
		{`{"id":"0704.0001","versions":[]}`, FormatArxiv},
		{`{"id":"x","journal-ref":null}`, FormatArxiv},
		{`{"id":"2503.11677","title":"t","categories":["cs.CV"]}`, FormatJSONL},
		{`not json`, FormatJSONL},
		{`[]`, FormatJSONL},
	}
	for _, tc := range cases {
		if got := DetectFormat([]byte(tc.line)); got != tc.want {
			t.Errorf("DetectFormat(%s) = %s, want %s", tc.line, got, tc.want)
		}
	}
}

func TestOpenJSONL(t *testing.T) {
	t.Parallel()
	gz := writeTemp(t, "works.jsonl.gz", gzipBytes(t, []byte("\n  \n"+firstFixtureLine(t, "openalex.jsonl")+"\n")))
	cases := []struct {
		name, path, format, source string
		wantSource                 string
	}{
		{"auto beir", corpusFixture("beir", "corpus.jsonl"), "", "", "beir"},
		{"auto arxiv", corpusFixture("arxiv-snapshot.jsonl"), FormatAuto, "", "arxiv"},
		{"auto openalex through gzip and blank lines", gz, FormatAuto, "", "openalex"},
		{"auto generic", corpusFixture("mapped.jsonl"), "", "", "mapped"},
		{"explicit label", corpusFixture("mapped.jsonl"), FormatJSONL, "mine", "mine"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, err := OpenJSONL([]string{tc.path}, tc.format, nil, tc.source)
			if err != nil {
				t.Fatal(err)
			}
			recs, errs := jsonlCollect(t, src, Cursor{})
			if len(errs) > 0 || len(recs) == 0 {
				t.Fatalf("%d records, errors %v", len(recs), errs)
			}
			if got := recs[0].Paper.Source; got != tc.wantSource {
				t.Errorf("source %q, want %q", got, tc.wantSource)
			}
		})
	}
}

func firstFixtureLine(t *testing.T, name string) string {
	line, err := firstLine(corpusFixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(line)
}

func TestOpenJSONLErrors(t *testing.T) {
	t.Parallel()
	fm := FieldMap{"title": "t"}
	cases := []struct {
		name   string
		paths  []string
		format string
		fm     FieldMap
		says   string
	}{
		{"no paths", nil, "", nil, "no input"},
		{"missing file", []string{filepath.Join(t.TempDir(), "nope.jsonl")}, "", nil, "nope.jsonl"},
		{"unknown format", []string{corpusFixture("mapped.jsonl")}, "csv", nil, `unknown format "csv"`},
		{"map with arxiv", []string{corpusFixture("mapped.jsonl")}, FormatArxiv, fm, "field map applies only"},
		{"bad map field", []string{corpusFixture("mapped.jsonl")}, FormatJSONL, FieldMap{"titel": "t"}, `unknown field "titel"`},
	}
	for _, tc := range cases {
		_, err := OpenJSONL(tc.paths, tc.format, tc.fm, "")
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error %v, want one saying %s", tc.name, err, tc.says)
		}
	}
}

func TestParseFieldMap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec string
		want FieldMap
		err  string
	}{
		{"title=t,abstract=summary,venue=journal.name", FieldMap{"title": "t", "abstract": "summary", "venue": "journal.name"}, ""},
		{" id = paper.id , , venue= ", FieldMap{"id": "paper.id", "venue": ""}, ""},
		{"", FieldMap{}, ""},
		{"title", nil, "want field=key"},
		{"name=t", nil, `unknown field "name"`},
		{"title=a,title=b", nil, "mapped twice"},
	}
	for _, tc := range cases {
		got, err := ParseFieldMap(tc.spec)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFieldMap(%q) error %v, want %s", tc.spec, err, tc.err)
			}
		case err != nil:
			t.Errorf("ParseFieldMap(%q): %v", tc.spec, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("ParseFieldMap(%q) = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func TestMappedDecoderPaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		spec string
		line string
		want Paper
	}{
		{"nested and renamed", "id=meta.ident,title=t,abstract=summary,venue=journal.name",
			`{"meta":{"ident":"x1"},"t":"Title","summary":"Sum.","journal":{"name":"JMLR"},"abstract":"ignored"}`,
			Paper{ID: "x1", Title: "Title", Abstract: "Sum.", Venue: "JMLR", Source: "s"}},
		{"through a list", "authors=authorships.author.display_name,categories=topics.name",
			`{"id":"w","title":"T","authorships":[{"author":{"display_name":"A"}},{"author":null},{"author":{"display_name":"B"}}],"topics":[{"name":"X"},{"name":"Y"}]}`,
			Paper{ID: "w", Title: "T", Authors: []string{"A", "B"}, Categories: []string{"X", "Y"}, Source: "s"}},
		{"list index", "title=titles.0.value",
			`{"id":"w","titles":[{"value":"First"},{"value":"Second"}]}`,
			Paper{ID: "w", Title: "First", Source: "s"}},
		{"literal dotted key wins", "title=dc.title",
			`{"id":"w","dc.title":"Literal","dc":{"title":"Nested"}}`,
			Paper{ID: "w", Title: "Literal", Source: "s"}},
		{"field turned off", "venue=,year=",
			`{"id":"w","title":"T","venue":"V","year":"garbage"}`,
			Paper{ID: "w", Title: "T", Source: "s"}},
		{"record source wins", "source=origin",
			`{"id":"w","title":"T","origin":"pubmed"}`,
			Paper{ID: "w", Title: "T", Source: "pubmed"}},
		{"escapes and unicode", "",
			`{"id":"w\u00e9","title":"Caf\u00e9 \"quoted\" \ud83d\ude00","authors":"M\u00fcller, K. and Smith, J."}`,
			Paper{ID: "wé", Title: `Café "quoted" 😀`, Authors: []string{"Müller, K.", "Smith, J."}, Source: "s"}},
		{"duplicate key: last wins", "",
			`{"id":"w","title":"first","title":"second"}`,
			Paper{ID: "w", Title: "second", Source: "s"}},
		{"nulls", "",
			`{"id":"w","title":"T","abstract":null,"authors":[null,"A"],"year":null,"venue":null,"categories":null}`,
			Paper{ID: "w", Title: "T", Authors: []string{"A"}, Source: "s"}},
		{"arxiv string authors", "",
			`{"id":"w","title":"T","authors":"A. One, B. Two, and C. Three"}`,
			Paper{ID: "w", Title: "T", Authors: []string{"A. One", "B. Two", "C. Three"}, Source: "s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fm, err := ParseFieldMap(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			dec := mustMapped(t, fm, "s")
			p, err := dec([]byte(tc.line))
			if err != nil {
				t.Fatal(err)
			}
			p.Normalize()
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("got  %#v\nwant %#v", p, tc.want)
			}
		})
	}
}

func TestReadQueriesAndQrels(t *testing.T) {
	t.Parallel()
	qs, err := ReadQueries(corpusFixture("beir", "queries.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Query{{"q1", "what similarity laws must be obeyed ?"}, {"q2", "shear flow past a plate"},
		{"q3", "a query nobody judged"}, {"q4", "Title-only query"}}
	if !reflect.DeepEqual(qs, want) {
		t.Errorf("queries %+v", qs)
	}
	qr, err := ReadQrels(corpusFixture("beir", "qrels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	wantQr := Qrels{"q1": {"d1": 2, "d2": 1}, "q2": {"d2": 1}, "q4": {"3": 1}, "q9": {"d1": 1}}
	if !reflect.DeepEqual(qr, wantQr) {
		t.Errorf("qrels %v", qr)
	}
	trec, err := ReadQrels(writeTemp(t, "trec.txt", []byte("301 0 FBIS3-10082 1\n301 0 FBIS3-10169 0\n301 0 FBIS3-10243 2\n")))
	if err != nil || !reflect.DeepEqual(trec, Qrels{"301": {"FBIS3-10082": 1, "FBIS3-10243": 2}}) {
		t.Errorf("TREC qrels %v, %v", trec, err)
	}
	gz, err := ReadQrels(writeTemp(t, "q.tsv.gz", gzipBytes(t, []byte("q\td\t3\n"))))
	if err != nil || gz["q"]["d"] != 3 {
		t.Errorf("gzip qrels %v, %v", gz, err)
	}
}

func TestReadEvalErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		qrels      bool
		says       string
	}{
		{"query bad json", `{"_id":"1","text":"ok"}` + "\n" + `{"_id":`, false, ":2: invalid JSON"},
		{"query no id", `{"text":"x"}`, false, ":1: id: missing"},
		{"query empty", `{"_id":"1","text":"  "}`, false, ":1: text: empty"},
		{"query duplicate", `{"_id":"1","text":"a"}` + "\n\n" + `{"_id":"1","text":"b"}`, false, `:3: id: duplicate query id "1" (first on line 1)`},
		{"query text object", `{"_id":"1","text":{}}`, false, `:1: text: JSON key "text"`},
		{"qrels columns", "q\td\n", true, ":1: want 3 columns"},
		{"qrels score", "query-id\tcorpus-id\tscore\nq\td\thigh\n", true, `:2: score "high" is not an integer`},
	}
	for _, tc := range cases {
		path := writeTemp(t, "f", []byte(tc.data))
		var err error
		if tc.qrels {
			_, err = ReadQrels(path)
		} else {
			_, err = ReadQueries(path)
		}
		if err == nil || !strings.HasPrefix(err.Error(), path+tc.says) {
			t.Errorf("%s: error %v, want %s%s", tc.name, err, path, tc.says)
		}
	}
}

func TestOpenBEIR(t *testing.T) {
	t.Parallel()
	c, err := OpenBEIR(corpusFixture("beir") + string(filepath.Separator))
	if err != nil {
		t.Fatal(err)
	}
	// q3 has no judgments and q9 no query: both are dropped.
	if c.Name != "beir" || len(c.Queries) != 3 || len(c.Qrels) != 3 || c.Qrels["q9"] != nil {
		t.Errorf("collection %+v", c)
	}
	recs, errs := jsonlCollect(t, c.Corpus, Cursor{})
	if len(recs) != 3 || len(errs) != 0 || recs[0].Paper.Source != "beir" {
		t.Errorf("corpus: %d records, errors %v", len(recs), errs)
	}

	// Only a qrels/ folder: test.tsv is preferred over dev and train.
	c, err = OpenBEIR(corpusFixture("beir-split"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(c.QrelsPath) != "test.tsv" || len(c.Queries) != 1 || c.Queries[0].ID != "t1" || !reflect.DeepEqual(c.Qrels, Qrels{"t1": {"a": 1}}) {
		t.Errorf("split collection %+v", c)
	}

	if _, err := OpenBEIR(t.TempDir()); err == nil || !strings.Contains(err.Error(), "corpus.jsonl") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestOpenBEIRSplit(t *testing.T) {
	t.Parallel()
	// BEIR's layout: one queries.jsonl, judgments per split in qrels/.
	for split, want := range map[string]Qrels{"train": {"v1": {"a": 1}}, "dev": {"v1": {"b": 1}}} {
		c, err := OpenBEIRSplit(corpusFixture("beir-split"), split)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "beir-split/"+split || len(c.Queries) != 1 || c.Queries[0].ID != "v1" || !reflect.DeepEqual(c.Qrels, want) {
			t.Errorf("%s: %+v", split, c)
		}
		recs, _ := jsonlCollect(t, c.Corpus, Cursor{})
		if len(recs) == 0 || recs[0].Paper.Source != "beir-split" {
			t.Errorf("%s: papers' source %+v, want the folder's name", split, recs)
		}
	}

	// SciFact's layout here: train-queries.jsonl and train-qrels.tsv beside
	// the default files, which a split must not fall back to.
	dir := t.TempDir()
	files := map[string]string{
		"corpus.jsonl":        `{"_id": "a", "title": "A", "text": "x"}` + "\n" + `{"_id": "b", "title": "B", "text": "y"}` + "\n",
		"queries.jsonl":       `{"_id": "d1", "text": "dev"}` + "\n",
		"qrels.tsv":           "query-id\tcorpus-id\tscore\nd1\ta\t1\n",
		"train-queries.jsonl": `{"_id": "r1", "text": "train one"}` + "\n" + `{"_id": "r2", "text": "train two"}` + "\n",
		"train-qrels.tsv":     "query-id\tcorpus-id\tscore\nr1\tb\t1\nr2\ta\t2\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := OpenBEIRSplit(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Queries) != 2 || !reflect.DeepEqual(c.Qrels, Qrels{"r1": {"b": 1}, "r2": {"a": 2}}) || filepath.Base(c.QrelsPath) != "train-qrels.tsv" {
		t.Errorf("train split: %+v", c)
	}
	if _, err := OpenBEIRSplit(dir, "test"); err == nil || !strings.Contains(err.Error(), "test-qrels.tsv") {
		t.Errorf("missing split: %v, want an error naming test-qrels.tsv", err)
	}
	if _, err := OpenBEIRSplit(dir, "../train"); err == nil || !strings.Contains(err.Error(), "plain name") {
		t.Errorf("split with a path: %v", err)
	}
}

func TestSplitLists(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		split func(string) []string
		in    string
		want  []string
	}{
		{"codes", splitCategoryList, "cs.CL  cs.AI\nstat.ML", []string{"cs.CL", "cs.AI", "stat.ML"}},
		{"old archives", splitCategoryList, "hep-th gr-qc", []string{"hep-th", "gr-qc"}},
		{"msc", splitCategoryList, "68T45 05C80", []string{"68T45", "05C80"}},
		{"subject name", splitCategoryList, "Mathematics - Combinatorics", []string{"Mathematics - Combinatorics"}},
		{"keyword phrase", splitCategoryList, "machine learning", []string{"machine learning"}},
		{"keywords", splitCategoryList, "information retrieval; ranking, BM25", []string{"information retrieval", "ranking", "BM25"}},
		{"fields", splitFieldList, "Computer Science, Physics", []string{"Computer Science", "Physics"}},
		{"arxiv authors", splitAuthorList, "C. Bal\\'azs, E. L. Berger,\n P. M. Nadolsky and C.-P. Yuan", []string{"C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"}},
		{"affiliations", splitAuthorList, "A. One (MIT, USA), B. Two (ETH and EPFL)", []string{"A. One (MIT, USA)", "B. Two (ETH and EPFL)"}},
		{"bibtex", splitAuthorList, "Doe, Jane and Roe, Richard and van der Berg, Jan", []string{"Doe, Jane", "Roe, Richard", "van der Berg, Jan"}},
		{"semicolons", splitAuthorList, "Smith, J.; Doe, K.", []string{"Smith, J.", "Doe, K."}},
		{"initials first", splitAuthorList, "A. Name, B. Name and C. Name, D. Name", []string{"A. Name", "B. Name", "C. Name", "D. Name"}},
		{"serial comma", splitAuthorList, "A, B, and C", []string{"A", "B", "C"}},
	}
	for _, tc := range cases {
		if got := tc.split(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: split(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
