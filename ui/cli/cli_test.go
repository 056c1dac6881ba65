package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

type runResult struct {
	code           int
	stdout, stderr string
}

// quire runs the CLI in-process with an isolated XDG environment.
func quire(t *testing.T, home string, args ...string) runResult {
	t.Helper()
	envs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME":   filepath.Join(home, "data"),
		"XDG_CACHE_HOME":  filepath.Join(home, "cache"),
		"NO_COLOR":        "1",
	}
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return envs[k] })
	return runResult{code, out.String(), errb.String()}
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIngestReportsBadRecordsAndKeepsGoodOnes(t *testing.T) {
	home := t.TempDir()
	bad := repoFile(t, "testdata/cli/bad.jsonl")
	r := quire(t, home, "ingest", bad)
	if r.code != exitSkipped { // finished, with bad records skipped
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitSkipped, r.stdout, r.stderr)
	}
	// Each bad line is named with file:line and the problem.
	for _, want := range []string{
		"bad.jsonl:3:",      // malformed JSON
		"bad.jsonl:4: id",   // missing id
		"bad.jsonl:5: year", // wrong type
		"bad.jsonl:6: id: duplicate \"ok-1\" (first at", // duplicate
		"bad.jsonl:9: not valid UTF-8",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "4 papers written, 5 skipped") {
		t.Errorf("summary wrong:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "abstract: empty 1") {
		t.Errorf("warning summary missing:\n%s", r.stdout)
	}

	// The good records are searchable, with facets, as JSON.
	r = quire(t, home, "search", "--json", "attention transformer")
	if r.code != 0 {
		t.Fatalf("search exit %d: %s", r.code, r.stderr)
	}
	var res search.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("search --json: %v\n%s", err, r.stdout)
	}
	if len(res.Hits) == 0 || res.Hits[0].ID != "ok-1" || res.Hits[0].Paper.Title != "Attention is all you need" {
		t.Fatalf("hits: %+v", res.Hits)
	}
	if len(res.Facets) == 0 {
		t.Fatal("no facets in --json output")
	}

	// Filters from the query language, human output with marked snippets.
	r = quire(t, home, "search", "halos", "year:..1990", "field:physics")
	if r.code != 0 || !strings.Contains(r.stdout, "Dark matter halos") || !strings.Contains(r.stdout, "‹halos›") {
		t.Fatalf("filtered search:\n%s\n%s", r.stdout, r.stderr)
	}

	// A second run finds the checkpoint and reads nothing.
	r = quire(t, home, "ingest", bad)
	if r.code != 0 || !strings.Contains(r.stdout, "already ingested") {
		t.Fatalf("re-ingest:\n%s\n%s", r.stdout, r.stderr)
	}
	r = quire(t, home, "stats")
	if r.code != 0 || !strings.Contains(r.stdout, "papers:   4") || !strings.Contains(r.stdout, "complete") {
		t.Fatalf("stats:\n%s\n%s", r.stdout, r.stderr)
	}
}

func TestSearchSyntaxErrorNamesColumn(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home, "search", "crispr year:20x8")
	if r.code == 0 || !strings.Contains(r.stderr, "column 13") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestSearchWithoutIndexSaysWhatToDo(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home, "search", "anything")
	if r.code == 0 || !strings.Contains(r.stderr, "quire ingest") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestEvalComparesModes evaluates a collection big enough to learn an
