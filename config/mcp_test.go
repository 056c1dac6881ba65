package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMCPServers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	load := func(body string) (Config, error) {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return Load(p, func(k string) string { return map[string]string{"HOME": dir}[k] })
	}
	c, err := load(`
[mcp]
max_calls = 3

[[mcp.servers]]
name = "usage"
command = "usage-mcp"
args = ["--ro"]
env = { MODE = "ro" }
timeout_seconds = 5
[mcp.servers.tools]
usage_table = "allow"
drop_table = "deny"

[[mcp.servers]]
name = "web"
url = "https://example.org/mcp"
token_env = "WEB_TOKEN"
policy = "allow"
`)
	if err != nil {
		t.Fatal(err)
	}
	m := c.MCP
	if m.MaxCalls != 3 || m.CallTimeoutSeconds != 30 || len(m.Servers) != 2 {
		t.Fatalf("mcp = %+v", m)
	}
	u, w := m.Servers[0], m.Servers[1]
	if u.Args[0] != "--ro" || u.Env["MODE"] != "ro" || m.Timeout(u) != 5 || m.Timeout(w) != 30 {
		t.Errorf("usage = %+v", u)
	}
	for tool, want := range map[string]string{"usage_table": PolicyAllow, "drop_table": PolicyDeny, "other": PolicyAsk} {
		if got := u.ToolPolicy(tool); got != want {
			t.Errorf("usage %s: %s, want %s", tool, got, want)
		}
	}
	if w.ToolPolicy("x") != PolicyAllow {
		t.Errorf("web default policy: %s", w.ToolPolicy("x"))
	}

	for _, c := range []struct{ body, want string }{
		{"[[mcp.servers]]\nname = \"a.b\"\ncommand = \"x\"\n", `mcp.servers[a.b].name: "a.b" must be 1-32 letters`},
		{"[[mcp.servers]]\nname = \"a\"\n", "mcp.servers[a]: set either command (stdio) or url (HTTP)"},
		{"[[mcp.servers]]\nname = \"a\"\ncommand = \"x\"\nurl = \"http://h\"\n", "set either command"},
		{"[[mcp.servers]]\nname = \"a\"\nurl = \"ftp://h\"\n", `mcp.servers[a].url: "ftp://h" is not an http(s) URL`},
		{"[[mcp.servers]]\nname = \"a\"\ncommand = \"x\"\npolicy = \"yes\"\n", `mcp.servers[a].policy: "yes" is not a policy`},
		{"[[mcp.servers]]\nname = \"a\"\ncommand = \"x\"\n[mcp.servers.tools]\nt = \"maybe\"\n", `mcp.servers[a].tools.t: "maybe" is not a policy`},
		{"[[mcp.servers]]\nname = \"a\"\ncommand = \"x\"\ntoken_env = \"T\"\n", "mcp.servers[a].token_env: is for url servers"},
		{"[[mcp.servers]]\nname = \"a\"\ncommand = \"x\"\n[[mcp.servers]]\nname = \"a\"\ncommand = \"y\"\n", `"a" names two servers`},
		{"[[mcp.servers]]\nname = \"a\"\ncommand = \"x\"\nnmae = \"b\"\n", "mcp.servers.nmae"},
		{"[mcp]\nmax_calls = 0\n", "mcp.max_calls: 0 is outside 1..100"},
	} {
		_, err := load(c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.body, err, c.want)
		}
	}
}
