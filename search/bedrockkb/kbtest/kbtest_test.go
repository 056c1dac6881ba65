package kbtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The fake refuses what the service's validation refuses.
func TestValidation(t *testing.T) {
	s := New("KBKBKB1234", []Chunk{{Text: "a b", URI: "s3://x/a", Metadata: map[string]any{"year": 2020.0}}})
	defer s.Close()
	post := func(id, body string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/knowledgebases/"+id+"/retrieve", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b.String()
	}
	cfg := func(n int, filter string) string {
		return `{"retrievalQuery":{"text":"a"},"retrievalConfiguration":{"vectorSearchConfiguration":{"numberOfResults":` +
			itoa(n) + `,"filter":` + filter + `}}}`
	}
	eq := `{"equals":{"key":"year","value":2020}}`
	for _, c := range []struct {
		id, body, code string
	}{
		{"KBKBKB1234", cfg(101, "null"), "ValidationException"},
		{"KBKBKB1234", cfg(0, "null"), "ValidationException"},
		{"KBKBKB1234", `{"retrievalQuery":{"text":""}}`, "ValidationException"},
		{"KBKBKB1234", cfg(5, `{"andAll":[`+eq+`]}`), "ValidationException"},
		{"KBKBKB1234", cfg(5, `{"orAll":[`+strings.Repeat(eq+",", 5)+eq+`]}`), "ValidationException"},
		{"KBKBKB1234", cfg(5, `{"notAll":[]}`), "ValidationException"},
		{"KBKBKB1234", cfg(5, `{"in":{"key":"year","value":2020}}`), "ValidationException"},
		{"KBOTHER123", cfg(5, "null"), "ResourceNotFoundException"},
		{"KBKBKB1234", cfg(5, `{"andAll":[`+eq+`,`+eq+`]}`), ""},
	} {
		st, code, body := post(c.id, c.body)
		if code != c.code || (c.code == "") != (st == 200) {
			t.Errorf("%s: HTTP %d %s %s, want %q", c.body, st, code, body, c.code)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
