package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-research/quire/agent/llm/bedrock/bedrocktest"
)

// roadmapLLM scripts the model through the roadmap workflow: the gather
// step calls the usage tool, then writes; rank lists three pain points;
// each PR/FAQ cites source 1. It speaks OpenAI's chat completions stream.
func roadmapLLM(t *testing.T, block <-chan struct{}) (url string, bodies func() []string) {
	return scriptedRoadmap(t, block, func(w http.ResponseWriter, text string, tool bool) {
		w.Header().Set("Content-Type", "text/event-stream")
		if tool {
			fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"usage__usage_table","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`+"\n\n")
		}
		if text != "" {
			fmt.Fprintf(w, "data: %s\n\n", chunk(text))
			fmt.Fprint(w, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
}

// roadmapBedrock is roadmapLLM speaking Bedrock's ConverseStream event
// stream.
func roadmapBedrock(t *testing.T) (url string, bodies func() []string) {
	return scriptedRoadmap(t, nil, func(w http.ResponseWriter, text string, tool bool) {
		send := bedrocktest.Events(w)
		event := func(typ, payload string) {
			if err := send(typ, payload); err != nil {
				t.Error(err)
			}
		}
		event("messageStart", `{"role":"assistant"}`)
		stop := "end_turn"
		if tool {
			event("contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tu_1","name":"usage__usage_table"}}}`)
			event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}}`)
			stop = "tool_use"
		} else {
			b, _ := json.Marshal(text)
			event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":`+string(b)+`}}`)
		}
		event("contentBlockStop", `{"contentBlockIndex":0}`)
		event("messageStop", `{"stopReason":"`+stop+`"}`)
		event("metadata", `{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":1}}`)
	})
}

// scriptedRoadmap decides each reply of the roadmap script from the
// request body; reply writes it in one wire protocol.
func scriptedRoadmap(t *testing.T, block <-chan struct{}, reply func(w http.ResponseWriter, text string, tool bool)) (url string, bodies func() []string) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body := string(b)
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
		switch {
		case strings.Contains(body, "Rank the pain points"):
			reply(w, `["slow search", "hard setup", "no export"]`, false)
		case strings.Contains(body, "Gather evidence of pain points") && !strings.Contains(body, "downloads_total 42"):
			reply(w, "", true)
		case strings.Contains(body, "Gather evidence of pain points"):
			reply(w, "Search is slow [1]. Setup is hard. Nothing exports.", false)
		default:
			if block != nil {
				select {
				case <-block:
				case <-r.Context().Done():
					return
				}
			}
			reply(w, "## Headline\n\nQuire answers faster [1].\n", false)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

func roadmapEnv(t *testing.T, home, llmURL string) (cfg string, getenv func(string) string) {
	cfg = filepath.Join(home, "mcp.toml")
	toml := fmt.Sprintf("[[mcp.servers]]\nname = \"usage\"\nurl = %q\ntoken_env = \"USAGE_TOKEN\"\n", usageMCP(t, "tok")+"/")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	envs := map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_DATA_HOME": filepath.Join(home, "data"),
		"XDG_CACHE_HOME": filepath.Join(home, "cache"), "NO_COLOR": "1",
		"QUIRE_LLM_PROVIDER": "openai", "QUIRE_LLM_BASE_URL": llmURL + "/v1", "QUIRE_LLM_MODEL": "m",
		"USAGE_TOKEN": "tok",
	}
	return cfg, func(k string) string { return envs[k] }
}

// runRoadmap runs `quire run roadmap` into out and fails t unless it
// exits 0.
func runRoadmap(t *testing.T, cfg, out string, getenv func(string) string) (stdout, stderr *bytes.Buffer) {
	t.Helper()
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	code := Run(context.Background(), []string{"--config", cfg, "run", "roadmap", "--no-save", "--var", "product=Quire",
		"--out", out, "--allow-tools", "usage.usage_table"}, strings.NewReader(""), stdout, stderr, getenv)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	return stdout, stderr
}

func TestRunRoadmapWritesCitedPRFAQsAndIndex(t *testing.T) {
	home := agentHome(t)
	url, bodies := roadmapLLM(t, nil)
	cfg, getenv := roadmapEnv(t, home, url)
	out := filepath.Join(home, "roadmap")
	stdout, stderr := runRoadmap(t, cfg, out, getenv)
	if !strings.Contains(stderr.String(), "→ usage.usage_table {}") {
		t.Errorf("usage tool not called:\n%s", stderr.String())
	}
	for _, s := range []string{"run: gather done", "run: rank done", "run: prfaq [3/3]", "wrote 3 documents"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("progress lacks %q:\n%s", s, stderr.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join(out, "prfaq-*.md"))
	if len(files) != 3 {
		t.Fatalf("%d PR/FAQ files: %v", len(files), files)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), "faster [1]") || !strings.Contains(string(b), "- [1] ") {
			t.Errorf("%s not cited:\n%s", f, b)
		}
	}
	index, err := os.ReadFile(filepath.Join(out, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{"slow search", "hard setup", "no export"} {
		if !strings.Contains(string(index), "["+item+"](prfaq-") {
			t.Errorf("index lacks %s:\n%s", item, index)
		}
	}
	if !strings.Contains(string(index), "   - [1] ") {
		t.Errorf("index lists no sources:\n%s", index)
	}
	var drafts int
	for _, b := range bodies() {
		if strings.Contains(b, "slow search") && !strings.Contains(b, "Rank the pain points") {
			drafts++
		}
	}
	if drafts != 1 {
		t.Errorf("%d draft requests about slow search, want 1", drafts)
	}

	// --limit caps the fan-out.
	out2 := filepath.Join(home, "roadmap2")
	stderr.Reset()
	code := Run(context.Background(), []string{"--config", cfg, "run", "roadmap", "--no-save", "--var", "product=Quire",
		"--out", out2, "--limit", "1", "--allow-tools", "usage.usage_table"}, strings.NewReader(""), stdout, stderr, getenv)
	if files, _ := filepath.Glob(filepath.Join(out2, "prfaq-*.md")); code != 0 || len(files) != 1 {
		t.Errorf("--limit 1: exit %d, %d files\n%s", code, len(files), stderr.String())
	}
}

func TestRunCancelKeepsIndex(t *testing.T) {
	home := agentHome(t)
	block := make(chan struct{})
	url, _ := roadmapLLM(t, block)
	cfg, getenv := roadmapEnv(t, home, url)
	out := filepath.Join(home, "roadmap")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"--config", cfg, "run", "roadmap", "--no-save", "--var", "product=Quire", "--out", out,
			"--allow-tools", "usage.usage_table"}, strings.NewReader(""), io.Discard, &stderr, getenv)
	}()
	for !strings.Contains(stderr.String(), "run: prfaq [2/3]") {
		select {
		case code := <-done:
			t.Fatalf("finished early: %d\n%s", code, stderr.String())
		default:
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 130 && code != 1 {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	index, err := os.ReadFile(filepath.Join(out, "index.md"))
	if err != nil || !strings.Contains(string(index), "not drafted (stopped)") {
		t.Errorf("index after stop: %v\n%s", err, index)
	}
}

func TestRunUnknownWorkflowSuggests(t *testing.T) {
	r := quire(t, t.TempDir(), "run", "roadmp")
	if r.code != exitUsage || !strings.Contains(r.stderr, "did you mean roadmap?") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// TestRunRoadmapOverBedrock runs the same workflow with the model behind
// Bedrock's wire protocol (llm.endpoint_url pointing at a loopback
// server), so the tool loop, fan-out and citations hold for both.
func TestRunRoadmapOverBedrock(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDRUNTEST", "AWS_SECRET_ACCESS_KEY": "runSecretNeverShown", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	home := agentHome(t)
	url, bodies := roadmapBedrock(t)
	cfg, base := roadmapEnv(t, home, url)
	over := map[string]string{"QUIRE_LLM_PROVIDER": "bedrock", "QUIRE_LLM_BASE_URL": "", "QUIRE_LLM_ENDPOINT_URL": url,
		"QUIRE_LLM_MODEL": "anthropic.claude-test", "QUIRE_LLM_REGION": "us-east-1"}
	getenv := func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return base(k)
	}
	out := filepath.Join(home, "roadmap")
	stdout, stderr := runRoadmap(t, cfg, out, getenv)
	if !strings.Contains(stderr.String(), "→ usage.usage_table {}") || !strings.Contains(stderr.String(), "wrote 3 documents") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), "runSecretNeverShown") {
		t.Error("the secret key reached the output")
	}
	files, _ := filepath.Glob(filepath.Join(out, "prfaq-*.md"))
	if len(files) != 3 {
		t.Fatalf("%d PR/FAQ files: %v", len(files), files)
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); !strings.Contains(string(b), "faster [1]") || !strings.Contains(string(b), "- [1] ") {
			t.Errorf("%s not cited:\n%s", f, b)
		}
	}
	// The tool's result went back to the model as a Bedrock toolResult.
	var sawResult bool
	for _, b := range bodies() {
		if strings.Contains(b, `"toolResult"`) && strings.Contains(b, "downloads_total 42") {
			sawResult = true
		}
	}
	if !sawResult {
		t.Error("no request carried the usage table back as a toolResult")
	}
}
