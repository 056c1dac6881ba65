package corpus

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
)

// OpenAlex works are large (references, counts, locations) and null-heavy.
// Decoding into typed structs skips everything else cheaply, and
// encoding/json leaves a field at its zero value for JSON null, which is
// exactly the tolerance wanted.
type oaWork struct {
	ID            string           `json:"id"`
	Title         string           `json:"title"`
	DisplayName   string           `json:"display_name"`
	AbstractIndex map[string][]int `json:"abstract_inverted_index"`
	Year          json.RawMessage  `json:"publication_year"`
	DOI           string           `json:"doi"`
	Authorships   []struct {
		Author struct {
			DisplayName string `json:"display_name"`
		} `json:"author"`
		RawAuthorName string `json:"raw_author_name"`
	} `json:"authorships"`
	PrimaryLocation struct {
		Source         oaNamed `json:"source"`
		LandingPageURL string  `json:"landing_page_url"`
	} `json:"primary_location"`
	HostVenue    oaNamed   `json:"host_venue"` // pre-2023 schema
	PrimaryTopic oaTopic   `json:"primary_topic"`
	Topics       []oaTopic `json:"topics"`
	Concepts     []struct {
		DisplayName string   `json:"display_name"`
		Level       *float64 `json:"level"` // nil when null: not a field
	} `json:"concepts"`
}

type oaNamed struct {
	DisplayName string `json:"display_name"`
}

type oaTopic struct {
	DisplayName string  `json:"display_name"`
	Field       oaNamed `json:"field"`
}

var openAlexKeys = map[string]string{
	"id": "id", "title": "title", "display_name": "title",
	"abstract_inverted_index": "abstract", "publication_year": "year",
	"doi": "doi", "authorships": "authors", "primary_location": "venue",
	"host_venue": "venue", "primary_topic": "fields", "topics": "categories",
	"concepts": "categories",
}

// OpenAlexDecoder decodes OpenAlex works (the API's JSON or the snapshot's
// JSONL). The abstract is rebuilt from abstract_inverted_index; Fields come
// from the topics' fields and level-0 concepts, Categories from the topics
// (or deeper concepts for works without topics). Source is the given label,
// "openalex" when empty.
func OpenAlexDecoder(source string) LineDecoder {
	if source == "" {
		source = "openalex"
	}
	return func(line []byte) (Paper, error) {
		var w oaWork
		if err := json.Unmarshal(line, &w); err != nil {
			return Paper{}, jsonError(err, openAlexKeys)
		}
		p := Paper{
			ID:       strings.TrimPrefix(strings.TrimSpace(w.ID), "https://openalex.org/"),
			Title:    cmp.Or(w.Title, w.DisplayName),
			Abstract: invertedAbstract(w.AbstractIndex),
			DOI:      trimDOIPrefix(w.DOI),
			Venue:    cmp.Or(w.PrimaryLocation.Source.DisplayName, w.HostVenue.DisplayName),
			Source:   source,
		}
		var err error
		if p.Year, err = yearValue(w.Year); err != nil {
			return Paper{}, wrapField("year", "publication_year", err)
		}
		for _, a := range w.Authorships {
			if name := cmp.Or(a.Author.DisplayName, a.RawAuthorName); name != "" {
				p.Authors = append(p.Authors, name)
			}
		}
		switch {
		case p.DOI != "":
			p.URL = "https://doi.org/" + p.DOI
		case w.PrimaryLocation.LandingPageURL != "":
			p.URL = w.PrimaryLocation.LandingPageURL
		case strings.HasPrefix(w.ID, "https://"):
			p.URL = w.ID
		case p.ID != "":
			p.URL = "https://openalex.org/" + p.ID
		}
		p.Fields, p.Categories = openAlexSubjects(&w)
		return p, nil
	}
}

// openAlexSubjects collects broad fields and fine topics. Normalize drops
// the duplicates later.
func openAlexSubjects(w *oaWork) (fields, cats []string) {
	add := func(list []string, s string) []string {
		if s != "" {
			list = append(list, s)
		}
		return list
	}
	fields = add(fields, w.PrimaryTopic.Field.DisplayName)
	for _, t := range w.Topics {
		fields = add(fields, t.Field.DisplayName)
		cats = add(cats, t.DisplayName)
	}
	if len(w.Topics) == 0 {
		cats = add(cats, w.PrimaryTopic.DisplayName)
	}
	noTopics := len(cats) == 0
	for _, c := range w.Concepts {
		switch {
		case c.Level == nil:
		case *c.Level == 0:
			fields = add(fields, c.DisplayName)
		case noTopics:
			cats = add(cats, c.DisplayName)
		}
	}
	return fields, cats
}

// invertedAbstract rebuilds text from OpenAlex's word → positions index.
// Sorting (position, word) pairs rather than filling an array indexed by
// position keeps a hostile index ({"x": [2000000000]}) from allocating
// gigabytes; ties break on the word so the result is deterministic.
func invertedAbstract(idx map[string][]int) string {
	if len(idx) == 0 {
		return ""
	}
	type placed struct {
		pos  int
		word string
	}
	n := 0
	for _, ps := range idx {
		n += len(ps)
	}
	words := make([]placed, 0, n)
	for w, ps := range idx {
		for _, p := range ps {
			words = append(words, placed{p, w})
		}
	}
	slices.SortFunc(words, func(a, b placed) int {
		return cmp.Or(cmp.Compare(a.pos, b.pos), strings.Compare(a.word, b.word))
	})
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.word)
	}
	return b.String()
}
