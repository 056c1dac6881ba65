package embedded

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/pdf"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/s3vectors/s3vtest"
	"github.com/quire-research/quire/search/weaviate"
)

// A known-item test on the shared real PDFs: a sentence from a paper's
// body must find that paper first, and the hit's best passage must hold
// the sentence. Sentences are drawn at random (fixed seed) from
// paragraphs of 12 to 40 words. Logged, not asserted: a measurement (and
// its latencies, on a machine busy with nothing else).
func TestKnownItemPDFs(t *testing.T) {
	if os.Getenv("QUIRE_MEASURE") == "" {
		t.Skip("a measurement over 110 real PDFs: set QUIRE_MEASURE=1 to run it (QUIRE_MEASURE_S3=1 too: vectors on S3 Vectors; =papers: without passages; QUIRE_MEASURE_WEAVIATE=URL: on a Weaviate engine)")
	}
	dir := filepath.Join(sharedData(t), "r-vignettes-pdf", "pdfs")
	ctx := context.Background()
	ex, err := pdf.New(ctx, pdf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	src, err := corpus.NewFolder(dir, "vignettes")
	if err != nil {
		t.Fatal(err)
	}
	src.PDF = ex.Paper
	var papers []corpus.Paper
	for rec, err := range src.Papers(ctx, corpus.Cursor{}) {
		if err == nil {
			papers = append(papers, rec.Paper)
		}
	}
	var x search.Engine
	if url := os.Getenv("QUIRE_MEASURE_WEAVIATE"); url != "" {
		// The same measurement on a Weaviate engine (another engine, not
		// a half of this one): it shows what its hits carry.
		w, err := weaviate.Open(ctx, weaviate.Options{URL: url, GRPC: os.Getenv("QUIRE_WEAVIATE_GRPC"),
			Collection: "QuireKnownItem", LocalEmbedder: true, Adaptive: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Drop(context.Background()) })
		x = w
	} else if s3 := os.Getenv("QUIRE_MEASURE_S3"); s3 != "" {
		// The vector half on S3 Vectors (the loopback server), passages
		// and all, or ("papers") the papers' own vectors only.
		o := Options{Adaptive: true, NoPassageVectors: s3 == "papers"}
		x = s3Index(t, s3vtest.New(t), filepath.Join(t.TempDir(), "idx"), 256, o)
	} else {
		ix, err := Open(filepath.Join(t.TempDir(), "idx"), Options{LocalEmbedder: true, Adaptive: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		x = ix
	}
	if err := x.Apply(ctx, &search.Batch{Upserts: papers}); err != nil {
		t.Fatal(err)
	}
	switch e := x.(type) {
	case *Index:
		err = e.SyncVectors(ctx, nil)
	case *weaviate.Engine:
		err = e.SyncVectors(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Sentences come from Quire's own text, and, where poppler is
	// installed, from pdftotext's: a sentence as another tool (or a
	// reader copying from a viewer) has it, which need not match Quire's
	// extraction character for character. Its passage is then compared on
	// letters and digits only.
	sources := []knownItemSource{{name: "quire's text", seed: 20, text: func(p corpus.Paper) (string, error) { return p.FullText, nil }, holds: func(passage, s string) bool {
		return strings.Contains(spaced(passage), s)
	}}}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		sources = append(sources, knownItemSource{name: "pdftotext's text", seed: 7, text: func(p corpus.Paper) (string, error) {
			out, err := exec.Command("pdftotext", filepath.Join(dir, p.ID+".pdf"), "-").Output()
			return strings.ReplaceAll(string(out), "-\n", ""), err
		}, holds: func(passage, s string) bool { return strings.Contains(alnum(passage), alnum(s)) }})
	} else {
		t.Log("pdftotext not on PATH (Debian: poppler-utils): sentences from Quire's own text only")
	}
	for _, src := range sources {
		knownItems(t, x, papers, src)
	}
	knownTitles(t, x, filepath.Join(filepath.Dir(dir), "papers.jsonl"))
}

// knownTitles searches each LaTeX title of the ground truth as a query:
// what the quotation rule must leave alone, since a long title is as
// many words in order as a sentence.
func knownTitles(t *testing.T, x search.Engine, truth string) {
	f, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	latex := strings.NewReplacer(`\\`, " ", "{", "", "}", "", "~", " ", `\`, "")
	dec := json.NewDecoder(f)
	type entry struct{ id, title string }
	var titles []entry
	for {
		var e struct {
			File  string `json:"file"`
			Title string `json:"latex_title"`
		}
		if err := dec.Decode(&e); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", truth, err)
		}
		if e.Title != "" {
			titles = append(titles, entry{strings.TrimSuffix(filepath.Base(e.File), ".pdf"), spaced(latex.Replace(e.Title))})
		}
	}
	for _, mode := range []string{search.ModeBM25, search.ModeHybrid} {
		first := 0
		for _, e := range titles {
			req, err := search.NewRequest(e.title, 10)
			if err != nil {
				continue
			}
			req.Mode, req.Passages = mode, true
			res, err := x.Search(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) > 0 && res.Hits[0].ID == e.id {
				first++
			}
		}
		t.Logf("LaTeX titles, %s: %d of %d first", mode, first, len(titles))
	}
}

// knownItemSource is where TestKnownItemPDFs draws its sentences from.
type knownItemSource struct {
	name  string
	seed  uint64
	text  func(corpus.Paper) (string, error)
	holds func(passage, sentence string) bool
}

func knownItems(t *testing.T, x search.Engine, papers []corpus.Paper, src knownItemSource) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(src.seed, 26))
	sentence := regexp.MustCompile(`[A-Z][^.!?]{60,240}[.!?]`)
	for _, mode := range []string{search.ModeBM25, search.ModeHybrid, search.ModeVector} {
		var n, first, inPassage int
		var took []time.Duration
		for _, p := range papers {
			text, err := src.text(p)
			if err != nil {
				t.Fatalf("%s: %v", p.ID, err)
			}
			cands := sentence.FindAllString(text, -1)
			for range min(3, len(cands)) {
				s := spaced(cands[rng.IntN(len(cands))])
				if w := len(strings.Fields(s)); w < 12 || w > 40 {
					continue
				}
				q := strings.NewReplacer(`"`, " ", ":", " ", "(", " ", ")", " ", "-", " ").Replace(s)
				req, err := search.NewRequest(q, 10)
				if err != nil {
					continue
				}
				req.Mode, req.Passages = mode, true
				start := time.Now()
				res, err := x.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				took = append(took, time.Since(start))
				n++
				if os.Getenv("QUIRE_MISSES") != "" && (len(res.Hits) == 0 || res.Hits[0].ID != p.ID) {
					rank := -1
					var got []string
					for i, h := range res.Hits {
						if h.ID == p.ID {
							rank = i
						}
						if i < 3 {
							got = append(got, h.ID)
						}
					}
					inText := strings.Contains(spaced(p.FullText), s)
					t.Logf("MISS %s %s want %s rank %d got %v inQuireText=%v :: %s", src.name, mode, p.ID, rank, got, inText, s)
				}
				if len(res.Hits) > 0 && res.Hits[0].ID == p.ID {
					first++
					h := res.Hits[0]
					if len(h.Passages) > 0 {
						ps := h.Passages[0]
						if src.holds(h.Paper.FullText[ps.Start:ps.End], s) {
							inPassage++
						} else if os.Getenv("QUIRE_MISSES") != "" {
							// Whether any one passage holds it, and at which rank it was shown.
							some, shown := -1, -1
							for i, c := range corpus.BodyChunks(&h.Paper) {
								if src.holds(h.Paper.FullText[c.Start:c.End], s) {
									some = i
									break
								}
							}
							for i, q := range h.Passages {
								if src.holds(h.Paper.FullText[q.Start:q.End], s) {
									shown = i
								}
							}
							t.Logf("NOTHELD %s %s %s inText=%v chunk=%d shown=%d :: %s", src.name, mode, p.ID,
								src.holds(h.Paper.FullText, s), some, shown, s)
						}
					}
				}
			}
		}
		slices.Sort(took)
		t.Logf("%s, %s: %d sentences from %d PDFs: paper first %d (%.1f%%), its best passage holds the sentence %d (%.1f%%); latency p50 %v, p99 %v",
			src.name, mode, n, len(papers), first, 100*float64(first)/float64(n), inPassage, 100*float64(inPassage)/float64(n),
			took[len(took)/2].Round(time.Millisecond), took[len(took)*99/100].Round(time.Millisecond))
	}
}

func spaced(s string) string { return strings.Join(strings.Fields(s), " ") }

// alnum keeps a text's letters and digits, lower-cased and with
// ligatures undone (NFKC): what two extractions of one sentence agree on.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(norm.NFKC.String(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
