package pdf

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	textnorm "golang.org/x/text/unicode/norm"
)

const vignettes = "../../../shared/data/r-vignettes-pdf"

type truth struct {
	File     string `json:"file"`
	Title    string `json:"latex_title"`
	Author   string `json:"latex_author"`
	Abstract string `json:"latex_abstract"`
}

var (
	texCmdArg = regexp.MustCompile(`\\(?:pkg|proglang|code|textbf|textit|emph|texttt|bf|it|sf|samp|CRANpkg|fct|file|textsc|mbox|textsf|url|cite|citep|citet|href\{[^}]*\})\s*\{([^{}]*)\}`)
	texDrop   = regexp.MustCompile(`\\(?:email|thanks|footnote|url|And|and|affil|address)\s*\{[^{}]*\}|\\[a-zA-Z]+\*?|[~$^_\\]|%.*`)
)

var accent = regexp.MustCompile(`\\["'^~=.` + "`" + `]\{?([A-Za-z])\}?`)

// plain turns LaTeX ground truth into words: \pkg{zoo} → zoo, \email{} dropped.
func plain(s string) string {
	s = accent.ReplaceAllString(s, "$1")
	s = dropArg(s, `\thanks`, `\footnote`, `\email`, `\url`)
	s = strings.ReplaceAll(s, `\ss`, "ss")
	s = regexp.MustCompile(`\\([A-Za-z]+)\{\}`).ReplaceAllString(s, "$1") // \R{} → R
	for range 3 {
		s = texCmdArg.ReplaceAllString(s, "$1")
	}
	s = strings.NewReplacer("\\\\", " ", "``", "\"", "''", "\"", "--", "-", "\\&", "&", "\\_", "_", "\\%", "%").Replace(s)
	s = texDrop.ReplaceAllString(s, " ")
	s = strings.NewReplacer("{", "", "}", "").Replace(s)
	return s
}

