package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// chunk is one OpenAI streaming event carrying a text delta.
func chunk(text string) string {
	b, _ := json.Marshal(text)
	return `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":` +
		string(b) + `},"finish_reason":null}]}`
}

// askShared runs 'quire ask' against a loopback OpenAI-compatible server,
// with stdout and stderr on one buffer as they share a terminal.
func askShared(t *testing.T, home string, h http.HandlerFunc) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	envs := map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_DATA_HOME": filepath.Join(home, "data"),
		"XDG_CACHE_HOME": filepath.Join(home, "cache"), "NO_COLOR": "1",
		"QUIRE_LLM_PROVIDER": "openai", "QUIRE_LLM_BASE_URL": srv.URL + "/v1", "QUIRE_LLM_MODEL": "m",
		"QUIRE_LLM_API_KEY_ENV": "TEST_KEY", "TEST_KEY": "sk-test",
	}
	var out bytes.Buffer
	code := Run(context.Background(), []string{"ask", "--no-save", "what shape are halos?"}, strings.NewReader(""),
		&out, &out, func(k string) string { return envs[k] })
	return code, out.String()
}

// TestAskWarningOnItsOwnLine: a warning raised mid-answer (a citation
// that matches no source) is printed on its own line, not inside the
// answer's sentence as "follow [9]quire: warning: …".
func TestAskWarningOnItsOwnLine(t *testing.T) {
	home := agentHome(t)
	code, out := askShared(t, home, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, s := range []string{"Halos follow [9]", " a universal form [1].", "\n"} {
			fmt.Fprintf(w, "data: %s\n\n", chunk(s))
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	i := strings.Index(out, "quire: warning: citation [9]")
	if i < 0 {
		t.Fatalf("no warning for [9]:\n%s", out)
	}
	if i == 0 || out[i-1] != '\n' {
		t.Errorf("the warning starts mid-line:\n%s", out)
	}
	if !strings.Contains(out, "Sources:") {
		t.Errorf("an answer lists its sources:\n%s", out)
	}
}

// TestAskFailedRequestListsNoSources: when the request fails before any
// answer, no "Sources:" header follows the error: those papers were
// never used.
func TestAskFailedRequestListsNoSources(t *testing.T) {
	home := agentHome(t)
	code, out := askShared(t, home, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"model not found","type":"invalid_request_error"}}`)
	})
	if code != exitFailed {
		t.Errorf("exit %d, want %d\n%s", code, exitFailed, out)
	}
	if strings.Contains(out, "Sources") {
		t.Errorf("sources listed after a failed request:\n%s", out)
	}
	if !strings.Contains(out, "model not found") {
		t.Errorf("the error is not shown:\n%s", out)
	}
}
