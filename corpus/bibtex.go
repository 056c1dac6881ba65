package corpus

import (
	"fmt"
	"strings"
	"unicode"
)

// BibTeX formats p as a BibTeX entry keyed author-year-word
// (lovelace2015advances). pages ("4--5") is added when known: the pages
// of the passages cited. Braces in values become parentheses, since one
// would end the field early.
func (p *Paper) BibTeX(pages string) string {
	key := "paper"
	if len(p.Authors) > 0 {
		if f := strings.Fields(p.Authors[0]); len(f) > 0 {
			key = strings.ToLower(strings.Map(keepAlnum, f[len(f)-1]))
		}
	}
	if p.Year != 0 {
		key += fmt.Sprint(p.Year)
	}
	key += keyWord(p.Title)
	kind := "article"
	if p.Venue == "" {
		kind = "misc"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@%s{%s,\n", kind, key)
	braces := strings.NewReplacer("{", "(", "}", ")")
	field := func(k, v string) {
		if v = CollapseSpace(v); v != "" {
			fmt.Fprintf(&b, "  %s = {%s},\n", k, braces.Replace(v))
		}
	}
	field("title", p.Title)
	field("author", strings.Join(p.Authors, " and "))
	if p.Year != 0 {
		field("year", fmt.Sprint(p.Year))
	}
	field("journal", p.Venue)
	field("pages", pages)
	field("doi", p.DOI)
	field("url", p.URL)
	b.WriteString("}\n")
	return b.String()
}

// keyWord is the title's first word that says something, for a key.
func keyWord(title string) string {
	stop := map[string]bool{"the": true, "and": true, "for": true, "with": true, "from": true, "into": true,
		"via": true, "its": true, "are": true, "using": true, "towards": true, "toward": true}
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(w) >= 3 && !stop[w] {
			return w
		}
	}
	return ""
}

func keepAlnum(r rune) rune {
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return r
	}
	return -1
}
