// Package kbtest is a loopback Bedrock knowledge base: an HTTP server
// speaking bedrock-agent-runtime's REST-JSON Retrieve as the SDK sends
// it, over a fixture of passages with metadata. Filters are evaluated for
// real, numberOfResults and nextToken page as the service does, requests
// outside the API's limits get its ValidationException, and tests can
// queue ThrottlingException, AccessDeniedException and other faults.
package kbtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/quire-research/quire/corpus"
)

// Chunk is one passage of a document.
type Chunk struct {
	Text     string
	URI      string         // s3:// address of its document
	Metadata map[string]any // string, float64, bool or []string values
}

// Fault is an error the server answers instead of results.
type Fault struct {
	Code    string // "ThrottlingException"
	Status  int
	Message string
}

// Standard faults.
var (
	Throttling   = Fault{"ThrottlingException", http.StatusTooManyRequests, "Rate exceeded"}
	AccessDenied = Fault{"AccessDeniedException", http.StatusForbidden, "User is not authorized to perform: bedrock:Retrieve"}
)

// Server is the fake knowledge base.
type Server struct {
	ID     string // the knowledge base ID it answers for
	URL    string
	Chunks []Chunk
	// PageSize caps the results of one response below numberOfResults,
	// the rest following by nextToken; 0 means no cap.
	PageSize int

	mu       sync.Mutex
	faults   []Fault
	requests []Request
	srv      *httptest.Server
}

// Request is what the server received, decoded.
type Request struct {
	Text       string
	N          int
	SearchType string
	Filter     json.RawMessage
	NextToken  string
}