// embedder from, on a named split, and checks hybrid is compared with
// each single mode over the same queries.
func TestEvalComparesModes(t *testing.T) {
	dir := t.TempDir()
	topics := [][]string{
		{"protein", "folding", "enzyme", "amino", "residue"},
		{"galaxy", "cluster", "redshift", "stellar", "halo"},
		{"neural", "network", "gradient", "training", "layer"},
		{"soil", "nitrogen", "crop", "yield", "irrigation"},
	}
	var corpus, queries, train strings.Builder
	qrels := "query-id\tcorpus-id\tscore\n"
	trainQrels := qrels
	for i := range 80 {
		tp := topics[i%len(topics)]
		words := []string{}
		for j := range 30 {
			words = append(words, tp[(i+j*j)%len(tp)])
		}
		fmt.Fprintf(&corpus, `{"_id": "d%d", "title": "%s %s", "text": "%s"}`+"\n", i, tp[i%5], tp[(i+2)%5], strings.Join(words, " "))
	}
	for k, tp := range topics {
		fmt.Fprintf(&queries, `{"_id": "q%d", "text": "%s %s"}`+"\n", k, tp[0], tp[1])
		fmt.Fprintf(&train, `{"_id": "t%d", "text": "%s %s"}`+"\n", k, tp[2], tp[3])
		for i := k; i < 80; i += len(topics) * 5 {
			qrels += fmt.Sprintf("q%d\td%d\t1\n", k, i)
			trainQrels += fmt.Sprintf("t%d\td%d\t1\n", k, i)
		}
	}
	for name, body := range map[string]string{"corpus.jsonl": corpus.String(), "queries.jsonl": queries.String(), "qrels.tsv": qrels,
		"train-queries.jsonl": train.String(), "train-qrels.tsv": trainQrels} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	r := quire(t, home, "eval", "--json", "--split", "train", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var out []evalResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(out) != 3 || out[2].Mode != "hybrid" || !strings.HasSuffix(out[2].Collection, "/train") {
		t.Fatalf("want bm25, vector and hybrid on the train split, got %+v", out)
	}
	vs := out[2].Versus
	if len(vs) != 2 || vs[0].B != "bm25" || vs[1].B != "vector" || vs[0].Queries != 4 {
		t.Fatalf("comparisons %+v", vs)
	}
	// The difference is the difference of the two modes' means.
	want := out[2].Report.NDCG10 - out[0].Report.NDCG10
	if d := vs[0].NDCG10.Mean - want; d > 1e-9 || d < -1e-9 || vs[0].NDCG10.Lo > vs[0].NDCG10.Mean || vs[0].NDCG10.Hi < vs[0].NDCG10.Mean {
		t.Errorf("hybrid − bm25 %+v, want mean %.4f inside its interval", vs[0].NDCG10, want)
	}
	if out[0].Report.PerQuery != nil {
		t.Error("per-query scores printed without --per-query")
	}

	r = quire(t, home, "eval", dir, "--mode", "bm25")
	if r.code != 0 || strings.Contains(r.stdout, "95% interval") || !strings.Contains(r.stdout, "(bm25)") {
		t.Errorf("one mode compares nothing:\n%s\n%s", r.stdout, r.stderr)
	}
	r = quire(t, home, "eval", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "hybrid − vector") || !strings.Contains(r.stdout, "95% interval") {
		t.Errorf("text output lacks the comparison table:\n%s\n%s", r.stdout, r.stderr)
	}
}

func TestEvalOnFixture(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home, "eval", "--json", repoFile(t, "testdata/corpus/beir"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var out []evalResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(out) != 1 || out[0].Report.Queries == 0 || out[0].Papers != 3 {
		t.Fatalf("eval result: %+v", out)
	}
	// The temporary index is gone and the user's index untouched.
	if _, err := os.Stat(filepath.Join(home, "data", "quire", "index")); err == nil {
		t.Fatal("eval wrote into the default index")
	}
}

func TestHelpListsCommands(t *testing.T) {
	r := quire(t, t.TempDir())
	for _, c := range []string{"demo", "ingest", "search", "stats", "eval", "gen", "bench"} {
		if !strings.Contains(r.stdout, "  "+c+" ") {
			t.Errorf("help lacks %s:\n%s", c, r.stdout)
		}
	}
}

// 'ingest --retrain' needs no source: it learns the local embedder again
// from the papers already indexed and re-embeds them; stats names the model.
func TestIngestRetrain(t *testing.T) {
	home := t.TempDir()
	corpusPath := filepath.Join(home, "synth.jsonl")
	for _, args := range [][]string{
		{"gen", "--papers", "400", "-o", corpusPath},
		{"ingest", corpusPath},
		{"ingest", "--retrain"},
	} {
		r := quire(t, home, args...)
		if r.code != 0 {
			t.Fatalf("quire %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		if args[1] == "--retrain" && (!strings.Contains(r.stderr, "learn embedder") || !strings.Contains(r.stderr, "embedder unchanged")) {
			t.Errorf("--retrain on the papers the model was learned from should learn it again and find it unchanged:\n%s", r.stderr)
		}
	}
	r := quire(t, home, "stats")
	if !strings.Contains(r.stdout, "vectors:  400 by local:lsa+ppmi-256-") {
		t.Errorf("stats after retraining:\n%s\n%s", r.stdout, r.stderr)
	}
	if r := quire(t, home, "ingest"); r.code == 0 || !strings.Contains(r.stderr, "SOURCE") {
		t.Errorf("ingest with neither a source nor --retrain: exit %d\n%s", r.code, r.stderr)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	limit := fs.Int("limit", 10, "")
	asJSON := fs.Bool("json", false, "")
	mode := fs.String("mode", "", "")
	pos, err := parseInterleaved(fs, []string{"neural", "--limit", "3", "-review", "--json", "year:2020", "-mode=bm25", "-", "--", "--limit"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"neural", "-review", "year:2020", "-", "--limit"}; !slices.Equal(pos, want) {
		t.Errorf("positional %q, want %q", pos, want)
	}
	if *limit != 3 || !*asJSON || *mode != "bm25" {
		t.Errorf("limit %d, json %v, mode %q", *limit, *asJSON, *mode)
	}
	for _, bad := range [][]string{{"x", "--nope"}, {"x", "--limit"}, {"x", "--limit", "many"}} {
		if _, err := parseInterleaved(fs, bad); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
	// End to end: a flag after the query is a flag, not query text.
	r := quire(t, t.TempDir(), "search", "crispr", "--help")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "usage: quire search") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// 'gen --full-text' writes bodies, and 'bench --full-text' times searches
// that return passages, for title words and for body sentences, with the
// known-item share of the sentences.
func TestGenAndBenchFullText(t *testing.T) {
	home := t.TempDir()
	r := quire(t, home, "gen", "--full-text", "--papers", "3")
	if r.code != 0 || strings.Count(r.stdout, `"full_text":"1 Introduction\n\n`) != 3 {
		t.Fatalf("gen --full-text: exit %d\n%.500s\n%s", r.code, r.stdout, r.stderr)
	}
	r = quire(t, home, "bench", "--full-text", "--papers", "100", "--queries", "3", "--json")
	if r.code != 0 {
		t.Fatalf("bench --full-text: exit %d\n%s", r.code, r.stderr)
	}
	var res benchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	for _, name := range []string{"bm25+passages", "bm25+passages (sentence)"} {
		l, ok := res.Latency[name]
		if !ok || l.Queries == 0 || l.Queries > 3 || l.P50 <= 0 {
			t.Errorf("%s: %+v (present %v), want up to 3 timed queries", name, l, ok)
		}
		if l.First < 0 || l.First > 1 {
			t.Errorf("%s: known-item share %v", name, l.First)
		}
	}
	if l := res.Latency["bm25+passages (sentence)"]; l.First == 0 {
		t.Errorf("no body sentence found its own paper first among 100: %+v", l)
	}
	if f := res.Latency["bm25"].First; f != 0 {
		t.Errorf("title-word queries have no known item, yet First is %v", f)
	}
}

// A folder with a JSONL at its top is read as a dump. When that JSONL
// holds no paper (a dataset's ground truth beside its PDFs), the error
// says how to read the folder's own files, and a rerun fails as the first
// run did instead of calling the file ingested.
func TestIngestFolderWithBadJSONLSaysHowToReadItsFiles(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	truth := `{"file": "a.md", "latex_title": "A"}` + "\n" + `{"file": "b.md", "latex_title": "B"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "truth.jsonl"), []byte(truth), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte("# Dark matter halos\n\nRotation curves of galaxies.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := quire(t, home, "ingest", dir)
	if r.code == 0 || !strings.Contains(r.stderr, "truth.jsonl:2: id") ||
		!strings.Contains(r.stderr, "all 2 records read were bad") || !strings.Contains(r.stderr, "--format folder reads its PDF, Markdown and text files") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = quire(t, home, "ingest", dir)
	if r.code == 0 || strings.Contains(r.stdout, "already ingested") || !strings.Contains(r.stderr, "already read, and all 2 of its records were bad") {
		t.Fatalf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = quire(t, home, "ingest", "--format", "folder", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "1 paper written") {
		t.Fatalf("--format folder: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = quire(t, home, "search", "halos")
	if r.code != 0 || !strings.Contains(r.stdout, "Dark matter halos") {
		t.Fatalf("search: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// A library whose entries each miss their PDF names every entry with its
// line as it goes, says the path once, and keeps the summary to a few
// kinds; a bad entry is one "bad record", not "1 bad records".
func TestIngestLibraryNamesEachMissingAttachment(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	var bib strings.Builder
	for i := range 7 {
		fmt.Fprintf(&bib, "@article{e%d,\n  title = {Entry %d},\n  file = {%s}\n}\n\n", i, i, filepath.Join(dir, fmt.Sprintf("gone-%d.pdf", i)))
	}
	bib.WriteString("@article{broken,\n  title = {No closing brace,\n}\n")
	lib := filepath.Join(dir, "lib.bib")
	if err := os.WriteFile(lib, []byte(bib.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := quire(t, home, "ingest", lib)
	if r.code != exitSkipped || !strings.Contains(r.stdout, "7 papers written") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for i := range 7 {
		want := fmt.Sprintf("warn %s:%d: attachment %s: no such file or directory", lib, 1+5*i, filepath.Join(dir, fmt.Sprintf("gone-%d.pdf", i)))
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "open "+dir) {
		t.Error("a missing attachment's path is said twice")
	}
	// 7 missing files and one empty abstract kind: 5 named, 3 counted.
	if !strings.Contains(r.stdout, "and 3 of 3 other kinds") {
		t.Errorf("summary does not cap its kinds:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "finished with 1 bad record skipped (7 papers written)") {
		t.Errorf("closing line:\n%s", r.stderr)
	}
}

// One paper file on the command line is read as a paper, not as JSONL;
// each file is a source of its own, and its ID is the one its folder
// gives it, so ingesting the folder later adds no duplicate.
func TestIngestOnePaperFile(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{
		"halos.md":  "# Dark matter halos\n\nRotation curves of galaxies.\n",
		"lenses.md": "# Weak lensing maps\n\nShear of background galaxies.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"halos.md", "lenses.md"} {
		r := quire(t, home, "ingest", filepath.Join(dir, name))
		if r.code != 0 || !strings.Contains(r.stdout, "1 paper written") {
			t.Fatalf("ingest %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, r.code, r.stdout, r.stderr)
		}
	}
	if r := quire(t, home, "ingest", dir); r.code != 0 {
		t.Fatalf("ingest the folder: exit %d\n%s", r.code, r.stderr)
	}
	r := quire(t, home, "search", "--json", "galaxies")
	var res struct {
		Total int
		Hits  []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if res.Total != 2 || len(res.Hits) != 2 || res.Hits[0].ID == res.Hits[1].ID {
		t.Fatalf("want the two papers once each: %+v", res)
	}
	for _, h := range res.Hits {
		if h.ID != "halos" && h.ID != "lenses" {
			t.Errorf("ID %q is not the folder's", h.ID)
		}
	}
	if r := quire(t, t.TempDir(), "ingest", "--format", "jsonl", filepath.Join(dir, "halos.md")); r.code == 0 {
		t.Error("--format jsonl should still read the file as JSONL (and fail)")
	}
}

// A file of some other kind is read as JSONL, the default for a file; when
// nothing in it was a paper the error says which files Quire reads.
func TestIngestOtherFileSaysWhatIsRead(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	page := filepath.Join(dir, "page.html")
	if err := os.WriteFile(page, []byte("<html><body>hi</body></html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const hint = "was read as JSONL, the default for a file: Quire reads JSONL dumps (.jsonl, .jsonl.gz), papers (.pdf, .md, .txt)"
	r := quire(t, home, "ingest", page)
	if r.code == 0 || !strings.Contains(r.stderr, "no papers written: the one record read was bad") || !strings.Contains(r.stderr, hint) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r = quire(t, home, "ingest", page)
	if r.code == 0 || !strings.Contains(r.stderr, "already read, and its one record was bad") || !strings.Contains(r.stderr, hint) {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	// A dump named as one gets no hint: its records were simply bad.
	dump := filepath.Join(dir, "dump.jsonl")
	if err := os.WriteFile(dump, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := quire(t, home, "ingest", dump); r.code == 0 || strings.Contains(r.stderr, "default for a file") {
		t.Fatalf("jsonl: exit %d\n%s", r.code, r.stderr)
	}
}
