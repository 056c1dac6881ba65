package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/quire-research/quire/search/weaviate"
)

// TestMissingCollection: a reader's missing collection suggests a close
// name, says how to make one otherwise, and counts as "no index" so the
// app opens its first-run screen.
func TestMissingCollection(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"QuirePapr", "did you mean --collection QuirePaper?"},
		{"Elsewhere", "'quire ingest' or 'quire push --to weaviate' makes a new one"},
	} {
		err := error(&missingCollection{&weaviate.MissingError{Collection: c.name, URL: "http://h:8080", Existing: []string{"Other", "QuirePaper"}}})
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name+" does not exist at http://h:8080") {
			t.Errorf("%s: %q; want it to name the collection and say %q", c.name, err, c.want)
		}
		if !errors.Is(err, errNoIndex) {
			t.Errorf("%s: not errNoIndex, so the app would not offer its first-run screen", c.name)
		}
	}
}