// dropArg removes each command and its brace-balanced argument.
func dropArg(s string, cmds ...string) string {
	for _, c := range cmds {
		for {
			i := strings.Index(s, c+"{")
			if i < 0 {
				break
			}
			depth, j := 0, i+len(c)
			for ; j < len(s); j++ {
				if s[j] == '{' {
					depth++
				} else if s[j] == '}' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			s = s[:i] + " " + s[min(j+1, len(s)):]
		}
	}
	return s
}

// tokens lower-cases and drops diacritics (LaTeX M\\"achler and the PDF's
// Mächler both give machler).
func tokens(s string) []string {
	s = strings.NewReplacer("ß", "ss", "ø", "o", "Ø", "o", "æ", "ae", `\o`, "o", `\ss`, "ss").Replace(s)
	s = accent.ReplaceAllString(s, "$1")
	var b strings.Builder
	for _, r := range textnorm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	s = b.String()
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func normWords(s string) string { return strings.Join(tokens(s), " ") }

// surnames: the last word of each author name in the LaTeX \author.
func surnames(s string) []string {
	s = regexp.MustCompile(`\\email\{[^}]*\}|\\url\{[^}]*\}|\\thanks\{[^}]*\}|\\footnote\{[^}]*\}`).ReplaceAllString(s, " ")
	var out []string
	// Each \And block starts with its names; the lines after \\ are
	// affiliations.
	for _, block := range regexp.MustCompile(`\\And\b|\\AND\b|\\and\b`).Split(s, -1) {
		for _, line := range strings.Split(block, "\\\\") {
			line = plain(line)
			found := false
			for _, name := range regexp.MustCompile(`,|\band\b|&`).Split(line, -1) {
				w := tokens(name)
				if len(w) >= 2 && len(w) <= 4 && len(w[len(w)-1]) > 1 && !unicode.IsDigit(rune(w[len(w)-1][0])) {
					out = append(out, w[len(w)-1])
					found = true
				}
			}
			if found {
				break
			}
		}
	}
	return out
}

// TestVignetteQuality measures issue 20's bars on the real PDFs.
func TestVignetteQuality(t *testing.T) {
	f, err := os.Open(filepath.Join(vignettes, "papers.jsonl"))
	if err != nil {
		t.Skipf("r-vignettes-pdf not found at %s: %v (real-data quality test skipped)", vignettes, err)
	}
	defer f.Close()
	var rows []truth
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r truth
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("papers.jsonl: %v", err)
		}
		rows = append(rows, r)
	}
	full := os.Getenv("QUIRE_MEASURE") == "1"
	if !full {
		// A handful under the ordinary run; QUIRE_MEASURE=1 runs all 110.
		var pick []truth
		for i, r := range rows {
			if r.Title != "" && r.Abstract != "" && i%20 == 0 {
				pick = append(pick, r)
			}
		}
		rows = pick
		t.Logf("%d files (QUIRE_MEASURE=1 runs all of them)", len(rows))
	}
	ctx := context.Background()
	ex := extractor(t)
	type res struct {
		titleOK, hasTitle bool
		sur, surFound     int
		names, namesTrue  int // extracted author names; those holding a true surname
		absTok, absFound  int
		pages             int
	}
	results := make([]res, len(rows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	start := time.Now()
	for i, r := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			data, err := os.ReadFile(filepath.Join(vignettes, r.File))
			if err != nil {
				t.Error(err)
				return
			}
			p, _, err := ex.Paper(ctx, r.File, data)
			if err != nil {
				t.Errorf("%v", err)
				return
			}
			var o res
			o.pages = len(p.Pages)
			if r.Title != "" {
				o.hasTitle = true
				o.titleOK = normWords(plain(r.Title)) == normWords(p.Title)
				if !o.titleOK {
					t.Logf("title %s: got %q want %q", r.File, normWords(p.Title), normWords(plain(r.Title)))
				}
				got := map[string]bool{}
				for _, a := range p.Authors {
					for _, w := range tokens(a) {
						got[w] = true
					}
				}
				truth := map[string]bool{}
				for _, s := range surnames(r.Author) {
					truth[s] = true
					o.sur++
					if got[s] {
						o.surFound++
					} else {
						t.Logf("author %s: %q not in %q", r.File, s, p.Authors)
					}
				}
				for _, a := range p.Authors {
					o.names++
					if slices.ContainsFunc(tokens(a), func(w string) bool { return truth[w] }) {
						o.namesTrue++
					} else {
						t.Logf("author %s: %q is none of %q", r.File, a, r.Author)
					}
				}
			}
			if r.Abstract != "" {
				have := map[string]bool{}
				for _, w := range tokens(p.Abstract) {
					have[w] = true
				}
				missing := 0
				for _, w := range tokens(plain(r.Abstract)) {
					o.absTok++
					if have[w] {
						o.absFound++
					} else {
						missing++
					}
				}
				if missing*10 > len(tokens(plain(r.Abstract))) {
					t.Logf("abstract %s: %d of %d tokens missing; got %.120q", r.File, missing, o.absTok, p.Abstract)
				}
			}
			results[i] = o
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var titles, titleOK, sur, surFound, names, namesTrue, absTok, absFound, pages int
	for _, o := range results {
		if o.hasTitle {
			titles++
			if o.titleOK {
				titleOK++
			}
		}
		sur += o.sur
		surFound += o.surFound
		names += o.names
		namesTrue += o.namesTrue
		absTok += o.absTok
		absFound += o.absFound
		pages += o.pages
	}
	tr := float64(titleOK) / float64(max(titles, 1))
	sr := float64(surFound) / float64(max(sur, 1))
	ar := float64(absFound) / float64(max(absTok, 1))
	t.Logf("files %d, pages %d in %v (%.1f pages/s); title exact %d/%d = %.3f; surname recall %d/%d = %.3f; author precision %d/%d = %.3f; abstract token recall %d/%d = %.3f",
		len(rows), pages, el.Round(time.Millisecond), float64(pages)/el.Seconds(), titleOK, titles, tr, surFound, sur, sr,
		namesTrue, names, float64(namesTrue)/float64(max(names, 1)), absFound, absTok, ar)
	if !full {
		// Too few files for the bars to mean anything: a smoke floor.
		if titleOK*2 < titles || sr < 0.5 || ar < 0.5 {
			t.Errorf("handful run far under the bars")
		}
		return
	}
	if tr < 0.9 {
		t.Errorf("title exact match %.3f < 0.9", tr)
	}
	if sr < 0.9 {
		t.Errorf("author surname recall %.3f < 0.9", sr)
	}
	if ar < 0.9 {
		t.Errorf("abstract token recall %.3f < 0.9", ar)
	}
}
