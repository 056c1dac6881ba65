package config

import (
	"strings"
	"testing"
)

func TestVectorsTable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := func(k string) string {
		return map[string]string{"HOME": dir, "QUIRE_VECTORS_BUCKET": "team-papers", "QUIRE_VECTORS_GET_BELOW": "500"}[k]
	}
	path := writeFile(t, dir, "quire.toml", "[vectors]\nkind = \"s3vectors\"\nindex = \"quire\"\nendpoint = \"http://127.0.0.1:9\"\n")
	c, err := Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Vectors; v.Kind != VectorsS3Vectors || v.Bucket != "team-papers" || v.Index != "quire" || v.GetBelow != 500 || v.DistanceOrDefault() != "cosine" {
		t.Fatalf("loaded %+v", v)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if (Config{}).Vectors.KindOrDefault() != VectorsEmbedded {
		t.Fatal("the default vector store is not the embedded one")
	}
}

func TestVectorsProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    Vectors
		kind string
		want []string
	}{
		{Vectors{Kind: "s3vector"}, "", []string{`vectors.kind: "s3vector" is not a vector store: did you mean s3vectors?`}},
		{Vectors{Kind: "pinecone"}, "", []string{`vectors.kind: "pinecone" is not a vector store (use embedded or s3vectors)`}},
		{Vectors{Kind: "s3vectors"}, "", []string{"vectors.bucket: empty", "vectors.index: empty"}},
		{Vectors{Kind: "s3vectors", Bucket: "Team_Papers", Index: "q"}, "", []string{`vectors.bucket: "Team_Papers" is not`, `vectors.index: "q" is not`}},
		{Vectors{Distance: "cosin", Region: "EU", Endpoint: "ftp://x", GetBelow: -1}, "", []string{`vectors.region: "EU"`, "vectors.distance: \"cosin\" is not a distance metric: did you mean cosine?",
			`vectors.endpoint: "ftp://x"`, "vectors.get_below: -1 is outside"}},
		{Vectors{Kind: "s3vectors", Bucket: "papers", Index: "quire"}, EngineWeaviate, []string{"vectors.kind: s3vectors is the vector half of the embedded engine; engine.kind is weaviate"}},
	} {
		c := Default()
		c.Vectors = tc.v
		if tc.kind != "" {
			c.Engine.Kind = tc.kind
		}
		var got []string
		for _, e := range c.vectorsProblems() {
			got = append(got, e.Key+": "+e.Err.Error())
		}
		if len(got) != len(tc.want) {
			t.Errorf("%+v: %q, want %d problems %q", tc.v, got, len(tc.want), tc.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%+v: problem %d is %q, want %q…", tc.v, i, got[i], tc.want[i])
			}
		}
	}
}

func TestVectorsTypo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "quire.toml", "[vectors]\nbuckt = \"papers\"\n")
	_, err := Load(path, func(k string) string { return map[string]string{"HOME": dir}[k] })
	if err == nil || !strings.Contains(err.Error(), "quire.toml:2: vectors.buckt") || !strings.Contains(err.Error(), "did you mean vectors.bucket?") {
		t.Fatalf("typo: %v", err)
	}
}
