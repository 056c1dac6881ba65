package cli

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quire-research/quire/search"
)

// vignettes is the shared folder of real PDFs, or a skip.
func vignettes(t *testing.T) string {
	t.Helper()
	dir := repoFile(t, "../shared/data/r-vignettes-pdf/pdfs")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared/data/r-vignettes-pdf is absent: the PDF ingest tests need its real PDFs")
	}
	if raceDetector {
		t.Skip("starts PDFium, a minute under -race: .ci/run runs it without -race (go test ./ui/cli -run TestIngestPDF)")
	}
	return dir
}

// A folder of PDFs ingests with each PDF's own title and text; a
// Zotero-style .bib pointing at the same PDFs gives the library's
// metadata with the PDFs' text, and names its bad entry by line.
func TestIngestPDFFolderAndLibrary(t *testing.T) {
	src := vignettes(t)
	home := t.TempDir()
	papers := filepath.Join(home, "papers")
	if err := os.MkdirAll(papers, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"zoo--zoo.pdf", "sandwich--sandwich.pdf"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(papers, f)); err != nil {
			t.Fatal(err)
		}
	}
	if r := quire(t, home, "ingest", papers); r.code != 0 || !strings.Contains(r.stdout, "2 papers written") {
		t.Fatalf("ingest folder: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := quire(t, home, "search", "--mode", "bm25", "--no-server", "heteroskedasticity consistent covariance")
	if r.code != 0 || !strings.Contains(r.stdout, "Econometric Computing with HC and HAC Covariance Matrix Estimators") ||
		!strings.Contains(r.stdout, "sandwich--sandwich") {
		t.Fatalf("search the PDFs' text: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	lib := filepath.Join(home, "lib.bib")
	bib := `@article{zeileis2004zoo,
  title = {zoo: {S3} Infrastructure for Regular and Irregular Time Series},
  author = {Zeileis, Achim and Grothendieck, G{\'a}bor},
  journal = {Journal of Statistical Software},
  year = {2005},
  keywords = {time series, R},
  file = {Full Text PDF:` + filepath.Join(papers, "zoo--zoo.pdf") + `:application/pdf}
}

@article{broken,
  title = {Missing its closing brace,
  year = {2001}

@article{zeileis2004sandwich,
  title = {Econometric Computing with {HC} and {HAC} Covariance Matrix Estimators},
  author = {Zeileis, Achim},
  journal = {Journal of Statistical Software},
  year = {2004},
  file = {:papers/sandwich--sandwich.pdf:PDF}
}
`
	if err := os.WriteFile(lib, []byte(bib), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := t.TempDir()
	r = quire(t, fresh, "ingest", lib)
	if !strings.Contains(r.stdout, "2 papers written") || !strings.Contains(r.stderr, "lib.bib:10") {
		t.Fatalf("ingest library: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = quire(t, fresh, "search", "--mode", "bm25", "--no-server", "--json", "irregular time series index")
	for _, want := range []string{"zeileis2004zoo", "Gábor Grothendieck", "Journal of Statistical Software", "time series"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("library search lacks %q:\n%.2000s", want, r.stdout)
		}
	}
	r = quire(t, fresh, "search", "--mode", "bm25", "--no-server", "--json", "Newey-West kernel HAC estimators bandwidth")
	if !strings.Contains(r.stdout, "zeileis2004sandwich") {
		t.Errorf("the attached PDF's body text is not searchable:\n%.1500s", r.stdout)
	}
}

// A PDF copied into a watched folder becomes searchable by its body
// text, and removing it removes the paper.
func TestIngestPDFWatch(t *testing.T) {
	src := vignettes(t)
	home, dir := t.TempDir(), t.TempDir()
	seedFolder(t, dir, 60, rand.New(rand.NewPCG(3, 4)))
	startWatch(t, home, dir)
	r := reader{t, indexDirOf(home)}
	data, err := os.ReadFile(filepath.Join(src, "sandwich--sandwich.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandwich.pdf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r.eventually("heteroskedasticity", "sandwich")
	if err := os.Remove(filepath.Join(dir, "sandwich.pdf")); err != nil {
		t.Fatal(err)
	}
	r.eventually("heteroskedasticity")
}

// A watched Zotero-style folder: the library's entries are the papers,
// with their attached PDFs' text, and an attached PDF is no paper of its
// own. Editing the library re-reads it: a new title (the text kept), a
// PDF newly attached, a bad entry saved mid-edit (nothing deleted), and
// an entry gone (its PDF a paper of its own again).
func TestIngestPDFWatchLibrary(t *testing.T) {
	src := vignettes(t)
	home, dir := t.TempDir(), t.TempDir()
	seedFolder(t, dir, 60, rand.New(rand.NewPCG(7, 8)))
	for from, to := range map[string]string{"zoo--zoo.pdf": "zoo.pdf", "sandwich--sandwich.pdf": "sandwich.pdf"} {
		data, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "files", to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zoo := func(title string) string {
		return "@article{zeileis2004zoo,\n  title = {" + title + "},\n  author = {Zeileis, Achim},\n  year = {2005},\n  file = {:files/zoo.pdf:PDF}\n}\n"
	}
	sandwich := func(title string) string {
		return "@article{zeileis2006sandwich,\n  title = {" + title + "},\n  year = {2006},\n  file = {files/sandwich.pdf}\n}\n"
	}
	lib := filepath.Join(dir, "lib.bib")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(lib, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(zoo("Zookeeping for time series"))
	w := startWatch(t, home, dir)
	r := reader{t, indexDirOf(home)}
	r.eventually("zookeeping", "zeileis2004zoo")
	r.eventually("zooreg", "zeileis2004zoo")
	r.eventually("heteroskedasticity", "files/sandwich")

	write(zoo("A menagerie of time series") + "\n" + sandwich("Sandwich estimators"))
	r.eventually("menagerie", "zeileis2004zoo")
	r.eventually("zookeeping")
	r.eventually("zooreg", "zeileis2004zoo") // the text, kept from the index
	r.eventually("heteroskedasticity", "zeileis2006sandwich")

	// Mid-edit: the zoo entry cut, a broken one pasted. Nothing goes, and
	// zoo.pdf does not become a paper of its own meanwhile.
	write("@article{broken,\n  title = {No closing brace,\n\n" + sandwich("Carnival of estimators"))
	r.eventually("carnival", "zeileis2006sandwich")
	w.waitErr(t, "lib.bib:1")
	if got, _ := r.ids("menagerie", search.ModeBM25); !slices.Equal(got, []string{"zeileis2004zoo"}) {
		t.Errorf("a bad entry in the library deleted the others: menagerie finds %v", got)
	}
	if got, _ := r.ids("zooreg", search.ModeBM25); !slices.Equal(got, []string{"zeileis2004zoo"}) {
		t.Errorf("while the library has a bad entry its attachments must stay its own: zooreg finds %v", got)
	}

	write(sandwich("Carnival of estimators"))
	r.eventually("menagerie")
	r.eventually("zooreg", "files/zoo")
	r.eventually("heteroskedasticity", "zeileis2006sandwich")
}
