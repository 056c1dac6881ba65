package corpus

import (
	"encoding/json"
	"strconv"
	"strings"
)

// arxivLine is one record of the Kaggle arXiv metadata snapshot
// (arxiv-metadata-oai-snapshot.json). Authors and categories stay raw so a
// converted dump that stores them as lists still decodes.
type arxivLine struct {
	ID            string          `json:"id"`
	Title         string          `json:"title"`
	Abstract      string          `json:"abstract"`
	Authors       json.RawMessage `json:"authors"`
	AuthorsParsed [][]string      `json:"authors_parsed"`
	Categories    json.RawMessage `json:"categories"`
	DOI           string          `json:"doi"`
	JournalRef    string          `json:"journal-ref"`
	UpdateDate    string          `json:"update_date"`
	Versions      []struct {
		Version string `json:"version"`
		Created string `json:"created"`
	} `json:"versions"`
}

// arxivKeys maps snapshot keys to Quire fields for error messages.
var arxivKeys = map[string]string{
	"id": "id", "title": "title", "abstract": "abstract", "authors": "authors",
	"authors_parsed": "authors", "categories": "categories", "doi": "doi",
	"journal-ref": "venue", "update_date": "year", "versions": "year",
}

// ArxivDecoder decodes the Kaggle arXiv metadata snapshot. The year is that
// of the first version, else of update_date, else the one encoded in the id.
// Fields are derived from the categories with ArxivField. Source is the
// given label, "arxiv" when empty.
func ArxivDecoder(source string) LineDecoder {
	if source == "" {
		source = "arxiv"
	}
	return func(line []byte) (Paper, error) {
		var l arxivLine
		if err := json.Unmarshal(line, &l); err != nil {
			return Paper{}, jsonError(err, arxivKeys)
		}
		p := Paper{
			ID:       strings.TrimSpace(l.ID),
			Title:    l.Title,
			Abstract: l.Abstract,
			Venue:    l.JournalRef,
			Source:   source,
		}
		var err error
		if p.Authors = parsedAuthors(l.AuthorsParsed); p.Authors == nil {
			if p.Authors, err = listValue(l.Authors, splitAuthorList); err != nil {
				return Paper{}, wrapField("authors", "authors", err)
			}
		}
		if p.Categories, err = listValue(l.Categories, strings.Fields); err != nil {
			return Paper{}, wrapField("categories", "categories", err)
		}
		p.Fields = arxivFields(p.Categories)
		// Old records list several DOIs separated by spaces; keep the first.
		if doi := strings.Fields(l.DOI); len(doi) > 0 {
			p.DOI = trimDOIPrefix(doi[0])
		}
		if p.ID != "" {
			p.URL = "https://arxiv.org/abs/" + p.ID
		}
		p.Year = arxivYear(&l)
		return p, nil
	}
}

// parsedAuthors turns [[last, first, suffix], ...] into "First Last Suffix".
func parsedAuthors(parsed [][]string) []string {
	if len(parsed) == 0 {
		return nil
	}
	out := make([]string, 0, len(parsed))
	for _, a := range parsed {
		var name []string
		if len(a) > 1 && strings.TrimSpace(a[1]) != "" {
			name = append(name, a[1])
		}
		if len(a) > 0 && strings.TrimSpace(a[0]) != "" {
			name = append(name, a[0])
		}
		if len(a) > 2 && strings.TrimSpace(a[2]) != "" {
			name = append(name, a[2])
		}
		if len(name) > 0 {
			out = append(out, strings.Join(name, " "))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func arxivYear(l *arxivLine) int {
	created := ""
	for i, v := range l.Versions {
		if i == 0 || v.Version == "v1" {
			created = v.Created
		}
		if v.Version == "v1" {
			break
		}
	}
	for _, s := range []string{created, l.UpdateDate} {
		if y, ok := firstYearIn(s); ok && y >= MinYear && y <= MaxYear {
			return y
		}
	}
	return ArxivIDYear(l.ID)
}

// ArxivIDYear returns the submission year encoded in an arXiv identifier:
// new-style "YYMM.NNNNN" (2007 on) or old-style "archive/YYMMNNN" (1991 to
// 2007). It returns 0 when id is neither.
func ArxivIDYear(id string) int {
	id = strings.TrimSpace(id)
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		num := id[i+1:]
		if len(num) < 7 || !allDigitBytes(num[:7]) {
			return 0
		}
		yy, _ := strconv.Atoi(num[:2])
		if mm, _ := strconv.Atoi(num[2:4]); mm < 1 || mm > 12 {
			return 0
		}
		if yy >= 91 {
			return 1900 + yy
		}
		return 2000 + yy
	}
	yymm, rest, ok := strings.Cut(id, ".")
	if !ok || len(yymm) != 4 || !allDigitBytes(yymm) || len(rest) < 4 || !allDigitBytes(rest[:4]) {
		return 0
	}
	if mm, _ := strconv.Atoi(yymm[2:]); mm < 1 || mm > 12 {
		return 0
	}
	yy, _ := strconv.Atoi(yymm[:2])
	return 2000 + yy
}

func allDigitBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// arxivGroups maps an arXiv archive (the part of a category before the
// dot) to its broad group, including archives since merged into physics,
// math and nlin, which still appear in old records.
var arxivGroups = map[string]string{
	"cs": "Computer Science", "cmp-lg": "Computer Science",
	"math": "Mathematics", "alg-geom": "Mathematics", "dg-ga": "Mathematics",
	"funct-an": "Mathematics", "q-alg": "Mathematics",
	"stat":     "Statistics",
	"q-bio":    "Quantitative Biology",
	"q-fin":    "Quantitative Finance",
	"econ":     "Economics",
	"eess":     "Electrical Engineering and Systems Science",
	"astro-ph": "Physics", "cond-mat": "Physics", "gr-qc": "Physics",
	"math-ph": "Physics", "nlin": "Physics", "physics": "Physics",
	"quant-ph": "Physics", "acc-phys": "Physics", "ao-sci": "Physics",
	"atom-ph": "Physics", "bayes-an": "Physics", "chem-ph": "Physics",
	"mtrl-th": "Physics", "plasm-ph": "Physics", "supr-con": "Physics",
	"adap-org": "Physics", "chao-dyn": "Physics", "comp-gas": "Physics",
	"patt-sol": "Physics", "solv-int": "Physics",
}

// ArxivField returns the broad group of an arXiv category code ("cs.LG" →
// "Computer Science", "hep-th" → "Physics"), or "" when the code is not an
// arXiv one.
func ArxivField(category string) string {
	archive, _, _ := strings.Cut(strings.TrimSpace(category), ".")
	if g, ok := arxivGroups[archive]; ok {
		return g
	}
	if strings.HasPrefix(archive, "hep-") || strings.HasPrefix(archive, "nucl-") {
		return "Physics"
	}
	return ""
}

// arxivFields lists the distinct groups of cats in first-seen order.
func arxivFields(cats []string) []string {
	var out []string
	for _, c := range cats {
		g := ArxivField(c)
		if g == "" {
			continue
		}
		dup := false
		for _, f := range out {
			dup = dup || f == g
		}
		if !dup {
			out = append(out, g)
		}
	}
	return out
}
