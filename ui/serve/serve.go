// Package serve is Quire's warm local server: one process holds the index
// open and answers the CLI, MCP clients (streamable HTTP at /mcp) and a
// small JSON/SSE API (/v1/search, /v1/papers/{id}, /v1/ask, /v1/draft).
// Every request carries a bearer token; binds outside loopback are refused
// unless asked for.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
)

// Options say what the server serves.
type Options struct {
	Engine search.Engine
	Agent  *agent.Agent
	MCP    *mcp.Server
	// Token is required on every request as "Authorization: Bearer …".
	Token string
	// API adds the /v1 endpoints next to /mcp.
	API bool
}

// Handler routes the server's endpoints behind the token check.
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	if o.MCP != nil {
		srv := o.MCP
		mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	}
	if o.API {
		a := api{o}
		mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "pid": os.Getpid()})
		})
		mux.HandleFunc("GET /v1/search", a.search)
		mux.HandleFunc("POST /v1/search", a.search)
		mux.HandleFunc("GET /v1/papers/{id...}", a.paper)
		mux.HandleFunc("POST /v1/ask", a.ask)
		mux.HandleFunc("POST /v1/draft", a.draft)
	}
	return RequireToken(o.Token, mux)
}

// RequireToken answers 401 to a request without the bearer token.
func RequireToken(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quire"`)
			writeJSON(w, http.StatusUnauthorized, errBody("missing or wrong bearer token (see 'quire mcp --print-token')"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// CheckBind refuses an address outside loopback unless a token is set and
// remote access was asked for: the index and the model's budget would
// otherwise be open to the network.
func CheckBind(addr string, token string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: want host:port, e.g. 127.0.0.1:7345", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if token == "" || !allowRemote {
		return fmt.Errorf("address %q is not loopback: pass --allow-remote to serve beyond this machine (every request still needs the token)", addr)
	}
	return nil
}

// Token reads the bearer token kept at path, creating a random one (0600,
// in a 0700 directory) on first use.
func Token(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", fmt.Errorf("token file %s is empty: delete it to make a new token", path)
		}
		return t, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("token: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	t := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return Token(path) // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	if _, err := f.WriteString(t + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("token %s: %w", path, err)
	}
	return t, f.Close()
}

// Serve answers on ln until ctx ends, then shuts down, giving requests in
// flight a few seconds to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return srv.Close()
	}
	return nil
}

// SearchParams is a search as the CLI states it; client and server both
// build the engine's request from it, so a search gives the same result
// either way.
type SearchParams struct {
	Query     string   `json:"query"`
	Limit     int      `json:"limit,omitempty"`
	Offset    int      `json:"offset,omitempty"`
	Mode      string   `json:"mode,omitempty"`
	Explain   bool     `json:"explain,omitempty"`
	Snippets  bool     `json:"snippets,omitempty"`
	Passages  bool     `json:"passages,omitempty"`
	Facets    []string `json:"facets,omitempty"`
	FacetSize int      `json:"facet_size,omitempty"`
	// TimeoutMS bounds the search (0: none).
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// Request builds the engine's request.
func (p SearchParams) Request() (search.Request, error) {
	req, err := search.NewRequest(p.Query, p.Limit)
	if err != nil {
		return req, err
	}
	req.Offset = max(0, p.Offset)
	req.Mode, req.Explain, req.Snippets, req.Passages = p.Mode, p.Explain, p.Snippets, p.Passages
	req.Timeout = time.Duration(p.TimeoutMS) * time.Millisecond
	if len(p.Facets) > 0 {
		req = req.WithFacets(p.FacetSize, p.Facets...)
	}
	return req, nil
}

type api struct{ o Options }

func (a api) search(w http.ResponseWriter, r *http.Request) {
	var p SearchParams
	if r.Method == http.MethodPost {
		if err := decode(r, &p); err != nil {
			writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
			return
		}
	} else {
		q := r.URL.Query()
		p = SearchParams{Query: q.Get("q"), Mode: q.Get("mode"), Explain: q.Get("explain") == "true", Snippets: true}
		p.Limit, _ = strconv.Atoi(q.Get("limit"))
		p.Offset, _ = strconv.Atoi(q.Get("offset"))
		if f := q.Get("facets"); f != "" {
			p.Facets, p.FacetSize = strings.Split(f, ","), 10
		}
	}
	if p.Limit <= 0 {
		p.Limit = 10
	}
	req, err := p.Request()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	res, err := a.o.Engine.Search(r.Context(), req)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a api) paper(w http.ResponseWriter, r *http.Request) {
	p, err := a.o.Engine.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, search.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errBody(fmt.Sprintf("no paper with id %q", r.PathValue("id"))))
	case err != nil:
		writeErr(w, err)
	default:
		writeJSON(w, http.StatusOK, p)
	}
}

func (a api) ask(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Question string   `json:"question"`
		Filter   string   `json:"filter"`
		Basket   []string `json:"basket"`
		K        int      `json:"k"`
	}
	if err := decode(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	if strings.TrimSpace(req.Question) == "" {
		writeJSON(w, http.StatusBadRequest, errBody("ask needs a question"))
		return
	}
	st, err := a.o.Agent.Ask(r.Context(), agent.AskRequest{Question: req.Question, Query: req.Filter, Basket: req.Basket, K: req.K})
	stream(w, st, err)
}

func (a api) draft(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Prompt    string            `json:"prompt"`
		Vars      map[string]string `json:"vars"`
		Query     string            `json:"query"`
		Basket    []string          `json:"basket"`
		Selection string            `json:"selection"`
		K         int               `json:"k"`
	}
	if err := decode(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	st, err := a.o.Agent.Draft(r.Context(), agent.DraftRequest{Prompt: req.Prompt, Vars: req.Vars, Query: req.Query,
		Basket: req.Basket, Selection: req.Selection, K: req.K})
	stream(w, st, err)
}

// stream sends a run's events as server-sent events named by their kind
// (sources, delta, warning, done …), and a final "error" event if the run
// failed after it started.
func stream(w http.ResponseWriter, st *agent.Stream, err error) {
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	defer st.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	flush()
	for st.Next() {
		ev := st.Current()
		if writeEvent(w, ev.Kind.String(), ev) != nil {
			return // the client went away; Close stops the run
		}
		flush()
	}
	if err := st.Err(); err != nil {
		_ = writeEvent(w, "error", errBody(err.Error()))
		flush()
	}
}

func writeEvent(w http.ResponseWriter, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad request body: %v", err)
	}
	return nil
}

// writeErr answers a failed read: 503 while a writer holds the index past
// lock_wait_seconds (an ingest is writing it; the client may retry), 500
// otherwise.
func writeErr(w http.ResponseWriter, err error) {
	if errors.Is(err, embedded.ErrLocked) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errBody("an ingest is writing the index; try again when its batch is done: "+err.Error()))
		return
	}
	writeJSON(w, http.StatusInternalServerError, errBody(err.Error()))
}

func errBody(msg string) map[string]string { return map[string]string{"error": msg} }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
