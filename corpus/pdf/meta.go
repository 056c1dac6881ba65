package pdf

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quire-research/quire/corpus"
)

var (
	doiRe      = regexp.MustCompile(`\b10\.\d{4,9}/[^\s"<>]+`)
	arxivRe    = regexp.MustCompile(`(?i)arXiv:\s?(\d{2})(\d{2})\.\d{4,5}(v\d+)?|(?i)arXiv:\s?[a-z\-]+(\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}`)
	yearRe     = regexp.MustCompile(`\b(19[5-9]\d|20\d\d)\b`)
	abstractRe = regexp.MustCompile(`(?i)^(abstract|summary)\b[.:—-]?\s*`)
	keywordsRe = regexp.MustCompile(`(?i)^(keywords|key words|index terms)\b`)
)

// fillMeta reads title, authors, abstract, DOI, arXiv id and year from the
// first page's layout, falling back to the info dictionary.
func fillMeta(p *corpus.Paper, pages [][]line, meta info) {
	var first []line
	if len(pages) > 0 {
		first = pages[0]
	}
	titleEnd := -1
	// Title: the run of consecutive lines in the largest font in the
	// upper part of page one, skipping journal banners ("JSS") and
	// one-word logos.
	big := 0.0
	for _, l := range first {
		if titleCandidate(l) && l.size > big {
			big = l.size
		}
	}
	var title []string
	for i, l := range first {
		if titleCandidate(l) && l.size >= big-0.5 {
			if len(title) > 0 && i != titleEnd+1 {
				break
			}
			title = append(title, l.text)
			titleEnd = i
		}
	}
	p.Title = strings.Join(title, " ")
	// Authors: lines between the title and the abstract (or the first
	// heading), minus e-mail addresses and affiliations that follow a
	// blank in size.
	absAt := -1
	for i, l := range first {
		if i > titleEnd && abstractRe.MatchString(l.text) {
			absAt = i
			break
		}
	}
	if titleEnd >= 0 {
		end := absAt
		if end < 0 {
			end = min(len(first), titleEnd+4)
		}
		var authors []string
		for _, l := range first[titleEnd+1 : end] {
			t := strings.TrimSpace(l.byline())
			if low := strings.ToLower(t); low == "contents" || low == "table of contents" {
				break
			}
			// Names set side by side are cells of one line; each is
			// judged alone, so one author's affiliation does not drop
			// the name beside it.
			cells := l.cells
			if cells == nil {
				cells = []string{t}
			}
			for _, c := range cells {
				c = strings.TrimSpace(clean(c))
				if c == "" || strings.Contains(c, "@") || yearRe.MatchString(c) && len(c) < 30 || codeLike(c) || affiliationRe.MatchString(c) {
					continue
				}
				for _, a := range splitAuthors(c) {
					if personLike(a) {
						authors = append(authors, a)
					}
				}
			}
		}
		p.Authors = authors
	}
	if absAt >= 0 {
		var abs strings.Builder
		lines := first[absAt:]
		// The abstract may continue onto the next page.
		if len(pages) > 1 {
			lines = append(lines[:len(lines):len(lines)], pages[1]...)
		}
		for i, l := range lines {
			t := l.text
			if i == 0 {
				t = abstractRe.ReplaceAllString(t, "")
			} else if keywordsRe.MatchString(t) || sectionRe.MatchString(t) && l.size >= lines[0].size-0.1 && (l.bold || l.size > lines[0].size) {
				break
			} else if i > 1 && l.bold && !lines[i-1].bold && len(t) < 60 {
				break
			} else if gap := lines[i-1].bottom - l.top; i > 1 && (gap > 3*max(l.top-l.bottom, 1) || gap < -50) {
				break
			}
			if t != "" {
				appendLine(&abs, t)
			}
		}
		p.Abstract = strings.TrimSpace(abs.String())
	}
	if p.Title == "" {
		p.Title = meta.title
	}
	if len(p.Authors) == 0 && meta.author != "" {
		p.Authors = splitAuthors(meta.author)
	}
	if p.Abstract == "" {
		p.Abstract = meta.subject
	}

	var early strings.Builder
	for _, ls := range pages[:min(len(pages), 2)] {
		for _, l := range ls {
			early.WriteString(l.text)
			early.WriteByte('\n')
		}
	}
	txt := early.String()
	if m := doiRe.FindString(txt); m != "" {
		p.DOI = strings.TrimRight(m, ".,;)]}")
	}
	if m := arxivRe.FindStringSubmatch(txt); m != nil {
		id := strings.TrimSpace(strings.SplitN(m[0], ":", 2)[1])
		p.URL = "https://arxiv.org/abs/" + regexp.MustCompile(`v\d+$`).ReplaceAllString(id, "")
		yy := m[1] + m[6]
		if y, err := strconv.Atoi(yy); err == nil {
			if y < 91 {
				y += 2000
			} else {
				y += 1900
			}
			p.Year = y
		}
	}
	if p.Year == 0 {
		p.Year = pageYear(first, time.Now().Year())
	}
}

