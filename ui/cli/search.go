package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/progress"
)

type searchFlags struct {
	json          bool
	explain       bool
	mode          string
	limit, offset int
	facets        string
	noServer      bool
	passages      bool
}

func init() {
	var f searchFlags
	register(&command{
		name:    "search",
		args:    "[flags] QUERY...",
		summary: "Search the index and print hits with facet counts.\nQuery language: free text, \"phrases\", -exclusions and filters such as\nyear:2018..2022 field:q-bio.GN author:\"Doudna\" venue:Nature source:arxiv.",
		flags: func(fs *flag.FlagSet) any {
			fs.BoolVar(&f.json, "json", false, "print the result as JSON")
			fs.StringVar(&f.mode, "mode", "", "hybrid, bm25 or vector (default from config search.mode)")
			fs.BoolVar(&f.explain, "explain", false, "show each half's rank and score per hit")
			fs.IntVar(&f.limit, "limit", 0, "number of hits (default from config search.limit)")
			fs.IntVar(&f.offset, "offset", 0, "skip this many hits (paging)")
			fs.StringVar(&f.facets, "facets", strings.Join(search.AllFacets, ","), "facets to count, comma-separated, or 'none'")
			fs.BoolVar(&f.passages, "passages", false, "list the matching passages of full-text papers, one row each")
			fs.BoolVar(&f.noServer, "no-server", false, "open the index here even when 'quire serve' is running")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runSearch(e, &f, args) },
	})
}

