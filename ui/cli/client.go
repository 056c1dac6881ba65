package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/ui/serve"
)

// searchIndex runs req (built from the query text q) on a running 'quire
// serve' for this index when there is one, else on the index opened here.
// A server that cannot be reached is passed over silently: the answer is
// the same either way, only slower.
func searchIndex(e *env, q string, req search.Request, noServer bool) (*search.Result, error) {
	if !noServer {
		if res, ok, err := searchServer(e, q, req); ok {
			return res, err
		}
	}
	x, err := openEngine(e, true)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	return x.Search(e.ctx, req)
}

// searchServer asks a running server; ok is false when there is none to
// ask, or req holds something the API cannot carry.
func searchServer(e *env, q string, req search.Request) (res *search.Result, ok bool, err error) {
	p := serve.SearchParams{Query: q, Limit: req.Limit, Offset: req.Offset, Mode: req.Mode, Explain: req.Explain,
		Snippets: req.Snippets, Passages: req.Passages, Facets: req.Facets, FacetSize: req.FacetSize,
		TimeoutMS: req.Timeout.Milliseconds()}
	// The server builds its request from p: if that would differ from
	// req (a field the API does not know yet), search here instead.
	if again, err := p.Request(); err != nil || !reflect.DeepEqual(again, req) {
		return nil, false, nil
	}
	in, err := serve.ReadInfo(serverFile(e))
	if err != nil {
		return nil, false, nil
	}
	path, err := tokenFile(e)
	if err != nil {
		return nil, false, nil
	}
	token, err := os.ReadFile(path)
	if err != nil {
		return nil, false, nil
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, false, nil
	}
	hr, err := http.NewRequestWithContext(e.ctx, http.MethodPost, "http://"+in.Addr+"/v1/search", bytes.NewReader(body))
	if err != nil {
		return nil, false, nil
	}
	hr.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	hr.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: req.Timeout + 30*time.Second}
	resp, err := client.Do(hr)
	if err != nil {
		if e.ctx.Err() != nil {
			return nil, true, e.ctx.Err()
		}
		return nil, false, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, false, nil // another token: a server this user cannot use
	}
	if resp.StatusCode != http.StatusOK {
		var eb struct {
			Error string `json:"error"`
		}
		if json.NewDecoder(resp.Body).Decode(&eb) != nil || eb.Error == "" {
			eb.Error = resp.Status
		}
		return nil, true, fmt.Errorf("server at %s: %s", in.Addr, eb.Error)
	}
	res = new(search.Result)
	if err := json.NewDecoder(resp.Body).Decode(res); err != nil {
		return nil, true, fmt.Errorf("server at %s: %w", in.Addr, err)
	}
	return res, true, nil
}