// dateRe finds a line that dates its paper: a month or season with a
// year ("April 2, 2022", "Feb. 2005", "Spring 2008"; capitalised, so
// "results may 1999" is not one), an ISO date, a copyright, or a journal
// issue line ("Volume 27, Issue 3").
var dateRe = regexp.MustCompile(`\b(Jan(uary|\.)?|Feb(ruary|\.)?|Mar(ch|\.)?|Apr(il|\.)?|May|June?|July?|Aug(ust|\.)?|Sep(tember|t\.?|\.)?|Oct(ober|\.)?|Nov(ember|\.)?|Dec(ember|\.)?|Spring|Summer|Autumn|Fall|Winter)\s+(\d{1,2}(st|nd|rd|th)?,?\s+)?(19[5-9]\d|20\d\d)\b|\b\d{1,2}\s+(January|February|March|April|May|June|July|August|September|October|November|December)\s+(19[5-9]\d|20\d\d)\b|\b(19[5-9]\d|20\d\d)-[01]\d-[0-3]\d\b|©|(?i:\bcopyright\b)|\bVol(ume|\.)\s*\d+`)

// pageYear is the year of a paper from its first page: the first year on
// the first line that dates it (dateRe, where a year is also found), else
// the latest year on the page. The first year anywhere was most often a
// citation's ("since Morgan and Sonquist (1963)"), and a paper is no
// older than what it cites. Years past now are ignored; 0 when none.
func pageYear(first []line, now int) int {
	year := func(s string) (int, bool) {
		y, _ := strconv.Atoi(s)
		return y, y <= now
	}
	for _, l := range first {
		if !dateRe.MatchString(l.text) {
			continue
		}
		for _, m := range yearRe.FindAllString(l.text, -1) {
			if y, ok := year(m); ok {
				return y
			}
		}
	}
	latest := 0
	for _, l := range first {
		for _, m := range yearRe.FindAllString(l.text, -1) {
			if y, ok := year(m); ok && y > latest {
				latest = y
			}
		}
	}
	return latest
}

func titleCandidate(l line) bool {
	t := strings.TrimSpace(l.text)
	letters := 0
	for _, r := range t {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 127 {
			letters++
		}
	}
	low := strings.ToLower(t)
	return letters >= 4 && len(t) > 5 && !strings.Contains(low, "journal of") && !strings.Contains(low, "volume") &&
		!strings.HasPrefix(low, "arxiv") && !doiRe.MatchString(t)
}

// codeLike reports a line no byline has: R or shell output and code
// ("Call:", "lm(formula = y ~ x)"), met where a document has no abstract
// and code follows its title.
func codeLike(t string) bool {
	return strings.HasSuffix(t, ":") || strings.ContainsAny(t, "=(){}[]<>|\\$~") || strings.Contains(t, "<-")
}

// affiliationRe matches the lines of a byline that name a place, not a
// person: institutions and street or postal addresses. JSS-style title
// pages put them on their own lines below the names.
var affiliationRe = regexp.MustCompile(`(?i)(universit|institut|\bdepartment|\bdept\b|\bcollege\b|\bschool\b|\bcent(er|re)\b|laborator|\bagency\b|\bclinic\b|hospital|foundation|\binc\b|\bgmbh\b|\bltd\b|corporation|\bfaculty\b|\bacademy\b|\d{3,})`)

var (
	authorSep = regexp.MustCompile(`(?i)\s*(?:,|;|\band\b|&|\x{00b7})\s*`)
	byPrefix  = regexp.MustCompile(`(?i)^by\s+`)
)

// splitAuthors splits a byline into names, dropping footnote marks.
func splitAuthors(s string) []string {
	var out []string
	for _, a := range authorSep.Split(byPrefix.ReplaceAllString(strings.TrimSpace(s), ""), -1) {
		a = strings.Trim(a, " *∗†‡§¶0123456789")
		if a != "" && len(a) < 80 {
			out = append(out, a)
		}
	}
	return out
}

// groupRe ends the name of a group author.
var groupRe = regexp.MustCompile(`^(Team|Group|Consortium|Collaboration|Project)$`)

// particles are the lower-case words a personal name may hold.
var particles = map[string]bool{"van": true, "von": true, "de": true, "der": true, "den": true, "del": true,
	"della": true, "da": true, "di": true, "du": true, "dos": true, "le": true, "la": true, "ten": true, "ter": true, "y": true, "bin": true}

// personLike reports whether a byline entry reads as a name: no word in
// lower case but a particle ("van de Wiel"), and, in Latin script, more
// than one word. That drops what a document with no abstract sets below
// its title ("Introduction", "Multi-state models", a first sentence) and
// the bare places of an address ("Austria"), and keeps group authors
// ("R Core Team", "xts Development Team") and scripts without case.
func personLike(a string) bool {
	var words []string
	for _, w := range strings.Fields(a) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 { // not a stray accent or mark
			words = append(words, w)
		}
	}
	if len(words) > 1 && groupRe.MatchString(words[len(words)-1]) {
		return true // "xts Development Team"
	}
	latin := false
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLower(r) && !particles[w] {
			return false
		}
		latin = latin || strings.IndexFunc(w, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) >= 0
	}
	return len(words) > 1 || !latin && len(words) == 1
}