func runSearch(e *env, f *searchFlags, args []string) error {
	if len(args) == 0 {
		return usagef("search needs a query (try: quire search \"protein folding\" year:2015..)")
	}
	limit := firstPositive(f.limit, e.cfg.Search.Limit)
	req, err := search.NewRequest(strings.Join(args, " "), limit)
	if err != nil {
		return err
	}
	req.Offset = max(0, f.offset)
	req.Snippets = true
	req.Mode = f.mode
	req.Explain = f.explain
	req.Passages = f.passages
	req.Spelling = true // one search, its words all typed: worth checking
	req.Timeout = e.cfg.Search.Timeout()
	if f.facets != "none" && f.facets != "" {
		req = req.WithFacets(e.cfg.Search.FacetSize, strings.Split(f.facets, ",")...)
	}
	res, err := searchIndex(e, strings.Join(args, " "), req, f.noServer)
	if err != nil {
		return err
	}
	if f.passages {
		return printPassages(e.stdout, res, req.Query.Text != "", f.json, isTerminal(e.stdout) && e.getenv("NO_COLOR") == "")
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printResult(e.stdout, res, req.Offset, isTerminal(e.stdout) && e.getenv("NO_COLOR") == "")
	return nil
}

// printResult writes hits and facets for people. With colour off, matches
// are marked with ‹›, so nothing is carried by colour alone.
func printResult(w io.Writer, res *search.Result, offset int, color bool) {
	st := newStyle(color)
	fmt.Fprintf(w, "%s in %s (%s)\n", progress.HumanNoun(int64(res.Total), "hit", "hits"), res.Took.Round(10_000), res.Mode)
	if len(res.Hits) == 0 && res.Total > 0 && uint64(offset) >= res.Total {
		fmt.Fprintf(w, "--offset %d is past the last of them\n", offset)
	}
	if res.NoHits != nil {
		fmt.Fprintln(w, sanitize(res.NoHits.Message))
	} else if res.Spelling != nil {
		fmt.Fprintln(w, sanitize(res.Spelling.Line()))
	}
	if len(res.Expansion) > 0 && len(res.Hits) > 0 && res.Hits[0].Explain != nil {
		fmt.Fprintf(w, "%s\n", st.dim("BM25 query expanded with: "+strings.Join(res.Expansion, " ")))
	}
	for i, h := range res.Hits {
		p := h.Paper
		fmt.Fprintf(w, "\n%3d. %s  %s\n", offset+i+1, st.bold(p.Title), st.dim(fmt.Sprintf("%.2f", h.Score)))
		var meta []string
		if a := authorsShort(p.Authors); a != "" {
			meta = append(meta, a)
		}
		if p.Year != 0 {
			meta = append(meta, fmt.Sprint(p.Year))
		}
		if p.Venue != "" {
			meta = append(meta, p.Venue)
		}
		if len(meta) > 0 {
			fmt.Fprintf(w, "     %s\n", st.dim(strings.Join(meta, " · ")))
		}
		if h.Snippet.Text != "" {
			fmt.Fprintf(w, "     %s\n", st.marked(h.Snippet))
		}
		fmt.Fprintf(w, "     %s\n", st.dim("id: "+h.ID))
		if x := h.Explain; x != nil {
			fmt.Fprintf(w, "     %s\n", st.dim(fmt.Sprintf("%s: bm25 %s · vector %s · fused %.4f", x.Mode,
				rankScore(x.BM25Rank, x.BM25Score), rankScore(x.VectorRank, x.VectorScore), x.Fused)))
		}
	}
	if len(res.Facets) > 0 {
		fmt.Fprintln(w)
		for _, f := range res.Facets {
			printFacet(w, st, f)
		}
	}
	if res.FacetNote != "" {
		fmt.Fprintf(w, "\n%s\n", st.dim(sanitize(res.FacetNote)))
	}
}

func printFacet(w io.Writer, st style, f search.Facet) {
	if len(f.Values) == 0 {
		return
	}
	var parts []string
	for _, v := range f.Values {
		parts = append(parts, fmt.Sprintf("%s (%s)", oneLine(v.Value), progress.HumanCount(int64(v.Count))))
	}
	if f.Name == search.FacetYear && len(parts) > 12 {
		// A long histogram reads better as its range and the busiest years.
		first, last := f.Values[0], f.Values[len(f.Values)-1]
		parts = []string{fmt.Sprintf("%s–%s", oneLine(first.Value), oneLine(last.Value)), sparkline(f.Values)}
	}
	fmt.Fprintf(w, "%-9s %s\n", st.bold(f.Name+":"), strings.Join(parts, ", "))
}

// sparkline draws a year histogram in one line of block characters.
func sparkline(vals []search.FacetValue) string {
	blocks := []rune("▁▂▃▄▅▆▇█")
	peak := 1
	for _, v := range vals {
		peak = max(peak, v.Count)
	}
	var b strings.Builder
	for _, v := range vals {
		b.WriteRune(blocks[(v.Count*(len(blocks)-1)+peak-1)/peak])
	}
	return b.String()
}

func authorsShort(a []string) string {
	switch len(a) {
	case 0:
		return ""
	case 1, 2, 3:
		return strings.Join(a, ", ")
	}
	return strings.Join(a[:3], ", ") + " et al."
}

type style struct{ color bool }

func newStyle(color bool) style { return style{color} }

// wrap styles t, which may come from a paper: it is made safe to print
// first, so its own escape sequences never reach the terminal.
func (s style) wrap(code, t string) string {
	t = oneLine(t)
	if !s.color {
		return t
	}
	return "\x1b[" + code + "m" + t + "\x1b[0m"
}
func (s style) bold(t string) string { return s.wrap("1", t) }
func (s style) dim(t string) string  { return s.wrap("2", t) }

func (s style) marked(sn search.Snippet) string {
	var b strings.Builder
	last := 0
	for _, m := range sn.Marks {
		if m[0] < last || m[1] > len(sn.Text) {
			continue
		}
		// Marks are offsets into the raw text, so each piece is cleaned
		// on its own.
		b.WriteString(oneLine(sn.Text[last:m[0]]))
		if s.color {
			b.WriteString(s.wrap("1;33", sn.Text[m[0]:m[1]]))
		} else {
			b.WriteString("‹" + oneLine(sn.Text[m[0]:m[1]]) + "›")
		}
		last = m[1]
	}
	b.WriteString(oneLine(sn.Text[last:]))
	return b.String()
}

// rankScore shows one half's view of a hit: "#3 (12.41)", or "—" when that
// half did not offer it.
func rankScore(rank int, score float64) string {
	if rank == 0 {
		return "—"
	}
	return fmt.Sprintf("#%d (%.4g)", rank, score)
}

// passageRow is one line of `search --passages`: a passage with the paper
// it comes from.
type passageRow struct {
	PaperID string `json:"paper_id"`
	Title   string `json:"title"`
	search.Passage
}

// printPassages lists passages directly, in the order of their papers and
// then of their scores; papers without full text have none. words says
// whether the query has words to find passages by (filters alone do not).
func printPassages(w io.Writer, res *search.Result, words, asJSON, color bool) error {
	rows := []passageRow{}
	for _, h := range res.Hits {
		for _, p := range h.Passages {
			rows = append(rows, passageRow{PaperID: h.ID, Title: h.Paper.Title, Passage: p})
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	st := newStyle(color)
	fmt.Fprintf(w, "%s from %s (%s)\n", progress.HumanNoun(int64(len(rows)), "passage", "passages"),
		progress.HumanNoun(int64(len(res.Hits)), "paper", "papers"), res.Mode)
	switch {
	case len(rows) > 0 || len(res.Hits) == 0:
	case !words:
		fmt.Fprintln(w, "passages are found by the query's words: add some, or drop --passages to list these papers")
	case !slices.ContainsFunc(res.Hits, func(h search.Hit) bool { return h.Paper.FullText != "" }):
		fmt.Fprintln(w, "these papers have no full text (metadata only), so no passages: drop --passages to list them")
	default:
		fmt.Fprintln(w, "no passage of these papers holds the query's words: drop --passages to list them")
	}
	if res.NoHits != nil {
		fmt.Fprintln(w, sanitize(res.NoHits.Message))
	} else if res.Spelling != nil {
		fmt.Fprintln(w, sanitize(res.Spelling.Line()))
	}
	for i, r := range rows {
		where := []string{r.PaperID}
		if r.Section != "" {
			where = append(where, oneLine(r.Section))
		}
		switch {
		case r.Page > 0 && r.PageEnd > r.Page:
			where = append(where, fmt.Sprintf("pp. %d-%d", r.Page, r.PageEnd))
		case r.Page > 0:
			where = append(where, fmt.Sprintf("p. %d", r.Page))
		}
		fmt.Fprintf(w, "\n%3d. %s  %s\n", i+1, st.bold(oneLine(r.Title)), st.dim(strings.Join(where, " · ")))
		fmt.Fprintf(w, "     %s\n", st.marked(r.Text))
	}
	return nil
}
