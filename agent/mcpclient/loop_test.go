package mcpclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/llm"
	"github.com/quire-research/quire/agent/llm/bedrock"
	"github.com/quire-research/quire/agent/llm/bedrock/bedrocktest"
	"github.com/quire-research/quire/agent/llm/openai"
	"github.com/quire-research/quire/config"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
)

// scripted is a loopback model: its first reply calls the MCP tool, its
// second answers; it keeps each request body for assertions.
type scripted struct {
	mu     sync.Mutex
	bodies []string
}

func (s *scripted) record(r *http.Request) int {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies = append(s.bodies, string(b))
	return len(s.bodies)
}

func (s *scripted) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

const wantCall = "usage__usage_table"

func (s *scripted) openai(w http.ResponseWriter, r *http.Request) {
	n := s.record(r)
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(data string) { fmt.Fprintf(w, "data: %s\n\n", data); w.(http.Flusher).Flush() }
	if n == 1 {
		chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"` + wantCall + `","arguments":"{\"year\":2024}"}}]},"finish_reason":null}]}`)
		chunk(`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`)
	} else {
		chunk(`{"choices":[{"index":0,"delta":{"content":"Downloads noted [1]."},"finish_reason":null}]}`)
		chunk(`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
	}
	chunk("[DONE]")
}

func (s *scripted) bedrock(w http.ResponseWriter, r *http.Request) {
	n := s.record(r)
	send := bedrocktest.Events(w)
	event := func(typ, payload string) {
		if err := send(typ, payload); err != nil {
			panic(err)
		}
	}
	event("messageStart", `{"role":"assistant"}`)
	if n == 1 {
		event("contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tu_1","name":"`+wantCall+`"}}}`)
		event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"year\":2024}"}}}`)
		event("contentBlockStop", `{"contentBlockIndex":0}`)
		event("messageStop", `{"stopReason":"tool_use"}`)
	} else {
		event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Downloads noted [1]."}}`)
		event("contentBlockStop", `{"contentBlockIndex":0}`)
		event("messageStop", `{"stopReason":"end_turn"}`)
	}
	event("metadata", `{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":1}}`)
}

func provider(t *testing.T, protocol string, s *scripted) llm.Provider {
	t.Helper()
	if protocol == "openai" {
		srv := httptest.NewServer(http.HandlerFunc(s.openai))
		t.Cleanup(srv.Close)
		p, err := openai.New(openai.Options{BaseURL: srv.URL + "/v1", Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	srv := httptest.NewServer(http.HandlerFunc(s.bedrock))
	t.Cleanup(srv.Close)
	p, err := bedrock.New(context.Background(), bedrock.Options{Model: "m", Region: "us-east-1", EndpointURL: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func index(t *testing.T) search.Engine {
	t.Helper()
	x, err := embedded.Open(filepath.Join(t.TempDir(), "idx"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	p := corpus.Paper{ID: "p1", Title: "Usage statistics of open papers", Year: 2024,
		Abstract: "We count downloads of open access papers per year."}
	p.Normalize()
	if err := x.Apply(context.Background(), &search.Batch{Upserts: []corpus.Paper{p}}); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestAgentCallsMCPTool runs the agent loop against a scripted model over
// both wire protocols, with each policy path, and checks what the model
// was sent back.
func TestAgentCallsMCPTool(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	url := httpServer(t, "tok")
	eng := index(t)
	cases := []struct {
		name, policy string
		answer       agent.Decision
		wantResult   string // in the tool result sent back to the model
		wantAsked    bool
	}{
		{"allow", config.PolicyAllow, agent.Deny, "p1\t2024", false},
		{"ask-approve", config.PolicyAsk, agent.AllowOnce, "p1\t2024", true},
		{"ask-deny", config.PolicyAsk, agent.Deny, "denied by policy", true},
		{"deny", config.PolicyDeny, agent.AllowOnce, "denied by policy", false},
	}
	for _, protocol := range []string{"openai", "bedrock"} {
		for _, c := range cases {
			t.Run(protocol+"/"+c.name, func(t *testing.T) {
				asked := false
				cl, problems := connect(t, Options{
					Config: config.MCP{Servers: []config.MCPServer{{Name: "usage", URL: url, TokenEnv: "T", Policy: c.policy}}},
					Getenv: func(string) string { return "tok" },
					// The real path: the run emits EventApproval and waits.
					Ask: agent.Approve,
				})
				if len(problems) > 0 {
					t.Fatal(problems)
				}
				s := &scripted{}
				a := agent.New(eng, provider(t, protocol, s), agent.Options{ExtraTools: cl.Tools})
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				st, err := a.Ask(ctx, agent.AskRequest{Question: "downloads of open papers", Tools: true})
				if err != nil {
					t.Fatal(err)
				}
				var results []agent.ToolEvent
				var answer strings.Builder
				for st.Next() {
					ev := st.Current()
					switch ev.Kind {
					case agent.EventApproval:
						asked = ev.Approval.Name == "usage.usage_table"
						ev.Approval.Answer(c.answer)
					case agent.EventToolResult:
						results = append(results, *ev.Tool)
					case agent.EventDelta:
						answer.WriteString(ev.Text)
					}
				}
				if err := st.Err(); err != nil {
					t.Fatal(err)
				}
				st.Close()
				if asked != c.wantAsked {
					t.Errorf("asked = %v, want %v", asked, c.wantAsked)
				}
				if len(results) != 1 || results[0].Name != wantCall || !strings.Contains(results[0].Output, c.wantResult) {
					t.Fatalf("tool results = %+v, want one %s with %q", results, wantCall, c.wantResult)
				}
				if !strings.Contains(answer.String(), "Downloads noted") {
					t.Errorf("answer = %q", answer.String())
				}
				reqs := s.requests()
				if len(reqs) != 2 {
					t.Fatalf("%d model requests, want 2", len(reqs))
				}
				if !strings.Contains(reqs[0], `"`+wantCall+`"`) {
					t.Errorf("first request does not offer %s", wantCall)
				}
				// The result went back to the model, JSON-escaped inside its body.
				esc, _ := json.Marshal(c.wantResult)
				if !strings.Contains(reqs[1], strings.Trim(string(esc), `"`)) {
					t.Errorf("second request lacks the tool result %q:\n%s", c.wantResult, reqs[1])
				}
			})
		}
	}
}