// New starts a server for knowledge base id; Close stops it.
func New(id string, chunks []Chunk) *Server {
	s := &Server{ID: id, Chunks: chunks}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Fail queues faults, answered to the next requests in order.
func (s *Server) Fail(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Requests returns the Retrieve calls received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func fail(w http.ResponseWriter, f Fault) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", f.Code)
	w.Header().Set("X-Amzn-RequestId", "kbtest-1")
	w.WriteHeader(f.Status)
	json.NewEncoder(w).Encode(map[string]string{"message": f.Message})
}

func invalid(w http.ResponseWriter, format string, args ...any) {
	fail(w, Fault{"ValidationException", http.StatusBadRequest, fmt.Sprintf(format, args...)})
}

type retrieveBody struct {
	RetrievalQuery struct {
		Text *string `json:"text"`
	} `json:"retrievalQuery"`
	RetrievalConfiguration *struct {
		VectorSearchConfiguration *struct {
			NumberOfResults    *int            `json:"numberOfResults"`
			OverrideSearchType string          `json:"overrideSearchType"`
			Filter             json.RawMessage `json:"filter"`
		} `json:"vectorSearchConfiguration"`
	} `json:"retrievalConfiguration"`
	NextToken *string `json:"nextToken"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/knowledgebases/")
	id, ok2 := strings.CutSuffix(id, "/retrieve")
	if !ok || !ok2 || r.Method != http.MethodPost {
		fail(w, Fault{"UnknownOperationException", http.StatusNotFound, "no such operation " + r.Method + " " + r.URL.Path})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, Fault{"AccessDeniedException", http.StatusForbidden, "Missing Authentication Token"})
		return
	}
	var body retrieveBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		invalid(w, "malformed JSON: %v", err)
		return
	}
	req := Request{N: 5}
	if body.RetrievalQuery.Text != nil {
		req.Text = *body.RetrievalQuery.Text
	}
	if body.NextToken != nil {
		req.NextToken = *body.NextToken
	}
	if c := body.RetrievalConfiguration; c != nil && c.VectorSearchConfiguration != nil {
		v := c.VectorSearchConfiguration
		if v.NumberOfResults != nil {
			req.N = *v.NumberOfResults
		}
		req.SearchType, req.Filter = v.OverrideSearchType, v.Filter
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if fault != nil {
		fail(w, *fault)
		return
	}
	if id != s.ID {
		fail(w, Fault{"ResourceNotFoundException", http.StatusNotFound, fmt.Sprintf("Knowledge base with id %s does not exist", id)})
		return
	}
	switch {
	case len(req.Text) < 1 || len(req.Text) > 1000:
		invalid(w, "1 validation error detected: Value at 'retrievalQuery.text' failed to satisfy constraint: Member must have length between 1 and 1000")
		return
	case req.N < 1 || req.N > 100:
		invalid(w, "1 validation error detected: Value '%d' at 'retrievalConfiguration.vectorSearchConfiguration.numberOfResults' failed to satisfy constraint: Member must have value less than or equal to 100", req.N)
		return
	case req.SearchType != "" && req.SearchType != "HYBRID" && req.SearchType != "SEMANTIC":
		invalid(w, "overrideSearchType %q is not HYBRID or SEMANTIC", req.SearchType)
		return
	}
	var f *node
	if len(req.Filter) > 0 && string(req.Filter) != "null" {
		var err error
		if f, err = parseFilter(req.Filter); err != nil {
			invalid(w, "filter: %v", err)
			return
		}
	}
	type hit struct {
		i     int
		score float64
	}
	var hits []hit
	q := words(req.Text)
	for i, c := range s.Chunks {
		if f == nil || f.match(c.Metadata) {
			hits = append(hits, hit{i, score(q, c.Text)})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	from := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(req.NextToken, "kbtest-"))
		if err != nil || !strings.HasPrefix(req.NextToken, "kbtest-") || n < 0 || n > len(hits) {
			invalid(w, "invalid nextToken")
			return
		}
		from = n
	}
	n := req.N
	if s.PageSize > 0 {
		n = min(n, s.PageSize)
	}
	to := min(len(hits), from+n)
	out := map[string]any{}
	var results []map[string]any
	for _, h := range hits[from:to] {
		c := s.Chunks[h.i]
		md := map[string]any{"x-amz-bedrock-kb-source-uri": c.URI, "x-amz-bedrock-kb-chunk-id": fmt.Sprintf("chunk-%d", h.i)}
		for k, v := range c.Metadata {
			md[k] = v
		}
		results = append(results, map[string]any{
			"content":  map[string]any{"text": c.Text, "type": "TEXT"},
			"location": map[string]any{"type": "S3", "s3Location": map[string]any{"uri": c.URI}},
			"metadata": md,
			"score":    h.score,
		})
	}
	out["retrievalResults"] = results
	if to < len(hits) {
		out["nextToken"] = fmt.Sprintf("kbtest-%d", to)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// score is the share of the query's words in the passage, so ranking is
// deterministic and follows the text.
func score(q []string, text string) float64 {
	if len(q) == 0 {
		return 0
	}
	have := words(text)
	n := 0
	for _, w := range q {
		if slices.Contains(have, w) {
			n++
		}
	}
	return math.Round(float64(n)/float64(len(q))*1000) / 1000
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// FromPapers makes a fixture from papers: a passage of title and first
// sentence, and one of the rest of the abstract, each with the paper's
// fields as metadata under keys (paper field → metadata key; fields
// without a key are left out). Years are numbers, lists string lists.
func FromPapers(papers []corpus.Paper, keys map[string]string) []Chunk {
	var out []Chunk
	for _, p := range papers {
		md := map[string]any{}
		put := func(field string, v any) {
			k, ok := keys[field]
			if !ok {
				return
			}
			switch x := v.(type) {
			case string:
				if x == "" {
					return
				}
			case []string:
				if len(x) == 0 {
					return
				}
			case int:
				if x == 0 {
					return
				}
				v = float64(x)
			}
			md[k] = v
		}
		put("id", p.ID)
		put("title", p.Title)
		put("year", p.Year)
		put("authors", p.Authors)
		put("fields", p.Fields)
		put("categories", p.Categories)
		put("venue", p.Venue)
		put("source", p.Source)
		put("doi", p.DOI)
		uri := "s3://papers/" + p.ID + ".txt"
		first, rest, _ := strings.Cut(p.Abstract, ". ")
		out = append(out, Chunk{Text: p.Title + ". " + first, URI: uri, Metadata: md})
		if rest != "" {
			out = append(out, Chunk{Text: rest, URI: uri, Metadata: md})
		}
	}
	return out
}
